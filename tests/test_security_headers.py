"""Security headers on every response (Flask-Talisman, coordination/web/security.py)."""
from __future__ import annotations

from app import create_app


def _policy(response) -> dict:
    return {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split(";")
            if part.strip()}


def test_pages_api_and_errors_carry_the_headers(world, client, auth):
    auth.as_user(world.lead_a)
    for path in ("/login", "/", "/api/v1/openapi.json", "/map", "/no-such-page", "/duty/"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        policy = _policy(response)
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"], path
        assert policy["form-action"] == ["'self'"] and policy["base-uri"] == ["'self'"], path
        assert "Strict-Transport-Security" not in response.headers, path  # PUBLIC_BASE_URL is http here


def test_hsts_only_when_the_public_address_is_https(tmp_path):
    settings = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}"}
    secure = create_app(dict(settings, PUBLIC_BASE_URL="https://tcn.example.vn")).test_client()
    response = secure.get("/healthz", base_url="https://tcn.example.vn")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = create_app(dict(settings, PUBLIC_BASE_URL="http://127.0.0.1:5000")).test_client()
    assert "Strict-Transport-Security" not in plain.get("/healthz").headers
    assert secure.get("/healthz", base_url="http://tcn.example.vn").status_code == 200  # no forced redirect

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


def test_scripts_and_styles_only_from_this_site_or_with_the_nonce(world, client, auth):
    """No 'unsafe-inline' (nor eval) for scripts or styles; the map's inline script carries this
    response's nonce, a fresh one per response."""
    auth.as_user(world.ministry)
    first, second = client.get("/map?all=1"), client.get("/map?all=1")
    policy = _policy(first)
    assert policy["default-src"] == ["'self'"]
    script = policy["script-src"]
    assert script[0] == "'self'" and len(script) == 2 and script[1].startswith("'nonce-")
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(script)
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == policy["worker-src"] == policy["manifest-src"] == ["'self'"]
    nonce = script[1][len("'nonce-"):-1]
    assert f'<script nonce="{nonce}">' in first.get_data(as_text=True)
    assert _policy(second)["script-src"][1] != script[1]


def test_the_tile_server_is_allowed_for_images_only(tmp_path):
    settings = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}",
                "MAP_TILES_URL": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"}
    policy = _policy(create_app(settings).test_client().get("/login"))
    assert policy["img-src"] == ["'self'", "data:", "https://*.tile.openstreetmap.org"]
    assert "https://*.tile.openstreetmap.org" not in policy["script-src"] + policy["connect-src"]


def test_no_template_has_inline_script_handlers_or_style_attributes():
    """What the policy would block: inline handlers, style="" and <script> without src, nonce or a JSON type."""
    import re
    from pathlib import Path

    found = []
    for path in Path(__file__).resolve().parent.parent.joinpath("templates").rglob("*.html"):
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
        for pattern in (r"\son[a-z]+\s*=", r"\sstyle\s*=", r"<script(?![^>]*\b(src|nonce)=)(?![^>]*application/json)"):
            found += [f"{path.name}: {m.group(0).strip()}" for m in re.finditer(pattern, text)]
    assert found == []


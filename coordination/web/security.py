"""Security headers on every response, through Flask-Talisman (a well-kept library, instead of
hand-written headers): frame-ancestors 'none' and X-Frame-Options DENY, X-Content-Type-Options,
Referrer-Policy, and HSTS on https requests when PUBLIC_BASE_URL is https.

The Content-Security-Policy holds what every page already honours — no plugins, no <base> tricks,
forms post only here, no framing — but not yet script-src: the map pages run folium's inline script
and a few templates still have inline handlers (docs/production.md, "Headers")."""
from __future__ import annotations

from flask import Flask

CSP = {
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    from flask_talisman import Talisman

    https = app.config["PUBLIC_BASE_URL"].startswith("https://")
    Talisman(
        app,
        force_https=False,  # the reverse proxy redirects; `make run` and the tests serve http
        strict_transport_security=https,
        strict_transport_security_include_subdomains=False,  # a province's other hosts are not ours
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "(self)", "camera": "()", "microphone": "()"},
        # cookies stay as config.py sets them (Secure when PUBLIC_BASE_URL is https)
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

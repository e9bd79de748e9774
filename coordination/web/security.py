"""Security headers on every response, through Flask-Talisman (a well-kept library, instead of
hand-written headers): frame-ancestors 'none' and X-Frame-Options DENY, X-Content-Type-Options,
Referrer-Policy, and HSTS on https requests when PUBLIC_BASE_URL is https.

The Content-Security-Policy allows only this site's own files: scripts from /static plus the one
inline script of the map pages (folium's), which carries the request's nonce (`csp_nonce()`); no
inline handlers, no style attributes (bars and swatches are SVG), images from here, data: and the
tile server named by MAP_TILES_URL (docs/production.md, "Headers")."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman

SELF = "'self'"


def tiles_origin(tiles_url: Optional[str]) -> Optional[str]:
    """The origin a Leaflet tile URL template loads from: `https://{s}.tile.example.org/{z}/{x}/{y}.png`
    gives `https://*.tile.example.org` (Leaflet fills {s} with a subdomain)."""
    if not tiles_url:
        return None
    parts = urlsplit(tiles_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None  # a path on this site: 'self' covers it
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def policy(tiles_url: Optional[str] = None) -> dict[str, str]:
    """The CSP; Talisman appends the request's nonce to script-src."""
    images = " ".join(filter(None, (SELF, "data:", tiles_origin(tiles_url))))
    return {
        "default-src": SELF,
        "script-src": SELF,
        "style-src": SELF,
        "img-src": images,
        "connect-src": SELF,  # the duty app's fetches, its service worker's cache
        "worker-src": SELF,
        "manifest-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "form-action": SELF,
        "frame-ancestors": "'none'",
    }


def init_app(app: Flask) -> None:
    """One Talisman per app (not a module-level object as in coordination/web/extensions.py): Flask-Talisman
    1.1 keeps these options on the instance, so a shared one would give every app the last one's policy."""
    https = app.config["PUBLIC_BASE_URL"].startswith("https://")
    Talisman(
        app,
        force_https=False,  # the reverse proxy redirects; `make run` and the tests serve http
        strict_transport_security=https,
        strict_transport_security_include_subdomains=False,  # a province's other hosts are not ours
        frame_options="DENY",
        content_security_policy=policy(app.config.get("MAP_TILES_URL")),
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "(self)", "camera": "()", "microphone": "()"},
        # cookies stay as config.py sets them (Secure when PUBLIC_BASE_URL is https)
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

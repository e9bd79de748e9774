"""Behind TRUSTED_PROXIES reverse proxies (production: 1, the TLS proxy), werkzeug's ProxyFix makes
the request what the client sent: `request.remote_addr` the client's address (the login limits),
`request.scheme` and `request.host` the public ones (redirects, `url_for(_external=True)`). With
none (`make run`, the default) the X-Forwarded-* headers are anyone's to write and are ignored.
Links in SMS and Twilio's signatures use PUBLIC_BASE_URL, never the request."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxies:
    """ProxyFix for the number of proxies configured now (read per request: tests change it)."""

    def __init__(self, app: Flask):
        self.app, self.wsgi_app, self._fixed = app, app.wsgi_app, {}

    def __call__(self, environ, start_response):
        hops = int(self.app.config.get("TRUSTED_PROXIES") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        if hops not in self._fixed:
            # x_for: the address the outermost trusted proxy saw, n-th from the right of
            # X-Forwarded-For; scheme and host come from the proxy that terminates TLS.
            self._fixed[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=1, x_host=1)
        return self._fixed[hops](environ, start_response)

"""A local push service that speaks the Web Push protocol, for tests and the demo (not business rules).

It plays both ends a real one joins: `subscribe(app_server_key)` is the browser's side (a device's
ECDH key pair and auth secret, bound to the application server's VAPID key, as
PushManager.subscribe does), and POST /push/<id> is the push service's side (RFC 8030):
- `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292): 401 without it; 403 when k is not the key the
  subscription was made with, the ES256 signature does not verify against k, `aud` is not this
  service's origin, `exp` is past or more than 24 h ahead, or `sub` is not a mailto:/https: URI;
- a TTL header (400 without), `Content-Encoding: aes128gcm` (415 otherwise), at most 4,096 bytes (413);
- the body is decrypted with the device's private key (RFC 8291, http_ece) and kept in `received`;
- 201 Created with a Location, or what a test asked for: `answer(subscription, 410)`.
"""
from __future__ import annotations

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import uuid
from dataclasses import dataclass, field
from typing import Optional

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from coordination.clock import wall_utcnow

MAX_BODY = 4096
MAX_EXP = 24 * 3600


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    app_server_key: str  # the VAPID public key it subscribed with (base64url)


@dataclass
class FakePush:
    devices: dict = field(default_factory=dict)
    # {"device", "payload" (bytes), "json", "ttl", "urgency", "claims", "authorization"}
    received: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # {"device", "status", "why"}
    answers: dict = field(default_factory=dict)  # device id -> status to answer instead of 201
    url: str = ""

    # --- the browser's side ---
    def subscribe(self, app_server_key: str) -> dict:
        """A new device's subscription, as PushSubscription.toJSON() gives it."""
        key = ec.generate_private_key(ec.SECP256R1())
        device = Device(uuid.uuid4().hex, key, os.urandom(16), app_server_key.rstrip("="))
        self.devices[device.id] = device
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.url}/push/{device.id}", "expirationTime": None,
                "keys": {"p256dh": b64(public), "auth": b64(device.auth)}}

    def answer(self, subscription: dict, status: Optional[int]) -> None:
        """Answer every later push to this subscription with `status` (404, 410, 429, 500…); None: 201 again."""
        device_id = subscription["endpoint"].rsplit("/", 1)[1]
        if status is None:
            self.answers.pop(device_id, None)
        else:
            self.answers[device_id] = status

    def payloads(self) -> list[dict]:
        return [r["json"] for r in self.received]

    # --- the push service's side ---
    def _refuse(self, device_id: str, status: int, why: str) -> Response:
        self.refused.append({"device": device_id, "status": status, "why": why})
        return Response(json.dumps({"code": status, "message": why}), status=status, mimetype="application/json")

    def _claims(self, request: Request, device: Device) -> tuple[Optional[dict], str]:
        """The VAPID claims if the Authorization header holds (RFC 8292 §2-§3), else (None, why)."""
        scheme, _sp, params = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            return None, "no vapid authorization"
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "").rstrip("=")
        if key != device.app_server_key:
            return None, "k is not the key this subscription was made with"
        try:
            header_b64, claims_b64, _sig = token.split(".")
            header, claims = json.loads(unb64(header_b64)), json.loads(unb64(claims_b64))
            valid = header.get("alg") == "ES256" and Vapid.verify(f"vapid t={token},k={key}")
        except (ValueError, AssertionError, TypeError):
            return None, "token does not parse"
        if not valid:
            return None, "signature does not verify"
        now = wall_utcnow().timestamp()  # the push service's own clock: real time, whatever a test set
        if claims.get("aud") != self.url:
            return None, f"aud {claims.get('aud')!r} is not {self.url!r}"
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + MAX_EXP:
            return None, "exp is past or more than 24 hours ahead"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return None, "sub is not a mailto: or https: URI"
        return claims, ""

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        path = request.path.strip("/").split("/")
        if request.method != "POST" or len(path) != 2 or path[0] != "push":
            return Response("not found", status=404)(environ, start_response)
        device = self.devices.get(path[1])
        if device is None:
            return self._refuse(path[1], 404, "no such subscription")(environ, start_response)
        if "Authorization" not in request.headers:
            return self._refuse(device.id, 401, "no authorization")(environ, start_response)
        claims, why = self._claims(request, device)
        if claims is None:
            return self._refuse(device.id, 403, why)(environ, start_response)
        if device.id in self.answers:
            return self._refuse(device.id, self.answers[device.id], "told to")(environ, start_response)
        if "TTL" not in request.headers:
            return self._refuse(device.id, 400, "no TTL header")(environ, start_response)
        body = request.get_data()
        if len(body) > MAX_BODY:
            return self._refuse(device.id, 413, "payload too large")(environ, start_response)
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return self._refuse(device.id, 415, "not aes128gcm")(environ, start_response)
        try:
            plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm")
        except Exception as exc:  # noqa: BLE001 - a payload that does not decrypt is the sender's fault
            return self._refuse(device.id, 400, f"does not decrypt: {exc}")(environ, start_response)
        try:
            parsed = json.loads(plain)
        except ValueError:
            parsed = None
        self.received.append({"device": device.id, "payload": plain, "json": parsed, "claims": claims,
                              "ttl": request.headers.get("TTL"), "urgency": request.headers.get("Urgency"),
                              "authorization": request.headers.get("Authorization")})
        location = f"{self.url}/m/{uuid.uuid4().hex}"
        return Response(status=201, headers={"Location": location})(environ, start_response)

    def start(self, port: int = 0, keep_alive: bool = False) -> "FakePush":
        """Serve on `port` (0: any free one). werkzeug's server closes the connection after each
        answer; a real push service keeps it open: `keep_alive` serves HTTP/1.1 persistent
        connections instead (bench/bench_push_dispatch.py --keep-alive)."""
        if keep_alive:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), _KeepAliveHandler)
            self._server.daemon_threads = True
            self._server.wsgi_app = self._wsgi
            self._server.opened = []  # one item per TCP connection accepted
        else:
            self._server = make_server("127.0.0.1", port, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def connections(self) -> Optional[int]:
        """How many TCP connections the keep-alive server accepted (None for werkzeug's)."""
        opened = getattr(self._server, "opened", None)
        return None if opened is None else len(opened)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with persistent connections, each request handed to the WSGI app (keep_alive=True)."""
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.server.opened.append(self.client_address)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in ("content-length", "content-type")]
        environ = EnvironBuilder(path=self.path, method=self.command, headers=headers, data=body,
                                 content_type=self.headers.get("Content-Type")).get_environ()
        response = Response.from_app(self.server.wsgi_app, environ)
        data = response.get_data()
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, format, *args) -> None:  # noqa: A002 - no access log line per push
        pass

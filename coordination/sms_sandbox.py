"""A local SMS sandbox that speaks Twilio's Messages API: the tests' fake Twilio server, the
benchmarks' and `make run`'s. It checks Basic auth and parameters, records every message, can fail
on purpose, and produces signed status callbacks. With `deliver=True` (make run) it posts those
callbacks itself (sent, then delivered) and shows each phone's inbox at `/` with clickable links.

    .venv/bin/python -m coordination.sms_sandbox PORT [--deliver]"""
from __future__ import annotations

import base64
import html
import json
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .clock import local_now

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    sent: list[dict] = field(default_factory=list)  # accepted messages, in order
    requests: int = 0
    transient_failures: int = 0  # answer the next N requests with 503
    rate_limited: int = 0  # answer the next N requests with 429
    invalid_numbers: set[str] = field(default_factory=set)  # 400, code 21211
    unsubscribed: set[str] = field(default_factory=set)  # 400, code 21610 (replied STOP)
    deliver: bool = False  # post signed status callbacks itself (the sandbox of `make run`)

    def start(self) -> "FakeTwilio":
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def _error(self, status: int, code: int, message: str) -> Response:
        body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.method == "GET" and request.path == "/":
            return Response(self.inbox_html(), content_type="text/html; charset=utf-8")(environ, start_response)
        self.requests += 1
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if request.headers.get("Authorization") != expected:
            response = self._error(401, 20003, "Authenticate")
        elif request.method != "POST" or request.path != path:
            response = self._error(404, 20404, "The requested resource was not found")
        elif self.rate_limited > 0:
            self.rate_limited -= 1
            response = self._error(429, 20429, "Too Many Requests")
        elif self.transient_failures > 0:
            self.transient_failures -= 1
            response = self._error(503, 20500, "Service unavailable")
        else:
            response = self._create(request.form)
        return response(environ, start_response)

    def _create(self, form) -> Response:
        to, body = form.get("To", ""), form.get("Body", "")
        if not to or not body or not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required")
        if to in self.invalid_numbers:
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.unsubscribed:
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + uuid.uuid4().hex
        message = {"sid": sid, "account_sid": self.account_sid, "to": to, "from": form.get("From"),
                   "messaging_service_sid": form.get("MessagingServiceSid"), "body": body, "status": "queued",
                   "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                   "status_callback": form.get("StatusCallback")}
        message["received"] = local_now().strftime("%H:%M:%S")
        self.sent.append(message)
        if self.deliver and message["status_callback"]:
            threading.Thread(target=self._report, args=(message,), daemon=True).start()
        return Response(json.dumps(message), status=201, content_type="application/json")

    def _signed(self, message: dict, status: str, error_code: str | None = None) -> tuple[str, dict, str]:
        params = {"MessageSid": message["sid"], "MessageStatus": status, "AccountSid": self.account_sid,
                  "To": message["to"], "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = error_code
        url = message["status_callback"]
        return url, params, RequestValidator(self.auth_token).compute_signature(url, params)

    def _report(self, message: dict) -> None:
        """What Twilio does after accepting a message: status callbacks, signed like Twilio's, a
        moment later (as Twilio's come; the dispatcher stores the message SID right after the reply)."""
        for status in ("sent", "delivered"):
            time.sleep(0.5)
            url, params, signature = self._signed(message, status)
            request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(),
                                             headers={"X-Twilio-Signature": signature})
            try:
                urllib.request.urlopen(request, timeout=10).read()
                message["status"] = status
            except OSError as exc:  # the app is down: Twilio would retry; the sandbox just says so
                message["status"] = f"callback failed: {exc}"
                return

    def inbox_html(self) -> str:
        """Every phone's inbox, newest first, links clickable (acknowledgement links included)."""
        phones: dict[str, list[dict]] = {}
        for m in reversed(self.sent):
            phones.setdefault(m["to"], []).append(m)
        link = re.compile(r"(https?://\S+)")
        parts = ['<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
                 'initial-scale=1"><meta http-equiv="refresh" content="15"><title>Hộp thư SMS thử nghiệm</title>'
                 '<style>body{font-family:system-ui,sans-serif;margin:12px;max-width:720px}section{border:1px solid'
                 ' #ccc;border-radius:8px;padding:8px 12px;margin:10px 0}p.sms{background:#e8f0fe;border-radius:12px;'
                 'padding:8px 12px;white-space:pre-wrap;overflow-wrap:anywhere}small{color:#555}h1{font-size:1.4rem}</style>',
                 "<h1>Hộp thư SMS thử nghiệm · SMS sandbox</h1>",
                 f"<p>{len(self.sent)} tin nhắn · {len(phones)} số điện thoại. Không tin nào rời máy này "
                 "(no message leaves this machine). Trang tự tải lại mỗi 15 giây.</p>"]
        for phone, messages in sorted(phones.items()):
            parts.append(f"<section><h2>{html.escape(phone)}</h2>")
            for m in messages:
                body = link.sub(r'<a href="\1">\1</a>', html.escape(m["body"]))
                parts.append(f'<p class="sms">{body}</p><small>{m["received"]} · {html.escape(m["status"])}</small>')
            parts.append("</section>")
        return "".join(parts)

    def callbacks(self, status: str = "delivered", error_code: str | None = None) -> list[tuple[str, dict, str]]:
        """(url, form, X-Twilio-Signature) of the status callback Twilio would send for each message."""
        return [self._signed(m, status, error_code) for m in self.sent if m["status_callback"]]


if __name__ == "__main__":  # standalone: benchmarks, and `make run` (with --deliver)
    import sys

    fake = FakeTwilio(deliver="--deliver" in sys.argv)
    fake._server = make_server("127.0.0.1", int(sys.argv[1]), fake._app, threaded=True)
    print(f"SMS sandbox (Twilio Messages API) on http://127.0.0.1:{sys.argv[1]}/", flush=True)
    fake._server.serve_forever()

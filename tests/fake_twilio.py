"""A fake Twilio REST server for tests: speaks the Messages API the official client calls, checks
Basic auth and parameters, can fail on purpose, and produces signed status callbacks."""
from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

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
        self.sent.append(message)
        return Response(json.dumps(message), status=201, content_type="application/json")

    def callbacks(self, status: str = "delivered", error_code: str | None = None) -> list[tuple[str, dict, str]]:
        """(url, form, X-Twilio-Signature) of the status callback Twilio would send for each message."""
        validator = RequestValidator(self.auth_token)
        out = []
        for m in self.sent:
            if not m["status_callback"]:
                continue
            params = {"MessageSid": m["sid"], "MessageStatus": status, "AccountSid": self.account_sid,
                      "To": m["to"], "ApiVersion": "2010-04-01"}
            if error_code:
                params["ErrorCode"] = error_code
            out.append((m["status_callback"], params, validator.compute_signature(m["status_callback"], params)))
        return out


if __name__ == "__main__":  # a standalone fake for benchmarks: python -m tests.fake_twilio PORT
    import sys

    fake = FakeTwilio()
    fake._server = make_server("127.0.0.1", int(sys.argv[1]), fake._app, threaded=True)
    print(f"fake Twilio on 127.0.0.1:{sys.argv[1]}", flush=True)
    fake._server.serve_forever()

"""A local SMS sandbox that speaks Twilio's Messages API: the tests' fake Twilio server, the
benchmarks' and `make run`'s. It checks Basic auth and parameters, records every message, can fail
on purpose, and produces signed status callbacks. With `deliver=True` (make run) it posts those
callbacks itself (sent, then delivered) and shows each phone's inbox at `/` with clickable links.

Faults for the tests and the soak: `callback_mode` posts the callbacks (real signed HTTP POSTs to
the StatusCallback URL the client sent) "immediate" (before the 201 is answered), "delayed"
(0.2–1 s later), "duplicate" (each twice), "reorder" (delivered before sent) or "chaos" (a random
one of those per message, seeded by `callback_seed`); `transient_rate` answers that fraction of
requests with 503 (seeded too). Each message's outcome at the carrier is explicit: delivered, unless
`final_statuses` names another for its number (e.g. "undelivered"); the last callback reports it,
and GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json answers it (404 for an unknown SID),
whether or not the callbacks reached the app. `callback_log` records every callback posted; `wait_callbacks()`
waits for those still on their way. From another process: POST those fields to `/_faults` to
change them during a run; GET `/_faults` for the faults, the messages accepted and the callbacks.

    .venv/bin/python -m dev.sms_sandbox PORT [--deliver] [--callbacks MODE] [--transient RATE] [--seed N]"""
from __future__ import annotations

import base64
import html
import json
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from coordination.clock import local_now
from dev.voice_sandbox import FakeCalls

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
CALLBACK_MODES = ("immediate", "delayed", "duplicate", "reorder")  # "chaos" picks one per message


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
    callback_mode: str = "off"  # off, immediate, delayed, duplicate, reorder, chaos (see the module's doc)
    callback_seed: int = 0  # seeds chaos and transient_rate
    transient_rate: float = 0.0  # answer this fraction of requests with 503
    callback_log: list[dict] = field(default_factory=list)  # every callback posted: sid, status, answer
    final_statuses: dict[str, str] = field(default_factory=dict)  # To -> final status (default delivered)
    latency: float = 0.0  # seconds each Messages request waits before its answer (the real API's round trip)

    def __post_init__(self):
        if self.callback_mode not in CALLBACK_MODES + ("off", "chaos"):
            raise ValueError(f"callback_mode: one of off, chaos, {', '.join(CALLBACK_MODES)}")
        self._rng, self._lock = None, threading.Lock()
        self._reporting = threading.Condition()  # guards _outstanding: messages whose callbacks are on their way
        self._outstanding = 0
        self.voice = FakeCalls(self)  # the Calls API (dev/voice_sandbox.py)

    def _random(self) -> float:
        with self._lock:  # the server is threaded
            if self._rng is None:  # seeded at the first draw: the seed may be set after construction
                self._rng = random.Random(self.callback_seed)
            return self._rng.random()

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
        if request.path == "/_faults":  # a separate process (the soak) changes or reads its faults and log
            return self._faults(request)(environ, start_response)
        press = re.fullmatch(r"/_calls/(CA\w+)", request.path)
        if press and request.method == "POST":  # the sandbox page's keys during a call
            return self.voice.action(press.group(1), request.form)(environ, start_response)
        self.requests += 1
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        fetch = re.fullmatch(rf"/2010-04-01/Accounts/{self.account_sid}/Messages/(\w+)\.json", request.path)
        calls = f"/2010-04-01/Accounts/{self.account_sid}/Calls.json"
        fetch_call = re.fullmatch(rf"/2010-04-01/Accounts/{self.account_sid}/Calls/(\w+)\.json", request.path)
        account = f"/2010-04-01/Accounts/{self.account_sid}.json"
        if request.headers.get("Authorization") != expected:
            response = self._error(401, 20003, "Authenticate")
        elif request.method == "GET" and request.path == account:  # `flask doctor` checks the credentials
            response = Response(json.dumps({"sid": self.account_sid, "status": "active", "type": "Full",
                                            "friendly_name": "Fake Twilio (sandbox)"}),
                                content_type="application/json")
        elif not ((request.method == "POST" and request.path in (path, calls))
                  or (request.method == "GET" and (fetch or fetch_call))):
            response = self._error(404, 20404, "The requested resource was not found")
        elif self.rate_limited > 0:
            self.rate_limited -= 1
            response = self._error(429, 20429, "Too Many Requests")
        elif self.transient_failures > 0:
            self.transient_failures -= 1
            response = self._error(503, 20500, "Service unavailable")
        elif self.transient_rate and self._random() < self.transient_rate:
            response = self._error(503, 20500, "Service unavailable")
        elif request.path == calls:
            response = self.voice.create(request.form)
        elif fetch_call:
            response = self.voice.fetch(fetch_call.group(1))
        elif fetch:
            response = self._fetch(fetch.group(1))
        else:
            response = self._create(request.form)
        return response(environ, start_response)

    def _fetch(self, sid: str) -> Response:
        """The message as Twilio knows it now: its final status (at the carrier), not whatever
        callback the app did or did not receive."""
        message = next((m for m in list(self.sent) if m["sid"] == sid), None)
        if message is None:
            return self._error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
        final = message["final"]
        body = dict(message, status=final, error_code=None if final == "delivered" else 30003,
                    error_message=None if final == "delivered" else "Unreachable destination handset")
        return Response(json.dumps(body), content_type="application/json")

    def _create(self, form) -> Response:
        if self.latency:
            time.sleep(self.latency)
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
                   "status_callback": form.get("StatusCallback"), "final": self.final_statuses.get(to, "delivered")}
        message["received"] = local_now().strftime("%H:%M:%S")
        self.sent.append(message)
        mode = self.callback_mode if self.callback_mode != "off" else ("sandbox" if self.deliver else "off")
        if mode != "off" and message["status_callback"]:
            if mode == "chaos":
                mode = CALLBACK_MODES[int(self._random() * len(CALLBACK_MODES))]
            posted = threading.Event()
            with self._reporting:
                self._outstanding += 1
            plan = [(delay, message["final"] if status == "delivered" else status) for delay, status in self._plan(mode)]
            threading.Thread(target=self._report, args=(message, plan, posted), daemon=True).start()
            if mode == "immediate":  # the 201 leaves only once the callbacks were answered
                posted.wait(5)
        return Response(json.dumps(message), status=201, content_type="application/json")

    def _faults(self, request: Request) -> Response:
        """POST callback_mode / transient_rate / callback_seed to change the faults from now on;
        GET (or the POST's answer): the faults, every message accepted (sid, to) and every
        callback posted (sid, status, the app's answer)."""
        if request.method == "POST":
            mode = request.form.get("callback_mode", self.callback_mode)
            if mode not in CALLBACK_MODES + ("off", "chaos"):
                return self._error(400, 21000, "callback_mode: one of off, chaos, " + ", ".join(CALLBACK_MODES))
            self.callback_mode = mode
            self.transient_rate = float(request.form.get("transient_rate", self.transient_rate))
            if "callback_seed" in request.form:
                self.callback_seed, self._rng = int(request.form["callback_seed"]), None
        body = {"callback_mode": self.callback_mode, "transient_rate": self.transient_rate, "requests": self.requests,
                "sent": [[m["sid"], m["to"]] for m in list(self.sent)],
                "callbacks": [[c["sid"], c["status"], c["answer"]] for c in list(self.callback_log)]}
        return Response(json.dumps(body), content_type="application/json")

    def _plan(self, mode: str) -> list[tuple[float, str]]:
        """(seconds to wait, status) of each callback, in the order they are posted."""
        if mode == "sandbox":
            return [(0.5, "sent"), (0.5, "delivered")]
        if mode == "immediate":
            return [(0, "sent"), (0, "delivered")]
        if mode == "delayed":
            return [(0.2 + 0.8 * self._random(), "sent"), (0.1 * self._random(), "delivered")]
        if mode == "duplicate":
            return [(0.05 * self._random(), status) for status in ("sent", "sent", "delivered", "delivered")]
        return [(0.05 * self._random(), "delivered"), (0.05 * self._random(), "sent")]  # reorder

    def wait_callbacks(self, timeout: float = 30.0) -> None:
        """Wait until every callback planned so far has been posted (or `timeout` passed)."""
        with self._reporting:
            self._reporting.wait_for(lambda: self._outstanding == 0, timeout)

    def _signed(self, message: dict, status: str, error_code: str | None = None) -> tuple[str, dict, str]:
        params = {"MessageSid": message["sid"], "MessageStatus": status, "AccountSid": self.account_sid,
                  "To": message["to"], "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = error_code
        url = message["status_callback"]
        return url, params, RequestValidator(self.auth_token).compute_signature(url, params)

    def _report(self, message: dict, plan: list[tuple[float, str]], posted: threading.Event) -> None:
        """What Twilio does after accepting a message: status callbacks, signed like Twilio's."""
        try:
            self._post_each(message, plan)
        finally:
            posted.set()
            with self._reporting:
                self._outstanding -= 1
                self._reporting.notify_all()

    def _post_each(self, message: dict, plan: list[tuple[float, str]]) -> None:
        for delay, status in plan:
            time.sleep(delay)
            url, params, signature = self._signed(message, status)
            request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(),
                                             headers={"X-Twilio-Signature": signature})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = response.status
                if status == message["final"] or message["status"] != message["final"]:
                    message["status"] = status
            except urllib.error.HTTPError as exc:  # the app refused it (403: bad signature; 5xx)
                answer = exc.code
            except OSError as exc:  # the app is down: Twilio would not retry a status callback either
                answer = f"{type(exc).__name__}: {exc}"
                message["status"] = f"callback failed: {exc}"
            self.callback_log.append({"sid": message["sid"], "status": status, "answer": answer})

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
                 'padding:8px 12px;white-space:pre-wrap;overflow-wrap:anywhere}small{color:#555}h1{font-size:1.4rem}'
                 'form button{min-height:44px;min-width:64px;margin:6px 6px 0 0;font-size:16px}</style>',
                 "<h1>Hộp thư SMS thử nghiệm · SMS sandbox</h1>",
                 f"<p>{len(self.sent)} tin nhắn · {len(phones)} số điện thoại. Không tin nào rời máy này "
                 "(no message leaves this machine). Trang tự tải lại mỗi 15 giây.</p>", self.voice.html()]
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

    def option(name: str, default: str) -> str:
        return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default

    fake = FakeTwilio(deliver="--deliver" in sys.argv, callback_mode=option("--callbacks", "off"),
                      transient_rate=float(option("--transient", "0")), callback_seed=int(option("--seed", "0")),
                      latency=float(option("--latency-ms", "0")) / 1000)
    fake._server = make_server("127.0.0.1", int(sys.argv[1]), fake._app, threaded=True)
    print(f"SMS sandbox (Twilio Messages API) on http://127.0.0.1:{sys.argv[1]}/", flush=True)
    fake._server.serve_forever()

"""The fake Twilio server's Calls API (Programmable Voice), part of dev/sms_sandbox.py's FakeTwilio:
it accepts a call (POST …/Calls.json, as the official client sends it), "rings" the number — the
signed status callbacks initiated and ringing, then either the number's outcome (busy, no-answer,
failed: `outcomes`) or the answer: it fetches the TwiML URL (signed, as Twilio does), posts the
"answered" callback (CallStatus in-progress) and waits for a key. `press(call, digit)` posts the
Gather to its action URL (signed) and follows the TwiML answered: another Gather waits again,
anything else ends the call ("completed"); `hang_up(call)` ends it without a key. GET …/Calls/{Sid}.json
answers the call's status. Tests ring and press themselves; with `deliver` (make run) a call rings
by itself and the sandbox page offers the keys (POST /_calls/<sid> with digit=1, 2 … or hangup).

Every request to the app goes through `transport(url, form, signature) -> (status, text)`: real
HTTP by default, a test client's post in tests."""
from __future__ import annotations

import html
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from typing import Callable, Optional

from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from coordination.clock import local_now

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


def http_transport(url: str, form: dict, signature: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                     headers={"X-Twilio-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError as exc:  # the app is down
        return 0, f"{type(exc).__name__}: {exc}"


def _spoken(verbs) -> list[str]:
    out = []
    for verb in verbs:
        for node in verb.iter():
            if node.tag == "Say" and node.text:
                out.append(node.text)
            elif node.tag == "Play" and node.text:
                out.append(f"(plays {node.text})")
    return out


class FakeCalls:
    def __init__(self, twilio):
        self.twilio = twilio
        self.calls: list[dict] = []
        self.outcomes: dict[str, str] = {}  # To -> busy / no-answer / failed (default: answered)
        self.callback_log: list[dict] = []  # every status callback posted: sid, status, answer
        self.transport: Callable[[str, dict, str], tuple[int, str]] = http_transport
        self.auto_hang_up = 120.0  # seconds a sandbox call waits for a key before it hangs up
        self._lock = threading.Lock()

    # --- the REST API -------------------------------------------------------------------------

    def create(self, form) -> Response:
        to, from_, url = form.get("To", ""), form.get("From", ""), form.get("Url", "")
        if not to or not from_ or not (url or form.get("Twiml")):
            return self.twilio._error(400, 21205, "A 'To', 'From' and 'Url' or 'Twiml' are required")
        if to in self.twilio.invalid_numbers:
            return self.twilio._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        call = {"sid": "CA" + uuid.uuid4().hex, "account_sid": self.twilio.account_sid, "to": to, "from": from_,
                "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01", "url": url,
                "method": form.get("Method", "POST"), "status_callback": form.get("StatusCallback"),
                "events": form.getlist("StatusCallbackEvent"), "timeout": form.get("Timeout"),
                "received": local_now().strftime("%H:%M:%S"), "said": [], "gather": None, "digits": [],
                "answers": []}
        with self._lock:
            self.calls.append(call)
        if self.twilio.deliver:
            threading.Thread(target=self._ring_and_wait, args=(call,), daemon=True).start()
        return Response(json.dumps(self.public(call)), status=201, content_type="application/json")

    def fetch(self, sid: str) -> Response:
        call = self.find(sid)
        if call is None:
            return self.twilio._error(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
        return Response(json.dumps(self.public(call)), content_type="application/json")

    @staticmethod
    def public(call: dict) -> dict:
        return {k: call[k] for k in ("sid", "account_sid", "to", "from", "status", "direction", "api_version")}

    def find(self, sid: str) -> Optional[dict]:
        return next((c for c in list(self.calls) if c["sid"] == sid), None)

    # --- what the phone network and the person do ---------------------------------------------

    def ring(self, call: dict) -> str:
        """Initiated, ringing, then the number's outcome or the answer (TwiML fetched). Returns the status."""
        self._progress(call, "initiated", "initiated")
        self._progress(call, "ringing", "ringing")
        outcome = self.outcomes.get(call["to"])
        if outcome:
            self._end(call, outcome)
            return outcome
        call["status"] = "in-progress"
        self._progress(call, "answered", "in-progress")
        self._follow(call, call["url"], {})
        return call["status"]

    def press(self, call: dict, digit: str) -> str:
        """The person presses `digit`: the Gather's action gets it; returns the TwiML answered."""
        if call["status"] != "in-progress" or not call["gather"]:
            raise ValueError(f"call {call['sid']} is {call['status']}: no key to press")
        call["digits"].append(digit)
        return self._follow(call, call["gather"], {"Digits": digit, "FinishedOnKey": ""})

    def hang_up(self, call: dict) -> None:
        """No key: the rest of the TwiML after the Gather is played, then the call ends."""
        if call["status"] not in FINAL:
            if call["gather"]:
                call["said"].extend(call.get("unless_key", []))
            self._end(call, "completed")

    def _ring_and_wait(self, call: dict) -> None:
        if self.ring(call) == "in-progress":
            threading.Timer(self.auto_hang_up, self.hang_up, args=(call,)).start()

    def _follow(self, call: dict, url: str, extra: dict) -> str:
        """POST to the app (signed) and do what its TwiML says: a Gather waits, else the call ends."""
        form = dict(self._params(call), **extra)
        status, text = self.transport(url, form, self._signature(url, form))
        call["answers"].append(status)
        call["gather"] = None
        try:
            root = ET.fromstring(text) if status == 200 else None
        except ET.ParseError:
            root = None
        if root is None:  # Twilio would say "an application error has occurred" and hang up
            call["said"].append(f"(application error: HTTP {status})")
            self._end(call, "completed")
            return text
        # What is said up to the Gather's end; what follows it is said only if no key comes (hang_up).
        gather = root.find("Gather")
        verbs = list(root)
        upto = verbs.index(gather) + 1 if gather is not None else len(verbs)
        call["said"].extend(_spoken(verbs[:upto]))
        call["unless_key"] = _spoken(verbs[upto:])
        if gather is not None:
            call["gather"] = urllib.parse.urljoin(url, gather.get("action") or url)
        else:
            self._end(call, "completed")
        return text

    def _end(self, call: dict, status: str) -> None:
        call["status"], call["gather"] = status, None
        self._post(call, status)  # a final status is always posted

    def _progress(self, call: dict, event: str, status: str) -> None:
        call["status"] = status if call["status"] not in FINAL else call["status"]
        if event in call["events"]:
            self._post(call, status)

    def _params(self, call: dict) -> dict:
        return {"CallSid": call["sid"], "AccountSid": self.twilio.account_sid, "From": call["from"], "To": call["to"],
                "CallStatus": call["status"], "Direction": "outbound-api", "ApiVersion": "2010-04-01"}

    def _signature(self, url: str, form: dict) -> str:
        return RequestValidator(self.twilio.auth_token).compute_signature(url, form)

    def _post(self, call: dict, status: str) -> None:
        url = call["status_callback"]
        if not url:
            return
        form = dict(self._params(call), CallStatus=status, CallbackSource="call-progress-events",
                    SequenceNumber=str(sum(1 for c in self.callback_log if c["sid"] == call["sid"])))
        answer, _text = self.transport(url, form, self._signature(url, form))
        self.callback_log.append({"sid": call["sid"], "status": status, "answer": answer})

    def signed_callback(self, call: dict, status: str) -> tuple[str, dict, str]:
        """(url, form, X-Twilio-Signature) of a status callback, for tests that post it themselves."""
        form = dict(self._params(call), CallStatus=status)
        return call["status_callback"], form, self._signature(call["status_callback"], form)

    # --- the sandbox page ---------------------------------------------------------------------

    def action(self, sid: str, form) -> Response:
        """POST /_calls/<sid>: the sandbox page's keys (digit=1, 2 …) or hangup."""
        call = self.find(sid)
        if call is None:
            return self.twilio._error(404, 20404, "No such call")
        try:
            if "hangup" in form:
                self.hang_up(call)
            else:
                self.press(call, (form.get("digit") or "")[:1])
        except ValueError:
            pass  # the call ended meanwhile: the page shows it
        return Response("", status=303, headers={"Location": "/"})

    def html(self) -> str:
        """The calls, newest first: what was said, the keys pressed, and keys to press while it waits."""
        if not self.calls:
            return ""
        parts = ["<h2>Cuộc gọi · Calls</h2>"]
        for c in reversed(list(self.calls)):
            said = "".join(f'<p class="sms">{html.escape(s)}</p>' for s in c["said"][-3:])
            parts.append(f'<section class="call" data-sid="{c["sid"]}"><h3>☎ {html.escape(c["to"])}</h3>{said}'
                         f'<small>{c["received"]} · <span class="status">{html.escape(c["status"])}</span>'
                         f'{" · phím " + ", ".join(map(html.escape, c["digits"])) if c["digits"] else ""}</small>')
            if c["gather"]:
                keys = "".join(f'<button name="digit" value="{d}">Bấm {d}</button>' for d in ("1", "2", "9"))
                parts.append(f'<form method="post" action="/_calls/{c["sid"]}">{keys}'
                             '<button name="hangup" value="1">Gác máy</button></form>')
            parts.append("</section>")
        return "".join(parts)

"""SMS text and the Twilio gateway.

Vietnamese diacritics force UCS-2 (70 characters a segment, 67 when split); unaccented text fits
GSM-7 (160, 153 when split). The gateway wraps the official `twilio` client; tests point it at a
fake Twilio server through TWILIO_API_BASE, so this code runs for real."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import phonenumbers
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NameResolutionError, NewConnectionError

from coordination.clock import to_local
from coordination.core.text import unaccent

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def segments(text: str) -> Segments:
    """How Twilio will bill `text`."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return Segments("GSM-7", units, 1 if units <= 160 else math.ceil(units / 153))
    units = len(text.encode("utf-16-le")) // 2
    return Segments("UCS-2", units, 1 if units <= 70 else math.ceil(units / 67))


# Typographic characters a text editor or a copied web page puts in, mapped to their GSM-7 plain
# forms: one of them left in makes the whole SMS UCS-2 (70 characters a segment, not 160).
TYPOGRAPHIC = str.maketrans({
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # hyphens, dashes, minus
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),  # “ ” „ « » ″
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),  # ‘ ’ ‚ ′ ´ `
    **dict.fromkeys("\u2022\u2023\u2043\u00b7\u2219", "-"),  # bullets, middle dot
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                    "\u202f\u205f\u3000\t", " "),  # non-breaking and other spaces, tab
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None),  # invisible, soft hyphen
    "\u2026": "...", "\u2122": "TM", "\u00a9": "(c)", "\u00ae": "(R)", "\u00d7": "x", "\u2192": "->",
    "\u2190": "<-", "\u2264": "<=", "\u2265": ">=",
})


def gsm7(text: str) -> str:
    """The text in GSM-7 alone: unaccented (đ -> d), typographic characters in their plain forms,
    anything else GSM-7 cannot carry (an emoji) as '?'. Billed at 160 characters a segment."""
    plain = unaccent(text.translate(TYPOGRAPHIC))
    return "".join(ch if ch in GSM7_BASIC or ch in GSM7_EXTENDED else "?" for ch in plain)


def for_recipient(text: str, ascii_only: bool) -> str:
    """The text as this person wants it: without diacritics, in GSM-7 (see gsm7), if they asked."""
    return gsm7(text) if ascii_only else text


def span(starts_at, ends_at) -> str:
    """A shift's time as SMS say it, Vietnam local: '02:56–03:56 ngày 02/12', or across midnight
    '22:00 ngày 01/12–06:00 ngày 02/12'."""
    start, end = to_local(starts_at), to_local(ends_at)
    if start.date() == end.date():
        return f"{start:%H:%M}–{end:%H:%M} ngày {start:%d/%m}"
    return f"{start:%H:%M} ngày {start:%d/%m}–{end:%H:%M} ngày {end:%d/%m}"


TEAM_PREFIXES = ("Tổ Công nghệ cộng đồng ", "Tổ công nghệ ")


def short_team(name: str) -> str:
    """A team as SMS name it: 'Tổ Công nghệ cộng đồng Phường Ba Đình' -> 'Tổ Phường Ba Đình'
    (with diacritics a segment holds 67 characters; the prefix is the same for every team)."""
    for prefix in TEAM_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return "Tổ " + name[len(prefix):]
    return name


def national(phone: str) -> str:
    """'+84912345678' -> '0912 345 678' (as people dial it); other numbers unchanged."""
    try:
        number = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return phone
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 84 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


REQUEST_TIMEOUT = 10.0  # seconds, for connecting to Twilio and for each read of its answer


OUTCOME_UNKNOWN = "outcome unknown: no answer from Twilio; check before resending"


def _never_sent(exc: Exception) -> bool:
    """Did the request certainly not reach Twilio? (No connection could be made.)"""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.exceptions.ConnectionError) and isinstance(
        reason, (NewConnectionError, NameResolutionError))


class SendError(Exception):
    def __init__(self, message: str, code: Optional[str], transient: bool):
        super().__init__(message)
        self.code, self.transient = code, transient


class NotConfigured(Exception):
    """No Twilio credentials: nothing can be sent, and people must see that."""


class TwilioGateway:
    """Sends through the official client; maps its errors to transient or permanent."""

    def __init__(self, account_sid: str, auth_token: str, from_: Optional[str], messaging_service_sid: Optional[str],
                 status_callback: Optional[str], api_base: Optional[str] = None, timeout: float = REQUEST_TIMEOUT,
                 voice_from: Optional[str] = None, public_base: Optional[str] = None, ring_seconds: int = 30):
        if not account_sid or not auth_token or not (from_ or messaging_service_sid):
            raise NotConfigured("SMS not configured")
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_base:
            self.client.api.base_url = api_base.rstrip("/")
        self.from_, self.service, self.callback = from_, messaging_service_sid, status_callback
        self.voice_from, self.public_base, self.ring_seconds = voice_from or from_, public_base, ring_seconds

    def send(self, to: str, body: str, message_id: Optional[int] = None) -> str:
        """Returns the provider's message SID; raises SendError. The status callback URL names our
        message (`?m=<id>`): a receipt for a message whose SID we never learnt still finds it."""
        kwargs = {"to": to, "body": body}
        if self.service:
            kwargs["messaging_service_sid"] = self.service
        else:
            kwargs["from_"] = self.from_
        if self.callback:
            kwargs["status_callback"] = self.callback + (f"?m={message_id}" if message_id is not None else "")
        return _create(lambda: self.client.messages.create(**kwargs).sid)

    def call(self, to: str, message_id: int) -> str:
        """Place a voice call (Programmable Voice, the Calls API); returns the call's SID (CA…);
        raises SendError as `send` does. Twilio fetches what to say from our TwiML URL, which names
        the message by its signed token (coordination/web/voice_hooks.py); the status callbacks
        (initiated, ringing, answered, completed) name it by ?m=, as an SMS's do."""
        if not self.voice_from or not self.public_base:
            raise SendError("not sent: voice calls need TWILIO_VOICE_FROM (or TWILIO_FROM) and PUBLIC_BASE_URL",
                            None, False)
        from coordination.messaging.links import ack_token  # needs the app's SECRET_KEY: at call time

        base = self.public_base.rstrip("/")
        return _create(lambda: self.client.calls.create(
            to=to, from_=self.voice_from, url=f"{base}/voice/call/{ack_token(message_id)}", method="POST",
            status_callback=f"{base}/voice/status?m={message_id}", status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            timeout=self.ring_seconds).sid)

    def status(self, sid: str) -> Optional[tuple[str, Optional[str]]]:
        """What Twilio says of message `sid` now: (its status, its error code), or None when Twilio
        does not know the SID (404). Raises SendError (transient) when Twilio cannot answer. A
        call's SID (CA…) is asked of the Calls API: its status (completed, busy, no-answer …)."""
        try:
            if sid.startswith("CA"):
                call = self.client.calls(sid).fetch()
                return call.status, call.status if call.status in CALL_FAILURES else None
            message = self.client.messages(sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise SendError(str(exc.msg)[:500], str(exc.code or exc.status), True) from None
        except Exception as exc:  # noqa: BLE001 - no answer: ask again next time
            raise SendError(f"{type(exc).__name__}: {exc}"[:500], None, True) from None
        return message.status, str(message.error_code) if message.error_code else None


def _create(request) -> str:
    """Run one create request of the official client; its errors as SendError (transient or not)."""
    try:
        return request()
    except TwilioRestException as exc:
        transient = exc.status == 429 or exc.status >= 500
        raise SendError(str(exc.msg)[:500], str(exc.code or exc.status), transient) from None
    except Exception as exc:  # noqa: BLE001 - refused connections: try again later; no answer: unknown
        if _never_sent(exc):
            raise SendError(f"{type(exc).__name__}: {exc}"[:500], None, True) from None
        # The request may have reached Twilio (read time-out, connection lost while waiting for
        # the answer): sending it again could send it twice. Fail it visibly instead.
        raise SendError(f"{OUTCOME_UNKNOWN} ({type(exc).__name__}: {exc}"[:499] + ")", None, False) from None


# A call's final statuses that mean nobody answered (kept as the message's error code).
CALL_FAILURES = ("busy", "no-answer", "failed", "canceled")


def gateway_from_config(config) -> TwilioGateway:
    base = config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return TwilioGateway(config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN"), config.get("TWILIO_FROM"),
                         config.get("TWILIO_MESSAGING_SERVICE_SID"), f"{base}/sms/status" if base else None,
                         config.get("TWILIO_API_BASE"), voice_from=config.get("TWILIO_VOICE_FROM"),
                         public_base=base or None, ring_seconds=int(config.get("TWILIO_VOICE_RING_SECONDS", 30)))

"""SMS text and the Twilio gateway.

Vietnamese diacritics force UCS-2 (70 characters a segment, 67 when split); unaccented text fits
GSM-7 (160, 153 when split). The gateway wraps the official `twilio` client; tests point it at a
fake Twilio server through TWILIO_API_BASE, so this code runs for real."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from .text import unaccent

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


def for_recipient(text: str, ascii_only: bool) -> str:
    """The text as this person wants it: unaccented (đ -> d) if they asked for it."""
    return unaccent(text) if ascii_only else text


REQUEST_TIMEOUT = 10.0  # seconds, for connecting to Twilio and for each read of its answer


class SendError(Exception):
    def __init__(self, message: str, code: Optional[str], transient: bool):
        super().__init__(message)
        self.code, self.transient = code, transient


class NotConfigured(Exception):
    """No Twilio credentials: nothing can be sent, and people must see that."""


class TwilioGateway:
    """Sends through the official client; maps its errors to transient or permanent."""

    def __init__(self, account_sid: str, auth_token: str, from_: Optional[str], messaging_service_sid: Optional[str],
                 status_callback: Optional[str], api_base: Optional[str] = None, timeout: float = REQUEST_TIMEOUT):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if not account_sid or not auth_token or not (from_ or messaging_service_sid):
            raise NotConfigured("SMS not configured")
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_base:
            self.client.api.base_url = api_base.rstrip("/")
        self.from_, self.service, self.callback = from_, messaging_service_sid, status_callback

    def send(self, to: str, body: str) -> str:
        """Returns the provider's message SID; raises SendError."""
        from twilio.base.exceptions import TwilioRestException

        kwargs = {"to": to, "body": body}
        if self.service:
            kwargs["messaging_service_sid"] = self.service
        else:
            kwargs["from_"] = self.from_
        if self.callback:
            kwargs["status_callback"] = self.callback
        try:
            return self.client.messages.create(**kwargs).sid
        except TwilioRestException as exc:
            transient = exc.status == 429 or exc.status >= 500
            raise SendError(str(exc.msg)[:500], str(exc.code or exc.status), transient) from None
        except Exception as exc:  # noqa: BLE001 - timeouts, refused connections: try again later
            raise SendError(f"{type(exc).__name__}: {exc}"[:500], None, True) from None


def gateway_from_config(config) -> TwilioGateway:
    base = config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return TwilioGateway(config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN"), config.get("TWILIO_FROM"),
                         config.get("TWILIO_MESSAGING_SERVICE_SID"), f"{base}/sms/status" if base else None,
                         config.get("TWILIO_API_BASE"))

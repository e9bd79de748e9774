"""Personal one-tap links in SMS: a short signed token names one message (and so one person),
read without a login — an escalation's acknowledgement (/a/…), a broadcast's confirmation (/x/…)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app

from models import Message, db
from models.base import MAX_ID

from coordination.clock import utcnow

ACK_TTL = timedelta(hours=24)
MAX_TOKEN = 32  # 13 base-36 digits hold any 64-bit id, a dot, 10 characters of MAC


def _mac(message_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"ack/{message_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)[:10].decode()


def _b36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + out
        if n == 0:
            return out


def ack_token(message_id: int) -> str:
    """A short signed token naming one message (and so one person): '1z.Ab3-_x9KqP'."""
    return f"{_b36(message_id)}.{_mac(message_id)}"


def message_for_token(token: str, now: Optional[datetime] = None, ttl: timedelta = ACK_TTL) -> Optional[Message]:
    """The message a token names, if the signature holds and it is not older than `ttl`."""
    now = now or utcnow()
    token = token or ""
    if len(token) > MAX_TOKEN or not token.isascii():  # compare_digest refuses non-ASCII str; ids are 64-bit
        return None
    ident, _, mac = token.partition(".")
    try:
        message_id = int(ident, 36)
    except ValueError:
        return None
    if not 0 < message_id <= MAX_ID or not hmac.compare_digest(mac, _mac(message_id)):
        return None
    message = db.session.get(Message, message_id)
    if message is None or message.created_at + ttl < now:
        return None
    return message


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")

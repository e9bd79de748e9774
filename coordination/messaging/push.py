"""Web Push to the duty app: one outbox message sent to every device of its person through the
official `pywebpush` client (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292 VAPID): its
WebPusher encrypts and POSTs, through our kept-alive HTTP/1.1 client (push_http), with a VAPID header
signed once per push service origin and reused until shortly before its exp (issue 20: a push to
10,000 devices within the SMS path's budget of our CPU per message, docs/performance.md).

The VAPID key pair comes from VAPID_PRIVATE_KEY (or instance/vapid_private.pem, written by
`make run`); the browser subscribes with its public half (`public_key()`). Tests point subscriptions
at dev/fake_push.py, a push service that checks the signature and decrypts the payload, so this code
runs for real."""
from __future__ import annotations

import base64
import functools
import json
import logging
import os
import re
from datetime import datetime
from typing import NamedTuple, Optional

import urllib.request
from urllib.parse import urlsplit

import certifi
import requests
from cryptography.hazmat.primitives import serialization
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, WebPusher

from models import db
from models.messages import ESCALATION

from coordination.clock import utcnow, wall_utcnow
from coordination.messaging import push_devices, push_http
from coordination.messaging.links import ack_token, base_url
from coordination.messaging.sms import REQUEST_TIMEOUT

log = logging.getLogger(__name__)

SENT, NO_DEVICE, GONE, FAILED = "sent", "no_device", "gone", "failed"
NOT_CONFIGURED = "not_configured"
# How long a push service keeps a message for a device that is off (RFC 8030 TTL): an escalation
# moves on to the next person after ALERT_ESCALATION_MINUTES anyway; other notices can wait longer.
URGENT_TTL, NORMAL_TTL = 15 * 60, 6 * 3600
# A VAPID token (RFC 8292) lives 12 h, as pywebpush makes them; one is signed per push service origin
# and reused until VAPID_RENEW before its exp (a push service refuses an expired one).
VAPID_LIFETIME, VAPID_RENEW = 12 * 3600, 3600
MAX_PAYLOAD = 3000  # bytes of JSON; aes128gcm in one record leaves 3,993 of the 4,096 a push service must take
TITLE = "Tổ Công nghệ cộng đồng"
ACK_ACTION, OPEN_ACTION = "Nhận xử lý", "Mở"
# The SMS text's own link ("Bấm để nhận xử lý: https://…/a/…"): a notification carries its actions instead.
_TRAILING_LINK = re.compile(r"\s*(?:[—-]\s*)?Bấm[^:]{0,40}:\s*https?://\S+\s*$")


class NotConfigured(Exception):
    """No VAPID key, or a VAPID_PUBLIC_KEY that is not the private key's half."""


class PushOutcome(NamedTuple):
    """What became of one message's push: `status` is SENT (at least one device's push service took
    it: 201), NO_DEVICE (the person has no subscribed device), GONE (every device answered 404/410 and
    was removed) or FAILED (none took it: `code` is the push service's HTTP status, 'timeout',
    'connection' or 'not_configured'; `transient` says whether trying again later may help)."""
    status: str
    devices: int = 0
    sent: int = 0
    gone: int = 0
    code: Optional[str] = None
    error: Optional[str] = None
    transient: bool = False


@functools.lru_cache(maxsize=4)
def _vapid(private_key: str, public_key: str) -> tuple[Vapid, str]:
    if "-----BEGIN" in private_key:
        vapid = Vapid.from_pem(private_key.encode())
    else:
        vapid = Vapid.from_string(private_key)
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    public = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    if public_key and public_key.rstrip("=") != public:
        raise NotConfigured("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY")
    return vapid, public


def vapid_keys() -> tuple[Vapid, str]:
    """The VAPID signer and its public key (base64url, the browser's applicationServerKey)."""
    return vapid_from(current_app.config.get("VAPID_PRIVATE_KEY") or "", current_app.config.get("VAPID_PUBLIC_KEY") or "")


def vapid_from(private: str, public: str) -> tuple[Vapid, str]:
    """vapid_keys for given settings (`flask doctor` checks a configuration with it)."""
    if not private:
        raise NotConfigured("no VAPID key")
    try:
        return _vapid(private, public)
    except NotConfigured:
        raise
    except Exception as exc:  # noqa: BLE001 - a key that does not parse: push is off, and says why
        raise NotConfigured(f"VAPID_PRIVATE_KEY does not parse: {type(exc).__name__}") from None


def public_key() -> Optional[str]:
    """The application server key the duty app subscribes with, or None when push is off."""
    try:
        return vapid_keys()[1]
    except NotConfigured:
        return None


def payload(message) -> dict:
    """What the service worker shows: the alert text, and the actions. An escalation (it has a shift)
    carries its signed acknowledgement — the same token as the SMS link (/a/<token>): `ack` is POSTed
    by the "Nhận xử lý" action, `url` opens the alert's page ("Mở"). Other messages open the duty app."""
    body = _TRAILING_LINK.sub("", message.body or "") or (message.body or "")
    data = {"v": 1, "id": message.id, "title": TITLE, "body": body, "urgent": bool(message.urgent),
            "tag": f"shift-{message.shift_id}" if message.shift_id else f"message-{message.id}",
            "url": f"{base_url()}/duty/", "ack": None, "actions": [{"action": "open", "title": OPEN_ACTION}]}
    if message.purpose == ESCALATION and message.shift_id:
        token = ack_token(message.id)
        data.update(url=f"{base_url()}/a/{token}", ack=f"{base_url()}/a/{token}/ack",
                    actions=[{"action": "ack", "title": ACK_ACTION}, {"action": "open", "title": OPEN_ACTION}])
    while len(json.dumps(data, ensure_ascii=False).encode()) > MAX_PAYLOAD:
        data["body"] = data["body"][: max(len(data["body"]) - 100, 0)].rstrip() + "…"
    return data


def _session():
    """What WebPusher posts through, one per process: with a proxy in the environment
    (HTTP(S)_PROXY) a requests session, which reads the environment as usual; else our own
    kept-alive HTTP/1.1 client (push_http), checking certificates against the bundle requests
    would use."""
    session = getattr(_session, "value", None)
    if session is None:
        if urllib.request.getproxies():
            session = requests.Session()
        else:
            session = push_http.client(os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                                       or certifi.where())
        _session.value = session
    return session


_headers: dict[tuple, tuple[dict, int]] = {}  # (public key, audience, subject) -> (VAPID headers, their exp)


def vapid_headers(vapid: Vapid, public: str, audience: str, subject: str, now: Optional[float] = None) -> dict:
    """The Authorization header for a push service origin (`audience`): signed once (an ECDSA
    signature, ~0.3 ms) and reused until VAPID_RENEW before its exp. `now` is the wall clock's
    timestamp (the push service checks exp against real time, whatever a test set)."""
    now = wall_utcnow().timestamp() if now is None else now
    key = (public, audience, subject)
    cached = _headers.get(key)
    if cached is not None and now < cached[1] - VAPID_RENEW:
        return cached[0]
    exp = int(now) + VAPID_LIFETIME
    headers = vapid.sign({"aud": audience, "sub": subject, "exp": exp})
    if len(_headers) >= 64:  # a handful of push services in practice; never grows without bound
        _headers.clear()
    _headers[key] = (headers, exp)
    return headers


def _send_one(device, data: bytes, vapid: Vapid, public: str, ttl: int, urgency: str) -> tuple[str, Optional[str], str]:
    """(SENT | GONE | FAILED, code, error text) for one device: pywebpush's WebPusher encrypts
    (RFC 8291) and POSTs, with the cached VAPID header of the endpoint's origin."""
    info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
    try:
        parts = urlsplit(device.endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        headers = dict(vapid_headers(vapid, public, origin, current_app.config["VAPID_SUBJECT"]), Urgency=urgency)
        response = WebPusher(info, requests_session=_session()).send(data, headers, ttl=ttl,
                                                                     content_encoding="aes128gcm",
                                                                     timeout=REQUEST_TIMEOUT)
        if response.status_code > 202:  # what pywebpush's webpush() raises for
            raise WebPushException(f"Push failed: {response.status_code} {response.reason}\n"
                                   f"Response body:{response.text}", response=response)
    except WebPushException as exc:
        status = exc.status_code
        if status in (404, 410):
            return GONE, str(status), "subscription gone"
        return FAILED, str(status) if status else "error", str(exc)[:300]
    except (push_http.ConnectTimeout, push_http.ReadTimeout) as exc:
        return FAILED, "timeout", f"{type(exc).__name__}: {exc}"[:300]
    except push_http.PushHTTPError as exc:
        return FAILED, "connection", f"{type(exc).__name__}: {exc}"[:300]
    except requests.exceptions.ConnectionError as exc:  # through a proxy (a requests session)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return FAILED, "timeout", f"{type(exc).__name__}: {exc}"[:300]
        return FAILED, "connection", f"{type(exc).__name__}: {exc}"[:300]
    except requests.exceptions.Timeout as exc:
        return FAILED, "timeout", f"{type(exc).__name__}: {exc}"[:300]
    except requests.exceptions.RequestException as exc:
        return FAILED, "connection", f"{type(exc).__name__}: {exc}"[:300]
    return SENT, None, ""


def _transient(code: Optional[str]) -> bool:
    return code in ("timeout", "connection", "429") or (code or "").isdigit() and int(code) >= 500


def send_push_message(message, now: Optional[datetime] = None, targets: Optional[list] = None,
                      stamps: Optional[list[int]] = None) -> PushOutcome:
    """Push one outbox message to every device of its person; the dispatcher calls it for a row
    whose channel is 'push'.

    Contract:
    - `message` is a models.messages.Message row (or anything with its `id`, `person_id`, `body`,
      `purpose`, `urgent` and `shift_id`). It is only read: recording the outcome on the row
      (status, attempts, error code, retry time) is the caller's.
    - Each device gets one encrypted POST through pywebpush (`payload(message)` as JSON, the VAPID
      header of its push service's origin (`vapid_headers`),
      TTL 15 min for urgent messages and 6 h for others, `Urgency: high` / `normal`).
    - `targets`: the person's devices as the caller already read them (`devices_of`, one query
      for a dispatcher's batch); None reads them here.
    - Devices whose push service answers 404 or 410 are deleted, committed here (db.session; a
      caller holding its own transaction on db.session must commit it first). Those that took the
      push get last_success_at when it is unset or a day old (it orders which device goes first
      beyond MAX_DEVICES): written here, or, given a `stamps` list, their ids are added to it and
      the caller writes them (`stamp`: one UPDATE for a dispatcher's batch).
    - Returns a PushOutcome: SENT if any device took it (a partial failure shows in its counts),
      NO_DEVICE, GONE (all gone, now removed), or FAILED with the code of the last failing device
      and `transient` = True for 429, 5xx, time-outs and refused connections (try again later:
      a repeated push replaces the same notification on the device, its tag is the shift or
      message). FAILED with code 'not_configured' when there is no VAPID key (not transient).
    - Never raises for a push service's answer or a network fault."""
    now = now or utcnow()
    if not message.person_id:
        return PushOutcome(NO_DEVICE)
    read_here = targets is None
    if read_here:
        targets = push_devices.devices(message.person_id)
    if not targets:
        return PushOutcome(NO_DEVICE)
    try:
        vapid, public = vapid_keys()
    except NotConfigured as exc:
        return PushOutcome(FAILED, len(targets), code=NOT_CONFIGURED, error=str(exc))
    data = json.dumps(payload(message), ensure_ascii=False).encode()
    ttl, urgency = (URGENT_TTL, "high") if message.urgent else (NORMAL_TTL, "normal")
    sent, gone, gone_code, failures = [], 0, None, []
    for device in targets:
        outcome, code, error = _send_one(device, data, vapid, public, ttl, urgency)
        if outcome == SENT:
            sent.append(device.id)
        elif outcome == GONE:
            gone, gone_code = gone + 1, code
            push_devices.forget_gone(device.id, device.p256dh)
        else:
            failures.append((code, error))
            log.warning("push %s to device %s: %s %s", message.id, device.id, code, error)
    fresh = [d.id for d in targets if d.id in sent and push_devices.stale_success(d.last_success_at, now)]
    if stamps is not None:
        stamps.extend(fresh)
    else:
        push_devices.mark_success(fresh, now)
    if gone or read_here or (fresh and stamps is None):  # the dispatcher's batch: nothing to commit here
        db.session.commit()
    if sent:
        return PushOutcome(SENT, len(targets), len(sent), gone,
                           code=failures[-1][0] if failures else None, error=failures[-1][1] if failures else None)
    if not failures:
        return PushOutcome(GONE, len(targets), 0, gone, code=gone_code, error="every device is gone")
    code, error = failures[-1]
    return PushOutcome(FAILED, len(targets), 0, gone, code=code, error=error,
                       transient=any(_transient(c) for c, _e in failures))


def devices_of(person_ids) -> dict[int, list]:
    """The devices of these people, by person (one query): what a dispatcher's batch of pushes goes to."""
    return push_devices.devices_of(person_ids)


def stamp(device_ids: list[int], now: datetime) -> None:
    """last_success_at for the devices a batch reached (the `stamps` of send_push_message), committed."""
    if device_ids:
        push_devices.mark_success(device_ids, now)
        db.session.commit()

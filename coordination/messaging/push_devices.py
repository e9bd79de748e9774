"""The devices a person's push notifications go to: a browser's push subscription, kept per device
(its endpoint is unique), checked before it is stored, removed when its push service says it is gone.

An endpoint is a URL the server will POST to, so it is never just any URL a client sends: https on a
known push service's host (PUSH_SERVICE_HOSTS), or one of PUSH_INSECURE_ORIGINS (the local fake push
service). The keys must be what RFC 8291 needs: a P-256 point (65 bytes) and a 16-byte auth secret."""
from __future__ import annotations

import base64
import binascii
import hmac
import re
from datetime import datetime, timedelta
from typing import NamedTuple, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import lazy_gettext as _l

from models import PushSubscription, db
from models.push import MAX_ENDPOINT

from coordination.clock import utcnow
from coordination.core.errors import NotFound, Unprocessable, ValidationError

SUCCESS_RESOLUTION = timedelta(days=1)  # last_success_at is written at most once a day per device
MAX_DEVICES = 10  # per person: a new one beyond this replaces the one that has gone longest without a push


def b64url_decode(value: str) -> bytes:
    """base64url with or without padding (browsers send it without); raises ValueError."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from None


HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


def _allowed_endpoint(endpoint: str) -> bool:
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:  # "http://[" (an unclosed IPv6 literal), a bad port
        return False
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if origin in {o.lower() for o in current_app.config.get("PUSH_INSECURE_ORIGINS", ())}:
        return True
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password or not HOST_NAME.fullmatch(host):
        return False  # a name only: "127.0.0.1\.fcm.googleapis.com" is 127.0.0.1 to requests
    if parts.port not in (None, 443):
        return False  # a push service listens on 443: "fcm.googleapis.com:22" is no push service
    return any(host == h or host.endswith("." + h) for h in current_app.config.get("PUSH_SERVICE_HOSTS", ()))


ENDPOINT_PATTERN = r"^https?://[!-~]+$"
P256DH_PATTERN = r"^[A-Za-z0-9_-]{87}=?$"  # 65 bytes, base64url
AUTH_PATTERN = r"^[A-Za-z0-9_-]{22}(==)?$"  # 16 bytes, base64url


def check(endpoint, p256dh, auth) -> tuple[str, str, str]:
    """The subscription's three values, or an error naming the field at fault: ValidationError (400)
    for a value of the wrong form, Unprocessable (422) for a well-formed one a rule refuses (not a
    known push service, not a point on P-256)."""
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError(_l("The push subscription has no endpoint."), field="endpoint")
    if len(endpoint) > MAX_ENDPOINT or not re.fullmatch(ENDPOINT_PATTERN, endpoint):
        raise ValidationError(_l("This push endpoint is not a valid address."), field="endpoint")
    if not _allowed_endpoint(endpoint):
        raise Unprocessable(_l("This push endpoint is not a known push service."), field="endpoint")
    if not isinstance(p256dh, str) or not re.fullmatch(P256DH_PATTERN, p256dh):
        raise ValidationError(_l("The device key (p256dh) must be 65 bytes in base64url."), field="keys.p256dh")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise Unprocessable(_l("The device key (p256dh) is not a P-256 public key."), field="keys.p256dh") from None
    if not isinstance(auth, str) or not re.fullmatch(AUTH_PATTERN, auth):
        raise ValidationError(_l("The device secret (auth) must be 16 bytes in base64url."), field="keys.auth")
    return endpoint, p256dh.rstrip("="), auth.rstrip("=")


def subscribe(person_id: int, endpoint, p256dh, auth, user_agent: Optional[str] = None,
              now: Optional[datetime] = None) -> PushSubscription:
    """Keep this device's subscription for the person (the caller commits). The same endpoint again
    updates its keys; an endpoint another person subscribed on this browser moves to this person
    (the device follows whoever signed in on it last). Beyond MAX_DEVICES, the stalest goes."""
    endpoint, p256dh, auth = check(endpoint, p256dh, auth)
    now = now or utcnow()
    row = db.session.scalar(sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None:
        row = PushSubscription(person_id=person_id, endpoint=endpoint, created_at=now)
        db.session.add(row)
    elif row.person_id != person_id:
        row.person_id, row.created_at, row.last_success_at = person_id, now, None
    row.p256dh, row.auth = p256dh, auth
    row.user_agent = (user_agent or "")[:300] or None
    db.session.flush()
    stale = db.session.scalars(
        sa.select(PushSubscription.id).where(PushSubscription.person_id == person_id, PushSubscription.id != row.id)
        .order_by(sa.func.coalesce(PushSubscription.last_success_at, PushSubscription.created_at).desc(),
                  PushSubscription.id.desc()).offset(MAX_DEVICES - 1)).all()
    if stale:
        db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(stale)))
    return row


def renew(old_endpoint, old_auth, endpoint, p256dh, auth, user_agent: Optional[str] = None,
          now: Optional[datetime] = None) -> PushSubscription:
    """The browser rotated a device's subscription (the service worker's pushsubscriptionchange):
    the new one takes the old one's place, for the same person (the caller commits). No session is
    asked for — the service worker has no CSRF token and the session may have ended long ago —
    so the old subscription is the credential: its endpoint and its auth secret, 16 random bytes
    that only the browser and this server hold (the push service never sees them). Anything else
    is NotFound, the same for an unknown endpoint as for a wrong secret, and a renewed (replaced)
    subscription cannot be renewed again. The new endpoint is checked like any other (a known push
    service: never a URL of the caller's choosing)."""
    if not isinstance(old_endpoint, str) or not old_endpoint or len(old_endpoint) > MAX_ENDPOINT \
            or not re.fullmatch(ENDPOINT_PATTERN, old_endpoint):
        raise ValidationError(_l("This push endpoint is not a valid address."), field="old.endpoint")
    if not isinstance(old_auth, str) or not re.fullmatch(AUTH_PATTERN, old_auth):
        raise ValidationError(_l("The device secret (auth) must be 16 bytes in base64url."), field="old.auth")
    endpoint, p256dh, auth = check(endpoint, p256dh, auth)
    old = db.session.scalar(sa.select(PushSubscription).where(PushSubscription.endpoint == old_endpoint))
    if old is None or not hmac.compare_digest(old.auth.encode(), old_auth.rstrip("=").encode()):
        raise NotFound(_l("This push subscription is not known here."), field="old.endpoint")
    now = now or utcnow()
    taken = None if endpoint == old_endpoint else db.session.scalar(
        sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if taken is not None:  # the page already sent the new one (whoever is signed in there keeps it)
        db.session.delete(old)
        db.session.flush()
        return taken
    if endpoint != old_endpoint:
        old.endpoint, old.last_success_at = endpoint, None
    old.p256dh, old.auth = p256dh, auth
    old.user_agent = (user_agent or "")[:300] or old.user_agent
    db.session.flush()
    return old


def unsubscribe(person_id: int, endpoint) -> bool:
    """Forget this person's device with this endpoint (the caller commits); False if there was none."""
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError(_l("The push subscription has no endpoint."), field="endpoint")
    if len(endpoint) > MAX_ENDPOINT or not re.fullmatch(ENDPOINT_PATTERN, endpoint):
        raise ValidationError(_l("This push endpoint is not a valid address."), field="endpoint")
    done = db.session.execute(sa.delete(PushSubscription).where(PushSubscription.person_id == person_id,
                                                                PushSubscription.endpoint == endpoint))
    return bool(done.rowcount)


def devices(person_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(sa.select(PushSubscription).where(PushSubscription.person_id == person_id)
                                   .order_by(PushSubscription.id)))


class Device(NamedTuple):
    """A device as a push needs it (a row's values, nothing for the ORM to track)."""
    id: int
    person_id: int
    endpoint: str
    p256dh: str
    auth: str
    last_success_at: Optional[datetime]


def devices_of(person_ids) -> dict[int, list[Device]]:
    """The devices of these people, by person, with one query (a dispatcher's batch)."""
    ids = sorted({p for p in person_ids if p})
    out: dict[int, list[Device]] = {p: [] for p in ids}
    if ids:
        cols = [getattr(PushSubscription, name) for name in Device._fields]
        for row in db.session.execute(sa.select(*cols).where(PushSubscription.person_id.in_(ids))
                                      .order_by(PushSubscription.id)):
            out[row.person_id].append(Device(*row))
    return out


def stale_success(last: Optional[datetime], now: datetime) -> bool:
    """Is a device's last_success_at worth writing again? Unset, or older than SUCCESS_RESOLUTION."""
    return last is None or now - last >= SUCCESS_RESOLUTION


def device_count(person_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)
                             .where(PushSubscription.person_id == person_id)) or 0


def forget_gone(subscription_id: int, p256dh: str) -> None:
    """The push service said this subscription is gone (404/410): delete it — unless the browser has
    meanwhile subscribed again under the same endpoint with new keys (then the new one stays)."""
    db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id == subscription_id,
                                                         PushSubscription.p256dh == p256dh))


def mark_success(ids: list[int], now: datetime) -> None:
    if ids:
        db.session.execute(sa.update(PushSubscription).where(PushSubscription.id.in_(ids))
                           .values(last_success_at=now))

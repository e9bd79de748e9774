"""The outbox: queue an SMS as a row, send due rows with retries, follow Twilio's status callbacks.

Nothing is silently lost: a row is delivered, retried with exponential backoff, or visibly failed
(or "not sent: SMS not configured"). Several dispatchers may run at once on PostgreSQL:
`FOR UPDATE SKIP LOCKED` hands each row to one of them."""
from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa

from models import Message, Person, db, utcnow
from models.messages import (DELIVERED, FAILED, FINAL, NOT_SENT, QUEUED, SENDING, SENT, UNDELIVERED)

from .sms import NotConfigured, SendError, for_recipient

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
STALE_SENDING = timedelta(minutes=15)  # longer than a batch of 50 at a 10 s timeout each


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min … capped at 30 min."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def enqueue(person: Person, body: str, purpose: str, *, urgent: bool = False, dedupe_key: Optional[str] = None,
            province_code: Optional[str] = None, shift_id: Optional[int] = None,
            now: Optional[datetime] = None) -> Optional[Message]:
    """Add one SMS to the outbox (the caller commits). With a dedupe key, the same decision taken
    twice (a restarted scheduler) queues nothing the second time: returns None."""
    if dedupe_key and db.session.scalar(sa.select(Message.id).where(Message.dedupe_key == dedupe_key)):
        return None
    message = Message(person_id=person.id, to_phone=person.phone, body=for_recipient(body, person.sms_ascii),
                      purpose=purpose, urgent=urgent, dedupe_key=dedupe_key, province_code=province_code,
                      shift_id=shift_id, status=QUEUED, next_attempt_at=now or utcnow(), created_at=now or utcnow())
    db.session.add(message)
    db.session.flush()
    return message


class Claimed(NamedTuple):
    """A row claimed by this dispatcher: what the request needs, nothing the ORM has to track."""
    id: int
    to_phone: str
    body: str
    urgent: bool
    next_attempt_at: datetime
    status: str = SENDING


def claim_due(limit: int = 50, now: Optional[datetime] = None) -> list[Claimed]:
    """Take up to `limit` due rows for this dispatcher (status -> sending) and commit the claim."""
    now = now or utcnow()
    # Rows a dead dispatcher left: in flight -> may have reached Twilio: fail visibly, never resend;
    # merely claimed -> back to the queue.
    stale = sa.and_(Message.status == SENDING, Message.updated_at < now - STALE_SENDING)
    db.session.execute(sa.update(Message).where(stale, Message.in_flight_since.is_not(None)).values(
        status=FAILED, in_flight_since=None, updated_at=now,
        error_message="outcome unknown: the dispatcher stopped during the request; check before resending")
        .execution_options(synchronize_session=False))
    due = sa.or_(sa.and_(Message.status == QUEUED, Message.next_attempt_at <= now),
                 sa.and_(stale, Message.in_flight_since.is_(None)))
    # One UPDATE claims the rows: on PostgreSQL the sub-select skips rows another dispatcher has
    # locked; on SQLite the statement holds the database's write lock. Either way no row is
    # handed to two dispatchers, and `due` is checked again by the UPDATE itself.
    pick = (sa.select(Message.id).where(due).order_by(Message.urgent.desc(), Message.next_attempt_at, Message.id)
            .limit(limit).with_for_update(skip_locked=True))
    rows = db.session.execute(
        sa.update(Message).where(Message.id.in_(pick.scalar_subquery()), due).values(status=SENDING, updated_at=now)
        .returning(Message.id, Message.to_phone, Message.body, Message.urgent, Message.next_attempt_at)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted((Claimed(*r) for r in rows), key=lambda c: (not c.urgent, c.next_attempt_at, c.id))


@functools.cache
def _statements():
    """The two statements every message needs, built once (bind parameters)."""
    def b(name):
        return sa.bindparam(name, type_={"mid": sa.Integer(), "sid": sa.String()}.get(name, Message.updated_at.type))

    in_flight = (sa.update(Message).where(Message.id == b("mid"), Message.status == SENDING,
                                          Message.updated_at == b("claimed_at"), Message.in_flight_since.is_(None))
                 .values(in_flight_since=b("at"), attempts=Message.attempts + 1).returning(Message.attempts))
    sent = sa.update(Message).where(Message.id == b("mid")).values(
        provider_sid=b("sid"), status=SENT, sent_at=b("claimed_at"), error_code=None, error_message=None,
        in_flight_since=None, updated_at=b("claimed_at"))
    return in_flight, sent


def dispatch_due(gateway_factory, limit: int = 50, now: Optional[datetime] = None) -> dict[str, int]:
    """Send what is due. `gateway_factory()` builds the gateway or raises NotConfigured.
    One failed recipient never blocks the others. Before each request one commit makes two things
    durable together: the previous message's outcome and "in flight" for this one (one WAL flush
    per message instead of two); the last outcome is committed after the loop."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "not_sent": 0}
    rows = claim_due(limit, now)
    if not rows:
        return counts
    try:
        gateway = gateway_factory()
    except NotConfigured:
        gateway = None
    with db.engine.connect() as conn:
        _send_each(conn, gateway, rows, now, counts)
    return counts


def _send_each(conn, gateway, rows: list[Claimed], now: datetime, counts: dict) -> None:
    pending: list = []  # the previous message's outcome (statement, parameters), not yet committed
    try:
        for m in rows:
            _send_one(conn, gateway, m, now, counts, pending)
    finally:  # also when something unexpected escapes: a sent message must not stay "in flight"
        if pending:
            conn.execute(*pending.pop())
            conn.commit()


def _send_one(conn, gateway, m: Claimed, now: datetime, counts: dict, pending: list) -> None:
    if gateway is None:
        conn.execute(sa.update(Message).where(Message.id == m.id).values(
            attempts=Message.attempts + 1, status=NOT_SENT, updated_at=now,
            error_message="not sent: SMS not configured"))
        conn.commit()
        counts["not_sent"] += 1
        return
    # Still ours? (A dispatcher that took longer than STALE_SENDING may have lost the row.)
    # Mark it in flight, durably, before the request: see claim_due.
    in_flight, sent = _statements()
    if pending:
        conn.execute(*pending.pop())
    attempts = conn.execute(in_flight, {"mid": m.id, "claimed_at": now, "at": utcnow()}).scalar()
    conn.commit()
    if attempts is None:
        return
    try:
        sid = gateway.send(m.to_phone, m.body)
    except SendError as err:
        message = str(err)
        if err.transient and attempts < MAX_ATTEMPTS:
            values = dict(status=QUEUED, next_attempt_at=now + backoff(attempts))
            counts["retry"] += 1
        else:
            values = dict(status=FAILED)
            if err.transient:
                message = f"gave up after {attempts} attempts: {err}"
            counts["failed"] += 1
        log.warning("SMS %s to %s: %s", m.id, m.to_phone, err)
        pending.append((sa.update(Message).where(Message.id == m.id).values(
            error_code=err.code, error_message=message[:500], in_flight_since=None, updated_at=now, **values),))
        return
    pending.append((sent, {"mid": m.id, "sid": sid, "claimed_at": now}))
    counts["sent"] += 1


STATUS_ORDER = {QUEUED: 0, SENDING: 1, SENT: 2, UNDELIVERED: 3, FAILED: 3, DELIVERED: 3}
TWILIO_STATUSES = {"queued": SENT, "accepted": SENT, "sending": SENT, "sent": SENT, "delivered": DELIVERED,
                   "undelivered": UNDELIVERED, "failed": FAILED, "read": DELIVERED}


def apply_status(sid: str, twilio_status: str, error_code: Optional[str] = None) -> Optional[Message]:
    """A status callback from Twilio. Late or repeated callbacks never move a message backwards."""
    message = db.session.scalar(sa.select(Message).where(Message.provider_sid == sid))
    status = TWILIO_STATUSES.get((twilio_status or "").lower())
    if message is None or status is None:
        return message
    if message.status in FINAL or STATUS_ORDER.get(status, 0) <= STATUS_ORDER.get(message.status, 0):
        return message
    message.status, message.updated_at = status, utcnow()
    if error_code:
        message.error_code = str(error_code)[:20]
    return message


def resend(message: Message, now: Optional[datetime] = None) -> Message:
    """Queue a failed message again as a new row (the failed one stays, with its error)."""
    if message.status not in (FAILED, UNDELIVERED, NOT_SENT):
        from flask_babel import lazy_gettext as _l

        from .errors import ValidationError
        raise ValidationError(_l("Only failed or unsent messages can be sent again."), field="status")
    copy = Message(person_id=message.person_id, to_phone=message.to_phone, body=message.body,
                   purpose=message.purpose, urgent=message.urgent, province_code=message.province_code,
                   shift_id=message.shift_id, status=QUEUED, next_attempt_at=now or utcnow())
    db.session.add(copy)
    db.session.flush()
    return copy

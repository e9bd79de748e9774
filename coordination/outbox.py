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

from models import Message, Person, db
from models.driver import DriverStatements, autocommit_statements
from models.messages import (DELIVERED, FAILED, FINAL, NOT_SENT, QUEUED, SENDING, SENT, UNDELIVERED)

from .sms import NotConfigured, SendError, for_recipient
from .clock import utcnow

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
    # Statuses are written into the SQL (not bound): only then can PostgreSQL use the partial
    # indexes on status in the generic plans of these prepared statements.
    queued, sending = (sa.literal(status, literal_execute=True) for status in (QUEUED, SENDING))
    stale = sa.and_(Message.status == sending, Message.updated_at < now - STALE_SENDING)
    # Rows a dead dispatcher left: in flight -> may have reached Twilio: fail visibly, never resend;
    # merely claimed -> back to the queue.
    db.session.execute(sa.update(Message).where(stale, Message.in_flight_since.is_not(None)).values(
        status=FAILED, in_flight_since=None, updated_at=now,
        error_message="outcome unknown: the dispatcher stopped during the request; check before resending")
        .execution_options(synchronize_session=False))
    db.session.execute(sa.update(Message).where(stale, Message.in_flight_since.is_(None)).values(
        status=QUEUED, updated_at=now).execution_options(synchronize_session=False))
    due = sa.and_(Message.status == queued, Message.next_attempt_at <= now)
    # One UPDATE claims the rows: on PostgreSQL the pick skips rows another dispatcher has locked;
    # on SQLite the statement holds the database's write lock. Either way no row is handed to two
    # dispatchers, and `due` is checked again by the UPDATE itself. The pick walks ix_messages_due
    # in its own order and stops after `limit` rows; it is a materialised CTE, run once: as an
    # IN (sub-select) PostgreSQL may run it again for each outer row (a nested-loop semi-join),
    # which claimed 187 rows for a limit of 50.
    pick = (sa.select(Message.id).where(due).order_by(Message.urgent.desc(), Message.next_attempt_at, Message.id)
            .limit(limit).with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED",
                                                                                      dialect="postgresql"))
    rows = db.session.execute(
        sa.update(Message).where(Message.id.in_(sa.select(pick.c.id)), due).values(status=SENDING, updated_at=now)
        .returning(Message.id, Message.to_phone, Message.body, Message.urgent, Message.next_attempt_at)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted((Claimed(*r) for r in rows), key=lambda c: (not c.urgent, c.next_attempt_at, c.id))


def _p(name: str):
    """A bind parameter of the per-message statements (prefixed: never named like a column)."""
    types = {"o_mid": sa.Integer(), "f_mid": sa.Integer(), "o_sid": sa.String(), "o_status": sa.String(),
             "o_code": sa.String(), "o_text": sa.String()}
    return sa.bindparam(name, type_=types.get(name, Message.updated_at.type))


@functools.cache
def _statements(dialect: str):
    """Built once: the previous message's outcome, this message's "in flight" mark (still ours?
    counts the attempt), and — on PostgreSQL — both in one statement, the outcome riding along as a
    data-modifying CTE, so each message costs one round trip and one WAL flush."""
    outcome = sa.update(Message).where(Message.id == _p("o_mid")).values(
        status=_p("o_status"), provider_sid=sa.func.coalesce(_p("o_sid"), Message.provider_sid),
        sent_at=sa.func.coalesce(_p("o_sent_at"), Message.sent_at),
        next_attempt_at=sa.func.coalesce(_p("o_next_at"), Message.next_attempt_at),
        error_code=_p("o_code"), error_message=_p("o_text"), in_flight_since=None, updated_at=_p("o_at"))
    in_flight = (sa.update(Message).where(Message.id == _p("f_mid"), Message.status == SENDING,
                                          Message.updated_at == _p("f_claimed_at"), Message.in_flight_since.is_(None))
                 .values(in_flight_since=_p("f_at"), attempts=Message.attempts + 1).returning(Message.attempts))
    both = in_flight.add_cte(outcome.cte("outcome")) if dialect == "postgresql" else None
    return outcome, in_flight, both


def _outcome(m: "Claimed", now: datetime, status: str, sid: Optional[str] = None, next_at: Optional[datetime] = None,
             code: Optional[str] = None, text: Optional[str] = None) -> dict:
    return {"o_mid": m.id, "o_status": status, "o_sid": sid, "o_sent_at": now if status == SENT else None,
            "o_next_at": next_at, "o_code": code, "o_text": text, "o_at": now}


def _step(conn, outcome: Optional[dict], in_flight: Optional[dict]) -> Optional[int]:
    """Make the previous message's outcome and this one's "in flight" durable together; returns
    this message's attempt number, or None when it is no longer ours."""
    outcome_stmt, in_flight_stmt, both = _statements(conn.dialect.name)
    if isinstance(conn, DriverStatements):  # PostgreSQL, autocommit: one statement, one round trip
        if in_flight is None:
            conn.rows(outcome_stmt, outcome)
            return None
        rows = conn.rows(in_flight_stmt if outcome is None else both, dict(outcome or {}, **in_flight))
        return rows[0][0] if rows else None
    if outcome is not None:
        conn.execute(outcome_stmt, outcome)
    attempts = conn.execute(in_flight_stmt, in_flight).scalar() if in_flight is not None else None
    conn.commit()
    return attempts


def dispatch_due(gateway_factory, limit: int = 50, now: Optional[datetime] = None) -> dict[str, int]:
    """Send what is due. `gateway_factory()` builds the gateway or raises NotConfigured.
    One failed recipient never blocks the others. Before each request one commit makes two things
    durable together: the previous message's outcome and "in flight" for this one (one WAL flush
    per message instead of two); the last outcome is committed after the loop. On PostgreSQL that
    is one autocommit statement per message, straight through the driver (models/driver.py)."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "not_sent": 0}
    rows = claim_due(limit, now)
    if not rows:
        return counts
    try:
        gateway = gateway_factory()
    except NotConfigured:
        _not_configured(rows, now)
        counts["not_sent"] = len(rows)
        return counts
    if db.engine.dialect.name == "postgresql":
        with autocommit_statements() as conn:
            _send_each(conn, gateway, rows, now, counts)
    else:
        with db.engine.connect() as conn:
            _send_each(conn, gateway, rows, now, counts)
    return counts


def _not_configured(rows: list["Claimed"], now: datetime) -> None:
    db.session.execute(sa.update(Message).where(Message.id.in_([m.id for m in rows])).values(
        attempts=Message.attempts + 1, status=NOT_SENT, updated_at=now, error_message="not sent: SMS not configured")
        .execution_options(synchronize_session=False))
    db.session.commit()


def _send_each(conn, gateway, rows: list[Claimed], now: datetime, counts: dict) -> None:
    pending: list[dict] = []  # the previous message's outcome, not yet committed
    try:
        for m in rows:
            _send_one(conn, gateway, m, now, counts, pending)
    finally:  # also when something unexpected escapes: a sent message must not stay "in flight"
        if pending:
            _step(conn, pending.pop(), None)


def _send_one(conn, gateway, m: Claimed, now: datetime, counts: dict, pending: list) -> None:
    # Still ours? (A dispatcher that took longer than STALE_SENDING may have lost the row.)
    # Mark it in flight, durably, before the request: see claim_due.
    attempts = _step(conn, pending.pop() if pending else None, {"f_mid": m.id, "f_claimed_at": now, "f_at": utcnow()})
    if attempts is None:
        return
    try:
        sid = gateway.send(m.to_phone, m.body)
    except SendError as err:
        message = str(err)
        if err.transient and attempts < MAX_ATTEMPTS:
            status, next_at = QUEUED, now + backoff(attempts)
            counts["retry"] += 1
        else:
            status, next_at = FAILED, None
            if err.transient:
                message = f"gave up after {attempts} attempts: {err}"
            counts["failed"] += 1
        log.warning("SMS %s to %s: %s", m.id, m.to_phone, err)
        pending.append(_outcome(m, now, status, next_at=next_at, code=err.code, text=message[:500]))
        return
    pending.append(_outcome(m, now, SENT, sid=sid))
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

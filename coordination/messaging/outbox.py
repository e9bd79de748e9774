"""The outbox: queue an SMS as a row, send due rows with retries; Twilio's status callbacks are
applied by receipts.py (also those that arrive before the SID is written).

Nothing is silently lost: a row is delivered, retried with exponential backoff, or visibly failed
(or "not sent: SMS not configured"). Several dispatchers may run at once on PostgreSQL:
`FOR UPDATE SKIP LOCKED` hands each row to one of them. A claim is a short lease
(OUTBOX_LEASE_SECONDS): a row claimed by a dispatcher that died goes back to the queue when it
ends; a row it had in flight fails visibly ("outcome unknown") and is never sent twice."""
from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from models import Message, Person, db
from models.driver import DriverStatements, autocommit_statements
from models.messages import DELIVERED, ESCALATION, FAILED, NOT_SENT, PUSH, QUEUED, SENDING, SENT, SMS, UNDELIVERED, VOICE

from coordination.messaging import push, quiet_hours, rate_limits, receipts
from coordination.clock import utcnow
from coordination.core import metrics
from coordination.core.errors import ValidationError
from coordination.messaging.sms import REQUEST_TIMEOUT, NotConfigured, SendError, for_recipient

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
# A request to Twilio lasts at most its connect and read timeouts: a row in flight longer than
# that (plus a margin) was left by a dispatcher that died during the request.
IN_FLIGHT_LIMIT = timedelta(seconds=2 * REQUEST_TIMEOUT + 10)
OUTCOME_UNKNOWN = "outcome unknown: the dispatcher stopped during the request; check before resending"


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min … capped at 30 min."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


# --- the one way in: every queued row is built here ----------------------------------------

class Outgoing(NamedTuple):
    """One message as its caller decided it: to whom, the text as this recipient gets it, why."""
    person_id: Optional[int]
    to_phone: str
    body: str
    purpose: str
    urgent: bool = False
    dedupe_key: Optional[str] = None  # the same decision taken twice (a restarted scheduler) queues once
    province_code: Optional[str] = None
    shift_id: Optional[int] = None
    channel: str = SMS  # sms, voice (the body is what the call says), push


def to(person: Person, text: str, purpose: str, **extra) -> Outgoing:
    """A message to a person, in the form they asked for (without diacritics if sms_ascii)."""
    return Outgoing(person.id, person.phone, for_recipient(text, person.sms_ascii), purpose, **extra)


def queued(now: datetime, due: Optional[datetime] = None) -> dict:
    """What every new row starts with: queued, never tried, due now (or at `due`)."""
    return dict(status=QUEUED, attempts=0, next_attempt_at=due or now, created_at=now, updated_at=now)


def _quiet(message: Outgoing, due: datetime) -> dict:
    """A message that is not urgent, due in quiet hours, waits for their end, marked
    (quiet_hours.py); a duty alert never waits."""
    if quiet_hours.deferrable(message.purpose, message.urgent) and quiet_hours.in_quiet_hours(due):
        return {"next_attempt_at": quiet_hours.after_quiet_hours(due), "error_code": quiet_hours.QUIET_HOURS}
    return {"error_code": None}  # every row of an executemany names the same columns


def put(message: Outgoing, now: Optional[datetime] = None, due: Optional[datetime] = None) -> Optional[Message]:
    """Queue one message (the caller commits), sent from `due` (default now; a message that is not
    urgent waits out quiet hours); None if its dedupe key was queued before."""
    if message.dedupe_key and db.session.scalar(sa.select(Message.id).where(Message.dedupe_key == message.dedupe_key)):
        return None
    now = now or utcnow()
    row = Message(**message._asdict(), **(queued(now, due) | _quiet(message, due or now)))
    db.session.add(row)
    db.session.flush()
    return row


def enqueue(person: Person, body: str, purpose: str, *, now: Optional[datetime] = None,
            due: Optional[datetime] = None, **extra) -> Optional[Message]:
    """Queue one message to a person (the caller commits): `put(to(person, body, purpose, …))`."""
    return put(to(person, body, purpose, **extra), now, due)


def put_many(messages: list[Outgoing], now: datetime) -> int:
    """Queue many messages with one executemany, leaving out those whose dedupe key is known (one
    query): a scheduler tick at a national shift change queues thousands. Returns how many."""
    keys = [m.dedupe_key for m in messages if m.dedupe_key]
    known = set(db.session.scalars(sa.select(Message.dedupe_key).where(Message.dedupe_key.in_(keys)))) if keys else set()
    rows, seen = [], set()
    for m in messages:
        if m.dedupe_key and (m.dedupe_key in known or m.dedupe_key in seen):
            continue
        seen.add(m.dedupe_key)
        rows.append(dict(m._asdict(), **queued(now)) | _quiet(m, now))
    if rows:
        db.session.execute(sa.insert(Message), rows)
    return len(rows)


def put_select(recipients: sa.Select, now: datetime) -> None:
    """Queue one message per row of a SELECT with one INSERT … SELECT (a broadcast's 100,000
    recipients): its columns are labelled with Message's column names (at least person_id,
    to_phone, body, purpose); the defaults of `queued` fill those it leaves out."""
    given = set(recipients.selected_columns.keys())
    defaults = {name: sa.literal(value, getattr(Message, name).type)
                for name, value in queued(now).items() if name not in given}
    rows = recipients.add_columns(*[value.label(name) for name, value in defaults.items()])
    db.session.execute(sa.insert(Message).from_select(list(rows.selected_columns.keys()), rows))


class Claimed(NamedTuple):
    """A row claimed by this dispatcher: what the request needs, nothing the ORM has to track."""
    id: int
    to_phone: str
    body: str
    urgent: bool
    next_attempt_at: datetime
    channel: str = SMS
    person_id: Optional[int] = None  # a push goes to this person's devices
    purpose: str = ""
    shift_id: Optional[int] = None
    status: str = SENDING


def lease() -> timedelta:
    """How long a claim holds a row that is not yet in flight (OUTBOX_LEASE_SECONDS, default 60)."""
    return timedelta(seconds=float(current_app.config.get("OUTBOX_LEASE_SECONDS", 60)))


def claim_due(limit: int = 50, now: Optional[datetime] = None) -> list[Claimed]:
    """Take up to `limit` due rows for this dispatcher (status -> sending) and commit the claim.
    A claim is a lease that starts at `updated_at` (also the claim's token, see _statements)."""
    now = now or utcnow()
    # Statuses are written into the SQL (not bound): only then can PostgreSQL use the partial
    # indexes on status in the generic plans of these prepared statements.
    queued, sending = (sa.literal(status, literal_execute=True) for status in (QUEUED, SENDING))
    # Rows a dead (or stalled) dispatcher left. In flight past any request's timeout: it may have
    # reached Twilio: fail visibly, never resend (in flight never moves updated_at, so the index
    # on it narrows the search). Merely claimed and the lease is over: back to the queue.
    unknown = sa.and_(Message.status == sending, Message.updated_at < now - IN_FLIGHT_LIMIT,
                      Message.in_flight_since < now - IN_FLIGHT_LIMIT)
    lost = db.session.execute(sa.update(Message).where(unknown).values(
        status=FAILED, in_flight_since=None, updated_at=now, error_message=OUTCOME_UNKNOWN)
        .execution_options(synchronize_session=False)).rowcount
    expired = sa.and_(Message.status == sending, Message.updated_at < now - lease(), Message.in_flight_since.is_(None))
    expired_rows = db.session.execute(sa.update(Message).where(expired).values(status=QUEUED, updated_at=now)
                                      .execution_options(synchronize_session=False)).rowcount
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
        .returning(Message.id, Message.to_phone, Message.body, Message.urgent, Message.next_attempt_at,
                   Message.channel, Message.person_id, Message.purpose, Message.shift_id)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    metrics.OUTCOMES_UNKNOWN.inc(max(lost, 0))
    metrics.LEASES_EXPIRED.inc(max(expired_rows, 0))
    metrics.CLAIMED.inc(len(rows))
    return sorted((Claimed(*r) for r in rows), key=lambda c: (not c.urgent, c.next_attempt_at, c.id))


def _p(name: str):
    """A bind parameter of the per-message statements (prefixed: never named like a column)."""
    types = {"o_mid": sa.Integer(), "f_mid": sa.Integer(), "o_sid": sa.String(), "o_status": sa.String(),
             "o_code": sa.String(), "o_text": sa.String()}
    return sa.bindparam(name, type_=types.get(name, Message.updated_at.type))


# The previous message's outcome (its SID, once Twilio accepted it).
OUTCOME = sa.update(Message).where(Message.id == _p("o_mid")).values(
    status=_p("o_status"), provider_sid=sa.func.coalesce(_p("o_sid"), Message.provider_sid),
    sent_at=sa.func.coalesce(_p("o_sent_at"), Message.sent_at),
    next_attempt_at=sa.func.coalesce(_p("o_next_at"), Message.next_attempt_at),
    error_code=_p("o_code"), error_message=_p("o_text"), in_flight_since=None, updated_at=_p("o_at"))
# This message's "in flight" mark, if it is still ours: still sending, and claimed by this claim
# (updated_at is the claim's token: a lease that expired and was claimed again has a newer one).
IN_FLIGHT = (sa.update(Message).where(Message.id == _p("f_mid"), Message.status == SENDING,
                                      Message.updated_at == _p("f_claimed_at"), Message.in_flight_since.is_(None))
             .values(in_flight_since=_p("f_at"), attempts=Message.attempts + 1).returning(Message.attempts))


@functools.cache
def _statement(outcome: bool, apply: bool, in_flight: bool):
    """PostgreSQL: the parts of one step in one statement (the others ride along as data-modifying
    CTEs), so each message costs one round trip and one WAL flush: the previous message's outcome,
    the kept receipts of the SID written by the step before (receipts.apply_early_statement), and
    this message's "in flight" mark, whose RETURNING answers."""
    parts = [s for s, present in ((OUTCOME, outcome), (receipts.apply_early_statement(), apply),
                                  (IN_FLIGHT, in_flight)) if present]
    main, riders = parts[-1], parts[:-1]
    return main.add_cte(*(s.cte(f"step{i}") for i, s in enumerate(riders))) if riders else main


def _outcome(m: "Claimed", now: datetime, status: str, sid: Optional[str] = None, next_at: Optional[datetime] = None,
             code: Optional[str] = None, text: Optional[str] = None) -> dict:
    return {"o_mid": m.id, "o_status": status, "o_sid": sid, "o_sent_at": now if status == SENT else None,
            "o_next_at": next_at, "o_code": code, "o_text": text, "o_at": now}


def _step(conn, outcome: Optional[dict], apply_sid: Optional[str], in_flight: Optional[dict]) -> Optional[int]:
    """Make durable together: the previous message's outcome, the kept receipts of `apply_sid` (an
    SID already committed) and this message's "in flight" mark; returns this message's attempt
    number, or None when it is no longer ours."""
    if isinstance(conn, DriverStatements):  # PostgreSQL, autocommit: one statement, one round trip
        params = dict(outcome or {}, **(in_flight or {}))
        if apply_sid is not None:
            params.update(a_sid=apply_sid, a_at=utcnow())
        rows = conn.rows(_statement(outcome is not None, apply_sid is not None, in_flight is not None), params)
        return rows[0][0] if rows and in_flight is not None else None
    if outcome is not None:
        conn.execute(OUTCOME, outcome)
    if apply_sid is not None:
        receipts.apply_early(conn, apply_sid)
    attempts = conn.execute(IN_FLIGHT, in_flight).scalar() if in_flight is not None else None
    conn.commit()
    return attempts


def dispatch_due(gateway_factory, limit: int = 50, now: Optional[datetime] = None) -> dict[str, int]:
    """Send what is due. `gateway_factory()` builds the gateway or raises NotConfigured.
    One failed recipient never blocks the others. Before each request one commit makes durable
    together: the previous message's outcome (with its SID), the receipts Twilio sent before the
    SID before it was written, and "in flight" for this one (one WAL flush per message instead of
    three); the last outcome and receipts are committed after the loop. On PostgreSQL that is one
    autocommit statement per message, straight through the driver (models/driver.py)."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "not_sent": 0}
    rows, deferred = rate_limits.defer_limited(_skip_acknowledged(claim_due(limit, now), now), now)
    if deferred:  # back in the queue, due when the person's window frees (never dropped)
        counts["deferred"] = deferred
    if not rows:
        return counts
    try:
        gateway = gateway_factory()
    except NotConfigured:  # no Twilio: SMS and calls are not sent (visibly); pushes still go
        twilio_rows = [m for m in rows if m.channel != PUSH]
        if twilio_rows:
            _not_configured(twilio_rows, now)
        counts["not_sent"] = len(twilio_rows)
        for m in twilio_rows:
            metrics.MESSAGES.labels(m.channel, "not_sent", "").inc()
        rows, gateway = [m for m in rows if m.channel == PUSH], None
        if not rows:
            return counts
    if db.engine.dialect.name == "postgresql":
        with autocommit_statements() as conn:
            _send_each(conn, gateway, rows, now, counts)
    else:
        with db.engine.connect() as conn:
            _send_each(conn, gateway, rows, now, counts)
    return counts


ACKNOWLEDGED_BEFORE = "acknowledged before sending"  # as coordination/duty/alerts.py writes it


def _skip_acknowledged(rows: list["Claimed"], now: datetime) -> list["Claimed"]:
    """A contact chain's later channel whose shift's escalation was acknowledged after the rows
    were queued but before this claim (the acknowledgement's own cancel step missed it: it was
    being claimed) is not sent: not_sent, "acknowledged before sending". One query per batch
    with escalation rows, none otherwise."""
    shifts = {m.shift_id for m in rows if m.purpose == ESCALATION and m.shift_id is not None}
    if not shifts:
        return rows
    taken = set(db.session.scalars(sa.select(Message.shift_id).where(
        Message.shift_id.in_(shifts), Message.purpose == ESCALATION, Message.acknowledged_at.is_not(None))))
    skip = [m.id for m in rows if m.purpose == ESCALATION and m.shift_id in taken]
    if not skip:
        return rows
    db.session.execute(sa.update(Message).where(Message.id.in_(skip), Message.status == SENDING,
                                                Message.updated_at == now).values(
        status=NOT_SENT, error_message=ACKNOWLEDGED_BEFORE, updated_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return [m for m in rows if m.id not in skip]


def _not_configured(rows: list["Claimed"], now: datetime) -> None:
    db.session.execute(sa.update(Message).where(Message.id.in_([m.id for m in rows])).values(
        attempts=Message.attempts + 1, status=NOT_SENT, updated_at=now, error_message="not sent: SMS not configured")
        .execution_options(synchronize_session=False))
    db.session.commit()


class _Pending:
    """What the next statement carries: the last outcome (not yet committed) and the last SID
    committed (whose early receipts are still to be looked for)."""

    def __init__(self):
        self.outcome: Optional[dict] = None
        self.apply_sid: Optional[str] = None

    def step(self, conn, in_flight: Optional[dict]) -> Optional[int]:
        outcome, self.outcome = self.outcome, None
        attempts = _step(conn, outcome, self.apply_sid, in_flight)
        self.apply_sid = outcome["o_sid"] if outcome else None
        return attempts


class _Pushes:
    """A batch's pushes: the devices of their people, read with one query, and the devices that
    took one, whose last_success_at is written with one UPDATE after the batch."""

    def __init__(self, rows: list[Claimed]):
        people = [m.person_id for m in rows if m.channel == PUSH]
        self.devices = push.devices_of(people) if people else {}
        self.stamps: list[int] = []


def _send_each(conn, gateway, rows: list[Claimed], now: datetime, counts: dict) -> None:
    pending, pushes = _Pending(), _Pushes(rows)
    try:
        for m in rows:
            _send_one(conn, gateway, m, now, counts, pending, pushes)
    finally:  # also when something unexpected escapes: a sent message must not stay "in flight"
        if pending.outcome is not None:
            pending.step(conn, None)
        if pending.apply_sid is not None:  # the last SID is committed: now its early receipts
            pending.step(conn, None)
        push.stamp(pushes.stamps, now)


def _send_one(conn, gateway, m: Claimed, now: datetime, counts: dict, pending: _Pending,
              pushes: Optional[_Pushes] = None) -> None:
    # Still ours? (Its lease may have ended and another dispatcher claimed it.) Mark it in flight,
    # durably, before the request: see claim_due.
    attempts = pending.step(conn, {"f_mid": m.id, "f_claimed_at": now, "f_at": utcnow()})
    if attempts is None:
        return
    try:
        sid = _request(gateway, m, pushes)
    except SendError as err:
        message = str(err)
        if err.transient and attempts < MAX_ATTEMPTS:
            status, next_at = QUEUED, now + backoff(attempts)
            counts["retry"] += 1
            outcome = "retry"
        else:
            status, next_at = FAILED, None
            if err.transient:
                message = f"gave up after {attempts} attempts: {err}"
            counts["failed"] += 1
            outcome = "failed"
        metrics.MESSAGES.labels(m.channel, outcome, str(err.code or "")[:20]).inc()
        log.warning("%s %s to %s: %s", m.channel, m.id, m.to_phone, err)
        pending.outcome = _outcome(m, now, status, next_at=next_at, code=err.code, text=message[:500])
        return
    # A push service's 201 is the last word there is (no delivery receipt follows): delivered.
    pending.outcome = _outcome(m, now, DELIVERED if m.channel == PUSH else SENT, sid=sid)
    counts["sent"] += 1
    metrics.MESSAGES.labels(m.channel, "sent", "").inc()


def _request(gateway, m: Claimed, pushes: Optional[_Pushes] = None) -> str:
    """The one request of a claimed row, by its channel: an SMS, or a call (whose TwiML URL and
    status callbacks name the row); a channel this dispatcher cannot send fails visibly."""
    if m.channel == SMS:
        return gateway.send(m.to_phone, m.body, m.id)
    if m.channel == VOICE:
        return gateway.call(m.to_phone, m.id)
    if m.channel == PUSH:
        return _push(m, pushes)
    raise SendError(f"not sent: this dispatcher cannot send the {m.channel!r} channel", None, False)


def _push(m: Claimed, pushes: Optional[_Pushes] = None) -> None:
    """A push to every device of the row's person (messaging/push.py); no device, or every device
    gone, fails the row visibly (the escalation's SMS and call are its fallback); a push service
    that is busy or down is retried like Twilio."""
    outcome = (push.send_push_message(m, targets=pushes.devices.get(m.person_id, []), stamps=pushes.stamps)
               if pushes is not None else push.send_push_message(m))
    if outcome.status == push.SENT:
        return None
    if outcome.status == push.NO_DEVICE:
        raise SendError("not sent: no device of this person is subscribed to push", "no_device", False)
    if outcome.status == push.GONE:
        raise SendError("not sent: every device of this person has unsubscribed (404/410)", outcome.code or "410", False)
    raise SendError(f"push failed: {outcome.error or outcome.code}", outcome.code, outcome.transient)


def resend(message: Message, now: Optional[datetime] = None) -> Message:
    """Queue a failed message again as a new row (the failed one stays, with its error)."""
    if message.status not in (FAILED, UNDELIVERED, NOT_SENT):
        raise ValidationError(_l("Only failed or unsent messages can be sent again."), field="status")
    return put(Outgoing(message.person_id, message.to_phone, message.body, message.purpose, message.urgent,
                        province_code=message.province_code, shift_id=message.shift_id,
                        channel=message.channel), now)

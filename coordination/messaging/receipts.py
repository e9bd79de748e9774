"""Delivery receipts: Twilio's status callbacks, applied so that none is lost and none moves a
message backwards.

A callback may arrive before the dispatcher has written the message's SID (Twilio can post
"sent" while its 201 is still on the way), late, twice, or out of order. So:
- `advance_status(current, incoming)` is the one rule: a status only moves forward
  (queued < sending < sent < final) and the first final status stays;
- a callback for an SID the outbox does not know yet is kept in `early_receipts` (one row per
  SID, its most advanced status) and applied when the SID is written: the dispatcher runs
  `apply_early` right after the statement that wrote the SID, and the callback runs it right
  after keeping the receipt. Each side writes first and looks second, so whichever looks last
  sees the other's write: the receipt is applied by one of them (or both: applying is idempotent);
- `sweep` (a scheduler job) applies whatever is left and forgets receipts of SIDs that never came;
- a callback names our message too (`/sms/status?m=<id>`): one for a message whose outcome was
  unknown (its dispatcher died during the request: failed, no SID) records the SID and says what
  happened — the one move out of a final status, because that failure was our guess, not Twilio's;
- `reconcile` (a scheduler job) asks Twilio for the status of messages still "sent" after
  SMS_RECEIPT_WAIT_MINUTES (a callback Twilio posted while we were down is never posted again) and
  fails visibly those with no final status after SMS_RECEIPT_GIVE_UP_HOURS, as GOV.UK Notify times
  out its "sending" notifications."""
from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from models import Message, db
from models.messages import DELIVERED, FAILED, NOT_SENT, QUEUED, SENDING, SENT, UNDELIVERED, EarlyReceipt

from coordination.clock import utcnow
from coordination.core import metrics
from coordination.messaging.sms import NotConfigured, SendError

log = logging.getLogger(__name__)
RANK = {QUEUED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3, NOT_SENT: 3}
TWILIO_STATUSES = {"queued": SENT, "accepted": SENT, "scheduled": SENT, "sending": SENT, "sent": SENT,
                   "delivered": DELIVERED, "read": DELIVERED, "undelivered": UNDELIVERED, "failed": FAILED,
                   # a call's (Programmable Voice): it rang and was answered — "delivered" — or nobody
                   # took it. Whether it was acknowledged is the Gather's part (the message's acknowledged_at).
                   "initiated": SENT, "ringing": SENT, "in-progress": SENT, "answered": SENT,
                   "completed": DELIVERED, "busy": UNDELIVERED, "no-answer": UNDELIVERED, "canceled": FAILED}
KEEP_UNKNOWN = timedelta(days=2)  # a receipt whose SID never appears is forgotten after this
OUTCOME_UNKNOWN = "outcome unknown"  # how both outcome-unknown failures begin (sms.py, outbox.py)
UNKNOWN_SID = "Twilio does not know this message (no such SID): it was not sent"


def advance_status(current: Optional[str], incoming: Optional[str], outcome_unknown: bool = False) -> Optional[str]:
    """The status after a receipt: `incoming` if it is further along than `current`, else `current`.
    Final statuses (delivered, undelivered, failed, not sent) never change; unknown ones never win.
    One exception: a message whose outcome was unknown (`outcome_unknown`: failed by us, without an
    answer from Twilio) takes whatever status Twilio's receipt reports — it is the first real one."""
    if outcome_unknown and current == FAILED and incoming in RANK:
        return incoming
    if RANK.get(incoming, -1) > RANK.get(current, -1):
        return incoming
    return current


def _rank(status) -> sa.ColumnElement:
    """RANK in SQL, written into the statement (no parameters: one plan for every message)."""
    return sa.case(*((sa.literal_column(f"'{s}'"), sa.literal_column(str(r))) for s, r in RANK.items()),
                   value=status, else_=sa.literal_column("-1"))


def _advances(current, incoming) -> sa.ColumnElement:
    """advance_status in SQL: does `incoming` move `current` forward?"""
    return _rank(incoming) > _rank(current)


def advance_sql(current, incoming) -> sa.ColumnElement:
    return sa.case((_advances(current, incoming), incoming), else_=current)


def _param(name: str, type_=None):
    return sa.bindparam(name, type_=type_ or sa.String())


def advance_values(status, code, at) -> dict:
    """SET clause of an UPDATE of messages that applies a receipt (its status, error code, time)."""
    moves = _advances(Message.status, status)
    return {"status": advance_sql(Message.status, status),
            "error_code": sa.case((moves, sa.func.coalesce(code, Message.error_code)), else_=Message.error_code),
            "updated_at": sa.case((moves, at), else_=Message.updated_at)}


# The receipt by its SID: applies to the message with that SID, if there is one.
BY_SID = (sa.update(Message).where(Message.provider_sid == _param("r_sid"))
          .values(advance_values(_param("r_status"), _param("r_code"), _param("r_at", Message.updated_at.type)))
          .execution_options(synchronize_session=False))


# The receipt by our message id (?m= in the callback URL), for a message whose outcome was unknown:
# it learns its SID and Twilio's status (advance_status with outcome_unknown). Any other message
# is left to BY_SID: a message in flight gets its SID from its dispatcher, and its receipt waits.
BY_ID = (sa.update(Message).where(Message.id == _param("r_mid", sa.Integer()), Message.provider_sid.is_(None),
                                  Message.status == FAILED, Message.error_message.like(OUTCOME_UNKNOWN + "%"))
         .values(provider_sid=_param("r_sid"), status=_param("r_status"), error_code=_param("r_code"),
                 error_message=None, updated_at=_param("r_at", Message.updated_at.type))
         .execution_options(synchronize_session=False))


@functools.cache
def _taken(one: bool):
    """DELETE … RETURNING the kept receipts (of SID :a_sid, or all) whose message now has its SID."""
    known = sa.exists().where(Message.provider_sid == EarlyReceipt.sid)
    where = [EarlyReceipt.sid == _param("a_sid"), known] if one else [known]
    return (sa.delete(EarlyReceipt).where(*where).execution_options(synchronize_session=False)
            .returning(EarlyReceipt.sid, EarlyReceipt.status, EarlyReceipt.error_code))


@functools.cache
def apply_early_statement(one: bool = True):
    """PostgreSQL: one statement that takes the kept receipt of SID :a_sid (or all of them) and
    applies it at :a_at (UPDATE … FROM a DELETE … RETURNING). The dispatcher runs it on its driver
    connection, alone or riding along its next statement."""
    taken = _taken(one).cte("taken")
    return (sa.update(Message).where(Message.provider_sid == taken.c.sid)
            .values(advance_values(taken.c.status, taken.c.error_code, _param("a_at", Message.updated_at.type)))
            .execution_options(synchronize_session=False))


def apply_early(conn, sid: Optional[str] = None, now: Optional[datetime] = None) -> int:
    """Apply the kept receipts of `sid` (or of every SID the outbox now knows) on `conn` (a
    Connection or the session; the caller commits). Returns how many were applied (a receipt is
    taken only together with its message: one message per SID)."""
    params = {"a_sid": sid, "a_at": now or utcnow()}
    dialect = conn.dialect if isinstance(conn, sa.Connection) else db.engine.dialect
    if dialect.name == "postgresql":
        return conn.execute(apply_early_statement(sid is not None), params).rowcount
    rows = conn.execute(_taken(sid is not None), params).all()  # SQLite: a write first (no stale snapshot)
    for r_sid, status, code in rows:
        conn.execute(BY_SID, {"r_sid": r_sid, "r_status": status, "r_code": code, "r_at": params["a_at"]})
    return len(rows)


def record(sid: str, twilio_status: str, error_code: Optional[str] = None, now: Optional[datetime] = None,
           message_id: Optional[int] = None) -> str:
    """A signed status callback: "applied" to its message, "kept" until its SID is known, or
    "ignored" (no SID, or a status we do not follow). `message_id` (the callback URL's ?m=) finds a
    message whose outcome was unknown. Commits."""
    status = TWILIO_STATUSES.get((twilio_status or "").lower())
    if not sid or status is None:
        return "ignored"
    now = now or utcnow()
    code = str(error_code)[:20] if error_code else None
    metrics.RECEIPTS.labels(status, code or "").inc()
    session = db.session
    params = {"r_sid": sid[:64], "r_status": status, "r_code": code, "r_at": now}
    if message_id is not None and session.execute(BY_ID, dict(params, r_mid=message_id)).rowcount:
        session.commit()
        log.info("SMS %s: outcome was unknown, Twilio's receipt says %s (%s)", message_id, status, sid)
        return "applied"
    if session.execute(BY_SID, params).rowcount:
        session.commit()
        return "applied"
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(EarlyReceipt)
    incoming = insert.excluded
    moves = _advances(EarlyReceipt.status, incoming.status)
    session.execute(insert.values(sid=sid[:64], status=status, error_code=code, received_at=now,
                                  message_id=message_id).on_conflict_do_update(
        index_elements=[EarlyReceipt.sid],
        set_={"status": advance_sql(EarlyReceipt.status, incoming.status),
              "message_id": sa.func.coalesce(EarlyReceipt.message_id, incoming.message_id),
              "error_code": sa.case((moves, sa.func.coalesce(incoming.error_code, EarlyReceipt.error_code)),
                                    else_=EarlyReceipt.error_code)}))
    session.commit()
    # Written first, looked second: if the dispatcher wrote the SID meanwhile, apply it now.
    taken = apply_early(session, sid, now)
    session.commit()
    return "applied" if taken else "kept"


def _apply_by_id(now: datetime) -> int:
    """Kept receipts whose callback named a message that has since become outcome-unknown (its
    dispatcher died before writing the SID; the receipt came while it was in flight): BY_ID."""
    unknown = sa.exists().where(Message.id == EarlyReceipt.message_id, Message.provider_sid.is_(None),
                                Message.status == FAILED, Message.error_message.like(OUTCOME_UNKNOWN + "%"))
    rows = db.session.execute(sa.select(EarlyReceipt.sid, EarlyReceipt.status, EarlyReceipt.error_code,
                                        EarlyReceipt.message_id).where(EarlyReceipt.message_id.is_not(None), unknown)
                              .limit(1000)).all()
    for sid, status, code, mid in rows:
        db.session.execute(BY_ID, {"r_mid": mid, "r_sid": sid, "r_status": status, "r_code": code, "r_at": now})
        db.session.execute(sa.delete(EarlyReceipt).where(EarlyReceipt.sid == sid)
                           .execution_options(synchronize_session=False))
    return len(rows)


def sweep(now: Optional[datetime] = None) -> dict[str, int]:
    """Scheduler job: apply kept receipts whose SID is now known, or whose message (named by the
    callback URL) has become outcome-unknown; forget those older than KEEP_UNKNOWN (an SID of
    another system, or of a message whose outcome was lost)."""
    now = now or utcnow()
    applied = apply_early(db.session, None, now) + _apply_by_id(now)
    forgotten = db.session.execute(sa.delete(EarlyReceipt).where(EarlyReceipt.received_at < now - KEEP_UNKNOWN)
                                   .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return {"applied": applied, "forgotten": forgotten}


# A message Twilio cannot settle: failed, with the reason, unless a receipt made it final meanwhile.
GIVE_UP = (sa.update(Message).where(Message.id == _param("g_mid", sa.Integer()))
           .values(dict(advance_values(_param("g_status"), None, _param("g_at", Message.updated_at.type)),
                        error_message=sa.case((_advances(Message.status, _param("g_status")), _param("g_text")),
                                              else_=Message.error_message)))
           .execution_options(synchronize_session=False))
# Asked, and still "sent" at Twilio: the next run asks the others first (updated_at is the queue).
CHECKED = (sa.update(Message).where(Message.id == _param("c_mid", sa.Integer()), Message.status == SENT)
           .values(updated_at=_param("c_at", Message.updated_at.type)).execution_options(synchronize_session=False))


def _settings() -> tuple[timedelta, timedelta]:
    return (timedelta(minutes=float(current_app.config.get("SMS_RECEIPT_WAIT_MINUTES", 15))),
            timedelta(hours=float(current_app.config.get("SMS_RECEIPT_GIVE_UP_HOURS", 72))))


def awaiting(now: datetime, limit: int) -> list:
    """Messages still "sent" (no final receipt) and not asked about for SMS_RECEIPT_WAIT_MINUTES,
    the longest-waiting first: (id, SID, sent_at) off ix_messages_awaiting_receipt."""
    wait, _ = _settings()
    sent = sa.literal(SENT, literal_execute=True)  # in the SQL: the partial index's predicate matches
    return db.session.execute(
        sa.select(Message.id, Message.provider_sid, Message.sent_at)
        .where(Message.status == sent, Message.updated_at < now - wait, Message.provider_sid.is_not(None))
        .order_by(Message.updated_at, Message.id).limit(limit)).all()


def reconcile(gateway_factory, now: Optional[datetime] = None, limit: int = 200) -> dict[str, int]:
    """Scheduler job: ask Twilio (`gateway.status(sid)`) about up to `limit` messages that got no
    final receipt (see `awaiting`) and apply its answer like a callback (BY_SID: never backwards).
    Twilio does not know the SID: failed visibly. Twilio cannot answer (5xx, time-out): asked again
    next run. Still not final after SMS_RECEIPT_GIVE_UP_HOURS since it was sent: failed visibly
    ("no delivery receipt within 72 h"). One message's error never stops the others. Commits
    after each message (a callback may arrive at the same time)."""
    now = now or utcnow()
    _, give_up = _settings()
    counts = {"asked": 0, "settled": 0, "unknown_sid": 0, "timed_out": 0, "unanswered": 0}
    rows = awaiting(now, limit)
    db.session.commit()
    if not rows:
        return counts
    try:
        gateway = gateway_factory()
    except NotConfigured:
        return counts
    for mid, sid, sent_at in rows:
        counts["asked"] += 1
        try:
            answer = gateway.status(sid)
        except SendError as err:
            answer = err  # still "sent": asked again next run, unless it is past the cut-off
            counts["unanswered"] += 1
            log.warning("SMS %s (%s): Twilio did not answer its status: %s", mid, sid, err)
        if answer is None:
            counts["unknown_sid"] += 1
            db.session.execute(GIVE_UP, {"g_mid": mid, "g_status": FAILED, "g_at": now, "g_text": UNKNOWN_SID})
        elif not isinstance(answer, SendError) and RANK.get(TWILIO_STATUSES.get(answer[0]), -1) > RANK[SENT]:
            counts["settled"] += 1
            db.session.execute(BY_SID, {"r_sid": sid, "r_status": TWILIO_STATUSES[answer[0]],
                                        "r_code": answer[1], "r_at": now})
        elif sent_at is not None and sent_at < now - give_up:
            counts["timed_out"] += 1
            hours = round(give_up.total_seconds() / 3600)
            db.session.execute(GIVE_UP, {"g_mid": mid, "g_status": FAILED, "g_at": now,
                                         "g_text": f"no delivery receipt within {hours} h"})
        else:
            db.session.execute(CHECKED, {"c_mid": mid, "c_at": now})
        db.session.commit()
    return counts

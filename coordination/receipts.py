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
- `sweep` (a scheduler job) applies whatever is left and forgets receipts of SIDs that never came."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import Message, db
from models.messages import DELIVERED, FAILED, NOT_SENT, QUEUED, SENDING, SENT, UNDELIVERED, EarlyReceipt

from .clock import utcnow

RANK = {QUEUED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3, NOT_SENT: 3}
TWILIO_STATUSES = {"queued": SENT, "accepted": SENT, "scheduled": SENT, "sending": SENT, "sent": SENT,
                   "delivered": DELIVERED, "read": DELIVERED, "undelivered": UNDELIVERED, "failed": FAILED}
KEEP_UNKNOWN = timedelta(days=2)  # a receipt whose SID never appears is forgotten after this


def advance_status(current: Optional[str], incoming: Optional[str]) -> Optional[str]:
    """The status after a receipt: `incoming` if it is further along than `current`, else `current`.
    Final statuses (delivered, undelivered, failed, not sent) never change; unknown ones never win."""
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
BY_SID = sa.update(Message).where(Message.provider_sid == _param("r_sid")).values(
    advance_values(_param("r_status"), _param("r_code"), _param("r_at", Message.updated_at.type)))


def _taken(one: bool):
    """DELETE … RETURNING the kept receipts (of SID :a_sid, or all) whose message now has its SID."""
    known = sa.exists().where(Message.provider_sid == EarlyReceipt.sid)
    where = [EarlyReceipt.sid == _param("a_sid"), known] if one else [known]
    return (sa.delete(EarlyReceipt).where(*where)
            .returning(EarlyReceipt.sid, EarlyReceipt.status, EarlyReceipt.error_code))


@functools.cache
def apply_early_statement(one: bool = True):
    """PostgreSQL: one statement that takes the kept receipt of SID :a_sid (or all of them) and
    applies it at :a_at (UPDATE … FROM a DELETE … RETURNING). The dispatcher runs it on its driver
    connection, alone or riding along its next statement."""
    taken = _taken(one).cte("taken")
    return (sa.update(Message).where(Message.provider_sid == taken.c.sid)
            .values(advance_values(taken.c.status, taken.c.error_code, _param("a_at", Message.updated_at.type))))


def apply_early(conn, sid: Optional[str] = None, now: Optional[datetime] = None) -> int:
    """Apply the kept receipts of `sid` (or of every SID the outbox now knows) on `conn` (a
    Connection or the session; the caller commits). Returns how many messages moved or were
    confirmed (PostgreSQL) or receipts were taken (SQLite)."""
    params = {"a_sid": sid, "a_at": now or utcnow()}
    dialect = conn.dialect if isinstance(conn, sa.Connection) else db.engine.dialect
    if dialect.name == "postgresql":
        return conn.execute(apply_early_statement(sid is not None), params).rowcount
    rows = conn.execute(_taken(sid is not None), params).all()  # SQLite: a write first (no stale snapshot)
    for r_sid, status, code in rows:
        conn.execute(BY_SID, {"r_sid": r_sid, "r_status": status, "r_code": code, "r_at": params["a_at"]})
    return len(rows)


def record(sid: str, twilio_status: str, error_code: Optional[str] = None, now: Optional[datetime] = None) -> str:
    """A signed status callback: "applied" to its message, "kept" until its SID is known, or
    "ignored" (no SID, or a status we do not follow). Commits."""
    status = TWILIO_STATUSES.get((twilio_status or "").lower())
    if not sid or status is None:
        return "ignored"
    now = now or utcnow()
    code = str(error_code)[:20] if error_code else None
    session = db.session
    if session.execute(BY_SID, {"r_sid": sid, "r_status": status, "r_code": code, "r_at": now}).rowcount:
        session.commit()
        return "applied"
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(EarlyReceipt)
    incoming = insert.excluded
    moves = _advances(EarlyReceipt.status, incoming.status)
    session.execute(insert.values(sid=sid[:64], status=status, error_code=code, received_at=now).on_conflict_do_update(
        index_elements=[EarlyReceipt.sid],
        set_={"status": advance_sql(EarlyReceipt.status, incoming.status),
              "error_code": sa.case((moves, sa.func.coalesce(incoming.error_code, EarlyReceipt.error_code)),
                                    else_=EarlyReceipt.error_code)}))
    session.commit()
    # Written first, looked second: if the dispatcher wrote the SID meanwhile, apply it now.
    taken = apply_early(session, sid, now)
    session.commit()
    return "applied" if taken else "kept"


def sweep(now: Optional[datetime] = None) -> dict[str, int]:
    """Scheduler job: apply kept receipts whose SID is now known; forget those older than
    KEEP_UNKNOWN (an SID of another system, or of a message whose outcome was lost)."""
    now = now or utcnow()
    applied = apply_early(db.session, None, now)
    forgotten = db.session.execute(sa.delete(EarlyReceipt).where(EarlyReceipt.received_at < now - KEEP_UNKNOWN)
                                   .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return {"applied": applied, "forgotten": forgotten}

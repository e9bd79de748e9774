"""Broadcasts that collect answers: each recipient's SMS carries a personal one-tap link (a signed
token naming their message, links.py); a tap on it — or an SMS reply "OK" / "xác nhận" / "đã nhận"
(duty/replies.py) — confirms, once. The broadcasts page counts recipients, delivered, failed and
confirmed per broadcast in one query, lists who has not confirmed, and reminds only them.

A person's confirmation is the acknowledged_at of any of their messages of the broadcast (the first
SMS or a reminder); counts are of people, not of rows."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa

from models import Broadcast, Message, Person, db
from models.messages import BROADCAST, DELIVERED, FAILED, NOT_SENT, UNDELIVERED

from coordination.clock import utcnow
from coordination.messaging.links import ack_token, base_url, message_for_token
from coordination.messaging.sms import for_recipient

CONFIRM_TTL = timedelta(days=7)  # a confirmation link (and an SMS reply) counts for a week
PAGE = 20


def confirm_link(message_id: int) -> str:
    return f"{base_url()}/x/{ack_token(message_id)}"


def add_links(where) -> int:
    """Append each row's personal link to the text of the broadcast rows matching `where` (just
    queued: the link needs the row's id). Diacritics-free rows get a diacritics-free call."""
    rows = db.session.execute(sa.select(Message.id, Message.body).where(where)).all()
    if not rows:
        return 0
    values = [{"mid": mid, "text": f"{body} {for_recipient('Xác nhận', body.isascii())}: {confirm_link(mid)}"}
              for mid, body in rows]
    table = Message.__table__  # Core: an executemany UPDATE keyed by our own parameter
    db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("mid")).values(body=sa.bindparam("text")),
                       values)
    return len(rows)


def _confirmable(message: Optional[Message], now: datetime) -> bool:
    return (message is not None and message.purpose == BROADCAST and message.broadcast_id is not None
            and message.created_at + CONFIRM_TTL >= now
            and db.session.scalar(sa.select(Broadcast.confirm).where(Broadcast.id == message.broadcast_id)) is True)


def message_for_link(token: str, now: Optional[datetime] = None) -> Optional[Message]:
    """The broadcast message a confirmation link names, if it is one that asks for confirmation."""
    now = now or utcnow()
    message = message_for_token(token, now, CONFIRM_TTL)
    return message if _confirmable(message, now) else None


def confirmed(message: Message) -> bool:
    """Has this message's person confirmed its broadcast (by any of their messages of it)?"""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.broadcast_id == message.broadcast_id, Message.person_id == message.person_id,
        Message.acknowledged_at.is_not(None))) > 0


def confirm(message: Message, now: Optional[datetime] = None) -> bool:
    """Record the confirmation; False if this person had already confirmed (a double tap, a tap
    after an SMS reply): one conditional UPDATE, so two taps at once record one."""
    now = now or utcnow()
    others = sa.orm.aliased(Message)
    done_before = sa.select(others.id).where(others.broadcast_id == message.broadcast_id,
                                             others.person_id == message.person_id,
                                             others.acknowledged_at.is_not(None)).exists()
    result = db.session.execute(sa.update(Message).where(Message.id == message.id, ~done_before)
                                .values(acknowledged_at=now).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        sa.orm.attributes.set_committed_value(message, "acknowledged_at", now)
        return True
    return False


def open_for(person_id: int, now: Optional[datetime] = None) -> Optional[Message]:
    """The person's latest message of a confirm broadcast they have not confirmed yet (for an SMS reply)."""
    now = now or utcnow()
    others = sa.orm.aliased(Message)
    answered = sa.select(others.id).where(others.broadcast_id == Message.broadcast_id,
                                          others.person_id == person_id, others.acknowledged_at.is_not(None)).exists()
    return db.session.scalar(sa.select(Message).join(Broadcast, Broadcast.id == Message.broadcast_id).where(
        Message.person_id == person_id, Message.purpose == BROADCAST, Broadcast.confirm.is_(True),
        Message.created_at >= now - CONFIRM_TTL, ~answered)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1))


class Summary(NamedTuple):
    broadcast: Broadcast
    recipients: int
    delivered: int
    failed: int
    confirmed: int


def summaries(visible, limit: int = PAGE, offset: int = 0) -> list[Summary]:
    """One row per broadcast matching `visible` (a clause on Broadcast), newest first, with its
    counts of people: one query for the page. Delivered and failed are of each person's first SMS
    (reminders have a dedupe key); confirmed is by any of their messages."""
    person = sa.distinct(Message.person_id)
    first = Message.dedupe_key.is_(None)
    counts = (sa.select(Message.broadcast_id,
                        sa.func.count(person).label("recipients"),
                        sa.func.count(person).filter(first, Message.status == DELIVERED).label("delivered"),
                        sa.func.count(person).filter(first, Message.status.in_((FAILED, UNDELIVERED, NOT_SENT)))
                        .label("failed"),
                        sa.func.count(person).filter(Message.acknowledged_at.is_not(None)).label("confirmed"))
              .where(Message.broadcast_id.in_(sa.select(Broadcast.id).where(visible).order_by(
                  Broadcast.created_at.desc(), Broadcast.id.desc()).limit(limit).offset(offset)))
              .group_by(Message.broadcast_id).subquery())
    rows = db.session.execute(
        sa.select(Broadcast, *(sa.func.coalesce(c, 0) for c in list(counts.c)[1:]))
        .outerjoin(counts, counts.c.broadcast_id == Broadcast.id).where(visible)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc()).limit(limit).offset(offset)).all()
    return [Summary(*row) for row in rows]


class Pending(NamedTuple):
    person_id: int
    name: str
    phone: str
    failed: bool  # their last SMS of this broadcast did not arrive


def _pending(broadcast_ids: list[int]):
    """(broadcast id, person id, name, phone, failed) of those who have not confirmed."""
    failed = sa.func.max(sa.case((Message.status.in_((FAILED, UNDELIVERED, NOT_SENT)), 1), else_=0))
    return (sa.select(Message.broadcast_id, Person.id, Person.full_name, Person.phone, failed.label("failed"))
            .join(Message, Message.person_id == Person.id).where(Message.broadcast_id.in_(broadcast_ids))
            .group_by(Message.broadcast_id, Person.id, Person.full_name, Person.phone)
            .having(sa.func.count(Message.acknowledged_at) == 0))


def not_confirmed(broadcast_id: int) -> list[Pending]:
    """Who received this broadcast and has not confirmed, by name."""
    rows = db.session.execute(_pending([broadcast_id]).order_by(Person.full_name, Person.id)).all()
    return [Pending(pid, name, phone, bool(failed)) for _b, pid, name, phone, failed in rows]


def not_confirmed_many(broadcast_ids: list[int], first: int = 10) -> dict[int, list[Pending]]:
    """The first `first` (by name) of those who have not confirmed, for each broadcast: one query
    for the broadcasts page (the broadcast's own page lists them all)."""
    if not broadcast_ids:
        return {}
    pending = _pending(broadcast_ids).add_columns(sa.func.row_number().over(
        partition_by=Message.broadcast_id, order_by=(Person.full_name, Person.id)).label("n")).subquery()
    rows = db.session.execute(sa.select(pending).where(pending.c.n <= first)
                              .order_by(pending.c.broadcast_id, pending.c.n)).all()
    out: dict[int, list[Pending]] = {}
    for bid, pid, name, phone, failed, _n in rows:
        out.setdefault(bid, []).append(Pending(pid, name, phone, bool(failed)))
    return out

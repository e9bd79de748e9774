"""The outbox as leads read it (every channel: SMS, calls, pushes): the messages their scope may see, filtered, newest first, and the
people it cannot reach by SMS (a fixed line, though they agreed to duty SMS)."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from models import Message, Person, db
from models.messages import CHANNELS, PURPOSES, STATUSES

from coordination.core import permissions

PROBLEMS = ("failed", "undelivered", "not_sent")  # status=problems: every message that did not arrive


def messages(scope: permissions.Scope, status: Optional[str] = None, purpose: Optional[str] = None,
             broadcast_id: Optional[int] = None, limit: int = 50, offset: int = 0,
             channel: Optional[str] = None) -> list:
    """(Message, recipient's name or None) visible to the scope, newest first. An unknown status,
    purpose or channel filters nothing."""
    query = (sa.select(Message, Person.full_name).outerjoin(Person, Person.id == Message.person_id)
             .where(permissions.visible_messages_clause(scope, Message)))
    if status == "problems":
        query = query.where(Message.status.in_(PROBLEMS))
    elif status in STATUSES:
        query = query.where(Message.status == status)
    if purpose in PURPOSES:
        query = query.where(Message.purpose == purpose)
    if channel in CHANNELS:
        query = query.where(Message.channel == channel)
    if broadcast_id is not None:
        query = query.where(Message.broadcast_id == broadcast_id)
    return db.session.execute(query.order_by(Message.created_at.desc(), Message.id.desc())
                              .limit(limit).offset(offset)).all()


def unreachable_by_sms(scope: permissions.Scope) -> int:
    """How many people in the scope agreed to duty SMS but have no phone that takes one."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
        Person.sms_capable.is_(False), Person.consent_sms.is_(True), permissions.visible_people_clause(scope)))


def is_visible(scope: permissions.Scope, message: Message) -> bool:
    """Whether the scope may see this message (the same clause as the list)."""
    return db.session.scalar(sa.select(sa.literal(True)).where(
        Message.id == message.id, permissions.visible_messages_clause(scope, Message))) is True

"""A person's contact chain: how an escalation reaches them, channel by channel, and how long
after the step began each channel is tried (coordination/messaging/contacts.py)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.messages import CHANNELS


class ContactMethod(db.Model):
    """One channel of one person's chain. No rows for a person: the deployment's default chain.
    Once changed on /account the person has one row per channel (off: enabled false; SMS is never
    off, it is the fallback)."""

    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    delay_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    __table_args__ = (
        sa.UniqueConstraint("person_id", "channel"),
        sa.CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        sa.CheckConstraint("delay_minutes >= 0", name="delay_minutes"),
    )

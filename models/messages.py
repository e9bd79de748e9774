"""The SMS outbox: every alert is a row before it is a request to Twilio."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordination.clock import utcnow
from models.base import TimestampMixin, UTCDateTime, db, partial

# Why a message is sent (messages.purpose): a reminder before a shift (also the absent primary's
# nudge), an escalation with an acknowledgement link, the shift's handoff digest, a broadcast, an
# invitation or password-reset link, a notice about a task (handed to you, assigned to your team,
# blocked or done).
REMINDER, ESCALATION, HANDOFF, BROADCAST, ACK_REQUEST, INVITATION, TASK_NOTICE, OTHER = (
    "reminder", "escalation", "handoff", "broadcast", "ack_request", "invitation", "task_notice", "other")
PURPOSES = (REMINDER, ESCALATION, HANDOFF, BROADCAST, ACK_REQUEST, INVITATION, TASK_NOTICE, OTHER)
QUEUED, SENDING, SENT, DELIVERED, FAILED, UNDELIVERED, NOT_SENT = (
    "queued", "sending", "sent", "delivered", "failed", "undelivered", "not_sent")
STATUSES = (QUEUED, SENDING, SENT, DELIVERED, FAILED, UNDELIVERED, NOT_SENT)
FINAL = (DELIVERED, FAILED, UNDELIVERED, NOT_SENT)
# How a message reaches its person (messages.channel): an SMS, a voice call (the body is what the
# call says; TwiML served by coordination/web/voice_hooks.py), or a push to the duty app.
SMS, VOICE, PUSH = "sms", "voice", "push"
CHANNELS = (SMS, VOICE, PUSH)


class Broadcast(TimestampMixin, db.Model):
    """An urgent (or not) message written once and queued for many people."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    province_code: Mapped[Optional[str]] = mapped_column(sa.String(8), index=True)
    audience: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    body: Mapped[str] = mapped_column(sa.String(1600), nullable=False)
    urgent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    recipients: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # Asks each recipient to confirm (a personal link in their SMS; the message's acknowledged_at).
    confirm: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    # How many "remind those who have not confirmed" rounds were sent (a double tap sends one round).
    reminded: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")


class Message(TimestampMixin, db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key on purpose: the outbox is a log that keeps its own to_phone, people are never
    # deleted (memberships end), and the per-row check cost 0.7 s of a 100,000-recipient broadcast.
    # Indexed by ix_messages_person_created.
    person_id: Mapped[Optional[int]] = mapped_column(sa.Integer)
    to_phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    body: Mapped[str] = mapped_column(sa.String(1600), nullable=False)
    purpose: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False, default=SMS, server_default=SMS)
    urgent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    province_code: Mapped[Optional[str]] = mapped_column(sa.String(8), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=QUEUED)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    provider_sid: Mapped[Optional[str]] = mapped_column(sa.String(64))  # unique: uq_messages_provider_sid
    error_code: Mapped[Optional[str]] = mapped_column(sa.String(20))
    error_message: Mapped[Optional[str]] = mapped_column(sa.String(500))
    dedupe_key: Mapped[Optional[str]] = mapped_column(sa.String(120))  # unique: uq_messages_dedupe_key
    shift_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shifts.id", ondelete="SET NULL"))
    # No foreign key either: only broadcasts.send sets it, in the transaction that creates the
    # broadcast, and neither broadcasts nor messages are ever deleted; the per-row check cost
    # 0.5–1 s of a 100,000-recipient broadcast.
    broadcast_id: Mapped[Optional[int]] = mapped_column(sa.Integer, index=True)
    acknowledged_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Set (and committed) just before the request to Twilio, cleared with its outcome: a row left
    # with it set was in flight when its dispatcher died, so it may have been sent.
    in_flight_since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"purpose IN {PURPOSES}", name="purpose"),
        sa.CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        sa.Index("ix_messages_person_created", "person_id", "created_at"),
        # A dispatcher's claim looks for stale 'sending' rows: without this it scans the outbox.
        sa.Index("ix_messages_sending", "updated_at", **partial("status = 'sending'")),
    )


# The queue in the order dispatchers take it (urgent first, then due time): a claim reads its rows
# off this index and stops after its batch.
sa.Index("ix_messages_due", Message.urgent.desc(), Message.next_attempt_at, Message.id,
         **partial("status = 'queued'"))

# Indexes over columns that are empty on most rows (a broadcast's 100,000 rows have no dedupe key,
# no shift, and no provider SID until sent) leave the empty rows out: three fewer index entries per
# queued broadcast row. Uniqueness is unchanged — NULLs never collided — and look-ups by value use
# the partial index (an equality implies IS NOT NULL).
# SMS still waiting for their final receipt, the longest-unasked first (receipts.reconcile).
sa.Index("ix_messages_awaiting_receipt", Message.updated_at, Message.id, **partial("status = 'sent'"))

sa.Index("uq_messages_provider_sid", Message.provider_sid, unique=True,
         **partial("provider_sid IS NOT NULL"))
sa.Index("uq_messages_dedupe_key", Message.dedupe_key, unique=True,
         **partial("dedupe_key IS NOT NULL"))
sa.Index("ix_messages_shift_id", Message.shift_id,
         **partial("shift_id IS NOT NULL"))
# Failures by time, for /ops ("how many alerts failed in the last hour, and why"): failed rows only.
sa.Index("ix_messages_failed_updated", Message.updated_at,
         **partial("status IN ('failed', 'undelivered')"))


class EarlyReceipt(db.Model):
    """A status callback whose message SID is not (yet) in the outbox: Twilio may report a message
    before the dispatcher has written its SID. One row per SID, holding the most advanced status
    received; applied and deleted as soon as the SID is written (coordination/messaging/receipts.py)."""

    __tablename__ = "early_receipts"

    sid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    error_code: Mapped[Optional[str]] = mapped_column(sa.String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # The message its callback URL named (?m=): if that message's outcome becomes unknown (its
    # dispatcher died before writing the SID), the sweep gives it this receipt. No foreign key: a log.
    message_id: Mapped[Optional[int]] = mapped_column(sa.Integer)

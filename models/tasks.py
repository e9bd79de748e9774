"""Tasks assigned to commune teams, and the history of every update to them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.clock import utcnow
from models.base import TimestampMixin, UTCDateTime, db
from models.teams import Person, Team

PRIORITIES = ("low", "normal", "high", "urgent")

OPEN = "open"
IN_PROGRESS = "in_progress"
DONE = "done"
BLOCKED = "blocked"
CANCELLED = "cancelled"
STATUSES = (OPEN, IN_PROGRESS, DONE, BLOCKED, CANCELLED)
ACTIVE_STATUSES = (OPEN, IN_PROGRESS, BLOCKED)


class Task(TimestampMixin, db.Model):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A code of the work_kinds catalogue (coordination/tasks/kinds.py).
    kind: Mapped[str] = mapped_column(sa.ForeignKey("work_kinds.code", ondelete="RESTRICT"), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(sa.Text)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False)
    province_code: Mapped[str] = mapped_column(sa.ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False)
    assignee_person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    batch: Mapped[Optional[str]] = mapped_column(sa.String(36), index=True)  # one bulk assignment
    due_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    priority: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="normal")
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=OPEN)
    blocked_reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    target_count: Mapped[Optional[int]] = mapped_column(sa.Integer)
    target_unit: Mapped[Optional[str]] = mapped_column(sa.String(60))
    done_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship()
    assignee: Mapped[Optional[Person]] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
        sa.CheckConstraint("done_count >= 0", name="done_count_not_negative"),
        sa.CheckConstraint("target_count IS NULL OR target_count > 0", name="target_positive"),
        sa.Index("ix_tasks_province_status_due", "province_code", "status", "due_date"),
        sa.Index("ix_tasks_province_due", "province_code", "due_date", "id"),
        sa.Index("ix_tasks_team_status", "team_id", "status"),
        sa.Index("ix_tasks_assignee_status", "assignee_person_id", "status"),
    )

    @property
    def percent(self) -> Optional[int]:
        if not self.target_count:
            return 100 if self.status == DONE else None
        return min(100, round(100 * self.done_count / self.target_count))

    def is_overdue(self, today: date) -> bool:
        return self.due_date is not None and self.due_date < today and self.status in ACTIVE_STATUSES


class TaskUpdate(db.Model):
    """One change to a task: status, progress, assignment. Append-only."""

    __tablename__ = "task_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    from_status: Mapped[Optional[str]] = mapped_column(sa.String(12))
    to_status: Mapped[Optional[str]] = mapped_column(sa.String(12))
    delta: Mapped[Optional[int]] = mapped_column(sa.Integer)
    done_count_after: Mapped[Optional[int]] = mapped_column(sa.Integer)
    assignee_person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    note: Mapped[Optional[str]] = mapped_column(sa.String(1000))
    # A progress report queued on a phone carries the UUID the phone made: a resend is answered, not counted again.
    client_uuid: Mapped[Optional[str]] = mapped_column(sa.String(36), unique=True)
    # A report far above what remained, stored on its reporter's word (or from a phone's queue): a lead checks it.
    flagged: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())

    person: Mapped[Optional[Person]] = relationship(foreign_keys=[person_id])


class TaskComment(db.Model):
    """One message in a task's conversation, with an optional photo as evidence. Append-only.
    The photo is a JPEG the server re-encoded (resized, no metadata), stored under a random name."""

    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    body: Mapped[Optional[str]] = mapped_column(sa.String(2000))
    photo: Mapped[Optional[str]] = mapped_column(sa.String(64))  # file name under TASK_PHOTO_DIR
    photo_width: Mapped[Optional[int]] = mapped_column(sa.Integer)
    photo_height: Mapped[Optional[int]] = mapped_column(sa.Integer)
    # A comment written offline carries the UUID the phone made: a resend is answered, not doubled.
    client_uuid: Mapped[Optional[str]] = mapped_column(sa.String(36), unique=True)

    person: Mapped[Optional[Person]] = relationship()

    __table_args__ = (
        sa.CheckConstraint("body IS NOT NULL OR photo IS NOT NULL", name="body_or_photo"),
        sa.Index("ix_task_comments_task_at", "task_id", "at", "id"),
    )

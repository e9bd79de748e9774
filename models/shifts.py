"""24/7 duty: rota templates, shifts and who stands them, check-ins, and duty sessions.

A `DutySession` opens with a check-in and closes with a check-out (or automatically): "who is on
duty now" is the set of open sessions, served by a partial index, never a scan of check-ins."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordination.clock import utcnow
from models.base import TimestampMixin, UTCDateTime, db, partial
from models.teams import Person, Team

PRIMARY = "primary"
BACKUP = "backup"
MEMBER = "member"
SHIFT_ROLES = (PRIMARY, BACKUP, MEMBER)
CHECK_IN = "in"
CHECK_OUT = "out"


class Rota(TimestampMixin, db.Model):
    """A template: N shifts of H hours a day from a local start time, P people each, on chosen weekdays."""

    __tablename__ = "rotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    first_start: Mapped[str] = mapped_column(sa.String(5), nullable=False)  # local "HH:MM"
    shift_hours: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    shifts_per_day: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    required: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    weekdays: Mapped[str] = mapped_column(sa.String(7), nullable=False, default="1234567")  # ISO 1=Mon


class Shift(TimestampMixin, db.Model):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    province_code: Mapped[Optional[str]] = mapped_column(sa.String(8), index=True)
    rota_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("rotas.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    required: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=2)
    note: Mapped[Optional[str]] = mapped_column(sa.String(200))

    team: Mapped[Team] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("required BETWEEN 1 AND 50", name="required_range"),
        sa.UniqueConstraint("team_id", "starts_at", name="uq_shifts_team_starts"),
        sa.Index("ix_shifts_province_starts", "province_code", "starts_at"),
        sa.Index("ix_shifts_starts_ends", "starts_at", "ends_at"),
    )


class ShiftAssignment(TimestampMixin, db.Model):
    __tablename__ = "shift_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=MEMBER)

    shift: Mapped[Shift] = relationship()
    person: Mapped[Person] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("shift_id", "person_id", name="uq_shift_assignments_shift_person"),
        sa.CheckConstraint(f"role IN {SHIFT_ROLES}", name="role"),
    )


class CheckIn(db.Model):
    """One tap: in or out. `occurred_at` is the device's time (kept), `received_at` the server's."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(sa.String(36), nullable=False, unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    shift_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shifts.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    lat: Mapped[Optional[float]] = mapped_column(sa.Float)
    lon: Mapped[Optional[float]] = mapped_column(sa.Float)
    accuracy_m: Mapped[Optional[float]] = mapped_column(sa.Float)
    distance_km: Mapped[Optional[float]] = mapped_column(sa.Float)
    far: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    automatic: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('in', 'out')", name="kind"),
        sa.Index("ix_checkins_person_occurred", "person_id", "occurred_at"),
        sa.Index("ix_checkins_team_occurred", "team_id", "occurred_at"),
        sa.Index("ix_checkins_occurred_at", "occurred_at", "kind"),
    )


class DutySession(db.Model):
    """From a check-in to its check-out. Open while `ended_at` is NULL."""

    __tablename__ = "duty_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    province_code: Mapped[Optional[str]] = mapped_column(sa.String(8))
    shift_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shifts.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    automatic: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    far: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    person: Mapped[Person] = relationship()

    __table_args__ = (
        sa.Index("ix_duty_sessions_open", "province_code", "team_id",
                 **partial("ended_at IS NULL")),
        sa.Index("uq_duty_sessions_one_open_per_person", "person_id", unique=True,
                 **partial("ended_at IS NULL")),
        sa.Index("ix_duty_sessions_team_started", "team_id", "started_at"),
        sa.Index("ix_duty_sessions_person_started", "person_id", "started_at"),
    )


class RotaPattern(TimestampMixin, db.Model):
    """A named week of shifts with the people who stand them ("every Monday 22–06: An primary,
    Bình backup"), applied to a range of weeks by coordination/duty/patterns."""

    __tablename__ = "rota_patterns"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    required: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=2)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)  # the lines as the lead typed them

    __table_args__ = (
        sa.UniqueConstraint("team_id", "name", name="uq_rota_patterns_team_name"),
        sa.CheckConstraint("required BETWEEN 1 AND 50", name="required_range"),
    )


class RotaPatternSlot(db.Model):
    """One person in one weekly shift of a pattern (person NULL: the shift, nobody on it yet)."""

    __tablename__ = "rota_pattern_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_patterns.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    weekday: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # ISO, 1 = Monday
    start: Mapped[str] = mapped_column(sa.String(5), nullable=False)  # local "HH:MM"
    end: Mapped[str] = mapped_column(sa.String(5), nullable=False)  # at or before start: the next day
    person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=MEMBER)

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
        sa.CheckConstraint(f"role IN {SHIFT_ROLES}", name="role"),
    )


GIVE_BACK = "give_back"
SWAP = "swap"
OVERRIDE = "override"
CHANGE_KINDS = (GIVE_BACK, SWAP, OVERRIDE)
OPEN = "open"  # a given-back place waiting for a teammate, or a swap waiting for the one asked
ACCEPTED = "accepted"  # the place moved to `to_person` (a taker, the teammate asked, a lead's replacement)
REFUSED = "refused"  # a lead said no: the place is (back) with `from_person`
DECLINED = "declined"  # the teammate asked said no
CANCELLED = "cancelled"  # withdrawn by the one who asked, or overtaken by a lead's override
EXPIRED = "expired"  # nobody took it by the deadline (a given-back place is then released: a gap)
CHANGE_STATES = (OPEN, ACCEPTED, REFUSED, DECLINED, CANCELLED, EXPIRED)


class ShiftChange(db.Model):
    """One change to who stands a place on a shift, outside the pattern: a volunteer giving it back,
    asking a teammate to take it, or a lead's temporary replacement. The rota's history of changes."""

    __tablename__ = "shift_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False, index=True)
    assignment_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shift_assignments.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=OPEN)
    role: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=MEMBER)
    from_person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    to_person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"), index=True)
    requested_by: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_by: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    warnings: Mapped[Optional[str]] = mapped_column(sa.String(500))

    shift: Mapped[Shift] = relationship()
    from_person: Mapped[Optional[Person]] = relationship(foreign_keys=[from_person_id])
    to_person: Mapped[Optional[Person]] = relationship(foreign_keys=[to_person_id])

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CHANGE_KINDS}", name="kind"),
        sa.CheckConstraint(f"state IN {CHANGE_STATES}", name="state"),
        # one open change per place: a double tap makes one change
        sa.Index("uq_shift_changes_open", "assignment_id", unique=True, **partial("state = 'open'")),
        sa.Index("ix_shift_changes_open_deadline", "deadline_at", **partial("state = 'open'")),
    )

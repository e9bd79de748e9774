"""Emulation movement (thi đua): targets per commune team and commendation proposals."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.teams import Person, Team

# What a target measures; progress is always computed from the platform's own data.
RESIDENTS_HELPED = "residents_helped"  # progress reported on "help residents" tasks
VENUES_REGISTERED = "venues_registered"  # progress reported on venue QR registration tasks
SHIFT_COVERAGE = "shift_coverage"  # % of the team's shifts with at least one check-in
TASKS_ON_TIME = "tasks_on_time"  # tasks done by their due date
METRICS = (RESIDENTS_HELPED, VENUES_REGISTERED, SHIFT_COVERAGE, TASKS_ON_TIME)

PROPOSED, REVIEWED, APPROVED, REJECTED = "proposed", "reviewed", "approved", "rejected"
COMMENDATION_STATUSES = (PROPOSED, REVIEWED, APPROVED, REJECTED)
OPEN_STATUSES = (PROPOSED, REVIEWED)
# Who decides a form of commendation (hình thức khen thưởng): the commune, the province or the ministry.
DECIDING_LEVELS = ("commune", "province", "ministry")
# Whom a commendation recognises, as they were when proposed: a lead, a member (direct worker), or a team.
RECIPIENT_ROLES = ("lead", "member")


class Target(TimestampMixin, db.Model):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False, index=True)
    metric: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    value: Mapped[float] = mapped_column(sa.Float, nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)  # inclusive
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"metric IN {METRICS}", name="metric"),
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("period_end >= period_start", name="period"),
        sa.UniqueConstraint("team_id", "metric", "period_start", "period_end", name="uq_targets_team_metric_period"),
        sa.Index("ix_targets_province_period", "province_code", "period_start", "period_end"),
    )


class Commendation(TimestampMixin, db.Model):
    """Đề xuất khen thưởng: for a team or one person, with evidence gathered when proposed."""

    __tablename__ = "commendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False, index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False)
    person_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("people.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=PROPOSED)
    proposed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decision_reason: Mapped[Optional[str]] = mapped_column(sa.String(1000))
    # The form and title (e.g. "Bằng khen của Chủ tịch UBND tỉnh") as named when proposed, and the level
    # that decides it; none on proposals made before forms existed (decided by the province or ministry).
    form_code: Mapped[Optional[str]] = mapped_column(sa.String(40))
    form_name: Mapped[Optional[str]] = mapped_column(sa.String(200))
    deciding_level: Mapped[Optional[str]] = mapped_column(sa.String(10))
    # Khen thưởng đột xuất: an act worth recognising now (the reason says what happened, act_on when);
    # no separate review step, the deciding level decides directly.
    ad_hoc: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    act_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    recipient_role: Mapped[Optional[str]] = mapped_column(sa.String(10))

    team: Mapped[Team] = relationship()
    person: Mapped[Optional[Person]] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"status IN {COMMENDATION_STATUSES}", name="status"),
        sa.CheckConstraint(f"deciding_level IN {DECIDING_LEVELS}", name="deciding_level"),
        sa.CheckConstraint(f"recipient_role IN {RECIPIENT_ROLES}", name="recipient_role"),
        sa.CheckConstraint("NOT ad_hoc OR act_on IS NOT NULL", name="ad_hoc_act_on"),
        sa.Index("ix_commendations_status_decided", "status", "decided_at"),
        sa.Index("ix_commendations_status_created", "status", "created_at"),
    )

"""Emulation movements (phong trào thi đua): a theme, a period, criteria with weights, the teams taking
part, and each team's registered commitment (đăng ký thi đua) per criterion."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.emulation import RESIDENTS_HELPED, SHIFT_COVERAGE, TASKS_ON_TIME, VENUES_REGISTERED
from models.teams import Team

ALERTS_ACKNOWLEDGED = "alerts_acknowledged"  # % of escalation alerts on the team's shifts acknowledged
PRACTICES_APPLIED = "practices_applied"  # the team's practices published + times other teams applied them
ACK_MINUTES = "alerts_ack_minutes"  # median minutes from a shift's first escalation alert to its acknowledgement
LEAD_ASSESSED = "lead_assessed"  # a score 0–100 the level above the team gives, with a note and evidence
CRITERIA = (RESIDENTS_HELPED, VENUES_REGISTERED, SHIFT_COVERAGE, TASKS_ON_TIME, ALERTS_ACKNOWLEDGED, PRACTICES_APPLIED,
            ACK_MINUTES, LEAD_ASSESSED)
PERCENT_CRITERIA = (SHIFT_COVERAGE, ALERTS_ACKNOWLEDGED)
# Lower is better: a team at or under its commitment gets full marks; the organiser's bound is a ceiling.
LOWER_IS_BETTER = (ACK_MINUTES,)
AT_MOST_100 = PERCENT_CRITERIA + (LEAD_ASSESSED,)  # commitments and floors of these are at most 100

# A participating team's registration: not yet, proposed by its lead, approved above, or sent back.
UNREGISTERED, PROPOSED, APPROVED, RETURNED = "unregistered", "proposed", "approved", "returned"
REGISTRATION_STATES = (UNREGISTERED, PROPOSED, APPROVED, RETURNED)


class Movement(TimestampMixin, db.Model):
    __tablename__ = "movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    theme: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    end_date: Mapped[date] = mapped_column(sa.Date, nullable=False)  # inclusive
    province_code: Mapped[Optional[str]] = mapped_column(  # None: a national movement (the ministry's)
        sa.ForeignKey("admin_units.code", ondelete="RESTRICT"), index=True)
    all_teams: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    criteria: Mapped[list["MovementCriterion"]] = relationship(order_by="MovementCriterion.position",
                                                               cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="period"),)


class MovementCriterion(db.Model):
    __tablename__ = "movement_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(sa.ForeignKey("movements.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    metric: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    weight: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # The organiser's minimum: a commitment below it is measured against the floor instead (for a
    # lower-is-better criterion a ceiling: a commitment above it is measured against it).
    floor: Mapped[Optional[float]] = mapped_column(sa.Float)

    __table_args__ = (
        sa.CheckConstraint(f"metric IN {CRITERIA}", name="metric"),
        sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight"),
        sa.CheckConstraint("floor IS NULL OR floor > 0", name="floor"),
        sa.UniqueConstraint("movement_id", "metric", name="uq_movement_criteria_movement_metric"),
    )


class MovementTeam(db.Model):
    """A participating team and where its registration stands."""

    __tablename__ = "movement_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(sa.ForeignKey("movements.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=UNREGISTERED)
    proposed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    return_reason: Mapped[Optional[str]] = mapped_column(sa.String(500))

    team: Mapped[Team] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"state IN {REGISTRATION_STATES}", name="state"),
        sa.UniqueConstraint("movement_id", "team_id", name="uq_movement_teams_movement_team"),
        sa.Index("ix_movement_teams_movement_province", "movement_id", "province_code"),
    )


class Commitment(db.Model):
    """A team's registered target for one criterion (the proposal; it counts once approved)."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_team_id: Mapped[int] = mapped_column(sa.ForeignKey("movement_teams.id", ondelete="CASCADE"),
                                                  nullable=False)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("movement_criteria.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    value: Mapped[float] = mapped_column(sa.Float, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.UniqueConstraint("movement_team_id", "criterion_id", name="uq_commitments_team_criterion"),
    )


class Assessment(db.Model):
    """The level above's score (0–100) of a participating team on a lead-assessed criterion, with a note
    and a link to the evidence; assessed again, it is replaced (the audit trail keeps the old one)."""

    __tablename__ = "movement_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_team_id: Mapped[int] = mapped_column(sa.ForeignKey("movement_teams.id", ondelete="CASCADE"),
                                                  nullable=False)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("movement_criteria.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    score: Mapped[float] = mapped_column(sa.Float, nullable=False)
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    evidence_url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    assessed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score"),
        sa.UniqueConstraint("movement_team_id", "criterion_id", name="uq_movement_assessments_team_criterion"),
    )

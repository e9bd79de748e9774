"""Good practices and initiatives (sáng kiến, cách làm hay): what a team did about a problem, reviewed
by a lead above it and published to its province or to the whole country; other teams mark that they
applied it."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.teams import Team

DRAFT, SUBMITTED, PUBLISHED, RETURNED = "draft", "submitted", "published", "returned"
STATES = (DRAFT, SUBMITTED, PUBLISHED, RETURNED)
PROVINCE_REACH, NATIONAL_REACH = "province", "national"
REACHES = (PROVINCE_REACH, NATIONAL_REACH)
MAX_PHOTOS = 3


class Practice(TimestampMixin, db.Model):
    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    problem: Mapped[str] = mapped_column(sa.Text, nullable=False)
    action: Mapped[str] = mapped_column(sa.Text, nullable=False)  # what they did
    result: Mapped[str] = mapped_column(sa.Text, nullable=False)  # what changed
    work_kind: Mapped[str] = mapped_column(sa.ForeignKey("work_kinds.code", ondelete="RESTRICT"), nullable=False)
    started_on: Mapped[Optional[date]] = mapped_column(sa.Date)  # the figures: 4 weeks before vs after
    search_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")  # folded: no diacritics, lower
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=DRAFT)
    reach: Mapped[Optional[str]] = mapped_column(sa.String(12))  # set when published
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    return_reason: Mapped[Optional[str]] = mapped_column(sa.String(500))

    team: Mapped[Team] = relationship()
    photos: Mapped[list["PracticePhoto"]] = relationship(order_by="PracticePhoto.position",
                                                         cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint(f"state IN {STATES}", name="state"),
        sa.CheckConstraint(f"reach IS NULL OR reach IN {REACHES}", name="reach"),
        sa.CheckConstraint("state != 'published' OR (reach IS NOT NULL AND published_at IS NOT NULL)",
                           name="published_has_reach"),
        sa.Index("ix_practices_state_province", "state", "province_code"),
    )


class PracticePhoto(db.Model):
    """A photo of a practice: a JPEG re-encoded by coordination.tasks.photos, under TASK_PHOTO_DIR."""

    __tablename__ = "practice_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(sa.ForeignKey("practices.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    width: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    height: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class PracticeApplication(TimestampMixin, db.Model):
    """"Chúng tôi đã áp dụng": a team applied a published practice (once per team)."""

    __tablename__ = "practice_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(sa.ForeignKey("practices.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    by_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    applied_on: Mapped[date] = mapped_column(sa.Date, nullable=False)  # Vietnam date: the change is measured from it
    note: Mapped[str] = mapped_column(sa.String(500), nullable=False)

    team: Mapped[Team] = relationship()

    __table_args__ = (sa.UniqueConstraint("practice_id", "team_id", name="uq_practice_applications_practice_team"),)

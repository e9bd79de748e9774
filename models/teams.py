"""Teams, the people in them and their memberships (history is kept, never overwritten)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db, partial
from models.geography import AdminUnit

# Team levels
NATIONAL = "national"
PROVINCE = "province"
COMMUNE = "commune"
VILLAGE = "village"
# The teams whose people are "members" in every count (map, overview, reports): the commune teams and
# their village teams (which carry their commune's admin unit code); the province team is its leadership.
LOCAL_TEAMS = (COMMUNE, VILLAGE)
TEAM_LEVELS = (NATIONAL, PROVINCE, COMMUNE, VILLAGE)

# Membership roles
CO_CHAIR_HEALTH = "co_chair_health"  # Đồng tổ trưởng, Sở Y tế
CO_CHAIR_ICT = "co_chair_ict"  # Đồng tổ trưởng, Sở TT&TT
LEADER_IN_CHARGE = "leader_in_charge"  # Lãnh đạo tỉnh phụ trách
LEAD = "lead"  # Tổ trưởng
MEMBER = "member"
ROLES = (CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEADER_IN_CHARGE, LEAD, MEMBER)
PROVINCE_REQUIRED_ROLES = (CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEADER_IN_CHARGE)
LEADING_ROLES = (CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEADER_IN_CHARGE, LEAD)

# Affiliations
YOUTH_UNION = "youth_union"
ENTERPRISE = "enterprise"
HEALTH_STATION = "health_station"
GOVERNMENT = "government"
OTHER = "other"
AFFILIATIONS = (YOUTH_UNION, ENTERPRISE, HEALTH_STATION, GOVERNMENT, OTHER)


class Team(TimestampMixin, db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    admin_unit_code: Mapped[Optional[str]] = mapped_column(
        sa.ForeignKey("admin_units.code", ondelete="RESTRICT")
    )
    # The province the team works in: equals admin_unit_code for a province team, the
    # commune's province otherwise. Kept on the row so scope checks need no join.
    province_code: Mapped[Optional[str]] = mapped_column(
        sa.ForeignKey("admin_units.code", ondelete="RESTRICT"), index=True
    )
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    # Remote (vùng sâu, vùng xa) by the province's decision; đặc khu count as remote anyway.
    remote: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False, server_default=sa.false())

    admin_unit: Mapped[Optional[AdminUnit]] = relationship(foreign_keys=[admin_unit_code])
    parent: Mapped[Optional["Team"]] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(f"level IN {TEAM_LEVELS}", name="level"),
        # One province team per province, one commune team per commune.
        sa.Index(
            "uq_teams_level_admin_unit",
            "level",
            "admin_unit_code",
            unique=True,
            **partial("level IN ('province', 'commune')"),
        ),
    )


class Person(TimestampMixin, db.Model):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(254), unique=True)
    affiliation: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=OTHER)
    organisation: Mapped[Optional[str]] = mapped_column(sa.String(120))
    sms_ascii: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    consent_sms: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # False for a fixed-line number (024 3825 1234): a contact number, but SMS cannot reach it.
    # Derived from the phone (coordination.org.people.can_receive_sms) whenever it is written; a column
    # because audiences are counted and queued in SQL.
    sms_capable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())

    __table_args__ = (sa.CheckConstraint(f"affiliation IN {AFFILIATIONS}", name="affiliation"),
                      # the few fixed-line numbers, counted on the SMS page
                      sa.Index("ix_people_no_sms", "id", **partial("sms_capable = false")))


class Membership(TimestampMixin, db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="RESTRICT"), nullable=False, index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    end_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
    team: Mapped[Team] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES}", name="role"),
        sa.Index("ix_memberships_team_active", "team_id", "end_date"),
        # Active members by team and role, person included: province boards count people and find
        # commune leads from the index alone (no scan of every membership in the country).
        sa.Index("ix_memberships_active_team_role_person", "team_id", "role", "person_id",
                 **partial("end_date IS NULL")),
    )

    @property
    def active(self) -> bool:
        return self.end_date is None

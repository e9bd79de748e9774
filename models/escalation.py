"""Escalation policies (issue 20 §3): who a no-show's escalation alerts, step by step, and how
many times the whole policy runs again. One row per province (its default, team_id empty) and one
per team that set its own (coordination/duty/escalation_policy.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordination.clock import utcnow
from models.base import UTCDateTime, db, partial


class EscalationPolicy(db.Model):
    """A policy: `steps` is JSON text, a list of {"wait": minutes after the previous step, "roles":
    ["backup" | "commune_lead" | "province_leads"], "people": [person ids of the team], "channels":
    "chain" | "chain_voice" | "sms" | "sms_voice" | "all"}; `repeats` extra runs until acknowledged.
    Text, not JSON: identical policies compare equal in SQL (the tick reads their distinct timings)."""

    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    # Empty: the province's default; else the team's own policy, which overrides it.
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    repeats: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    steps: Mapped[str] = mapped_column(sa.Text, nullable=False)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("repeats >= 0 AND repeats <= 5", name="repeats"),
        sa.Index("uq_escalation_policies_province_default", "province_code", unique=True,
                 **partial("team_id IS NULL")),
    )

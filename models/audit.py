"""Append-only record of who changed what."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordination.clock import utcnow
from models.base import UTCDateTime, db


class AuditEvent(db.Model):
    """Append-only: triggers refuse UPDATE and DELETE on both databases (migration 0009)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    entity: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    entity_id: Mapped[Optional[str]] = mapped_column(sa.String(40))
    province_code: Mapped[Optional[str]] = mapped_column(sa.String(8))
    team_id: Mapped[Optional[int]] = mapped_column(sa.Integer)  # no FK: a log outlives what it names
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)

    __table_args__ = (
        # The audit page reads newest first inside a province or a team.
        sa.Index("ix_audit_events_province_id", "province_code", "id"),
        sa.Index("ix_audit_events_team_id", "team_id", "id"),
    )

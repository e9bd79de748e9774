"""A campaign (đợt/chiến dịch): one bulk assignment of the same task to many commune teams.

Its tasks are the rows of `tasks` that share its `batch` (the uuid every bulk assignment has
written since the start), so batches assigned before campaigns existed read the same way."""
from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, db
from models.geography import AdminUnit


class Campaign(TimestampMixin, db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(sa.String(36), nullable=False, unique=True)  # tasks.batch of its tasks
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.ForeignKey("work_kinds.code", ondelete="RESTRICT"), nullable=False)
    # None: nationwide (the ministry's); else the one province whose communes received it.
    province_code: Mapped[Optional[str]] = mapped_column(sa.ForeignKey("admin_units.code", ondelete="RESTRICT"),
                                                         index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[Optional[date]] = mapped_column(sa.Date)
    target_unit: Mapped[Optional[str]] = mapped_column(sa.String(60))

    province: Mapped[Optional[AdminUnit]] = relationship()

"""The catalogue of kinds of work a task can be (the ministry adds and retires them)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class WorkKind(db.Model):
    __tablename__ = "work_kinds"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)  # the stable key stored in tasks.kind
    name_vi: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="người dân")  # what the count counts
    counts_as_residents_helped: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    retired: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    sort_order: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi

"""Vietnam's administrative units: the current (2025) structure and the legacy one."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db

PROVINCE = "province"
COMMUNE = "commune"
DISTRICT = "district"


class AdminUnit(db.Model):
    """A unit of the structure in force since 1 July 2025: 34 provinces, 3,321 communes."""

    __tablename__ = "admin_units"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    unit_type: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    province_code: Mapped[Optional[str]] = mapped_column(
        sa.ForeignKey("admin_units.code", ondelete="RESTRICT"), index=True
    )
    lat: Mapped[Optional[float]] = mapped_column(sa.Float)
    lon: Mapped[Optional[float]] = mapped_column(sa.Float)
    area_km2: Mapped[Optional[float]] = mapped_column(sa.Float)
    search_key: Mapped[str] = mapped_column(sa.String(400), nullable=False)

    __table_args__ = (sa.Index("ix_admin_units_level_province", "level", "province_code"),)

    @property
    def is_province(self) -> bool:
        return self.level == PROVINCE


class LegacyUnit(db.Model):
    """A unit of the structure before 1 July 2025 (63 provinces, 696 districts, wards),
    with the current unit it became (the package's default when a ward was split)."""

    __tablename__ = "legacy_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    district_name: Mapped[Optional[str]] = mapped_column(sa.String(120))
    province_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    province_code: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    district_code: Mapped[Optional[str]] = mapped_column(sa.String(8))
    lat: Mapped[Optional[float]] = mapped_column(sa.Float)
    lon: Mapped[Optional[float]] = mapped_column(sa.Float)
    new_unit_code: Mapped[Optional[str]] = mapped_column(
        sa.ForeignKey("admin_units.code", ondelete="RESTRICT"), index=True
    )
    search_key: Mapped[str] = mapped_column(sa.String(400), nullable=False)
    district_key: Mapped[Optional[str]] = mapped_column(sa.String(400))

    __table_args__ = (sa.UniqueConstraint("level", "code", name="uq_legacy_units_level_code"),)

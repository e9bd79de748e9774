"""Find a commune by its current name, an old ward/district name or an old address.

"Phường Bến Nghé, Quận 1" -> Phường Sài Gòn: the first comma-separated part names the
ward (matched anywhere in its name), later parts must each match the old district or
province exactly. Diacritics are optional: everything is compared as `fold()` keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import AdminUnit, LegacyUnit, db
from models.geography import COMMUNE

from coordination.core.text import fold

WARD = "ward"


@dataclass
class UnitMatch:
    unit: AdminUnit
    province: AdminUnit
    legacy: Optional[LegacyUnit] = None  # the old unit the query matched, if any
    exact: bool = False


def _parts(query: str) -> list[str]:
    return [p for p in (fold(x) for x in (query or "").split(",")) if p]


def search_communes(query: str, limit: int = 20, province_codes: Iterable[str] | None = None) -> list[UnitMatch]:
    """Communes matching `query`, exact name matches first, current names before old ones."""
    parts = _parts(query)
    if not parts or len(query) > 200:
        return []
    head, context = parts[0], parts[1:]
    province = aliased(AdminUnit)
    like = f"%{head}%"
    exact = f"%|{head}|%"

    current_q = (
        sa.select(AdminUnit, province)
        .join(province, province.code == AdminUnit.province_code)
        .where(AdminUnit.level == COMMUNE, AdminUnit.search_key.like(like))
    )
    for c in context:
        current_q = current_q.where(province.search_key.like(f"%|{c}|%"))
    legacy_q = (
        sa.select(LegacyUnit, AdminUnit, province)
        .join(AdminUnit, AdminUnit.code == LegacyUnit.new_unit_code)
        .join(province, province.code == AdminUnit.province_code)
        .where(LegacyUnit.level == WARD, LegacyUnit.search_key.like(like))
    )
    for c in context:
        legacy_q = legacy_q.where(LegacyUnit.district_key.like(f"%|{c}|%"))
    if province_codes is not None:
        codes = list(province_codes)
        current_q = current_q.where(AdminUnit.province_code.in_(codes))
        legacy_q = legacy_q.where(AdminUnit.province_code.in_(codes))

    order = sa.case((AdminUnit.search_key.like(exact), 0), else_=1)
    matches: list[UnitMatch] = [
        UnitMatch(unit=u, province=p, exact=f"|{head}|" in u.search_key)
        for u, p in db.session.execute(current_q.order_by(order, AdminUnit.name).limit(limit))
    ]
    legacy_order = sa.case((LegacyUnit.search_key.like(exact), 0), else_=1)
    matches += [
        UnitMatch(unit=u, province=p, legacy=old, exact=f"|{head}|" in old.search_key)
        for old, u, p in db.session.execute(legacy_q.order_by(legacy_order, LegacyUnit.name).limit(limit))
    ]
    matches.sort(key=lambda m: (not m.exact, m.legacy is not None))
    seen: set[str] = set()
    unique = []
    for m in matches:
        if m.unit.code not in seen:
            seen.add(m.unit.code)
            unique.append(m)
    return unique[:limit]

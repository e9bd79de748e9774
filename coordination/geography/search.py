"""Find a commune by its current name, an old ward/district name or an old address.

"Phường Bến Nghé, Quận 1" -> Phường Sài Gòn: the first comma-separated part names the
ward (matched anywhere in its name), later parts must each match the old district or
province exactly. Diacritics are optional: everything is compared as `fold()` keys.
A later part may be written as people write it ("TP HCM", "TP. Hồ Chí Minh", "Sài Gòn",
"Q.1", "Thừa Thiên Huế", "BR-VT"): `context_keys`. A later part that names nothing the data
knows is left out rather than returning nothing (`search_communes`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import AdminUnit, LegacyUnit, db
from models.geography import COMMUNE

from coordination.core.text import fold

WARD, DISTRICT = "ward", "district"


@dataclass
class UnitMatch:
    unit: AdminUnit
    province: AdminUnit
    legacy: Optional[LegacyUnit] = None  # the old unit the query matched, if any
    exact: bool = False


# Unit types as people abbreviate them in front of a name ("TP HCM", "Q.1", "H. Đan Phượng", "TX Sơn Tây").
PREFIXES = ("thanhpho", "tp", "tinh", "t", "quan", "q", "huyen", "h", "thixa", "tx", "thitran", "tt")
# Names in common use that the package's keywords lack, folded: name as written -> a key the data has.
ALIASES = {
    "saigon": "hochiminh", "sg": "hochiminh", "tpsg": "hochiminh", "hcmc": "hochiminh",
    "thuathienhue": "hue", "tthue": "hue",  # Thừa Thiên Huế became Thành phố Huế in January 2025
    "brvt": "bariavungtau", "bariavt": "bariavungtau",
}


def context_keys(part: str) -> list[str]:
    """The folded keys a later part of an address may stand for: as written, without a unit type
    in front ('tphcm' -> 'hcm', 'q1' -> '1'), and through ALIASES ('saigon' -> 'hochiminh')."""
    keys = {part}
    keys |= {part[len(p):] for p in PREFIXES if part.startswith(p) and len(part) > len(p)}
    keys |= {ALIASES[k] for k in list(keys) if k in ALIASES}
    return sorted(keys)


# A commune's type as people write it, which may be an older one: a thị trấn that became a phường
# before 2025 is still "Thị trấn X" on many lists ("TT X", "P. X", "X. X" too).
UNIT_TYPES = ("thitran", "tt", "phuong", "p", "xa", "x", "dackhu")


def _name_in(column, head: str):
    """SQL: the first part of the address names this unit — anywhere in its names, or, with its
    unit type (any, even an older one) left out, exactly one of them ('Thị trấn Gia Lộc' finds
    'Phường Gia Lộc')."""
    bare = {head[len(t):] for t in UNIT_TYPES if head.startswith(t) and len(head) - len(t) >= 2}
    return sa.or_(column.like(f"%{head}%"), *[column.like(f"%|{b}|%") for b in bare])


def _token_in(column, part: str):
    return sa.or_(*[column.like(f"%|{k}|%") for k in context_keys(part)])


def _known(part: str) -> bool:
    """Does any province, old province or old district answer to this part?"""
    return db.session.scalar(sa.select(sa.literal(1)).where(sa.or_(
        sa.select(sa.literal(1)).select_from(AdminUnit).where(_token_in(AdminUnit.search_key, part)).exists(),
        sa.select(sa.literal(1)).select_from(LegacyUnit).where(_token_in(LegacyUnit.search_key, part)).exists()))) \
        is not None


def _parts(query: str) -> list[str]:
    return [p for p in (fold(x) for x in (query or "").split(",")) if p]


def search_communes(query: str, limit: int = 20, province_codes: Iterable[str] | None = None) -> list[UnitMatch]:
    """Communes matching `query`, exact name matches first, current names before old ones. When
    the later parts find nothing together, those that name nothing known are left out and the
    search runs again on the parts that are (a misspelt or unheard-of district still finds the
    ward in the province written after it); then, if still nothing, only the last (the province)
    is kept: an old district the ward has since left."""
    parts = _parts(query)
    if not parts or len(query) > 200:
        return []
    found = _search(parts[0], parts[1:], limit, province_codes)
    if found or len(parts) == 1:
        return found
    known = [c for c in parts[1:] if _known(c)]
    if len(known) < len(parts) - 1:
        found = _search(parts[0], known, limit, province_codes)
    if not found and len(known) > 1:  # an old district the ward left long ago (Kỳ Trinh: Huyện → Thị xã Kỳ Anh)
        found = _search(parts[0], known[-1:], limit, province_codes)
    # a ward the package does not list, in an old district that is one commune now ("Xã An Vĩnh, Huyện Lý Sơn")
    return found or _search(parts[1], parts[2:], limit, province_codes, districts_only=True)


def _search(head: str, context: list[str], limit: int, province_codes: Iterable[str] | None,
            districts_only: bool = False) -> list[UnitMatch]:
    province = aliased(AdminUnit)
    like = f"%{head}%"
    exact = f"%|{head}|%"

    current_q = (
        sa.select(AdminUnit, province)
        .join(province, province.code == AdminUnit.province_code)
        .where(AdminUnit.level == COMMUNE, _name_in(AdminUnit.search_key, head))
    )
    for c in context:
        current_q = current_q.where(_token_in(province.search_key, c))
    legacy_q = (
        sa.select(LegacyUnit, AdminUnit, province)
        .join(AdminUnit, AdminUnit.code == LegacyUnit.new_unit_code)
        .join(province, province.code == AdminUnit.province_code)
        .where(LegacyUnit.level == WARD, _name_in(LegacyUnit.search_key, head))
    )
    for c in context:
        legacy_q = legacy_q.where(_token_in(LegacyUnit.district_key, c))
    if province_codes is not None:
        codes = list(province_codes)
        current_q = current_q.where(AdminUnit.province_code.in_(codes))
        legacy_q = legacy_q.where(AdminUnit.province_code.in_(codes))

    order = sa.case((AdminUnit.search_key.like(exact), 0), else_=1)
    matches: list[UnitMatch] = [] if districts_only else [
        UnitMatch(unit=u, province=p, exact=f"|{head}|" in u.search_key)
        for u, p in db.session.execute(current_q.order_by(order, AdminUnit.name).limit(limit))
    ]
    legacy_order = sa.case((LegacyUnit.search_key.like(exact), 0), else_=1)
    matches += [] if districts_only else [
        UnitMatch(unit=u, province=p, legacy=old, exact=f"|{head}|" in old.search_key)
        for old, u, p in db.session.execute(legacy_q.order_by(legacy_order, LegacyUnit.name).limit(limit))
    ]
    if not matches:  # an old district that is one commune now: the island districts (Côn Đảo, Bạch Long Vĩ…)
        district_q = (sa.select(LegacyUnit, AdminUnit, province)
                      .join(AdminUnit, sa.and_(AdminUnit.code == LegacyUnit.new_unit_code, AdminUnit.level == COMMUNE))
                      .join(province, province.code == AdminUnit.province_code)
                      .where(LegacyUnit.level == DISTRICT,
                             sa.or_(LegacyUnit.search_key.like(like), _token_in(LegacyUnit.search_key, head)),
                             *[_token_in(LegacyUnit.district_key, c) for c in context]))
        if province_codes is not None:
            district_q = district_q.where(AdminUnit.province_code.in_(list(province_codes)))
        matches = [UnitMatch(unit=u, province=p, legacy=old, exact=f"|{head}|" in old.search_key)
                   for old, u, p in db.session.execute(district_q.order_by(LegacyUnit.name).limit(limit))]
    matches.sort(key=lambda m: (not m.exact, m.legacy is not None))
    seen: set[str] = set()
    unique = []
    for m in matches:
        if m.unit.code not in seen:
            seen.add(m.unit.code)
            unique.append(m)
    return unique[:limit]

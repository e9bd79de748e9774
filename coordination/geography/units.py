"""Loading Vietnam's administrative units from `vietnamadminunits`, and finding them.

The package ships an SQLite file (`data/dataset.db`) and the old->new ward table
(`data/converter_2025.json`). We read both directly: nothing here can reach the
network (the package's `convert_address` may call a geocoder when given a street).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from models import AdminUnit, LegacyUnit, db
from models.geography import COMMUNE, DISTRICT, PROVINCE

from coordination.core.text import fold

WARD = "ward"


def package_data_dir() -> Path:
    import vietnamadminunits  # lazy: ~0.5 s to import; only `geo load` and maps/ read its data

    return Path(vietnamadminunits.__file__).parent / "data"


def _keywords(raw: str | None) -> list[str]:
    try:
        return [fold(k) for k in json.loads(raw)] if raw else []
    except ValueError:
        return []


def _key(*parts) -> str:
    """A search key of '|'-separated folded tokens, with sentinels so tokens can match exactly."""
    tokens: list[str] = []
    for part in parts:
        for token in part if isinstance(part, list) else [part]:
            token = fold(token or "")
            if token and token not in tokens:
                tokens.append(token)
    return "|" + "|".join(tokens) + "|"


def current_units(con: sqlite3.Connection) -> list[dict]:
    """Rows for the 34 provinces and 3,321 communes of the 2025 structure."""
    rows: list[dict] = []
    seen_provinces: set[str] = set()
    cur = con.execute(
        "SELECT province, provinceShort, provinceCode, provinceLat, provinceLon, provinceKeywords,"
        " ward, wardShort, wardType, wardCode, wardLat, wardLon, wardAreaKm2, wardKeywords"
        " FROM admin_units ORDER BY provinceCode, wardCode"
    )
    for (p, p_short, p_code, p_lat, p_lon, p_kw, w, w_short, w_type, w_code, w_lat, w_lon, area, w_kw) in cur:
        if p_code not in seen_provinces:
            seen_provinces.add(p_code)
            rows.append(dict(
                code=p_code, level=PROVINCE, name=p, short_name=p_short,
                unit_type=p[: -len(p_short)].strip() or p, province_code=None,
                lat=p_lat, lon=p_lon, area_km2=None, search_key=_key(p, p_short, _keywords(p_kw)),
            ))
        rows.append(dict(
            code=w_code, level=COMMUNE, name=w, short_name=w_short, unit_type=w_type,
            province_code=p_code, lat=w_lat, lon=w_lon, area_km2=area,
            search_key=_key(w, w_short, _keywords(w_kw)),
        ))
    # Communes' province areas: sum of their communes.
    areas: dict[str, float] = {}
    for r in rows:
        if r["level"] == COMMUNE and r["area_km2"]:
            areas[r["province_code"]] = areas.get(r["province_code"], 0.0) + r["area_km2"]
    for r in rows:
        if r["level"] == PROVINCE:
            r["area_km2"] = round(areas.get(r["code"], 0.0), 2) or None
    return rows


def _new_ward_lookup(con: sqlite3.Connection) -> tuple[dict, dict]:
    """(new province key -> code, (new province key, new ward key) -> code)."""
    provinces, wards = {}, {}
    for p_key, p_code, w_key, w_code in con.execute(
        "SELECT provinceKey, provinceCode, wardKey, wardCode FROM admin_units"
    ):
        provinces[p_key] = p_code
        wards[(p_key, fold(w_key))] = w_code
    return provinces, wards


def legacy_units(con: sqlite3.Connection, converter: dict) -> list[dict]:
    """Rows for the 63 old provinces, 696 districts and the old wards, each with its new unit."""
    new_provinces, new_wards = _new_ward_lookup(con)
    old_to_new_province = {old: new for new, olds in converter["DICT_PROVINCE"].items() for old in olds}
    undivided = {
        (new_p, old_key): fold(new_w)
        for new_p, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items()
        for new_w, old_keys in wards.items()
        for old_key in old_keys
    }
    divided = {
        (new_p, old_key): fold(next((c["newWardKey"] for c in cands if c["isDefaultNewWard"]), cands[0]["newWardKey"]))
        for new_p, by_old in converter["DICT_PROVINCE_WARD_DIVIDED"].items()
        for old_key, cands in by_old.items()
        if cands
    }

    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    cur = con.execute(
        "SELECT province, provinceShort, provinceCode, provinceLat, provinceLon, provinceKey, provinceKeywords,"
        " district, districtShort, districtCode, districtLat, districtLon, districtKey, districtKeywords,"
        " ward, wardShort, wardCode, wardLat, wardLon, wardKey, wardKeywords"
        " FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
    )
    for (p, p_short, p_code, p_lat, p_lon, p_key, p_kw, d, d_short, d_code, d_lat, d_lon, d_key, d_kw,
         w, w_short, w_code, w_lat, w_lon, w_key, w_kw) in cur:
        new_p_key = old_to_new_province.get(p_key)
        new_p_code = new_provinces.get(new_p_key)
        province_ctx = [p, p_short] + _keywords(p_kw)
        if (PROVINCE, p_code) not in seen:
            seen.add((PROVINCE, p_code))
            rows.append(dict(
                level=PROVINCE, code=p_code, name=p, short_name=p_short, district_name=None,
                province_name=p, province_code=p_code, district_code=None, lat=p_lat, lon=p_lon,
                new_unit_code=new_p_code, search_key=_key(province_ctx), district_key="||",
            ))
        if (DISTRICT, d_code) not in seen:
            seen.add((DISTRICT, d_code))
            island_key = f"{p_key}_{d_key}_"
            new_code = new_wards.get((new_p_key, undivided.get((new_p_key, island_key), ""))) or new_p_code
            rows.append(dict(
                level=DISTRICT, code=d_code, name=d, short_name=d_short, district_name=d,
                province_name=p, province_code=p_code, district_code=d_code, lat=d_lat, lon=d_lon,
                new_unit_code=new_code, search_key=_key(d, d_short, _keywords(d_kw)),
                district_key=_key(province_ctx),
            ))
        if not w_code:
            continue
        old_key = f"{p_key}_{d_key}_{w_key}"
        new_w_key = undivided.get((new_p_key, old_key)) or divided.get((new_p_key, old_key))
        rows.append(dict(
            level=WARD, code=w_code, name=w, short_name=w_short, district_name=d,
            province_name=p, province_code=p_code, district_code=d_code, lat=w_lat, lon=w_lon,
            new_unit_code=new_wards.get((new_p_key, new_w_key)),
            search_key=_key(w, w_short, _keywords(w_kw)),
            district_key=_key(d, d_short, _keywords(d_kw), province_ctx),
        ))
    return rows


@dataclass
class LoadResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _upsert(model, rows: list[dict], key_cols: tuple[str, ...], result: LoadResult) -> None:
    table = model.__table__
    cols = [c.name for c in table.columns if c.name != "id"]
    existing = {
        tuple(r[k] for k in key_cols): r
        for r in (dict(m) for m in db.session.execute(sa.select(*[table.c[c] for c in cols + (["id"] if "id" in table.c else [])])).mappings())
    }
    to_insert, to_update = [], []
    for row in rows:
        old = existing.get(tuple(row[k] for k in key_cols))
        if old is None:
            to_insert.append(row)
        elif any(old[c] != row[c] for c in cols if c in row):
            to_update.append((old, row))
        else:
            result.unchanged += 1
    if to_insert:
        db.session.execute(sa.insert(table), to_insert)
    for old, row in to_update:
        where = [table.c[k] == old[k] for k in key_cols]
        db.session.execute(sa.update(table).where(*where).values(**row))
    result.inserted += len(to_insert)
    result.updated += len(to_update)


def load_geography() -> LoadResult:
    """Load both structures idempotently in one transaction: a second run changes nothing."""
    data = package_data_dir()
    con = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    try:
        current = current_units(con)
        converter = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
        legacy = legacy_units(con, converter)
    finally:
        con.close()
    result = LoadResult()
    provinces = [r for r in current if r["level"] == PROVINCE]
    communes = [r for r in current if r["level"] == COMMUNE]
    _upsert(AdminUnit, provinces, ("code",), result)  # provinces first: communes refer to them
    _upsert(AdminUnit, communes, ("code",), result)
    _upsert(LegacyUnit, legacy, ("level", "code"), result)
    db.session.commit()
    return result


def unit_counts() -> dict[str, int]:
    """How many units of each kind are loaded, counted in SQL."""
    counts = {f"{lvl}": n for lvl, n in db.session.execute(
        sa.select(AdminUnit.level, sa.func.count()).group_by(AdminUnit.level))}
    for lvl, n in db.session.execute(sa.select(LegacyUnit.level, sa.func.count()).group_by(LegacyUnit.level)):
        counts[f"legacy_{lvl}"] = n
    for unit_type, n in db.session.execute(
        sa.select(AdminUnit.unit_type, sa.func.count()).where(AdminUnit.level == COMMUNE).group_by(AdminUnit.unit_type)
    ):
        counts[f"type:{unit_type}"] = n
    return counts


def unit_names(codes) -> dict[str, str]:
    """{code: name} of these administrative units (unknown codes are left out)."""
    rows = db.session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(list(codes))))
    return dict(rows.all())


def units_page(level: str, province_code: str | None = None, limit: int = 50, offset: int = 0) -> list[AdminUnit]:
    """Units of one level (of one province, if given), by code."""
    query = sa.select(AdminUnit).where(AdminUnit.level == level)
    if province_code:
        query = query.where(AdminUnit.province_code == province_code)
    return list(db.session.scalars(query.order_by(AdminUnit.code).limit(limit).offset(offset)))


def province_choices() -> list[tuple[str, str]]:
    """(code, name) of the 34 provinces by name, for filters."""
    return list(db.session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(AdminUnit.level == PROVINCE)
                                   .order_by(AdminUnit.name)).all())

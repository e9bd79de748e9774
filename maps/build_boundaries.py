"""Build the 34 provinces of 1 July 2025 by dissolving the 64 old-province polygons of amCharts'
`vietnamLow.json` (npm @amcharts/amcharts5-geodata 5.1.6, WGS84; linkware licence in
maps/source/LICENSE-amcharts.md — the map keeps its credit) with vietnamadminunits' own
old -> new province table (converter_2025.json, DICT_PROVINCE).

    .venv/bin/python maps/build_boundaries.py      # writes maps/data/provinces.geojson

amCharts still draws two provinces that no longer exist by those names; both are mapped by hand:
Hà Tây (merged into Hà Nội in 2008) and Thừa Thiên–Huế (now Thành phố Huế).

It also writes maps/data/neighbours.geojson, the tile-less map's background: the outlines of the
neighbouring countries, from Natural Earth's 1:110m countries (public domain) as shipped in
pyogrio's test fixtures (naturalearth_lowres), clipped to the region around Vietnam."""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coordination.core.text import fold  # noqa: E402 - after the path: run as a script
from coordination.geography.units import package_data_dir  # noqa: E402
from maps.geojson import rounded  # noqa: E402

SOURCE = ROOT / "maps" / "source" / "vietnamLow.json"
OUTPUT = ROOT / "maps" / "data" / "provinces.geojson"
NEIGHBOURS = ROOT / "maps" / "data" / "neighbours.geojson"
REGION = (96.0, 3.0, 118.0, 27.0)  # lon/lat box drawn around Vietnam
RENAMED = {"hatay": "hanoi", "thuathienhue": "hue"}  # amCharts short key -> the package's old short key
PRECISION = 4  # decimal places of a degree: about 11 m, as precise as the source


def _short_key(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalnum())


def old_to_new_codes() -> dict[str, str]:
    """Old province short key (e.g. 'hagiang') -> new province code (e.g. '08')."""
    data = package_data_dir()
    con = sqlite3.connect(data / "dataset.db")
    try:
        old_key_to_short = dict(con.execute(
            "SELECT DISTINCT provinceKey, provinceShortKey FROM admin_units_legacy").fetchall())
        new_key_to_code = dict(con.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units").fetchall())
    finally:
        con.close()
    table = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))["DICT_PROVINCE"]
    return {old_key_to_short[old]: new_key_to_code[new] for new, olds in table.items() for old in olds}


def build():
    """GeoDataFrame of the 34 new provinces: code, name, geometry (dissolved old provinces)."""
    import geopandas as gpd  # lazy: tests import OUTPUT from here; only a rebuild needs geopandas (~0.8 s cold)

    mapping = old_to_new_codes()
    old = gpd.read_file(SOURCE)
    old["short"] = [RENAMED.get(_short_key(n), _short_key(n)) for n in old["name"]]
    unknown = sorted(set(old["short"]) - set(mapping))
    if unknown:
        raise SystemExit(f"no new province for amCharts features: {unknown}")
    old["code"] = old["short"].map(mapping)
    new = old[["code", "geometry"]].dissolve(by="code", as_index=False)
    con = sqlite3.connect(package_data_dir() / "dataset.db")
    try:
        names = dict(con.execute("SELECT DISTINCT provinceCode, province FROM admin_units").fetchall())
    finally:
        con.close()
    new["name"] = new["code"].map(names)
    return new.set_crs("EPSG:4326", allow_override=True)[["code", "name", "geometry"]]


def build_neighbours():
    """The countries around Vietnam (Vietnam itself is drawn by its provinces), clipped to REGION."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import box

    source = Path(pyogrio.__file__).parent / "tests" / "fixtures" / "naturalearth_lowres" / "naturalearth_lowres.shp"
    world = gpd.read_file(source)
    region = box(*REGION)
    near = world[world.intersects(region) & (world["iso_a3"] != "VNM")].copy()
    near["geometry"] = near.geometry.intersection(region)
    return near[["name", "geometry"]]


def main() -> None:
    provinces = build()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    collection = rounded(json.loads(provinces.to_json(drop_id=True)), PRECISION)
    collection["attribution"] = "Boundaries: amCharts (vietnamLow), dissolved into the 2025 provinces"
    OUTPUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{len(provinces)} provinces -> {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1024:.0f} KB)")
    neighbours = rounded(json.loads(build_neighbours().to_json(drop_id=True)), 2)
    neighbours["attribution"] = "Made with Natural Earth (public domain), 1:110m countries"
    NEIGHBOURS.write_text(json.dumps(neighbours, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"neighbouring countries -> {NEIGHBOURS.relative_to(ROOT)} ({NEIGHBOURS.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()

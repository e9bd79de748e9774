"""The coverage maps, drawn with folium from the figures of coordination.reports.coverage.

Every asset comes from /static (Leaflet vendored under static/vendor/leaflet); tiles only when
MAP_TILES_URL is set. Provinces are the polygons of maps/data/provinces.geojson (simplified for
the national view); communes are points at their official centroids. The national layers, the
labels and the points are drawn by static/js/coverage-map.js from one compact JSON (folium's
per-feature styling of four province layers and 3,321 GeoJSON points cost ~150 ms and 550 KB)."""
from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import folium
from branca.element import CssLink, JavascriptLink, MacroElement
from flask_babel import gettext as _
from jinja2 import Template
from markupsafe import Markup

from maps.classes import NO_DATA, YL_GN_BU, YL_OR_RD, class_of, quantile_classes
from maps.geojson import rounded
from coordination.core.text import num, pct
from coordination.reports.coverage import EMPTY_TEAM, NO_TEAM, ON_DUTY, TEAM, CommuneCoverage, ProvinceCoverage

BOUNDARIES = Path(__file__).resolve().parent / "data" / "provinces.geojson"
CREDIT = ('Ranh giới tỉnh / province boundaries: <a href="https://www.amcharts.com/">amCharts</a> '
          '(vietnamLow, gộp theo 34 tỉnh mới)')
NEIGHBOURS = Path(__file__).resolve().parent / "data" / "neighbours.geojson"  # maps/build_boundaries.py
# Okabe & Ito's colour-blind-safe colours: grey, orange, blue, bluish green
COMMUNE_COLOURS = {NO_TEAM: "#8c8c8c", EMPTY_TEAM: "#e69f00", TEAM: "#0072b2", ON_DUTY: "#009e73"}
COMMUNE_ZOOM = 8  # communes are drawn from this zoom on: below it 3,321 points run into each other
VIETNAM_BOUNDS = [[8.4, 102.1], [23.4, 109.5]]  # the mainland; the islands stay reachable by panning


# folium's templates share one Jinja environment; its `tojson` writes the embedded GeoJSON. Compact
# UTF-8 JSON instead of spaced \uXXXX escapes makes the national page ~35% smaller.
folium.GeoJson._template.environment.policies["json.dumps_kwargs"] = {
    "sort_keys": True, "ensure_ascii": False, "separators": (",", ":")}


class LocalMap(folium.Map):
    """A folium map whose only scripts and styles are Leaflet's, served from /static."""
    default_js = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
    default_css = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]


class _Script(MacroElement):
    """A line of JavaScript run once the map exists (`{map}` is replaced by its variable)."""
    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "Script"
        self.code = code

    def render(self, **kwargs):
        self.code = self.code.replace("{map}", self._parent.get_name())
        super().render(**kwargs)


@dataclass
class MapParts:
    """What a page embeds: the <head> links, the map's <div>, its <script> (the page gives it the
    request's CSP nonce), its JS variable."""
    head: Markup
    body: Markup
    script: Markup
    name: str
    legend: list = field(default_factory=list)  # national map: per layer, its classes (legend_rows)


@functools.cache
def _shapes(tolerance: float) -> dict:
    import geopandas as gpd  # lazy: +50-120 ms at start-up (shapely, pyogrio); read once per tolerance (cached)

    frame = gpd.read_file(BOUNDARIES)
    if tolerance:
        frame["geometry"] = frame.geometry.simplify(tolerance, preserve_topology=True)
    return rounded(json.loads(frame.to_json(drop_id=True)), 3 if tolerance >= 0.01 else 4)


def province_shapes(tolerance: float = 0.02) -> dict:
    """The 34 province polygons as GeoJSON (a fresh copy: callers add properties)."""
    return copy.deepcopy(_shapes(tolerance))


def _parts(m: folium.Map, legend: Optional[list] = None) -> MapParts:
    root = m.get_root()
    root.render()
    # Only Leaflet's <script src> and <link>: not folium's viewport, full-page and tooltip <style>s
    # (static/css/app.css styles the map and its tooltips), so the CSP's style-src stays 'self'.
    keep = [child for child in root.header._children.values() if isinstance(child, (JavascriptLink, CssLink))]
    head = "".join(child.render() for child in keep)
    head += '<script src="/static/js/coverage-map.js"></script>'
    return MapParts(Markup(head), Markup(root.html.render()), Markup(root.script.render()), m.get_name(), legend or [])


def _base_map(tiles_url: Optional[str], tiles_attribution: str, **kwargs) -> LocalMap:
    m = LocalMap(tiles=None, control_scale=True, **kwargs)
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution, name=_("Background map"), control=False).add_to(m)
    m.add_child(_Script("{map}.attributionControl.addAttribution(%s);" % json.dumps(CREDIT)))
    return m


def short_name(name: str) -> str:
    """A province's label: its name without "Tỉnh"/"Thành phố" (Hồ Chí Minh as TP. HCM)."""
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return "TP. HCM" if name == "Hồ Chí Minh" else name


@functools.cache
def label_points() -> dict[str, tuple[float, float, float]]:
    """Province code -> (lat, lon, area) of a point well inside it (the pole of inaccessibility of
    its largest part: inside even for a crescent, unlike the centroid); the area (square degrees)
    orders the labels when they are moved apart (small provinces first: they have least room)."""
    import geopandas as gpd
    from shapely.ops import polylabel

    frame = gpd.read_file(BOUNDARIES)
    out = {}
    for code, geometry in zip(frame["code"], frame.geometry):
        part = max(getattr(geometry, "geoms", [geometry]), key=lambda g: g.area)
        point = polylabel(part, tolerance=0.01)
        out[code] = (round(point.y, 3), round(point.x, 3), round(geometry.area, 3))
    return out


@functools.cache
def neighbours() -> dict:
    return json.loads(NEIGHBOURS.read_text(encoding="utf-8"))


def _texts() -> dict:
    """The words the map's script puts in tooltips ({n} is replaced by a count)."""
    return {"no_team": _("No team"), "empty": _("Team without members"), "team": _("Team of {n} members"),
            "duty": _("{n} on duty now"), "gaps": _("Open gaps (7 days): {n}")}


def _commune_rows(communes: list[CommuneCoverage], province_index: dict[str, int]) -> list[list]:
    """[lat, lon, status, name, province index, members, on duty, gaps]: compact, the script draws them."""
    return [[round(c.lat, 3), round(c.lon, 3), c.status, c.name, province_index.get(c.province_code, -1),
             c.members, c.on_duty, c.gaps] for c in communes if c.lat is not None and c.lon is not None]


def _draw(m: folium.Map, data: dict) -> None:
    dumps = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    m.add_child(_Script("tcnCoverageMap({map}, %s);" % dumps))


def national_map(provinces: list[ProvinceCoverage], communes: list[CommuneCoverage], province_url: str,
                 tiles_url: Optional[str] = None, tiles_attribution: str = "") -> MapParts:
    """Choropleth of the 34 provinces (coverage; layers: on duty, tasks done %, gaps) in colour
    classes chosen from the figures (maps.classes), their short names as labels, and the 3,321
    communes as points from COMMUNE_ZOOM on; clicking a province opens `province_url` with its code."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=5, min_zoom=4, zoom_snap=0.25)
    m.fit_bounds(VIETNAM_BOUNDS)
    by_code = {p.code: p for p in provinces}
    shapes = province_shapes()
    measures = [lambda p: p.coverage_pct, lambda p: p.on_duty, lambda p: p.tasks_done_pct, lambda p: p.gaps]
    palettes = [YL_GN_BU, YL_GN_BU, YL_GN_BU, YL_OR_RD]
    classes = [quantile_classes([f(p) for p in provinces], pal) for f, pal in zip(measures, palettes)]
    points = label_points()
    names, index = [], {}
    for feature in shapes["features"]:
        props = feature["properties"]
        p = by_code.get(props["code"])
        index[props["code"]] = len(names)
        names.append(props["name"])
        props.update(s=short_name(props["name"]), lp=points.get(props["code"]),
                     k=[class_of(f(p) if p else None, cl) for f, cl in zip(measures, classes)],
                     t=[] if p is None else [
                         [_("Communes with a team"), f"{num(p.covered)}/{num(p.communes)} ({pct(p.coverage_pct)})"],
                         [_("On duty now"), num(p.on_duty)],
                         [_("Tasks done"), "—" if p.tasks_done_pct is None else
                          f"{num(p.tasks_done)}/{num(p.tasks)} ({pct(p.tasks_done_pct)})"],
                         [_("Open gaps (7 days)"), num(p.gaps)]])
    _draw(m, {"provinces": shapes, "neighbours": neighbours(), "url": province_url, "names": names,
              "layers": [[c.colour for c in cl] for cl in classes], "noData": NO_DATA,
              "communes": _commune_rows(communes, index), "communeZoom": COMMUNE_ZOOM, "radius": 3,
              "colours": COMMUNE_COLOURS, "texts": _texts()})
    return _parts(m, legend=[legend_rows(cl, percent) for cl, percent in zip(classes, (True, False, True, False))])


def legend_rows(classes: list, percent: bool) -> list[tuple[str, str, int]]:
    """(colour, "1,8–2,3 %", provinces) for each class, lowest first."""
    show = pct if percent else num
    return [(c.colour, show(c.low) if c.low == c.high else f"{show(c.low)}–{show(c.high)}", c.count)
            for c in classes]


def province_map(province_code: str, communes: list[CommuneCoverage], tiles_url: Optional[str] = None,
                 tiles_attribution: str = "") -> MapParts:
    """One province: its outline and its communes as points, zoomed to fit."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=7)
    outline = province_shapes(tolerance=0.002)
    outline["features"] = [f for f in outline["features"] if f["properties"]["code"] == province_code]
    name = outline["features"][0]["properties"]["name"] if outline["features"] else ""
    folium.GeoJson(outline, name=_("Province"), control=False,
                   style_function=lambda f: {"fillColor": "#fff7e6", "color": "#a4161a", "weight": 1.5,
                                             "fillOpacity": 0.5, "className": "tcn-province"}).add_to(m)
    others = province_shapes(tolerance=0.002)  # as the outline: no sea showing between them
    others["features"] = [f for f in others["features"] if f["properties"]["code"] != province_code]
    for f in others["features"]:
        f["properties"] = {}
    _draw(m, {"neighbours": neighbours(), "land": others, "names": [name], "communes": _commune_rows(communes, {province_code: 0}),
              "communeZoom": 0, "radius": 5, "colours": COMMUNE_COLOURS, "texts": _texts()})
    points = [(c.lat, c.lon) for c in communes if c.lat is not None and c.lon is not None]
    if points:
        m.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                      [max(p[0] for p in points), max(p[1] for p in points)]], padding=(12, 12))
    return _parts(m)

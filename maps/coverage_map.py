"""The coverage maps, drawn with folium from the figures of coordination.reports.coverage.

Every asset comes from /static (Leaflet vendored under static/vendor/leaflet); tiles only when
MAP_TILES_URL is set. Provinces are the polygons of maps/data/provinces.geojson (simplified for
the national view); communes are points at their official centroids, all in one GeoJSON layer
(3,321 folium markers would take seconds to render, one layer takes ~0.1 s)."""
from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import folium
from branca.element import CssLink, JavascriptLink, MacroElement
from flask_babel import gettext as _
from jinja2 import Template
from markupsafe import Markup

from maps.geojson import rounded
from coordination.core.text import num, pct
from coordination.reports.coverage import NO_TEAM, ON_DUTY, TEAM, CommuneCoverage, ProvinceCoverage

BOUNDARIES = Path(__file__).resolve().parent / "data" / "provinces.geojson"
CREDIT = ('Ranh giới tỉnh / province boundaries: <a href="https://www.amcharts.com/">amCharts</a> '
          '(vietnamLow, gộp theo 34 tỉnh mới)')
COMMUNE_COLOURS = {NO_TEAM: "#9aa0a6", TEAM: "#1a73e8", ON_DUTY: "#188038"}
PCT_BINS = ((90, "#1b7837"), (75, "#5aae61"), (50, "#a6dba0"), (25, "#fdae61"), (0, "#d73027"))
COUNT_BINS = {"on_duty": ((100, "#08519c"), (20, "#3182bd"), (5, "#6baed6"), (1, "#bdd7e7"), (0, "#f0f0f0")),
              "gaps": ((100, "#a50f15"), (20, "#de2d26"), (5, "#fb6a4a"), (1, "#fcae91"), (0, "#f0f0f0"))}
NO_DATA = "#e0e0e0"
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


def colour_for(value: Optional[float], bins) -> str:
    if value is None:
        return NO_DATA
    return next(colour for low, colour in bins if value >= low)


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


def _parts(m: folium.Map) -> MapParts:
    root = m.get_root()
    root.render()
    # Only Leaflet's <script src> and <link>: not folium's viewport, full-page and tooltip <style>s
    # (static/css/app.css styles the map and its tooltips), so the CSP's style-src stays 'self'.
    keep = [child for child in root.header._children.values() if isinstance(child, (JavascriptLink, CssLink))]
    head = "".join(child.render() for child in keep)
    return MapParts(Markup(head), Markup(root.html.render()), Markup(root.script.render()), m.get_name())


def _base_map(tiles_url: Optional[str], tiles_attribution: str, **kwargs) -> LocalMap:
    m = LocalMap(tiles=None, control_scale=True, **kwargs)
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution, name=_("Background map"), control=False).add_to(m)
    m.add_child(_Script("{map}.attributionControl.addAttribution(%s);" % json.dumps(CREDIT)))
    return m


def _commune_layer(communes: list[CommuneCoverage], radius: float,
                   on_click: Optional[folium.JsCode] = None) -> folium.GeoJson:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(c.lon, 3), round(c.lat, 3)]},
                 "properties": {"s": c.status, "n": c.name, "m": num(c.members),
                                "d": num(c.on_duty), **({"code": c.province_code} if on_click else {})}}
                for c in communes if c.lat is not None and c.lon is not None]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=_("Communes (points)"), on_each_feature=on_click,
        marker=folium.CircleMarker(radius=radius, weight=0.5 if radius > 2 else 0, color="#ffffff", fill=True,
                                   fill_opacity=0.9),
        style_function=lambda f: {"fillColor": COMMUNE_COLOURS[f["properties"]["s"]], "className": "tcn-commune",
                                  "fillOpacity": 0.35 if f["properties"]["s"] == NO_TEAM else 0.95},
        tooltip=folium.GeoJsonTooltip(["n", "m", "d"], aliases=[_("Commune"), _("Members"), _("On duty now")],
                                      sticky=False))  # the status is the colour (legend)


def national_map(provinces: list[ProvinceCoverage], communes: list[CommuneCoverage], province_url: str,
                 tiles_url: Optional[str] = None, tiles_attribution: str = "") -> MapParts:
    """Choropleth of the 34 provinces (coverage; layers: on duty, tasks done %, gaps) and the
    3,321 communes as points; clicking a province opens `province_url` with its code."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=5, min_zoom=4)
    m.fit_bounds(VIETNAM_BOUNDS)
    by_code = {p.code: p for p in provinces}
    shapes = province_shapes()
    for feature in shapes["features"]:
        p = by_code.get(feature["properties"]["code"])
        if p is None:
            continue
        feature["properties"].update(
            c=p.coverage_pct, cov=f"{num(p.covered)}/{num(p.communes)} ({pct(p.coverage_pct)})",
            d=p.on_duty, dn=num(p.on_duty),
            tdp=p.tasks_done_pct, td="—" if p.tasks_done_pct is None else f"{num(p.tasks_done)}/{num(p.tasks)} "
                                                                         f"({pct(p.tasks_done_pct)})",
            g=p.gaps, gn=num(p.gaps))
    layers: list[tuple[str, Callable]] = [
        (_("Coverage"), lambda f: colour_for(f["properties"].get("c"), PCT_BINS)),
        (_("On duty now"), lambda f: colour_for(f["properties"].get("d"), COUNT_BINS["on_duty"])),
        (_("Tasks done (share)"), lambda f: colour_for(f["properties"].get("tdp"), PCT_BINS)),
        (_("Open gaps (7 days)"), lambda f: colour_for(f["properties"].get("g"), COUNT_BINS["gaps"])),
    ]
    click = folium.JsCode("function (feature, layer) { layer.on('click', function () { window.location = %s"
                          " + feature.properties.code; }); }" % json.dumps(province_url))
    tooltip_fields = ["name", "cov", "dn", "td", "gn"]
    tooltip_aliases = [_("Province"), _("Communes with a team"), _("On duty now"), _("Tasks done"),
                       _("Open gaps (7 days)")]
    for i, (label, fill) in enumerate(layers):
        folium.GeoJson(
            shapes, name=label, overlay=False, show=i == 0, on_each_feature=click,
            style_function=lambda f, fill=fill: {"fillColor": fill(f), "color": "#555", "weight": 0.8,
                                                 "fillOpacity": 0.8, "className": "tcn-province"},
            highlight_function=lambda f: {"weight": 2.5, "color": "#222"},
            tooltip=folium.GeoJsonTooltip(tooltip_fields, aliases=tooltip_aliases)).add_to(m)
    _commune_layer(communes, radius=1.5, on_click=click).add_to(m)  # a commune opens its province too
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return _parts(m)


def province_map(province_code: str, communes: list[CommuneCoverage], tiles_url: Optional[str] = None,
                 tiles_attribution: str = "") -> MapParts:
    """One province: its outline and its communes as points, zoomed to fit."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=7)
    outline = province_shapes(tolerance=0.002)
    outline["features"] = [f for f in outline["features"] if f["properties"]["code"] == province_code]
    folium.GeoJson(outline, name=_("Province"), control=False,
                   style_function=lambda f: {"fillColor": "#fff7e6", "color": "#a4161a", "weight": 1.5,
                                             "fillOpacity": 0.5, "className": "tcn-province"}).add_to(m)
    _commune_layer(communes, radius=5).add_to(m)
    points = [(c.lat, c.lon) for c in communes if c.lat is not None and c.lon is not None]
    if points:
        m.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                      [max(p[0] for p in points), max(p[1] for p in points)]], padding=(12, 12))
    return _parts(m)

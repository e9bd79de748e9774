"""A campaign's small map: its communes as points coloured by progress (coordination.tasks.campaigns).

Built like the coverage maps (maps.coverage_map: Leaflet from /static, one GeoJSON layer for all
points, tiles only when MAP_TILES_URL is set)."""
from __future__ import annotations

from typing import Optional

import folium
from flask_babel import gettext as _

from maps.coverage_map import MapParts, _base_map, _parts, province_shapes

STATE_COLOURS = {"done": "#188038", "started": "#1a73e8", "not_started": "#9aa0a6", "overdue": "#d93025",
                 "blocked": "#e37400", "cancelled": "#dadce0"}


def campaign_map(points: list[tuple[float, float, str, str, int]], province_code: Optional[str],
                 state_names: dict, tiles_url: Optional[str] = None, tiles_attribution: str = "") -> MapParts:
    """(lat, lon, state, commune, percent) points; the province's outline when there is one."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=5, min_zoom=4)
    if province_code:
        outline = province_shapes(tolerance=0.002)
        outline["features"] = [f for f in outline["features"] if f["properties"]["code"] == province_code]
        folium.GeoJson(outline, name=_("Province"), control=False,
                       style_function=lambda f: {"fillColor": "#fff7e6", "color": "#a4161a", "weight": 1.5,
                                                 "fillOpacity": 0.5, "className": "tcn-province"}).add_to(m)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 3), round(lat, 3)]},
                 "properties": {"s": state, "n": name, "t": str(state_names.get(state, state)),
                                "p": "—" if percent < 0 else f"{percent}%"}}
                for lat, lon, state, name, percent in points]
    radius = 5 if province_code else 2
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=_("Communes (points)"),
        marker=folium.CircleMarker(radius=radius, weight=0.5 if radius > 2 else 0, color="#ffffff", fill=True,
                                   fill_opacity=0.95),
        style_function=lambda f: {"fillColor": STATE_COLOURS.get(f["properties"]["s"], "#9aa0a6"),
                                  "className": "tcn-commune", "fillOpacity": 0.95},
        tooltip=folium.GeoJsonTooltip(["n", "t", "p"], aliases=[_("Commune"), _("Progress"), _("Percent done")],
                                      sticky=False)).add_to(m)
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(12, 12))
    return _parts(m)

"""A campaign's small map: its communes as points coloured by progress (coordination.tasks.campaigns).

The base map is built like the coverage maps (maps.coverage_map: Leaflet from /static, the
province's outline, tiles only when MAP_TILES_URL is set). The points are not folium features: a
nationwide campaign has 3,321, and folium's per-feature styling took ~350 ms of Python; they go
into the page as one compact JSON array that a few lines of Leaflet draw on a canvas."""
from __future__ import annotations

import json
from typing import Optional

import folium
from flask_babel import gettext as _

from maps.coverage_map import MapParts, _base_map, _parts, _Script, province_shapes

STATE_COLOURS = {"done": "#188038", "started": "#1a73e8", "not_started": "#9aa0a6", "overdue": "#d93025",
                 "blocked": "#e37400", "cancelled": "#dadce0"}

_DRAW = """(function (map, points, colours, names, radius) {
  var esc = function (s) { var d = document.createElement('span'); d.textContent = s; return d.innerHTML; };
  var canvas = L.canvas({padding: 0.2}), layer = L.layerGroup();
  points.forEach(function (p) {
    L.circleMarker([p[0], p[1]], {renderer: canvas, radius: radius, weight: radius > 2 ? 0.5 : 0,
      color: '#ffffff', fillColor: colours[p[2]] || '#9aa0a6', fillOpacity: 0.95, className: 'tcn-commune'})
      .bindTooltip('<b>' + esc(p[3]) + '</b><br>' + esc(names[p[2]] || p[2]) + (p[4] < 0 ? '' : ' · ' + p[4] + '%%'))
      .addTo(layer);
  });
  layer.addTo(map);
})({map}, %s, %s, %s, %d);"""


def campaign_map(points: list[tuple[float, float, str, str, int]], province_code: Optional[str],
                 state_names: dict, tiles_url: Optional[str] = None, tiles_attribution: str = "") -> MapParts:
    """(lat, lon, state, commune, percent or -1) points; the province's outline when there is one."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=5, min_zoom=4)
    if province_code:
        outline = province_shapes(tolerance=0.002)
        outline["features"] = [f for f in outline["features"] if f["properties"]["code"] == province_code]
        folium.GeoJson(outline, name=_("Province"), control=False,
                       style_function=lambda f: {"fillColor": "#fff7e6", "color": "#a4161a", "weight": 1.5,
                                                 "fillOpacity": 0.5, "className": "tcn-province"}).add_to(m)
    compact = [[round(lat, 3), round(lon, 3), state, name, percent] for lat, lon, state, name, percent in points]
    dumps = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")  # noqa: E731
    m.add_child(_Script(_DRAW % (dumps(compact), dumps(STATE_COLOURS),
                                 dumps({k: str(v) for k, v in state_names.items()}), 5 if province_code else 2)))
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(12, 12))
    return _parts(m)

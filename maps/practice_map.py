"""A good practice's small map: the team that wrote it and the teams that applied it, as points at
their communes' centroids (built like a campaign's map, maps.campaign_map, with larger points: a
practice has a few teams, not thousands)."""
from __future__ import annotations

import json
from typing import Optional

import folium
from flask_babel import gettext as _

from maps.campaign_map import _DRAW, STATE_COLOURS
from maps.coverage_map import MapParts, _base_map, _parts, _Script, province_shapes


def practice_map(points: list[tuple[float, float, str, str, int]], state_names: dict,
                 tiles_url: Optional[str] = None, tiles_attribution: str = "") -> MapParts:
    """(lat, lon, state, team name, -1) points: "started" (the writer's team) and "done" (applied it)."""
    m = _base_map(tiles_url, tiles_attribution, location=[16.0, 106.5], zoom_start=5, min_zoom=4)
    folium.GeoJson(province_shapes(tolerance=0.02), name=_("Province"), control=False,
                   style_function=lambda f: {"fillColor": "#fff7e6", "color": "#a4161a", "weight": 0.8,
                                             "fillOpacity": 0.4, "className": "tcn-province"}).add_to(m)
    compact = [[round(lat, 3), round(lon, 3), state, name, -1] for lat, lon, state, name, _p in points]
    dumps = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")  # noqa: E731
    m.add_child(_Script(_DRAW % (dumps(compact), dumps(STATE_COLOURS),
                                 dumps({k: str(v) for k, v in state_names.items()}), 7)))
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(24, 24), max_zoom=8)
    return _parts(m)

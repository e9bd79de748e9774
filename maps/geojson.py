"""GeoJSON helpers shared by the boundary build and the maps."""
from __future__ import annotations


def rounded(obj, digits: int):
    """The same GeoJSON (any nesting) with every float rounded to `digits` decimal places."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list):
        return [rounded(x, digits) for x in obj]
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    return obj

"""Colour classes chosen from the figures a map shows: 0 a class of its own when it occurs, then
quantiles of the values above 0 (each class holds about as many provinces), at most as many classes
as the palette has colours; "no data" (None) is no class and gets its own colour."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

# ColorBrewer sequential schemes (Cynthia Brewer, colorbrewer2.org), all marked colour-blind safe.
YL_GN_BU = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
YL_OR_RD = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#bdbdbd"  # mid grey: not the lightest colour of a scheme, which is 0 (or the lowest class)


@dataclass
class ColourClass:
    low: float
    high: float
    colour: str
    count: int  # how many of the values fall in it


def quantile_classes(values: Sequence[Optional[float]], palette: Sequence[str]) -> list[ColourClass]:
    """Classes (lowest first) for the values that exist; [] when none does."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return []
    bounds: list[tuple[float, float]] = []
    if known[0] <= 0:
        bounds.append((known[0], 0))
    rest = [v for v in known if v > 0]
    wanted = min(len(palette) - len(bounds), len(set(rest)))
    lows: list[float] = []
    for i in range(wanted):
        low = rest[i * len(rest) // wanted]
        if not lows or low > lows[-1]:
            lows.append(low)
    for i, low in enumerate(lows):
        top = max(v for v in rest if v >= low and (i + 1 == len(lows) or v < lows[i + 1]))
        bounds.append((low, top))
    n = len(bounds)
    step = (len(palette) - 1) / (n - 1) if n > 1 else 0
    out = [ColourClass(low, high, palette[round(i * step)], 0)
           for i, (low, high) in enumerate(bounds)]
    for v in known:
        out[class_of(v, out)].count += 1
    return out


def class_of(value: Optional[float], classes: list[ColourClass]) -> int:
    """The index of the value's class, -1 for no data."""
    if value is None or not classes:
        return -1
    return max((i for i, c in enumerate(classes) if value >= c.low), default=0)

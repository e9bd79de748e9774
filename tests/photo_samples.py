"""Photos as phones send them (dev/sample_photos.py), and files that only pretend to be photos."""
from __future__ import annotations

import io

from PIL import Image

from dev.sample_photos import four_mb_jpeg, jpeg  # noqa: F401 - the phone photos, for the tests


def png(width: int, height: int, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (0, 128, 0, 128) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def bomb() -> bytes:
    """A 20,000 × 20,000 PNG (400 megapixels) that weighs 48 KB."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 30)).save(out, "GIF")
    return out.getvalue()

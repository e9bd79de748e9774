"""Photos as phones send them, made with Pillow: JPEGs with EXIF (camera, orientation, GPS position),
noise so that they weigh what a real photo weighs, and files that only pretend to be photos."""
from __future__ import annotations

import io
import os

from PIL import ExifTags, Image

HANOI_GPS = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 0.0)}  # Hoàn Kiếm


def phone_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "Galaxy A15"
    exif[ExifTags.Base.DateTime] = "2026:11:23 09:12:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = HANOI_GPS
    return exif


def jpeg(width: int, height: int, orientation: int | None = None, noise: bool = False, quality: int = 90) -> bytes:
    """A JPEG with a phone's EXIF and GPS; with noise it weighs what a camera's photo weighs."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (30, 120, 200))
        image.paste((220, 40, 40), (0, 0, width // 4, height // 4))  # a red corner: shows which way is up
    out = io.BytesIO()
    image.save(out, "JPEG", exif=phone_exif(orientation), quality=quality)
    return out.getvalue()


def png(width: int, height: int, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (0, 128, 0, 128) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def bomb() -> bytes:
    """A 20,000 × 20,000 PNG (400 megapixels) that weighs a few hundred kilobytes."""
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 30)).save(out, "GIF")
    return out.getvalue()


def four_mb_jpeg(target: int = 4 * 1024 * 1024) -> bytes:
    """A noisy 12-megapixel phone JPEG of about `target` bytes, with EXIF GPS."""
    for quality in (60, 50, 40, 30, 20):
        data = jpeg(4000, 3000, noise=True, quality=quality)
        if len(data) <= target * 1.15:
            return data
    return data

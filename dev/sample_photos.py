"""Photos as phones take them, made with Pillow (no binary in git): for the demo, the tests and the
benchmark. Each JPEG carries a phone's EXIF (maker, model, time, orientation) and a GPS position."""
from __future__ import annotations

import io
import os

from PIL import ExifTags, Image, ImageDraw

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
    """A JPEG with a phone's EXIF and GPS: plain blue with a red top-left corner (to see which way is
    up), or noise, which weighs what a camera's photo weighs."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (30, 120, 200))
        image.paste((220, 40, 40), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=phone_exif(orientation), quality=quality)
    return out.getvalue()


def four_mb_jpeg(target: int = 4 * 1024 * 1024) -> bytes:
    """A noisy 12-megapixel (4000 × 3000) phone JPEG of about `target` bytes, with EXIF GPS."""
    for quality in (60, 50, 40, 30, 20):
        data = jpeg(4000, 3000, noise=True, quality=quality)
        if len(data) <= target * 1.15:
            return data
    return data


def help_desk_photo() -> bytes:
    """The demo's evidence: a help desk under a banner, residents queueing with their phones (drawn)."""
    image = Image.new("RGB", (1200, 900), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 620, 1200, 900), fill=(196, 160, 120))  # the floor of the cultural house
    draw.rectangle((120, 60, 1080, 200), fill=(200, 30, 40))  # the banner
    draw.text((160, 110), "DIEM HO TRO KICH HOAT VNeID MUC 2", fill="white", font_size=44)
    draw.rectangle((300, 430, 900, 640), fill=(120, 80, 50))  # the desk
    for k, x in enumerate(range(140, 1100, 160)):  # people, heads and bodies
        colour = [(40, 90, 160), (30, 130, 90), (180, 120, 30)][k % 3]
        draw.ellipse((x, 330, x + 70, 400), fill=(230, 190, 160))
        draw.rounded_rectangle((x - 15, 400, x + 85, 600), radius=30, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=phone_exif(), quality=85)
    return out.getvalue()

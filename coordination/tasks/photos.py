"""Photos sent as evidence on a task: checked by their content, resized, stripped of every piece of
metadata (a phone's JPEG carries the GPS position of the house it was taken in), kept as JPEG files
under random names in one directory (config TASK_PHOTO_DIR).

Phones send 3–10 MB JPEGs of 12–50 megapixels; we keep at most LONG_SIDE pixels on the long side."""
from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from coordination.core.errors import ValidationError

MAX_BYTES = 10 * 1024 * 1024  # what a phone sends at most
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; more is a decompression bomb, not a photo
# A phone's baseline JPEG decodes at 1/8 scale (draft); a PNG, a WebP or a progressive JPEG only
# whole, at 7–15 bytes a pixel here: 50 megapixels of them took 300–750 MB of memory, from a 2 KB
# WebP. Screenshots (what phones save as PNG) are 2–6 megapixels.
MAX_FULL_DECODE_PIXELS = 8_000_000
LONG_SIDE = 1600
QUALITY = 82
FORMATS = ("JPEG", "PNG", "WEBP")  # by content: Pillow's own detection, never the file's name
NAME = re.compile(r"[0-9a-f]{32}\.jpg")


@dataclass(frozen=True)
class Photo:
    """A photo ready to store: JPEG bytes without metadata, and its size in pixels."""

    data: bytes
    width: int
    height: int


def _refuse(message) -> ValidationError:
    return ValidationError(message, field="photo")


def _read(stream: BinaryIO) -> bytes:
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _refuse(_l("The photo is too large (at most %(n)d MB).", n=MAX_BYTES // (1024 * 1024)))
    if not raw:
        raise _refuse(_l("The photo file is empty."))
    return raw


def _open(raw: bytes) -> Image.Image:
    """The image, if it is a JPEG, PNG or WebP of at most MAX_PIXELS (checked before decoding)."""
    too_many = _l("The photo has too many pixels (at most %(n)d megapixels).", n=MAX_PIXELS // 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # Pillow's own guard, far above ours
        raise _refuse(too_many) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse(_l("The photo must be a JPEG, PNG or WebP image.")) from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise _refuse(too_many)
    if width * height > MAX_FULL_DECODE_PIXELS and (image.format != "JPEG" or image.info.get("progressive")):
        raise _refuse(_l("The photo has too many pixels (at most %(n)d megapixels).",
                         n=MAX_FULL_DECODE_PIXELS // 1_000_000))
    return image


def _kept_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size we keep: at most LONG_SIDE on the long side, never enlarged."""
    scale = min(1.0, LONG_SIDE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def process(stream: BinaryIO) -> Photo:
    """Read an uploaded photo and make the JPEG we keep: turned upright (EXIF orientation), at most
    LONG_SIDE px, RGB on white, re-encoded without EXIF, GPS, XMP, ICC or comments. Anything that
    is not such a photo raises ValidationError on field "photo"."""
    image = _open(_read(stream))
    try:
        image.draft("RGB", _kept_size(image.size))  # a JPEG decodes at 1/2, 1/4 or 1/8 scale when that suffices
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P", "PA"):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.info = {}  # Pillow writes the source's comment (COM) again unless it is gone
        image.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif=, icc_profile=: none is written
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_l("The photo could not be read: the file is damaged or incomplete.")) from None
    return Photo(out.getvalue(), image.width, image.height)


# --- the files ---------------------------------------------------------------------------

def new_name() -> str:
    """A random file name: it says nothing of who sent it or what it shows, and cannot be guessed."""
    return secrets.token_hex(16) + ".jpg"


def path_of(directory: str | Path, name: str) -> Path | None:
    """The file of a stored name (None for anything that is not one of our names)."""
    return Path(directory) / name if NAME.fullmatch(name or "") else None


def write(directory: str | Path, name: str, data: bytes) -> Path:
    """Write the file whole or not at all: a temporary file renamed into place."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    part = folder / f".{name}.part"
    try:
        with open(part, "wb") as out:
            out.write(data)
        os.replace(part, final)
    except BaseException:  # a full disk: no half-written file stays behind
        remove(part)
        raise
    return final


def remove(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass

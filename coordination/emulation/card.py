"""The shareable card of an approved commendation: a 1200×630 PNG (the size Facebook and Zalo preview),
drawn on the server with Pillow in DejaVu Sans (vendored in static/fonts, so Vietnamese diacritics render
on any machine). Name (the person's, or the team's), team, commune and province, the reason wrapped and cut
cleanly at a word with "…", the date of the decision (dd/mm/yyyy, Vietnam date) and the platform's name;
never a phone number. Cached as a file named by a hash of everything drawn on it: a new name or a new
layout is a new file (and a new ETag), an unchanged card is read, not drawn."""
from __future__ import annotations

import hashlib
import io
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
REGULAR, BOLD = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
LAYOUT = "2"  # change with the drawing: every cached card is drawn again
RED, INK, MUTED, PAPER, GOLD = "#a4161a", "#1d2430", "#4a5563", "#fffaf2", "#c9a227"
MARGIN = 64


@dataclass(frozen=True)
class CardText:
    """Everything the card shows, already in the reader's language."""
    platform: str
    caption: str
    who: str
    team: Optional[str]  # None when the team itself is commended (it is `who`)
    place: str
    reason: str
    date: str
    site: str

    def key(self) -> str:
        text = "\x1f".join([LAYOUT, self.platform, self.caption, self.who, self.team or "", self.place, self.reason,
                            self.date, self.site])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


def _nfc(text: str) -> str:
    """Precomposed letters (ễ as one code point): the font draws those, not stacked combining marks."""
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


def _cut(text: str, face, width: float) -> str:
    """TEXT on one line of WIDTH px, cut at a word (or inside a very long word) with '…'."""
    if face.getlength(text) <= width:
        return text
    words = text.split(" ")
    while len(words) > 1 and face.getlength(" ".join(words) + "…") > width:
        words.pop()
    line = " ".join(words)
    while line and face.getlength(line + "…") > width:
        line = line[:-1]
    return line.rstrip(" ,.;:-") + "…"


def wrap(text: str, face, width: float, max_lines: int) -> list[str]:
    """TEXT in at most MAX_LINES lines of WIDTH px, broken at spaces; the last line ends with '…' when
    something did not fit."""
    lines: list[str] = []
    words = text.split(" ")
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and face.getlength(line + " " + words[0]) <= width:
            line += " " + words.pop(0)
        lines.append(line)
    if words or (lines and face.getlength(lines[-1]) > width):
        lines[-1] = _cut(lines[-1] + (" " + " ".join(words) if words else ""), face, width)
        if words and not lines[-1].endswith("…"):
            lines[-1] += "…"
    return [_cut(line, face, width) for line in lines]


def _fit(text: str, width: float, sizes=(68, 60, 52, 46)) -> tuple[ImageFont.FreeTypeFont, str]:
    """The largest bold face in which TEXT fits on one line; else the smallest, cut."""
    for size in sizes:
        if font(size, True).getlength(text) <= width:
            return font(size, True), text
    return font(sizes[-1], True), _cut(text, font(sizes[-1], True), width)


def render(card: CardText) -> bytes:
    """The PNG."""
    c = CardText(*(_nfc(v) if isinstance(v, str) else v for v in (
        card.platform, card.caption, card.who, card.team, card.place, card.reason, card.date, card.site)))
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    draw.rectangle((0, 0, WIDTH, 96), fill=RED)
    draw.text((MARGIN, 48), _cut(c.platform, font(34, True), inner), font=font(34, True), fill="#ffffff", anchor="lm")
    draw.rectangle((0, 96, WIDTH, 104), fill=GOLD)
    y = 140
    draw.text((MARGIN, y), _cut(c.caption.upper(), font(26, True), inner), font=font(26, True), fill=RED)
    y += 44
    face, who = _fit(c.who, inner)
    draw.text((MARGIN, y), who, font=face, fill=INK)
    y += face.size + 22
    for line, size in ((c.team, 32), (c.place, 30)):
        if line:
            draw.text((MARGIN, y), _cut(line, font(size), inner), font=font(size), fill=MUTED)
            y += size + 14
    y += 14
    draw.line((MARGIN, y, MARGIN + 160, y), fill=GOLD, width=4)
    y += 24
    room = max(1, min(4, (HEIGHT - 96 - y) // 44))
    for line in wrap(c.reason, font(32), inner, room):
        draw.text((MARGIN, y), line, font=font(32), fill=INK)
        y += 44
    draw.text((MARGIN, HEIGHT - 48), c.date, font=font(28, True), fill=INK, anchor="ls")
    draw.text((WIDTH - MARGIN, HEIGHT - 48), _cut(c.site, font(26), inner / 2), font=font(26), fill=MUTED,
              anchor="rs")
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def cached(card: CardText, folder: Path, name: str) -> tuple[bytes, str]:
    """(PNG, its key): read from FOLDER/NAME-KEY.png, else drawn and written there (atomically; the
    older cards of NAME are removed)."""
    key = card.key()
    path = folder / f"{name}-{key}.png"
    try:
        return path.read_bytes(), key
    except FileNotFoundError:
        pass
    png = render(card)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{name}-*.png"):
        old.unlink(missing_ok=True)
    temporary = folder / f".{name}-{key}.{os.getpid()}.tmp"
    temporary.write_bytes(png)
    os.replace(temporary, path)
    return png, key

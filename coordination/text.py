"""Text helpers for Vietnamese: diacritic-free search keys and unaccented SMS text."""
from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def unaccent(text: str) -> str:
    """'Phường Bến Nghé' -> 'Phuong Ben Nghe' (đ -> d), keeping spacing and case."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """A search key: unaccented, lower case, letters and digits only ('Bến Nghé' -> 'bennghe')."""
    return _NON_ALNUM.sub("", unaccent(text or "").lower())

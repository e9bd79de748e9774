"""Text helpers for Vietnamese: diacritic-free search keys and unaccented SMS text."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from babel import numbers
from flask_babel import get_locale, lazy_gettext as _l

from coordination.core.errors import ValidationError

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def unaccent(text: str) -> str:
    """'Phường Bến Nghé' -> 'Phuong Ben Nghe' (đ -> d), keeping spacing and case."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """A search key: unaccented, lower case, letters and digits only ('Bến Nghé' -> 'bennghe')."""
    return _NON_ALNUM.sub("", unaccent(text or "").lower())


# Characters nobody types into a name on purpose: they hide text, reorder it on screen (an RTL override
# makes "Nguyễn" look like something else in every list), or break the database (NUL, lone surrogates).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = frozenset("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063"
                       "\u2064\u3164\ufeff\uffa0")


def unsafe_character(text: str) -> str | None:
    """Why `text` cannot be stored as typed, or None: a control character (NUL included), a lone
    surrogate, or a bidirectional override/embedding/isolate."""
    for ch in text:
        if ch in BIDI_CONTROLS:
            return "bidi"
        category = unicodedata.category(ch)
        if category == "Cs":
            return "surrogate"
        if category == "Cc" and ch not in "\t\n\r":
            return "control"
    return None


def clean_line(raw: str | None, field: str, label) -> str:
    """The one cleaner of a line of text a person typed — a name, a team name, a task title: refuses
    control characters, lone surrogates and direction overrides (ValidationError naming the field),
    drops invisible characters (zero-width space/joiners, word joiner, BOM, soft hyphen), collapses
    white space and NFC-normalises (so 'Nguyễn' typed with combining marks is stored precomposed).
    Returns '' when nothing visible is left; the caller says that the field is required."""
    text = raw or ""
    if unsafe_character(text):
        raise ValidationError(_l("%(field)s contains a control or text-direction character; type it again "
                                 "without copying from elsewhere.", field=label), field=field)
    text = "".join(ch for ch in text if ch not in INVISIBLE)
    return unicodedata.normalize("NFC", " ".join(text.split()))


@lru_cache(maxsize=8192, typed=True)
def _formatted(value, pattern: str, locale: str) -> str:
    """babel's format_decimal, remembered: a ranking page formats the same few thousand figures, and
    babel parses the pattern and looks up the locale's symbols on every call (a third of the page's time)."""
    return numbers.format_decimal(value, format=pattern, locale=locale)


def format_decimal(value, pattern: str) -> str:
    """flask_babel.format_decimal in the request's locale, through the cache above."""
    return _formatted(value, pattern, str(get_locale() or "vi"))


def num(value: int | float | None) -> str:
    """A count as its reader writes it: 100.066 in Vietnamese, 100,066 in English; a share or an
    average (a float or Decimal) with one decimal (12,5 / 12.5). Pages (the `num` filter) and the
    rules' messages use it alike."""
    if value is None:
        return ""
    return format_decimal(value, "#,##0" if isinstance(value, int) else "#,##0.0")


def pct(value: int | float | None) -> str:
    """A share in per cent as its reader writes it: 9,5 % in Vietnamese (a no-break space before the
    sign), 9.5% in English; at most one decimal, none when it is whole (100 %)."""
    if value is None:
        return "—"
    number = format_decimal(round(float(value), 1), "#,##0.#")
    locale = get_locale()
    return f"{number}%" if locale is not None and locale.language == "en" else f"{number}\u00a0%"

"""Reading JSON request bodies and query strings for the API: typed, bounded, errors name the field."""
from __future__ import annotations

import re

from flask import request
from flask_babel import gettext as _

from coordination.core.errors import ValidationError
from coordination.core.text import unsafe_character
from coordination.web.converters import MAX_ID
from coordination.web.helpers import MAX_PAGE

MAX_PER_PAGE = 200


MAX_DEPTH = 10  # the deepest body we take ({"items": [{…}]} is 3)


def _too_deep(data, limit: int = MAX_DEPTH) -> bool:
    level, nodes = 0, [data]
    while nodes:
        level += 1
        if level > limit:
            return True
        nodes = [child for node in nodes for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (dict, list))]
    return False


def json_body() -> dict:
    """The one reader of a JSON body: an object, at most MAX_DEPTH deep (deeper nesting would exhaust the
    parser's recursion: a 400, never a 500)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise ValidationError(_("Send a JSON object in the request body."))
    if _too_deep(data):
        raise ValidationError(_("The JSON body is nested too deeply (at most %(n)d levels).", n=MAX_DEPTH))
    return data


def text(data: dict, key: str, required: bool = False, max_len: int = 254) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValidationError(_("This field is required."), field=key)
        return None
    if not isinstance(value, str):
        raise ValidationError(_("Must be text."), field=key)
    if len(value) > max_len:
        raise ValidationError(_("Too long (at most %(n)d characters).", n=max_len), field=key)
    if unsafe_character(value):
        raise ValidationError(_("Contains a control or text-direction character."), field=key)
    return value


def whole(data: dict, key: str, required: bool = False) -> int | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(_("This field is required."), field=key)
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_ID:
        value = int(value)  # JSON Schema (and JavaScript) count 378.0 as an integer
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Must be a whole number."), field=key)
    if abs(value) > MAX_ID:
        raise ValidationError(_("Must be between %(low)d and %(high)d.", low=-MAX_ID, high=MAX_ID), field=key)
    return value


def flag(data: dict, key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(_("Must be true or false."), field=key)
    return value


_WHOLE = re.compile(r"[+-]?[0-9]{1,19}")  # ASCII only: re's [0-9] is not \d, so '٣' and '²' fail


def query_int(key: str, default: int | None = None, low: int = 1, high: int = MAX_ID) -> int | None:
    """The one reader of an integer in the API's query string: absent -> default; anything but an
    optional sign and ASCII digits ('', '--5', ' 5', '5.0', '٣'), or outside low..high -> 400 naming the
    parameter (never an overflow deeper down)."""
    raw = request.args.get(key)
    if raw is None:
        return default
    if not _WHOLE.fullmatch(raw):
        raise ValidationError(_("Must be a whole number."), field=key)
    value = int(raw)
    if not low <= value <= high:
        raise ValidationError(_("Must be between %(low)d and %(high)d.", low=low, high=high), field=key)
    return value


def query_choice(key: str, choices, default: str | None = None) -> str | None:
    """A query parameter that takes one of a few words: absent -> default; anything else (empty too) ->
    400 naming the parameter."""
    raw = request.args.get(key)
    if raw is None:
        return default
    if raw not in choices:
        raise ValidationError(_("Must be one of: %(values)s.", values=", ".join(choices)), field=key)
    return raw


def paging() -> tuple[int, int]:
    page = query_int("page", 1, high=MAX_PAGE)
    per_page = query_int("per_page", 50, high=MAX_PER_PAGE)
    return page, per_page


def page_of(items: list, page: int, per_page: int, serialize) -> dict:
    return {"items": [serialize(i) for i in items[:per_page]], "page": page, "per_page": per_page,
            "has_next": len(items) > per_page}

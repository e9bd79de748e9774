"""Reading JSON request bodies and query strings for the API: typed, bounded, errors name the field."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ..errors import ValidationError

MAX_PER_PAGE = 200


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(_("Send a JSON object in the request body."))
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
    return value


def whole(data: dict, key: str, required: bool = False) -> int | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(_("This field is required."), field=key)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Must be a whole number."), field=key)
    return value


def flag(data: dict, key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(_("Must be true or false."), field=key)
    return value


def paging() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(request.args.get("per_page", 50))))
    except ValueError:
        raise ValidationError(_("page and per_page must be whole numbers.")) from None
    return page, per_page


def page_of(items: list, page: int, per_page: int, serialize) -> dict:
    return {"items": [serialize(i) for i in items[:per_page]], "page": page, "per_page": per_page,
            "has_next": len(items) > per_page}

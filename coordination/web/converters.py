"""URL converters: an integer path part that no database column can hold is simply not found."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from models.base import MAX_ID

NO_ROW = 0  # ids start at 1


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's `int`, but a number beyond 2**31-1 reaches the view as 0, an id no row has, so every
    view answers 404 as for any unknown id (/teams/99999999999999999999999) instead of overflowing the
    database driver. (Refusing it in the converter makes Werkzeug answer 405 for PATCH/POST.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else NO_ROW

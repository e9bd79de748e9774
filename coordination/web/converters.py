"""URL converters: an integer path part that no database column can hold is simply not found."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite: nothing larger can name a row


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's `int`, capped at 2**63-1: /teams/99999999999999999999999 is 404, not an overflow."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - Werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

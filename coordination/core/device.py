"""What a phone sends, possibly long after the fact: a client UUID that makes a retry harmless,
and the time on the phone's clock when the person acted (kept, within reason). Both APIs that take
items queued offline (check-ins, progress reports) read them here, under the same field names."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from flask_babel import lazy_gettext as _l

from coordination.core.errors import ValidationError

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)


def client_uuid(value: Any) -> str:
    """The canonical text of the UUID the phone made (field client_uuid)."""
    try:
        if isinstance(value, str):
            return str(uuid.UUID(value))
    except ValueError:
        pass
    raise ValidationError(_l("client_uuid must be a UUID."), field="client_uuid")


def device_time(text: Any, now: datetime) -> datetime:
    """The phone's time (field occurred_at): ISO with a zone, returned in UTC; at most 5 minutes
    ahead of `now` and 7 days behind it."""
    def refuse(message):
        return ValidationError(message, field="occurred_at")

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise refuse(_l("occurred_at must be a date and time like 2026-11-23T08:00:00+07:00."))
    if moment.tzinfo is None:
        raise refuse(_l("occurred_at needs a time zone (Z or +07:00)."))
    try:
        moment = moment.astimezone(timezone.utc)  # year 1 at +14:00 is year 0 in UTC: no such datetime
    except OverflowError:
        raise refuse(_l("occurred_at is not a possible date: check the phone's clock.")) from None
    if moment > now + CLOCK_SKEW:
        raise refuse(_l("occurred_at is in the future: check the phone's clock."))
    if moment < now - MAX_AGE:
        raise refuse(_l("occurred_at is more than 7 days old."))
    return moment

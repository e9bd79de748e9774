"""The one clock, and dates and times as people in Vietnam see them.

Every rule asks `utcnow()` (or `local_today()`) here for "now"; nothing else in `coordination/`,
`models/` or `maps/` reads the wall clock (tests/test_clock.py enforces it). Tests set the clock with
`set_now()` / `advance()` and use moments relative to it, so a test means the same on any date.
Stored times are UTC; Vietnam has no DST, but everything goes through zoneinfo so nothing assumes it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

_set_moment: Optional[datetime] = None  # None: the wall clock


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: the wall clock, or the moment a test set."""
    if _set_moment is not None:
        return _set_moment
    return datetime.now(timezone.utc)


def wall_utcnow() -> datetime:
    """The machine's clock, whatever a test set: only for what another party checks against real
    time — a push service checks a VAPID token's expiry against its own clock (pywebpush dates the
    token from the machine's clock; dev/fake_push.py does the same)."""
    return datetime.now(timezone.utc)


def set_now(moment: Optional[datetime]) -> None:
    """Stop the clock at `moment` (aware); None gives the wall clock back."""
    global _set_moment
    if moment is not None and moment.tzinfo is None:
        raise ValueError("set_now takes an aware datetime")
    _set_moment = moment.astimezone(timezone.utc) if moment is not None else None


def advance(delta: timedelta) -> datetime:
    """Move a stopped clock on by `delta` (tests: 'ten minutes later')."""
    if _set_moment is None:
        raise RuntimeError("advance() needs a clock stopped with set_now()")
    set_now(_set_moment + delta)
    return _set_moment


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TZ_DISPLAY", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ)


def local_now() -> datetime:
    """Now on the wall clocks of Vietnam (the display time zone)."""
    return utcnow().astimezone(local_zone())


def local_today() -> date:
    """Today's date in the display time zone (a due date 'today' ends at midnight in Vietnam)."""
    return local_now().date()


def local_to_utc(day: date, at: time) -> datetime:
    """A wall-clock time on a local date, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(timezone.utc)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_date_sql(column, dialect: str):
    """SQL for the local calendar date of a stored UTC time, for GROUP BY day."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(local_zone().key, column), sa.Date)
    offset = local_now().utcoffset()  # SQLite: the zone's current offset (Vietnam has no DST)
    return sa.func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")

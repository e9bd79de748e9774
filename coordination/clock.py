"""Dates and times as people in Vietnam see them. Stored times are UTC; Vietnam has no DST,
but everything goes through zoneinfo so nothing assumes it."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TZ_DISPLAY", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ)


def local_today() -> date:
    """Today's date in the display time zone (a due date 'today' ends at midnight in Vietnam)."""
    return datetime.now(local_zone()).date()


def local_to_utc(day: date, at: time) -> datetime:
    """A wall-clock time on a local date, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(timezone.utc)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_date_sql(column, dialect: str):
    """SQL for the local calendar date of a stored UTC time, for GROUP BY day."""
    import sqlalchemy as sa

    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(local_zone().key, column), sa.Date)
    offset = datetime.now(local_zone()).utcoffset()  # SQLite: the zone's current offset (Vietnam has no DST)
    return sa.func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")

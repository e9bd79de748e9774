"""Dates as people in Vietnam see them."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def local_today() -> date:
    """Today's date in the display time zone (a due date 'today' ends at midnight in Vietnam)."""
    tz = current_app.config.get("TZ_DISPLAY", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return datetime.now(ZoneInfo(tz)).date()

"""Vietnamese first, English second. Times stored in UTC, shown in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import format_datetime, format_timedelta
from flask_login import current_user

from coordination.web.extensions import babel
from coordination.core.text import num, pct

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"

LANG_COOKIE = "lang"


def get_locale() -> str:
    """The signed-in user's choice, else the cookie, else Vietnamese (the duty app's manifest: its `lang`).

    The browser's Accept-Language is deliberately not used: many officials' phones run in
    English, yet the platform's working language is Vietnamese; English is a choice."""
    languages = current_app.config["LANGUAGES"]
    if request and request.endpoint == "duty.manifest" and request.args.get("lang") in languages:
        return request.args["lang"]  # the install name: browsers fetch a manifest without the user's cookies
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE) if request else None
    return cookie if cookie in languages else languages[0]


def get_timezone() -> str:
    return current_app.config["TZ_DISPLAY"]


def local_time(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def duration(seconds) -> str:
    """A wait in the reader's words: 45 giây, 17 phút, 3 tiếng (not 1.014 giây)."""
    return format_timedelta(timedelta(seconds=round(seconds or 0)), threshold=1.1)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=get_locale, timezone_selector=get_timezone,
                   default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["num"] = num  # coordination.core.text.num: rules write counts the same way
    app.jinja_env.filters["pct"] = pct  # 9,5 % / 9.5%
    app.jinja_env.globals["get_locale"] = get_locale

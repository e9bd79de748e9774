"""Quiet hours (issue 20 §3; Decree 91/2020's spirit): during QUIET_HOURS ("22:00-06:00", Vietnam
time; "" or "off": none) messages that are not urgent — task notices, broadcasts not marked urgent,
rota-change notices, reminders to register or confirm — wait until the quiet period ends, marked so
the messages page says *Hoãn vì giờ yên tĩnh*; never dropped. Duty alerts never wait: escalations,
the absent primary's nudge, reminders before a shift (a reminder at 06:00 for a shift at 23:00 is
no reminder), the handoff digest, invitation and password links (someone is waiting for them).

The outbox applies it (outbox.put / put_many), so a caller only says whether its message is
urgent; a broadcast's INSERT … SELECT asks `send_at` and `marker` itself."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Optional

from flask import current_app, has_app_context

from models.messages import BROADCAST, OTHER, TASK_NOTICE

from coordination.clock import local_to_utc, to_local

DEFAULT = "22:00-06:00"
QUIET_HOURS = "quiet_hours"  # messages.error_code of a row waiting for the end of quiet hours
DEFERRABLE = (TASK_NOTICE, BROADCAST, OTHER)  # the purposes that may wait when not urgent


def parse(text: Optional[str]) -> Optional[tuple[time, time]]:
    """ "22:00-06:00" → (22:00, 06:00); "" / "off" / equal ends → None (no quiet hours). Raises
    ValueError on anything else (config.py refuses to start with it)."""
    text = (text or "").strip().lower()
    if text in ("", "off", "none", "0"):
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"QUIET_HOURS must look like 22:00-06:00, not {text!r}")
    ends = tuple(time.fromisoformat(part.strip().zfill(5)) for part in (start, end))
    return None if ends[0] == ends[1] else ends


def window() -> Optional[tuple[time, time]]:
    """The deployment's quiet hours (QUIET_HOURS), default 22:00–06:00."""
    text = current_app.config.get("QUIET_HOURS", DEFAULT) if has_app_context() else DEFAULT
    return parse(text)


def in_quiet_hours(moment: datetime, hours: Optional[tuple[time, time]] = ...) -> bool:
    hours = window() if hours is ... else hours
    if hours is None:
        return False
    start, end = hours
    local = to_local(moment).time()
    return (start <= local < end) if start < end else (local >= start or local < end)


def after_quiet_hours(moment: datetime, hours: Optional[tuple[time, time]] = ...) -> datetime:
    """The end of the quiet period `moment` is in (Vietnam time), or `moment` itself outside one."""
    hours = window() if hours is ... else hours
    if not in_quiet_hours(moment, hours):
        return moment
    local = to_local(moment)
    day = local.date() if local.time() < hours[1] else local.date() + timedelta(days=1)
    return local_to_utc(day, hours[1])


def deferrable(purpose: str, urgent: bool) -> bool:
    return not urgent and purpose in DEFERRABLE


def send_at(urgent: bool, moment: datetime, purpose: str = BROADCAST) -> datetime:
    """When a message queued for `moment` may go: at once if urgent (or a duty alert), else after quiet hours."""
    return after_quiet_hours(moment) if deferrable(purpose, urgent) else moment


def marker(urgent: bool, moment: datetime, purpose: str = BROADCAST) -> Optional[str]:
    """The error_code that shows a row waits for the end of quiet hours (None: it does not)."""
    return QUIET_HOURS if deferrable(purpose, urgent) and in_quiet_hours(moment) else None

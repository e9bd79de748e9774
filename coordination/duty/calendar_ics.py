"""Shifts as iCalendar (RFC 5545, the `icalendar` library): a person's feed, a team's feed and one
shift's .ics file (issue 20 §4).

Each shift is one VEVENT whose UID names the shift (and the kind of calendar), so a calendar app
refreshing the feed updates the event in place after a swap or a change of teammates, and drops it
when the person is taken off the shift or the shift is removed. Times carry the display zone
(TZID=Asia/Ho_Chi_Minh) with its VTIMEZONE. One query reads the shifts with everyone on them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vDuration

from models import Person, Shift, ShiftAssignment, Team, db
from models.shifts import BACKUP, MEMBER, PRIMARY

from coordination.clock import local_to_utc, local_today, local_zone, to_local, utcnow

DAYS_BEHIND = 7  # a shift just stood stays in the calendar for a week
DAYS_AHEAD = 92  # three months
MAX_EVENTS = 3000  # a 24/7 team with 8 shifts a day for three months is ~740
PRODID = "-//To Cong nghe cong dong//Ca truc//VI"


@dataclass
class FeedShift:
    id: int
    starts_at: datetime
    ends_at: datetime
    team_id: int
    team: str
    required: int
    note: Optional[str]
    people: list[tuple[int, str, str]] = field(default_factory=list)  # (person id, name, role), primary first


def window(now: Optional[datetime] = None) -> tuple[datetime, datetime]:
    """From a week ago to three months ahead, at Vietnam midnights."""
    today = to_local(now).date() if now else local_today()
    return (local_to_utc(today - timedelta(days=DAYS_BEHIND), time(0)),
            local_to_utc(today + timedelta(days=DAYS_AHEAD + 1), time(0)))


def _read(where, start: datetime, end: datetime) -> list[FeedShift]:
    """Shifts matching `where` in [start, end) with everyone on them: one query (outer joins, so a
    team's shift nobody stands yet is there too)."""
    order = sa.case((ShiftAssignment.role == PRIMARY, 0), (ShiftAssignment.role == BACKUP, 1), else_=2)
    rows = db.session.execute(
        sa.select(Shift.id, Shift.starts_at, Shift.ends_at, Shift.team_id, Team.name, Shift.required, Shift.note,
                  ShiftAssignment.person_id, Person.full_name, ShiftAssignment.role)
        .join(Team, Team.id == Shift.team_id)
        .outerjoin(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .outerjoin(Person, Person.id == ShiftAssignment.person_id)
        .where(where, Shift.ends_at > start, Shift.starts_at < end)
        .order_by(Shift.starts_at, Shift.id, order, Person.full_name)
        .limit(MAX_EVENTS * 10))
    shifts: dict[int, FeedShift] = {}
    for sid, starts, ends, team_id, team, required, note, person_id, name, role in rows:
        one = shifts.get(sid)
        if one is None:
            if len(shifts) >= MAX_EVENTS:
                break
            one = shifts[sid] = FeedShift(sid, starts, ends, team_id, team, required, note)
        if person_id is not None:
            one.people.append((person_id, name, role))
    return list(shifts.values())


def person_shifts(person_id: int, start: datetime, end: datetime) -> list[FeedShift]:
    mine = sa.select(ShiftAssignment.shift_id).where(ShiftAssignment.person_id == person_id)
    return _read(Shift.id.in_(mine), start, end)


def team_shifts(team_id: int, start: datetime, end: datetime) -> list[FeedShift]:
    return _read(Shift.team_id == team_id, start, end)


def one_shift(shift_id: int) -> Optional[FeedShift]:
    found = _read(Shift.id == shift_id, datetime(1970, 1, 1, tzinfo=timezone.utc),
                  datetime(9999, 1, 1, tzinfo=timezone.utc))
    return found[0] if found else None


def role_label(role: str) -> str:
    return {PRIMARY: _("primary"), BACKUP: _("backup"), MEMBER: _("on duty")}.get(role, role)


def _people_lines(shift: FeedShift, me: Optional[int]) -> list[str]:
    lines = []
    for role, label in ((PRIMARY, _("Primary: %(names)s")), (BACKUP, _("Backup: %(names)s")),
                        (MEMBER, _("On duty: %(names)s"))):
        names = [n for pid, n, r in shift.people if r == role and pid != me]
        if names:
            lines.append(label % {"names": ", ".join(names)})
    return lines


def _event(shift: FeedShift, uid: str, summary: str, lines: list[str], alarm_minutes: Optional[int],
           link: Optional[str], stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", to_local(shift.starts_at))
    event.add("dtend", to_local(shift.ends_at))
    event.add("summary", summary)
    if shift.note:
        lines = lines + [shift.note]
    if link:
        lines = lines + [link]
        event.add("url", link)
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    if alarm_minutes:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(minutes=-alarm_minutes))
        event.add_component(alarm)
    return event


def personal_event(shift: FeedShift, person_id: int, host: str, alarm_minutes: Optional[int],
                   link: Optional[str] = None, stamp: Optional[datetime] = None) -> Event:
    """My shift: my role in the title, the others on it (by role) and the team in the description."""
    role = next((r for pid, _n, r in shift.people if pid == person_id), MEMBER)
    others = _people_lines(shift, person_id)
    lines = [_("Team: %(team)s", team=shift.team), _("Your role: %(role)s", role=role_label(role))]
    lines += others or [_("Nobody else is on this shift.")]
    summary = _("Duty shift (%(role)s) · %(team)s", role=role_label(role), team=shift.team)
    return _event(shift, f"shift-{shift.id}@{host}", summary, lines, alarm_minutes, link, stamp or utcnow())


def team_event(shift: FeedShift, host: str, link: Optional[str] = None,
               stamp: Optional[datetime] = None) -> Event:
    """A team's shift for its lead: who stands it, and a visible mark when it is short of people."""
    staffed = len(shift.people)
    names = ", ".join(n for _pid, n, _r in shift.people) or _("nobody yet")
    summary = (_("Short of people (%(n)d/%(required)d): %(names)s", n=staffed, required=shift.required, names=names)
               if staffed < shift.required else _("Duty: %(names)s", names=names))
    lines = [_("Team: %(team)s", team=shift.team)] + _people_lines(shift, None)
    lines.append(_("Staffed: %(n)d of %(required)d", n=staffed, required=shift.required))
    return _event(shift, f"team-shift-{shift.id}@{host}", summary, lines, None, link, stamp or utcnow())


def calendar(name: str, events: list[Event], refresh_minutes: int = 60) -> bytes:
    """A VCALENDAR with its VTIMEZONE, asking subscribed apps to refresh every `refresh_minutes`."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", local_zone().key)
    cal.add("refresh-interval", timedelta(minutes=refresh_minutes), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(timedelta(minutes=refresh_minutes)))
    for event in events:
        cal.add_component(event)
    if events:
        cal.add_missing_timezones()
    return cal.to_ical()

"""Reporting completeness for the monthly report, in the spirit of DHIS2's reporting rates.

Expected to report: the teams with a task open at some time in the month (up to now for this month):
created before the month's end and not done or cancelled before it began. A progress report is an
update on one of the team's tasks with a count (progress) or a change of status (not a cancellation).
- reported: at least one progress report in the month;
- on time: a progress report in every week of the month in which the team had an open task — the
  month's weeks are days 1–7, 8–14, 15–21 and 22 to the month's end (Vietnam dates); for this month,
  the weeks that have begun.
Rates are per province (the teams' province); the teams that did not report are listed. Everything is
counted in SQL: one GROUP BY per team for what was needed, one for what was reported, then per province."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import AdminUnit, Task, TaskUpdate, Team, db
from models.geography import PROVINCE
from models.tasks import ACTIVE_STATUSES, CANCELLED, DONE

from coordination.clock import local_to_utc, utcnow

WEEK_STARTS = (1, 8, 15, 22)  # the month's weeks: 1–7, 8–14, 15–21, 22–end
MISSING_LIMIT = 500


@dataclass
class Rate:
    code: str
    name: str
    expected: int = 0
    reported: int = 0
    on_time: int = 0

    @property
    def reporting_rate(self) -> Optional[float]:
        return round(100.0 * self.reported / self.expected, 1) if self.expected else None

    @property
    def on_time_rate(self) -> Optional[float]:
        return round(100.0 * self.on_time / self.expected, 1) if self.expected else None


@dataclass
class Completeness:
    total: Rate
    lines: list[Rate]
    missing: list[tuple[str, str]]  # (commune team's name, province name), at most MISSING_LIMIT
    missing_count: int
    weeks: list[tuple[date, date]]  # the weeks counted


def weeks_of(first: date, cutoff: datetime) -> list[tuple[date, date, datetime, datetime]]:
    """(first day, last day, start, end in UTC) of the month's weeks that began before the cut-off."""
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    out = []
    for i, day in enumerate(WEEK_STARTS):
        begin = first.replace(day=day)
        stop = first.replace(day=WEEK_STARTS[i + 1]) if i + 1 < len(WEEK_STARTS) else after
        start = local_to_utc(begin, time(0))
        if start < cutoff:
            out.append((begin, stop - timedelta(days=1), start, min(local_to_utc(stop, time(0)), cutoff)))
    return out


def _open_during(start: datetime, end: datetime):
    return sa.and_(Task.created_at < end, sa.or_(
        Task.status.in_(ACTIVE_STATUSES), sa.and_(Task.status == DONE, Task.completed_at >= start),
        sa.and_(Task.status == CANCELLED, Task.updated_at >= start)))


def _flag(condition):
    return sa.func.max(sa.case((condition, 1), else_=0))


def _teams(weeks, province_code: Optional[str]):
    """A subquery per expected team: team_id, province_code, reported (0/1), on_time (0/1)."""
    start, end = weeks[0][2], weeks[-1][3]
    needed = (sa.select(Task.team_id.label("team_id"), sa.func.max(Task.province_code).label("province_code"),
                        *[_flag(_open_during(s, e)).label(f"n{i}") for i, (_a, _b, s, e) in enumerate(weeks)])
              .where(_open_during(start, end)).group_by(Task.team_id))
    progress = sa.or_(TaskUpdate.delta.is_not(None),
                      sa.and_(TaskUpdate.to_status.is_not(None), TaskUpdate.to_status != CANCELLED))
    reported = (sa.select(Task.team_id.label("team_id"),
                          *[_flag(sa.and_(TaskUpdate.at >= s, TaskUpdate.at < e)).label(f"r{i}")
                            for i, (_a, _b, s, e) in enumerate(weeks)])
                .join(TaskUpdate, TaskUpdate.task_id == Task.id)
                .where(progress, TaskUpdate.at >= start, TaskUpdate.at < end).group_by(Task.team_id))
    if province_code:
        needed = needed.where(Task.province_code == province_code)
        reported = reported.where(Task.province_code == province_code)
    needed, reported = needed.subquery(), reported.subquery()
    on_time = sa.and_(*[sa.or_(needed.c[f"n{i}"] == 0, sa.func.coalesce(reported.c[f"r{i}"], 0) == 1)
                        for i in range(len(weeks))])
    return (sa.select(needed.c.team_id, needed.c.province_code,
                      sa.case((reported.c.team_id.is_not(None), 1), else_=0).label("reported"),
                      sa.case((on_time, 1), else_=0).label("on_time"))
            .outerjoin(reported, reported.c.team_id == needed.c.team_id).subquery())


def build(first: date, province_code: Optional[str] = None, now: Optional[datetime] = None) -> Completeness:
    now = now or utcnow()
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    weeks = weeks_of(first, min(local_to_utc(after, time(0)), now))
    names = db.session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(AdminUnit.level == PROVINCE).where(
        AdminUnit.code == province_code if province_code else sa.true()).order_by(AdminUnit.code)).all()
    lines = {code: Rate(code, name) for code, name in names}
    total = Rate("", "")
    if not weeks:
        return Completeness(total, list(lines.values()), [], 0, [])
    teams = _teams(weeks, province_code)
    q = (sa.select(teams.c.province_code, sa.func.count(), sa.func.sum(teams.c.reported), sa.func.sum(teams.c.on_time))
         .group_by(teams.c.province_code))
    for code, expected, reported, on_time in db.session.execute(q):
        line = lines.setdefault(code, Rate(code, code))
        line.expected, line.reported, line.on_time = int(expected), int(reported or 0), int(on_time or 0)
        total.expected, total.reported, total.on_time = (total.expected + line.expected,
                                                         total.reported + line.reported, total.on_time + line.on_time)
    province = aliased(AdminUnit)
    missing = db.session.execute(
        sa.select(AdminUnit.name, province.name).select_from(teams).join(Team, Team.id == teams.c.team_id)
        .join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
        .join(province, province.code == teams.c.province_code)
        .where(teams.c.reported == 0).order_by(province.name, AdminUnit.name).limit(MISSING_LIMIT)).all()
    return Completeness(total, list(lines.values()), [tuple(r) for r in missing], total.expected - total.reported,
                        [(a, b) for a, b, _s, _e in weeks])

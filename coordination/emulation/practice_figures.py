"""The figures of a good practice, from the platform's own data (SQL aggregates):

- before / after: the progress a team reported on its tasks of the practice's kind of work, per week,
  in the 4 weeks (28 Vietnam days) before a start date and in the 4 weeks from it (or the weeks
  elapsed so far: at least one whole week is needed, else "too early"). For the team that wrote it,
  from its start date; for each team that applied it, from the day it applied it. One statement for
  all the teams of a practice.
- the map's points: the writing team and the teams that applied it, at their communes' centroids.
- the movement criterion "practices applied": per team, its practices published during the movement
  plus the times other teams applied one of them then (models.movements.PRACTICES_APPLIED)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa

from models import AdminUnit, Practice, PracticeApplication, Task, TaskUpdate, Team, db
from models.practices import PUBLISHED

from coordination.clock import local_to_utc, utcnow

WEEKS = 4


@dataclass(frozen=True)
class BeforeAfter:
    before: float  # total in the 4 weeks before
    after: float  # total since the start (at most 4 weeks)
    after_weeks: float  # weeks elapsed since the start, at most 4 (less than 1: too early)

    @property
    def too_early(self) -> bool:
        return self.after_weeks < 1

    @property
    def before_per_week(self) -> float:
        return round(self.before / WEEKS, 1)

    @property
    def after_per_week(self) -> Optional[float]:
        return None if self.too_early else round(self.after / self.after_weeks, 1)

    @property
    def change_percent(self) -> Optional[float]:
        """The change of the weekly figure in %, where the data allows (some progress before, a week after)."""
        if self.too_early or self.before <= 0:
            return None
        return round(100.0 * (self.after / self.after_weeks - self.before / WEEKS) / (self.before / WEEKS), 1)


def _window(start: date, now: datetime) -> tuple[datetime, datetime, datetime, float]:
    lo = local_to_utc(start - timedelta(days=7 * WEEKS), time(0))
    mid = local_to_utc(start, time(0))
    hi = min(local_to_utc(start + timedelta(days=7 * WEEKS), time(0)), now)
    return lo, mid, hi, max(0.0, (hi - mid).total_seconds() / 604800)


def before_after(kind: str, starts: dict[int, date], now: Optional[datetime] = None) -> dict[int, BeforeAfter]:
    """{team id: BeforeAfter} around each team's own start date, for the tasks of one kind of work."""
    now = now or utcnow()
    if not starts:
        return {}
    windows = {team: _window(day, now) for team, day in starts.items()}
    period = sa.case(*[(sa.and_(Task.team_id == team, TaskUpdate.at < mid), "before")
                       for team, (_lo, mid, _hi, _w) in windows.items()], else_="after").label("period")
    rows = (sa.select(Task.team_id.label("team_id"), period, TaskUpdate.delta.label("delta"))
            .join(TaskUpdate, TaskUpdate.task_id == Task.id)
            .where(Task.kind == kind, TaskUpdate.delta.is_not(None),
                   sa.or_(*[sa.and_(Task.team_id == team, TaskUpdate.at >= lo, TaskUpdate.at < hi)
                            for team, (lo, _mid, hi, _w) in windows.items()]))).subquery()
    sums: dict[tuple[int, str], float] = {}
    for team, when, total in db.session.execute(
            sa.select(rows.c.team_id, rows.c.period, sa.func.sum(rows.c.delta)).group_by(rows.c.team_id, rows.c.period)):
        sums[(team, when)] = float(total or 0)
    return {team: BeforeAfter(sums.get((team, "before"), 0.0), sums.get((team, "after"), 0.0), round(w, 2))
            for team, (_lo, _mid, _hi, w) in windows.items()}


def map_points(practice: Practice, applied_team_ids: list[int]) -> list[tuple[float, float, str, str, int]]:
    """(lat, lon, state, name, -1): "started" for the team that wrote it, "done" for those that applied it."""
    ids = [practice.team_id, *applied_team_ids]
    q = (sa.select(Team.id, AdminUnit.lat, AdminUnit.lon, Team.name)
         .join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .where(Team.id.in_(ids), AdminUnit.lat.is_not(None), AdminUnit.lon.is_not(None)))
    out = []
    for team_id, lat, lon, name in db.session.execute(q):
        out.append((float(lat), float(lon), "started" if team_id == practice.team_id else "done", name, -1))
    return sorted(out, key=lambda p: p[2] != "started")


def criterion_events(teams, start: datetime, end: datetime):
    """A subquery (team_id, at): one row per practice of the teams published in [start, end), and one per
    time another team marked one of their published practices applied in that period."""
    published = sa.select(Practice.team_id.label("team_id"), Practice.published_at.label("at")).where(
        Practice.team_id.in_(teams), Practice.state == PUBLISHED, Practice.published_at >= start,
        Practice.published_at < end)
    applied = (sa.select(Practice.team_id.label("team_id"), PracticeApplication.created_at.label("at"))
               .join(PracticeApplication, PracticeApplication.practice_id == Practice.id)
               .where(Practice.team_id.in_(teams), Practice.state == PUBLISHED,
                      PracticeApplication.team_id != Practice.team_id,
                      PracticeApplication.created_at >= start, PracticeApplication.created_at < end))
    return sa.union_all(published, applied).subquery("practice_events")

"""Coverage for the ministry's map and the dashboards: per commune, per province, nationally.

Every figure is a SQL aggregate computed at request time; `live` keeps a result at most
LIVE_CACHE_SECONDS (default 60) per process. Only counts leave this module: never names of
volunteers or phone numbers."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from models import AdminUnit, CheckIn, DutySession, Membership, Shift, ShiftAssignment, Task, Team, db
from models.geography import COMMUNE as COMMUNE_UNIT
from models.geography import PROVINCE as PROVINCE_UNIT
from models.shifts import CHECK_IN
from models.tasks import ACTIVE_STATUSES, CANCELLED, DONE
from models.teams import LOCAL_TEAMS

from coordination.clock import local_date_sql, local_today, utcnow

NO_TEAM, TEAM, ON_DUTY, EMPTY_TEAM = 0, 1, 2, 3  # a commune's status on the map (EMPTY_TEAM: a team, no members)

_cache: dict = {}
_lock = threading.Lock()


def live(fn):
    """Memoise a read for LIVE_CACHE_SECONDS (0 turns it off), keyed by its arguments."""
    @wraps(fn)
    def wrapper(*args):
        ttl = current_app.config.get("LIVE_CACHE_SECONDS", 60)
        key = (fn.__name__, args)
        now = time.monotonic()
        hit = _cache.get(key)
        if ttl and hit and hit[0] > now:
            return hit[1]
        value = fn(*args)
        if ttl:
            with _lock:
                _cache[key] = (now + ttl, value)
        return value
    return wrapper


def clear_cache() -> None:
    with _lock:
        _cache.clear()


@dataclass
class CommuneCoverage:
    code: str
    name: str
    province_code: str
    lat: Optional[float]
    lon: Optional[float]
    members: int
    on_duty: int
    tasks: int
    tasks_done: int
    gaps: int
    teams: int = 0

    @property
    def status(self) -> int:
        return ON_DUTY if self.on_duty else TEAM if self.members else EMPTY_TEAM if self.teams else NO_TEAM


@dataclass
class ProvinceCoverage:
    code: str
    name: str
    communes: int
    covered: int  # communes with a team that has at least one active member
    members: int
    on_duty: int
    tasks: int
    tasks_done: int
    gaps: int

    @property
    def coverage_pct(self) -> float:
        return round(100 * self.covered / self.communes, 1) if self.communes else 0.0

    @property
    def tasks_done_pct(self) -> Optional[float]:
        return round(100 * self.tasks_done / self.tasks, 1) if self.tasks else None


def _by_commune(province_code: Optional[str], now: datetime):
    """Subquery: one row per commune (of a province, or all 3,321) with its counts."""
    def local(q):
        q = q.where(Team.level.in_(LOCAL_TEAMS))
        return q.where(Team.province_code == province_code) if province_code else q

    code = Team.admin_unit_code.label("code")
    members = local(sa.select(code, sa.func.count(sa.distinct(Membership.person_id)).label("n"))
                    .select_from(Membership).join(Team, Team.id == Membership.team_id).where(Membership.end_date.is_(None))
                    ).group_by(Team.admin_unit_code).subquery()
    on_duty = local(sa.select(code, sa.func.count().label("n")).select_from(DutySession)
                    .join(Team, Team.id == DutySession.team_id)
                    .where(DutySession.ended_at.is_(None))).group_by(Team.admin_unit_code).subquery()
    tasks = local(sa.select(code, sa.func.count().label("n"),
                            sa.func.count().filter(Task.status == DONE).label("done"))
                  .select_from(Task).join(Team, Team.id == Task.team_id).where(Task.status != CANCELLED)
                  ).group_by(Team.admin_unit_code).subquery()
    assigned = (sa.select(sa.func.count()).select_from(ShiftAssignment)
                .where(ShiftAssignment.shift_id == Shift.id).scalar_subquery())
    gaps = local(sa.select(code, sa.func.count().label("n")).select_from(Shift)
                 .join(Team, Team.id == Shift.team_id)
                 .where(Shift.ends_at > now, Shift.starts_at < now + timedelta(days=7), assigned < Shift.required)
                 ).group_by(Team.admin_unit_code).subquery()
    teams = local(sa.select(code, sa.func.count().label("n")).select_from(Team)).group_by(Team.admin_unit_code).subquery()
    zero = sa.func.coalesce
    query = (sa.select(AdminUnit.code, AdminUnit.name, AdminUnit.province_code, AdminUnit.lat, AdminUnit.lon,
                       zero(members.c.n, 0).label("members"), zero(on_duty.c.n, 0).label("on_duty"),
                       zero(tasks.c.n, 0).label("tasks"), zero(tasks.c.done, 0).label("tasks_done"),
                       zero(gaps.c.n, 0).label("gaps"), zero(teams.c.n, 0).label("teams"))
             .outerjoin(members, members.c.code == AdminUnit.code).outerjoin(on_duty, on_duty.c.code == AdminUnit.code)
             .outerjoin(tasks, tasks.c.code == AdminUnit.code).outerjoin(gaps, gaps.c.code == AdminUnit.code)
             .outerjoin(teams, teams.c.code == AdminUnit.code)
             .where(AdminUnit.level == COMMUNE_UNIT))
    return query.where(AdminUnit.province_code == province_code) if province_code else query


@live
def communes(province_code: Optional[str] = None) -> list[CommuneCoverage]:
    """Every commune (of one province, or of the country) with its counts, by name."""
    rows = db.session.execute(_by_commune(province_code, utcnow()).order_by(AdminUnit.name)).all()
    return [CommuneCoverage(*row) for row in rows]


@live
def provinces() -> list[ProvinceCoverage]:
    """The 34 provinces: communes covered, members, on duty now, tasks, gaps. A roll-up of the
    3,321 commune rows `communes()` already aggregated in SQL (and cached), so the map page pays
    for the big GROUP BYs once."""
    names = dict(db.session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                    .where(AdminUnit.level == PROVINCE_UNIT)).all())
    per: dict[str, list[CommuneCoverage]] = {code: [] for code in names}
    for c in communes(None):
        per[c.province_code].append(c)
    return sorted((roll_up(code, names[code], rows) for code, rows in per.items()), key=lambda p: p.name)


def roll_up(code: str, name: str, rows: list[CommuneCoverage]) -> ProvinceCoverage:
    """A province's figures from its commune rows."""
    return ProvinceCoverage(code, name, len(rows), sum(1 for c in rows if c.members), sum(c.members for c in rows),
                            sum(c.on_duty for c in rows), sum(c.tasks for c in rows),
                            sum(c.tasks_done for c in rows), sum(c.gaps for c in rows))


@dataclass
class Dashboard:
    teams: int
    volunteers: int
    on_duty: int
    tasks_done: int
    tasks_open: int
    tasks_overdue: int
    checkins_24h: int
    days: list[date]
    checkins_per_day: list[int]
    tasks_done_per_day: list[int]


@live
def dashboard(province_code: Optional[str] = None, days: int = 30) -> Dashboard:
    """The headline counts of the country or a province, and 30 days of check-ins and tasks done."""
    now, today = utcnow(), local_today()
    first = today - timedelta(days=days - 1)
    since = now - timedelta(days=days + 1)  # a little wider than `first`, cut by local day below

    def scoped(q, team_col):
        if province_code is None:
            return q
        return q.join(Team, Team.id == team_col).where(Team.province_code == province_code)

    session = db.session
    teams_q = sa.select(sa.func.count()).select_from(Team).where(Team.level.in_(LOCAL_TEAMS))
    people_q = (sa.select(sa.func.count(sa.distinct(Membership.person_id))).join(Team, Team.id == Membership.team_id)
                .where(Membership.end_date.is_(None), Team.level.in_(LOCAL_TEAMS)))
    if province_code:
        teams_q = teams_q.where(Team.province_code == province_code)
        people_q = people_q.where(Team.province_code == province_code)
    duty_q = sa.select(sa.func.count()).select_from(DutySession).where(DutySession.ended_at.is_(None))
    if province_code:
        duty_q = duty_q.where(DutySession.province_code == province_code)
    active = Task.status.in_(ACTIVE_STATUSES)
    task_q = sa.select(sa.func.count().filter(Task.status == DONE), sa.func.count().filter(active),
                       sa.func.count().filter(active, Task.due_date < today)).select_from(Task)
    if province_code:
        task_q = task_q.where(Task.province_code == province_code)
    done, open_, overdue = session.execute(task_q).one()
    recent = scoped(sa.select(sa.func.count()).select_from(CheckIn), CheckIn.team_id).where(
        CheckIn.occurred_at >= now - timedelta(hours=24), CheckIn.kind == CHECK_IN)
    dialect = db.engine.dialect.name
    day = local_date_sql(CheckIn.occurred_at, dialect)
    per_day = dict(session.execute(scoped(sa.select(day, sa.func.count()).select_from(CheckIn), CheckIn.team_id)
                                   .where(CheckIn.occurred_at >= since, CheckIn.kind == CHECK_IN).group_by(day)).all())
    done_day = local_date_sql(Task.completed_at, dialect)
    done_q = sa.select(done_day, sa.func.count()).where(Task.status == DONE, Task.completed_at >= since)
    if province_code:
        done_q = done_q.where(Task.province_code == province_code)
    done_per_day = dict(session.execute(done_q.group_by(done_day)).all())
    all_days = [first + timedelta(days=i) for i in range(days)]

    def series(counts: dict) -> list[int]:
        by_day = {(d if isinstance(d, date) else date.fromisoformat(str(d))): n for d, n in counts.items() if d}
        return [int(by_day.get(d, 0)) for d in all_days]

    return Dashboard(session.scalar(teams_q) or 0, session.scalar(people_q) or 0, session.scalar(duty_q) or 0,
                     done or 0, open_ or 0, overdue or 0, session.scalar(recent) or 0, all_days,
                     series(per_day), series(done_per_day))

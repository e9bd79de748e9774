"""Reading duty: who is on duty now, understaffed shifts, a volunteer's shifts, hours on duty;
and closing sessions left open. All aggregates are SQL; "on duty now" reads only open sessions
(a partial index)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa

from models import (AdminUnit, CheckIn, DutySession, Membership, Person, Shift, ShiftAssignment, ShiftChange, Team,
                    db)
from models.geography import PROVINCE as PROVINCE_UNIT
from models.shifts import BACKUP, CHECK_OUT, GIVE_BACK, OPEN, PRIMARY
from models.teams import LEAD
from coordination.clock import local_to_utc, local_today, utcnow
from coordination.duty.checkins import EARLY


def on_duty_by_province() -> dict[str, int]:
    """Province code -> people on duty now, for all 34 provinces (zeros included)."""
    counts = (sa.select(DutySession.province_code.label("code"), sa.func.count().label("n"))
              .where(DutySession.ended_at.is_(None)).group_by(DutySession.province_code).subquery())
    return dict(db.session.execute(
        sa.select(AdminUnit.code, sa.func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.code == AdminUnit.code)
        .where(AdminUnit.level == PROVINCE_UNIT)).all())


def on_duty_by_team(province_code: str) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(DutySession.team_id, sa.func.count()).where(DutySession.ended_at.is_(None),
                                                              DutySession.province_code == province_code)
        .group_by(DutySession.team_id)).all())


def on_duty_people(team_id: int) -> list[tuple[Person, DutySession]]:
    return list(db.session.execute(
        sa.select(Person, DutySession).join(DutySession, DutySession.person_id == Person.id)
        .where(DutySession.team_id == team_id, DutySession.ended_at.is_(None)).order_by(DutySession.started_at)).all())


def _assigned():
    """People assigned to the outer query's shift: a correlated count read from the (shift_id, person_id)
    index for just the shifts selected, not a GROUP BY over every assignment in the country."""
    return (sa.select(sa.func.count()).select_from(ShiftAssignment).where(ShiftAssignment.shift_id == Shift.id)
            .correlate(Shift).scalar_subquery())


@dataclass
class ShiftRow:
    shift: Shift
    staffed: int

    @property
    def gap(self) -> bool:
        return self.staffed < self.shift.required


def team_shifts(team_id: int, start: datetime, end: datetime) -> list[ShiftRow]:
    rows = db.session.execute(
        sa.select(Shift, _assigned()).where(Shift.team_id == team_id, Shift.ends_at > start, Shift.starts_at < end)
        .order_by(Shift.starts_at))
    return [ShiftRow(s, n) for s, n in rows]


def assignments_for(shift_ids: list[int]) -> dict[int, list[tuple[ShiftAssignment, str]]]:
    out: dict[int, list] = {sid: [] for sid in shift_ids}
    if shift_ids:
        for a, name in db.session.execute(
                sa.select(ShiftAssignment, Person.full_name).join(Person, Person.id == ShiftAssignment.person_id)
                .where(ShiftAssignment.shift_id.in_(shift_ids)).order_by(ShiftAssignment.role, Person.full_name)):
            out[a.shift_id].append((a, name))
    return out


def province_gaps(province_code: str, now: Optional[datetime] = None, days: int = 7,
                  team_id: Optional[int] = None) -> dict[int, int]:
    """Commune team id -> understaffed shifts in the next `days` days (one GROUP BY); with
    `team_id`, that team only."""
    now = now or utcnow()
    query = (sa.select(Shift.team_id, sa.func.count())
             .where(Shift.province_code == province_code, Shift.ends_at > now,
                    Shift.starts_at < now + timedelta(days=days), _assigned() < Shift.required)
             .group_by(Shift.team_id))
    if team_id is not None:
        query = query.where(Shift.team_id == team_id)
    return dict(db.session.execute(query).all())


@dataclass
class MyDuty:
    open_session: Optional[DutySession]
    current: list[Shift]
    upcoming: list[Shift]
    open_shifts: list[ShiftRow]  # understaffed shifts of my teams I could claim


def person_duty(person_id: int, team_ids: list[int], now: Optional[datetime] = None, upcoming: int = 5) -> MyDuty:
    now = now or utcnow()
    mine = (sa.select(Shift).join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
            .where(ShiftAssignment.person_id == person_id))
    # "now": the shifts a check-in would count for (from EARLY before their start to their end)
    current = db.session.scalars(mine.where(Shift.starts_at <= now + EARLY, Shift.ends_at > now)
                                 .order_by(Shift.starts_at)).all()
    nxt = db.session.scalars(mine.where(Shift.starts_at > now + EARLY).order_by(Shift.starts_at)
                             .limit(upcoming)).all()
    open_session = db.session.scalar(sa.select(DutySession).where(DutySession.person_id == person_id,
                                                                  DutySession.ended_at.is_(None)))
    assigned = _assigned()
    mine_ids = sa.select(ShiftAssignment.shift_id).where(ShiftAssignment.person_id == person_id)
    # a place a teammate gave back is open to take until its deadline, though the shift looks full
    given_back = sa.select(ShiftChange.shift_id).where(ShiftChange.state == OPEN, ShiftChange.kind == GIVE_BACK,
                                                       ShiftChange.deadline_at > now)
    claimable = db.session.execute(
        sa.select(Shift, assigned)
        .where(Shift.team_id.in_(team_ids), Shift.starts_at > now, Shift.starts_at < now + timedelta(days=7),
               sa.or_(assigned < Shift.required, Shift.id.in_(given_back)), Shift.id.not_in(mine_ids))
        .order_by(Shift.starts_at).limit(10)).all() if team_ids else []
    return MyDuty(open_session, list(current), list(nxt), [ShiftRow(s, n) for s, n in claimable])


class LedTeam(NamedTuple):
    team_id: int
    name: str
    on_duty: list  # (full name, phone, started_at) of those on duty now, earliest first
    gaps_today: list[ShiftRow]  # shifts from now to the end of today (Vietnam) with fewer people than required


def led_teams_duty(team_ids, now: Optional[datetime] = None) -> list[LedTeam]:
    """What a lead opening the duty app wants to know of the teams they lead: who is on duty now
    and which of today's remaining shifts lack people (three queries for all the teams)."""
    ids = sorted(team_ids)
    if not ids:
        return []
    now = now or utcnow()
    end_of_day = local_to_utc(local_today() + timedelta(days=1), time(0))
    names = team_names(ids)
    on: dict[int, list] = {i: [] for i in ids}
    for team_id, name, phone, started in db.session.execute(
            sa.select(DutySession.team_id, Person.full_name, Person.phone, DutySession.started_at)
            .join(Person, Person.id == DutySession.person_id)
            .where(DutySession.team_id.in_(ids), DutySession.ended_at.is_(None)).order_by(DutySession.started_at)):
        on[team_id].append((name, phone, started))
    gaps: dict[int, list] = {i: [] for i in ids}
    for shift, staffed in db.session.execute(
            sa.select(Shift, _assigned()).where(Shift.team_id.in_(ids), Shift.ends_at > now, Shift.starts_at < end_of_day,
                                                _assigned() < Shift.required).order_by(Shift.starts_at)):
        gaps[shift.team_id].append(ShiftRow(shift, staffed))
    return [LedTeam(i, names.get(i, ""), on[i], gaps[i]) for i in ids]


class OnShift(NamedTuple):
    person_id: int
    full_name: str
    phone: str
    role: str  # primary, backup or member


def people_on(shift_ids: list[int]) -> dict[int, list[OnShift]]:
    """Who is on each of these shifts (primary first, then backup, then by name): one query."""
    order = sa.case((ShiftAssignment.role == PRIMARY, 0), (ShiftAssignment.role == BACKUP, 1), else_=2)
    out: dict[int, list[OnShift]] = {}
    rows = db.session.execute(
        sa.select(ShiftAssignment.shift_id, Person.id, Person.full_name, Person.phone, ShiftAssignment.role)
        .join(Person, Person.id == ShiftAssignment.person_id).where(ShiftAssignment.shift_id.in_(shift_ids))
        .order_by(order, Person.full_name)) if shift_ids else []
    for shift_id, *row in rows:
        out.setdefault(shift_id, []).append(OnShift(*row))
    return out


def leads_of(team_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """(name, phone) of each team's current leads: one query."""
    out: dict[int, list[tuple[str, str]]] = {}
    rows = db.session.execute(
        sa.select(Membership.team_id, Person.full_name, Person.phone).join(Person, Person.id == Membership.person_id)
        .where(Membership.team_id.in_(team_ids), Membership.role == LEAD, Membership.end_date.is_(None))
        .order_by(Person.full_name)) if team_ids else []
    for team_id, name, phone in rows:
        out.setdefault(team_id, []).append((name, phone))
    return out


def hours_expr(start: datetime, end: datetime, now: datetime):
    """Hours of each session inside [start, end), open sessions counted until now."""
    stop = sa.func.coalesce(DutySession.ended_at, now)
    if db.engine.dialect.name == "sqlite":
        lo = sa.func.max(DutySession.started_at, start)
        hi = sa.func.min(stop, end)
        return (sa.func.julianday(hi) - sa.func.julianday(lo)) * 24.0
    lo = sa.func.greatest(DutySession.started_at, start)
    hi = sa.func.least(stop, end)
    return sa.extract("epoch", hi - lo) / 3600.0


def hours_on_duty(start: datetime, end: datetime, team_id: Optional[int] = None, person_id: Optional[int] = None,
                  by: str = "person", now: Optional[datetime] = None) -> dict[int, float]:
    """Hours on duty within a period, per person (or per team), clipped to the period."""
    now = now or utcnow()
    key = DutySession.person_id if by == "person" else DutySession.team_id
    q = (sa.select(key, sa.func.sum(hours_expr(start, end, now)))
         .where(DutySession.started_at < end, sa.func.coalesce(DutySession.ended_at, now) > start)
         .group_by(key))
    if team_id is not None:
        q = q.where(DutySession.team_id == team_id)
    if person_id is not None:
        q = q.where(DutySession.person_id == person_id)
    return {k: round(float(h or 0), 2) for k, h in db.session.execute(q)}


class MonthHours(NamedTuple):
    this_month: float
    last_month: float


def month_hours(person_id: int, today: Optional[date] = None) -> MonthHours:
    """A volunteer's hours on duty this calendar month (until now) and last month, Vietnam months."""
    today = today or local_today()
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start_last, start_this, start_next = (local_to_utc(d, time(0)) for d in (previous, first, following))
    this = hours_on_duty(start_this, start_next, person_id=person_id).get(person_id, 0.0)
    last = hours_on_duty(start_last, start_this, person_id=person_id).get(person_id, 0.0)
    return MonthHours(this, last)


def team_names(team_ids) -> dict[int, str]:
    ids = list(team_ids)
    return dict(db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(ids))).all()) if ids else {}


def close_stale_sessions(now: Optional[datetime] = None, grace: timedelta = timedelta(hours=2),
                         ad_hoc_hours: int = 12) -> int:
    """Close sessions still open `grace` after their shift ended (at the shift's end), and ad-hoc
    sessions after `ad_hoc_hours` + grace (at start + ad_hoc_hours). Each closing is marked
    automatic and leaves an automatic check-out row. Returns how many were closed."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(DutySession, Shift.ends_at).outerjoin(Shift, Shift.id == DutySession.shift_id)
        .where(DutySession.ended_at.is_(None),
               sa.or_(sa.and_(Shift.id.is_not(None), Shift.ends_at < now - grace),
                      sa.and_(Shift.id.is_(None), DutySession.started_at < now - grace - timedelta(hours=ad_hoc_hours))))
        .with_for_update(of=DutySession, skip_locked=True)).all()
    for session, shift_end in rows:
        end = shift_end or session.started_at + timedelta(hours=ad_hoc_hours)
        session.ended_at, session.automatic = max(end, session.started_at), True
        db.session.add(CheckIn(client_uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"auto-close/{session.id}")),
                               person_id=session.person_id, team_id=session.team_id, shift_id=session.shift_id,
                               kind=CHECK_OUT, occurred_at=session.ended_at, received_at=now, automatic=True))
    return len(rows)

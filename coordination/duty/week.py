"""A team's week as a grid: days × shift times, who is on each shift, gaps, and for each shift the
members to pick from, the free ones first (three queries for the whole week)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from models import Shift, db

from coordination.clock import local_to_utc, to_local
from coordination.duty import queries, rota_rules
from coordination.duty.patterns import member_choices, person_spans

FREE, WARN, BUSY = "free", "warn", "busy"


@dataclass
class Pick:
    person_id: int
    name: str
    state: str  # FREE, WARN (rest or run warning), BUSY (on another shift then: refused)


@dataclass
class Cell:
    shift: Shift
    people: list  # (ShiftAssignment, name)
    picks: list[Pick] = field(default_factory=list)

    @property
    def gap(self) -> bool:
        return len(self.people) < self.shift.required

    @property
    def full(self) -> bool:
        return len(self.people) >= self.shift.required


@dataclass
class Week:
    monday: date
    days: list[date]
    times: list[str]  # "06:00–14:00"
    cells: dict[tuple[date, str], Cell]

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells.values() if c.gap)


def label(shift: Shift) -> str:
    return f"{to_local(shift.starts_at):%H:%M}–{to_local(shift.ends_at):%H:%M}"


def picks_for(shift: Shift, on: set[int], members: list[tuple[int, str]], spans: dict) -> list[Pick]:
    out = []
    for pid, name in members:
        if pid in on:
            continue
        others = [(s, e) for sid, s, e in spans.get(pid, []) if sid != shift.id]
        if rota_rules.overlaps(shift.starts_at, shift.ends_at, others):
            state = BUSY
        elif rota_rules.warnings(shift.starts_at, shift.ends_at, 10**6, 0, name, others):
            state = WARN
        else:
            state = FREE
        out.append(Pick(pid, name, state))
    order = {FREE: 0, WARN: 1, BUSY: 2}
    return sorted(out, key=lambda p: order[p.state])


def team_week(team_id: int, monday: date) -> Week:
    start = local_to_utc(monday, datetime.min.time())
    end = start + timedelta(days=7)
    shifts = db.session.scalars(sa.select(Shift).where(Shift.team_id == team_id, Shift.starts_at >= start,
                                                       Shift.starts_at < end).order_by(Shift.starts_at)).all()
    staffing = queries.assignments_for([s.id for s in shifts])
    members = member_choices(team_id)
    spans = person_spans([pid for pid, _n in members], start - timedelta(days=1), end + timedelta(days=1))
    days = [monday + timedelta(days=i) for i in range(7)]
    cells = {}
    for s in shifts:
        on = {a.person_id for a, _n in staffing[s.id]}
        cells[(to_local(s.starts_at).date(), label(s))] = Cell(s, staffing[s.id], picks_for(s, on, members, spans))
    times = sorted({t for _d, t in cells})
    return Week(monday, days, times, cells)


def cell(shift: Shift) -> Cell:
    """One shift's cell, after a change (the page swaps it in without a reload)."""
    staffing = queries.assignments_for([shift.id])[shift.id]
    members = member_choices(shift.team_id)
    spans = person_spans([pid for pid, _n in members], shift.starts_at - timedelta(days=1),
                         shift.ends_at + timedelta(days=1))
    return Cell(shift, staffing, picks_for(shift, {a.person_id for a, _n in staffing}, members, spans))

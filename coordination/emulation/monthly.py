"""The emulation section of the monthly report (issue 22 §5), for one Vietnam calendar month,
national or for one province. The reports package may not import emulation (same layer), so the web
layer puts this next to coordination.reports.monthly. Definitions (stated on the page too):
- movements running in the month: their period overlaps it; a province's report shows the national
  movements restricted to its teams and its own movements;
- registered: the registration approved before the month's end (or now, this month), of the teams
  taking part;
- on track / behind: the movement's own score (standings.ranking) at the month's end, against the
  share of the movement's period gone by then: on track when the score is at least that share;
- top movers: the biggest rise in score from the month's first day to its end;
- practices: published in the month (where the practice's team is), applied in the month (the
  applying team's Vietnam date);
- commendations: proposed in the month, decided in the month (approved / rejected) with the median
  and longest days from proposal to decision; open at the month's end and of those waiting longer
  than allowed (commendation_waits.max_wait_days), and the longest of those waits.
Counts are SQL aggregates; scores come from standings.ranking (not re-implemented here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa

from models import AdminUnit, Commendation, Movement, MovementTeam, Practice, PracticeApplication, Team, db
from models.emulation import APPROVED as COMMENDED, REJECTED
from models.movements import APPROVED
from models.practices import PUBLISHED

from coordination.clock import local_to_utc, utcnow
from coordination.emulation import fairness, standings
from coordination.emulation.commendation_waits import max_wait_days

TOP_MOVERS = 5


@dataclass
class Mover:
    team_id: int
    name: str
    province: str
    before: float
    after: float

    @property
    def gain(self) -> float:
        return round(self.after - self.before, 1)


@dataclass
class MovementLine:
    movement: Movement
    participating: int = 0
    registered: int = 0
    on_track: int = 0
    behind: int = 0
    expected: float = 0.0  # % of the movement's period gone at the cut-off
    movers: list[Mover] = field(default_factory=list)

    @property
    def registration_rate(self) -> Optional[float]:
        return round(100.0 * self.registered / self.participating, 1) if self.participating else None


@dataclass
class Waits:
    proposed: int = 0
    approved: int = 0
    rejected: int = 0
    median_days: Optional[float] = None  # proposal to decision, decided in the month
    longest_days: Optional[float] = None
    open_at_end: int = 0
    overdue: int = 0
    longest_open_days: Optional[int] = None  # whole days the oldest open proposal had waited

    @property
    def decided(self) -> int:
        return self.approved + self.rejected


@dataclass
class EmulationMonth:
    month: date
    province_code: Optional[str]
    cutoff: datetime  # the month's end, or now for this month
    movements: list[MovementLine]
    practices: list  # (title, team name, province code, published at, times applied so far)
    practices_published: int
    practices_applied: int
    commendations: Waits
    provinces: dict[str, str] = field(default_factory=dict)  # {code: name} of the provinces named above

    @property
    def max_wait(self) -> tuple[int, int]:
        """Days an open proposal may wait: (ad hoc, regular)."""
        return max_wait_days(True), max_wait_days(False)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _running(first: date, last: date, province_code: Optional[str]) -> list[Movement]:
    q = sa.select(Movement).where(Movement.start_date <= last, Movement.end_date >= first)
    if province_code:
        q = q.where(sa.or_(Movement.province_code.is_(None), Movement.province_code == province_code))
    return list(db.session.scalars(q.order_by(Movement.province_code.is_not(None), Movement.start_date, Movement.id)))


def _registered_by(cutoff: datetime):
    """Approved before the cut-off (an approval without a time counts: it was approved at some point)."""
    return sa.and_(MovementTeam.state == APPROVED,
                   sa.or_(MovementTeam.decided_at.is_(None), MovementTeam.decided_at < cutoff))


def _registrations(ids: list[int], province_code: Optional[str], cutoff: datetime) -> dict[int, tuple[int, int]]:
    """{movement id: (teams taking part, registered by the cut-off)} in one GROUP BY."""
    registered = _registered_by(cutoff)
    q = (sa.select(MovementTeam.movement_id, sa.func.count(), sa.func.sum(sa.case((registered, 1), else_=0)))
         .where(MovementTeam.movement_id.in_(ids)).group_by(MovementTeam.movement_id))
    if province_code:
        q = q.where(MovementTeam.province_code == province_code)
    return {m: (int(n), int(r or 0)) for m, n, r in db.session.execute(q)}


def _registered_ids(movement: Movement, province_code: Optional[str], cutoff: datetime) -> set[int]:
    q = sa.select(MovementTeam.team_id).where(MovementTeam.movement_id == movement.id, _registered_by(cutoff))
    if province_code:
        q = q.where(MovementTeam.province_code == province_code)
    return set(db.session.scalars(q))


def expected_share(movement: Movement, cutoff: datetime) -> float:
    """% of the movement's period (Vietnam days) gone at the cut-off, 0–100."""
    start, end = standings.bounds(movement, local_to_utc(movement.end_date + timedelta(days=1), time(0)))
    if cutoff <= start:
        return 0.0
    return round(100.0 * min((cutoff - start) / (end - start), 1.0), 1)


def movement_line(movement: Movement, counts: tuple[int, int], province_code: Optional[str], start: datetime,
                  cutoff: datetime) -> MovementLine:
    line = MovementLine(movement, *counts, expected=expected_share(movement, cutoff))
    if not line.registered:
        return line
    mine = _registered_ids(movement, province_code, cutoff)
    after = [s for s in standings.ranking(movement, province_code, now=cutoff) if s.team_id in mine]
    line.on_track = sum(1 for s in after if s.score >= line.expected)
    line.behind = len(after) - line.on_track
    before = {s.team_id: s.score for s in standings.ranking(movement, province_code, now=start)} \
        if standings.bounds(movement, start)[1] > standings.bounds(movement, start)[0] else {}
    movers = [Mover(s.team_id, s.name, s.province, before.get(s.team_id, 0.0), s.score) for s in after]
    line.movers = sorted((m for m in movers if m.gain > 0), key=lambda m: (-m.gain, m.name))[:TOP_MOVERS]
    return line


def _practices(start: datetime, end: datetime, first: date, last: date, province_code: Optional[str]):
    applied = (sa.select(sa.func.count()).where(PracticeApplication.practice_id == Practice.id)
               .scalar_subquery())
    q = (sa.select(Practice.title, AdminUnit.name, Practice.province_code, Practice.published_at, applied)
         .join(Team, Team.id == Practice.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .where(Practice.state == PUBLISHED, Practice.published_at >= start, Practice.published_at < end))
    n = sa.select(sa.func.count()).where(PracticeApplication.applied_on >= first,
                                         PracticeApplication.applied_on <= last)
    if province_code:
        q = q.where(Practice.province_code == province_code)
        n = n.where(PracticeApplication.province_code == province_code)
    rows = [tuple(r) for r in db.session.execute(q.order_by(Practice.published_at, Practice.id))]
    return rows, int(db.session.scalar(n) or 0)


def _seconds(later, earlier):
    if db.engine.dialect.name == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.extract("epoch", later - earlier)


def _commendations(start: datetime, end: datetime, cutoff: datetime, province_code: Optional[str]) -> Waits:
    c = Commendation
    where = c.province_code == province_code if province_code else sa.true()
    in_month = sa.and_(c.decided_at >= start, c.decided_at < end)
    is_open = sa.and_(c.created_at < cutoff, sa.or_(c.decided_at.is_(None), c.decided_at >= cutoff))
    overdue = sa.or_(sa.and_(c.ad_hoc.is_(True), c.created_at <= cutoff - timedelta(days=max_wait_days(True) + 1)),
                     sa.and_(c.ad_hoc.is_(False), c.created_at <= cutoff - timedelta(days=max_wait_days(False) + 1)))

    def count(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))
    row = db.session.execute(sa.select(
        count(sa.and_(c.created_at >= start, c.created_at < end)),
        count(sa.and_(in_month, c.status == COMMENDED)), count(sa.and_(in_month, c.status == REJECTED)),
        sa.func.max(sa.case((sa.and_(in_month, c.status.in_((COMMENDED, REJECTED))),
                             _seconds(c.decided_at, c.created_at)), else_=None)),
        count(is_open), count(sa.and_(is_open, overdue)),
        sa.func.min(sa.case((is_open, c.created_at), else_=None))).where(where)).one()
    w = Waits(*(int(v or 0) for v in row[:3]))
    w.longest_days = round(float(row[3]) / 86400.0, 1) if row[3] is not None else None
    w.open_at_end, w.overdue = int(row[4] or 0), int(row[5] or 0)
    oldest = row[6]
    if oldest is not None:
        oldest = oldest if isinstance(oldest, datetime) else datetime.fromisoformat(str(oldest))
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=cutoff.tzinfo)
        w.longest_open_days = max(0, (cutoff - oldest) // timedelta(days=1))
    if w.decided:  # the median as the fairness figures count it (every decided proposal)
        w.median_days = fairness.figures(province_code, start, end)[fairness.NATION].median_days
    return w


def build(first: date, province_code: Optional[str] = None, now: Optional[datetime] = None) -> EmulationMonth:
    now = now or utcnow()
    after = _next_month(first)
    start, end = local_to_utc(first, time(0)), local_to_utc(after, time(0))
    cutoff = min(end, now)
    last = after - timedelta(days=1)
    running = _running(first, last, province_code)
    counts = _registrations([m.id for m in running], province_code, cutoff) if running else {}
    lines = [movement_line(m, counts.get(m.id, (0, 0)), province_code, start, cutoff) for m in running]
    practices, applied = _practices(start, end, first, last, province_code)
    codes = {m.province for line in lines for m in line.movers} | {m.province_code for m in running} | {
        p for _t, _n, p, _a, _c in practices}
    names = dict(db.session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(
        AdminUnit.code.in_(codes - {None}))).all()) if codes - {None} else {}
    return EmulationMonth(first, province_code, cutoff, lines, practices, len(practices), applied,
                          _commendations(start, end, cutoff, province_code), names)

"""A movement's ranking and weekly progress, from the platform's own data, in SQL aggregates.

Each criterion's figure for a team over the movement's period (Vietnam dates, up to now):
- residents helped / venues registered: progress reported on the team's tasks of the kinds the
  catalogue marks as helping residents / venue QR registration (each report counted once);
- tasks on time: tasks done in the period on or before their due date (Vietnam dates);
- shift coverage: % of the team's shifts that started in the period with at least one check-in;
- alerts acknowledged: of the team's shifts in the period that needed an escalation alert, the % where
  someone acknowledged one;
- practices applied: the team's good practices published in the period plus the times other teams
  marked one of them applied in the period (coordination.emulation.practice_figures).
Score = Σ weight × min(figure ÷ max(commitment, floor), 1) ÷ Σ weight × 100, over the criteria, for the
teams whose registration is approved: a share of the team's own commitment, capped at 100 % per
criterion, and never measured against less than the organiser's floor. Equal scores share a rank.
One statement ranks every team: one GROUP BY per criterion, materialised once, joined to the
commitments; score and rank per team in SQL; the per-criterion figures only for the teams shown."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Collection, Optional

import sqlalchemy as sa

from models import (AdminUnit, Commitment, DutySession, Message, MovementCriterion, MovementTeam, Shift, Task,
                    TaskUpdate, Team, db)
from models.emulation import RESIDENTS_HELPED, SHIFT_COVERAGE, TASKS_ON_TIME, VENUES_REGISTERED
from models.messages import ESCALATION
from models.movements import APPROVED, PERCENT_CRITERIA, PRACTICES_APPLIED, Movement
from models.tasks import DONE

from coordination.clock import local_date_sql, local_to_utc, to_local, utcnow
from coordination.emulation.practice_figures import criterion_events
from coordination.tasks import kinds


def bounds(movement: Movement, now: Optional[datetime] = None) -> tuple[datetime, datetime]:
    start = local_to_utc(movement.start_date, time(0))
    end = local_to_utc(movement.end_date + timedelta(days=1), time(0))
    return start, min(end, now or utcnow())


_NO_DENOMINATOR = sa.cast(sa.null(), sa.Integer)  # a count has none


def _kinds(metric: str) -> list[str]:
    return kinds.residents_helped_kinds() if metric == RESIDENTS_HELPED else [kinds.VENUE_KIND]


def _figures(metric: str, teams, start: datetime, end: datetime, by):
    """SELECT by-key, numerator, denominator (None for a count) for one criterion; `by(column)` is the
    grouping expression built from the event's time column (a team id, or a Vietnam day)."""
    if metric in (RESIDENTS_HELPED, VENUES_REGISTERED):
        key = by(Task.team_id, TaskUpdate.at)
        return (sa.select(key, sa.func.sum(TaskUpdate.delta), _NO_DENOMINATOR).select_from(Task)
                .join(TaskUpdate, TaskUpdate.task_id == Task.id)
                .where(Task.team_id.in_(teams), Task.kind.in_(_kinds(metric)), TaskUpdate.delta.is_not(None),
                       TaskUpdate.at >= start, TaskUpdate.at < end).group_by(key))
    if metric == TASKS_ON_TIME:
        key = by(Task.team_id, Task.completed_at)
        done_day = local_date_sql(Task.completed_at, db.engine.dialect.name)
        return (sa.select(key, sa.func.count(), _NO_DENOMINATOR)
                .where(Task.team_id.in_(teams), Task.status == DONE, Task.completed_at >= start,
                       Task.completed_at < end, sa.or_(Task.due_date.is_(None), done_day <= Task.due_date))
                .group_by(key))
    if metric == SHIFT_COVERAGE:
        # per shift "had a session" first (one row per shift, a merge or hash join chosen by the planner),
        # then per key: no count(DISTINCT …), whose sort spilled to disk on the national data set
        per_shift = (sa.select(Shift.team_id.label("team_id"), Shift.starts_at.label("at"),
                               sa.func.max(sa.case((DutySession.shift_id.is_not(None), 1), else_=0)).label("covered"))
                     .select_from(Shift).outerjoin(DutySession, DutySession.shift_id == Shift.id)
                     .where(Shift.team_id.in_(teams), Shift.starts_at >= start, Shift.starts_at < end)
                     .group_by(Shift.id, Shift.team_id, Shift.starts_at).subquery())
        key = by(per_shift.c.team_id, per_shift.c.at)
        return sa.select(key, sa.func.sum(per_shift.c.covered), sa.func.count()).group_by(key)
    if metric == PRACTICES_APPLIED:
        events = criterion_events(teams, start, end)
        key = by(events.c.team_id, events.c.at)
        return sa.select(key, sa.func.count(), _NO_DENOMINATOR).group_by(key)
    # alerts acknowledged: per shift that needed an escalation, was one acknowledged?
    per_shift = (sa.select(Shift.team_id.label("team_id"), Shift.starts_at.label("at"),
                           sa.func.max(sa.case((Message.acknowledged_at.is_not(None), 1), else_=0)).label("acked"))
                 .join(Message, Message.shift_id == Shift.id)
                 .where(Shift.team_id.in_(teams), Message.purpose == ESCALATION, Shift.starts_at >= start,
                        Shift.starts_at < end).group_by(Shift.id, Shift.team_id, Shift.starts_at).subquery())
    key = by(per_shift.c.team_id, per_shift.c.at)
    return sa.select(key, sa.func.sum(per_shift.c.acked), sa.func.count()).group_by(key)


def _value(metric: str, num, den):
    """The figure: a count, or a percentage of num over den."""
    if metric in PERCENT_CRITERIA:
        return sa.case((den > 0, 100.0 * sa.cast(num, sa.Float) / den), else_=0.0)
    return sa.cast(num, sa.Float)


def _participants(movement: Movement, approved_only: bool):
    q = sa.select(MovementTeam.team_id).where(MovementTeam.movement_id == movement.id)
    return q.where(MovementTeam.state == APPROVED) if approved_only else q


def actuals(movement: Movement, now: Optional[datetime] = None):
    """A subquery (team_id, metric, actual) over the movement's approved teams, one GROUP BY per criterion."""
    start, end = bounds(movement, now)
    teams = _participants(movement, True)
    parts = []
    for c in movement.criteria:
        q = _figures(c.metric, teams, start, end, lambda team, _at: team.label("team_id")).subquery()
        num, den = q.c[1], q.c[2]
        parts.append(sa.select(q.c.team_id, sa.literal(c.metric).label("metric"), _value(c.metric, num, den).label("actual")))
    if not parts:
        return None
    figures = sa.union_all(*parts).cte("figures")
    # computed once, then joined: PostgreSQL would otherwise inline it and re-run the GROUP BYs per row
    return figures.prefix_with("MATERIALIZED", dialect="postgresql")


@dataclass
class Standing:
    rank: int
    team_id: int
    name: str
    province: str
    score: float
    rows: list = field(default_factory=list)  # (criterion, actual, commitment, measured against)


def board(movement: Movement, province_code: Optional[str] = None, now: Optional[datetime] = None,
          limit: Optional[int] = None, also: Collection[int] = ()) -> tuple[list[Standing], int]:
    """(the first `limit` approved teams, best score first, plus the teams in `also` wherever they rank,
    each with its criteria's figures; how many teams are ranked). One statement: the figures once, the
    scores and ranks per team in SQL (rank() over the score rounded as shown), the figures per criterion
    only for the teams returned."""
    figures = actuals(movement, now)
    if figures is None:
        return [], 0
    actual = sa.func.coalesce(figures.c.actual, 0.0)
    against = sa.case((sa.and_(MovementCriterion.floor.is_not(None), MovementCriterion.floor > Commitment.value),
                       MovementCriterion.floor), else_=Commitment.value)
    share = sa.case((actual >= against, 1.0), else_=actual / against)
    participants = (sa.select(MovementTeam.id, MovementTeam.team_id, MovementTeam.province_code)
                    .where(MovementTeam.movement_id == movement.id, MovementTeam.state == APPROVED))
    if province_code:
        participants = participants.where(MovementTeam.province_code == province_code)
    participants = participants.cte("participants")

    def per_criterion(*columns):
        return (sa.select(participants.c.team_id, *columns)
                .join(Commitment, Commitment.movement_team_id == participants.c.id)
                .join(MovementCriterion, MovementCriterion.id == Commitment.criterion_id)
                .outerjoin(figures, sa.and_(figures.c.team_id == participants.c.team_id,
                                            figures.c.metric == MovementCriterion.metric)))

    per_team = per_criterion(
        participants.c.province_code.label("province"),
        sa.func.round(sa.cast(100.0 * sa.func.sum(MovementCriterion.weight * share) / sa.func.sum(MovementCriterion.weight),
                              sa.Numeric(12, 6)), 1).label("score")
    ).group_by(participants.c.team_id, participants.c.province_code).subquery()
    named = (sa.select(per_team.c.team_id, per_team.c.province, per_team.c.score, AdminUnit.name.label("name"))
             .join(Team, Team.id == per_team.c.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
             .subquery())
    scores = sa.select(
        named, sa.func.rank().over(order_by=named.c.score.desc()).label("rank"),
        sa.func.row_number().over(order_by=(named.c.score.desc(), named.c.name, named.c.team_id)).label("pos"),
        sa.func.count().over().label("total")).cte("scores")
    detail = per_criterion(MovementCriterion.id.label("criterion_id"), actual.label("actual"),
                           Commitment.value.label("committed"), against.label("against")).subquery()
    q = (sa.select(scores.c.team_id, scores.c.name, scores.c.province, scores.c.score, scores.c.rank,
                   scores.c.total, detail.c.criterion_id, detail.c.actual, detail.c.committed, detail.c.against)
         .join(detail, detail.c.team_id == scores.c.team_id).order_by(scores.c.pos))
    if limit is not None:
        q = q.where(sa.or_(scores.c.pos <= limit, scores.c.team_id.in_(list(also) or [0])))
    by_id = {c.id: c for c in movement.criteria}
    teams: dict[int, Standing] = {}
    total = 0
    for team_id, name, province, score, rank, total, cid, got, committed, measured in db.session.execute(q):
        s = teams.get(team_id)
        if s is None:
            s = teams[team_id] = Standing(int(rank), team_id, name, province, float(score))
        s.rows.append((by_id[cid], float(got), float(committed), float(measured)))
    for s in teams.values():
        s.rows.sort(key=lambda r: r[0].position)
    return list(teams.values()), int(total)


def ranking(movement: Movement, province_code: Optional[str] = None, now: Optional[datetime] = None,
            limit: Optional[int] = None) -> list[Standing]:
    """The approved teams, best score first, with each criterion's figures (see board)."""
    return board(movement, province_code, now, limit)[0]


def weekly(movement: Movement, province_code: Optional[str] = None, now: Optional[datetime] = None) -> list[dict]:
    """Per week of the movement (from its first day): each criterion's figure over every participating team
    (a sum, or a percentage of the week's shifts). SQL sums per Vietnam day; days are put into weeks here."""
    start, end = bounds(movement, now)
    if end <= start:
        return []
    teams = _participants(movement, False)
    if province_code:
        teams = teams.where(MovementTeam.province_code == province_code)
    dialect = db.engine.dialect.name
    weeks: dict[int, dict] = {}
    for c in movement.criteria:
        q = _figures(c.metric, teams, start, end, lambda _team, at: local_date_sql(at, dialect).label("day"))
        for day, num, den in db.session.execute(q):
            day = day if isinstance(day, date) else date.fromisoformat(str(day))
            week = weeks.setdefault((day - movement.start_date).days // 7, {})
            n, d = week.get(c.id, (0.0, None))
            week[c.id] = (n + float(num or 0), None if den is None else (d or 0) + int(den))
    out = []
    last_week = (to_local(end - timedelta(microseconds=1)).date() - movement.start_date).days // 7
    for i in range(0, max(last_week, 0) + 1):
        first = movement.start_date + timedelta(days=7 * i)
        figures = {}
        for c in movement.criteria:
            n, d = weeks.get(i, {}).get(c.id, (0.0, None))
            figures[c.id] = (round(100.0 * n / d, 1) if d else None) if c.metric in PERCENT_CRITERIA else n
        out.append({"first": first, "last": min(first + timedelta(days=6), movement.end_date), "figures": figures})
    return out


def team_figures(movement: Movement, team_id: int, now: Optional[datetime] = None) -> dict[int, Optional[float]]:
    """{criterion id: figure so far} for one participating team, whatever its registration's state (the
    team's own page shows its progress against what it registered)."""
    start, end = bounds(movement, now)
    out: dict[int, Optional[float]] = {}
    for c in movement.criteria:
        q = _figures(c.metric, [team_id], start, end, lambda team, _at: team.label("team_id"))
        row = db.session.execute(q).first() if end > start else None
        if row is None:
            out[c.id] = None if c.metric in PERCENT_CRITERIA else 0.0
        elif c.metric in PERCENT_CRITERIA:
            out[c.id] = round(100.0 * float(row[1] or 0) / row[2], 1) if row[2] else None
        else:
            out[c.id] = float(row[1] or 0)
    return out

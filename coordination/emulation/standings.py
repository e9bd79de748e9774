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

from models import (AdminUnit, Assessment, Commitment, DutySession, Message, MovementCriterion, MovementTeam, Shift, Task,
                    TaskUpdate, Team, db)
from models.emulation import RESIDENTS_HELPED, SHIFT_COVERAGE, TASKS_ON_TIME, VENUES_REGISTERED
from models.messages import ESCALATION
from models.movements import ACK_MINUTES, APPROVED, LEAD_ASSESSED, LOWER_IS_BETTER, PERCENT_CRITERIA, PRACTICES_APPLIED, Movement
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


def _figures(metric: str, teams, start: datetime, end: datetime, by, movement_id: Optional[int] = None):
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
    if metric == ACK_MINUTES:
        return _ack_minutes(teams, start, end, by)
    if metric == LEAD_ASSESSED:  # the level above's score, whenever given (a final assessment counts too)
        key = by(MovementTeam.team_id, Assessment.assessed_at)
        return (sa.select(key, sa.func.avg(Assessment.score), _NO_DENOMINATOR).select_from(Assessment)
                .join(MovementTeam, MovementTeam.id == Assessment.movement_team_id)
                .join(MovementCriterion, MovementCriterion.id == Assessment.criterion_id)
                .where(MovementTeam.movement_id == movement_id, MovementTeam.team_id.in_(teams),
                       MovementCriterion.metric == LEAD_ASSESSED).group_by(key))
    # alerts acknowledged: per shift that needed an escalation, was one acknowledged?
    per_shift = (sa.select(Shift.team_id.label("team_id"), Shift.starts_at.label("at"),
                           sa.func.max(sa.case((Message.acknowledged_at.is_not(None), 1), else_=0)).label("acked"))
                 .join(Message, Message.shift_id == Shift.id)
                 .where(Shift.team_id.in_(teams), Message.purpose == ESCALATION, Shift.starts_at >= start,
                        Shift.starts_at < end).group_by(Shift.id, Shift.team_id, Shift.starts_at).subquery())
    key = by(per_shift.c.team_id, per_shift.c.at)
    return sa.select(key, sa.func.sum(per_shift.c.acked), sa.func.count()).group_by(key)


def _minutes(later, earlier):
    if db.engine.dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 60.0
    seconds = lambda t: sa.cast(sa.func.strftime("%s", t), sa.Integer)  # noqa: E731 (whole seconds: exact)
    return (seconds(later) - seconds(earlier)) / 60.0


def _ack_minutes(teams, start: datetime, end: datetime, by):
    """Per key: the median, over the shifts that needed an escalation alert, of the minutes from the shift's
    first alert (sent, or queued if never sent) to its first acknowledgement (None when none was
    acknowledged), and how many shifts needed one. percentile_cont on PostgreSQL; on SQLite the middle
    row(s) of the ordered minutes, by row_number and count over the key (the same definition)."""
    sent = sa.func.coalesce(Message.sent_at, Message.created_at)
    per_shift = (sa.select(Shift.team_id.label("team_id"), Shift.starts_at.label("at"),
                           _minutes(sa.func.min(Message.acknowledged_at), sa.func.min(sent)).label("minutes"))
                 .join(Message, Message.shift_id == Shift.id)
                 .where(Shift.team_id.in_(teams), Message.purpose == ESCALATION, Shift.starts_at >= start,
                        Shift.starts_at < end).group_by(Shift.id, Shift.team_id, Shift.starts_at).subquery())
    key = by(per_shift.c.team_id, per_shift.c.at)
    minutes = per_shift.c.minutes
    if db.engine.dialect.name == "postgresql":
        return sa.select(key, sa.func.percentile_cont(0.5).within_group(minutes), sa.func.count()).group_by(key)
    ranked = sa.select(key, minutes.label("v"),
                       sa.func.row_number().over(partition_by=key.element, order_by=(minutes.is_(None), minutes))
                       .label("rn"), sa.func.count(minutes).over(partition_by=key.element).label("n")).subquery()
    k, rn, n = ranked.c[key.name], ranked.c.rn, ranked.c.n
    middle = sa.and_(2 * rn >= n, 2 * rn <= n + 2, ranked.c.v.is_not(None))
    return sa.select(k, sa.func.avg(sa.case((middle, ranked.c.v))), sa.func.count()).group_by(k)


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
        q = _figures(c.metric, teams, start, end, lambda team, _at: team.label("team_id"), movement.id).subquery()
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
    rows: list = field(default_factory=list)  # (criterion, actual or None, commitment, measured against)


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
    lower = MovementCriterion.metric.in_(LOWER_IS_BETTER)
    floor = MovementCriterion.floor
    against = sa.case((sa.and_(floor.is_not(None), ~lower, floor > Commitment.value), floor),
                      (sa.and_(floor.is_not(None), lower, floor < Commitment.value), floor), else_=Commitment.value)
    # lower is better (minutes to acknowledge): at or under the target full marks, else target ÷ figure;
    # a team no alert was needed for has nothing to acknowledge (full marks), one that acknowledged none 0
    share = sa.case((sa.and_(lower, figures.c.team_id.is_(None)), 1.0),
                    (sa.and_(lower, figures.c.actual.is_(None)), 0.0),
                    (lower, sa.case((figures.c.actual <= against, 1.0), else_=against / figures.c.actual)),
                    (actual >= against, 1.0), else_=actual / against)
    shown = sa.case((lower, figures.c.actual), else_=actual)
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
    detail = per_criterion(MovementCriterion.id.label("criterion_id"), shown.label("actual"),
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
        s.rows.append((by_id[cid], None if got is None else float(got), float(committed), float(measured)))
    for s in teams.values():
        s.rows.sort(key=lambda r: r[0].position)
    return list(teams.values()), int(total)


def ranking(movement: Movement, province_code: Optional[str] = None, now: Optional[datetime] = None,
            limit: Optional[int] = None) -> list[Standing]:
    """The approved teams, best score first, with each criterion's figures (see board)."""
    return board(movement, province_code, now, limit)[0]


def _week_sql(at, first: date, dialect: str):
    """The week of the movement (0 from its first day) of a stored UTC time, by its Vietnam date, in SQL."""
    day = local_date_sql(at, dialect)
    if dialect == "postgresql":
        return sa.type_coerce(day - sa.cast(sa.literal(first.isoformat()), sa.Date), sa.Integer) // 7
    return sa.cast((sa.func.julianday(day) - sa.func.julianday(first.isoformat())) / 7, sa.Integer)


def weekly(movement: Movement, province_code: Optional[str] = None, now: Optional[datetime] = None) -> list[dict]:
    """Per week of the movement (from its first day): each criterion's figure over every participating team
    (a sum, a percentage of the week's shifts, or the week's median minutes), grouped by week in SQL."""
    start, end = bounds(movement, now)
    if end <= start:
        return []
    teams = _participants(movement, False)
    if province_code:
        teams = teams.where(MovementTeam.province_code == province_code)
    dialect = db.engine.dialect.name
    weeks: dict[int, dict] = {}
    for c in movement.criteria:
        q = _figures(c.metric, teams, start, end,
                     lambda _team, at: _week_sql(at, movement.start_date, dialect).label("week"), movement.id)
        for week, num, den in db.session.execute(q):
            weeks.setdefault(int(week), {})[c.id] = (num, den)
    out = []
    last_week = (to_local(end - timedelta(microseconds=1)).date() - movement.start_date).days // 7
    for i in range(0, max(last_week, 0) + 1):
        first = movement.start_date + timedelta(days=7 * i)
        figures = {c.id: _figure(c.metric, weeks.get(i, {}).get(c.id)) for c in movement.criteria}
        out.append({"first": first, "last": min(first + timedelta(days=6), movement.end_date), "figures": figures})
    return out


def _figure(metric: str, row) -> Optional[float]:
    """A (numerator, denominator) row as shown: a percentage (None without shifts), a median of minutes
    (None without an acknowledged alert), or a count (0 without events)."""
    num, den = row if row is not None else (None, None)
    if metric in PERCENT_CRITERIA:
        return round(100.0 * float(num or 0) / den, 1) if den else None
    if metric in LOWER_IS_BETTER or metric == LEAD_ASSESSED:
        return None if num is None else round(float(num), 1)
    return float(num or 0)


def team_figures(movement: Movement, team_id: int, now: Optional[datetime] = None) -> dict[int, Optional[float]]:
    """{criterion id: figure so far} for one participating team, whatever its registration's state (the
    team's own page shows its progress against what it registered)."""
    start, end = bounds(movement, now)
    out: dict[int, Optional[float]] = {}
    for c in movement.criteria:
        q = _figures(c.metric, [team_id], start, end, lambda team, _at: team.label("team_id"), movement.id)
        row = db.session.execute(q).first() if end > start else None
        out[c.id] = _figure(c.metric, None if row is None else (row[1], row[2]))
    return out

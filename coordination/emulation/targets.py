"""Emulation movement (thi đua): targets, a fair leaderboard, commendation proposals.

Progress is computed from the platform's own data, never typed in:
- residents helped / venues registered: progress reported on the team's tasks of the kinds the
  catalogue marks as helping residents (VNeID, online public services… and 2021's platforms) /
  "venue QR registration" during the period (task updates, so each report counts once);
- shift coverage: the team's shifts that started in the period with at least one check-in, in %;
- tasks on time: tasks done in the period on or before their due date (Vietnam dates).
The score ranks by share of target, not raw totals, so small communes are not punished:
score = mean over the team's targets of min(actual ÷ target, 1) × 100. Capping at 100 % keeps one
over-achieved target from hiding a missed one. Equal scores share a rank.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import AdminUnit, DutySession, Shift, Target, Task, TaskUpdate, Team, db
from models.emulation import METRICS, RESIDENTS_HELPED, SHIFT_COVERAGE, TASKS_ON_TIME, VENUES_REGISTERED
from models.tasks import DONE
from models.teams import COMMUNE

from coordination.core import audit
from coordination.tasks import kinds
from coordination.clock import local_date_sql, local_to_utc, utcnow
from coordination.core.errors import ValidationError

MAX_PERIOD_DAYS = 366
MAX_VALUE = 1_000_000


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return local_to_utc(first, time(0)), local_to_utc(last + timedelta(days=1), time(0))


def progress(team_ids: list[int], first: date, last: date, now: Optional[datetime] = None) -> dict:
    """{(team_id, metric): actual} for the period [first, last] (Vietnam dates), four GROUP BYs."""
    now = now or utcnow()
    start, end = _bounds(first, last)
    out: dict = {}
    if not team_ids:
        return out
    helped = kinds.residents_helped_kinds()  # the catalogue's flag: VNeID guidance counts as 2021's QR help did
    for metric, codes in ((RESIDENTS_HELPED, helped), (VENUES_REGISTERED, (kinds.VENUE_KIND,))):
        q = (sa.select(Task.team_id, sa.func.coalesce(sa.func.sum(TaskUpdate.delta), 0))
             .join(TaskUpdate, TaskUpdate.task_id == Task.id)
             .where(Task.team_id.in_(team_ids), Task.kind.in_(codes), TaskUpdate.delta.is_not(None),
                    TaskUpdate.at >= start, TaskUpdate.at < end).group_by(Task.team_id))
        out.update({(team, metric): float(total) for team, total in db.session.execute(q)})
    checked = sa.exists().where(DutySession.shift_id == Shift.id)
    q = (sa.select(Shift.team_id, sa.func.count(), sa.func.sum(sa.case((checked, 1), else_=0)))
         .where(Shift.team_id.in_(team_ids), Shift.starts_at >= start, Shift.starts_at < min(end, now))
         .group_by(Shift.team_id))
    out.update({(team, SHIFT_COVERAGE): round(100.0 * int(covered or 0) / shifts, 1)
                for team, shifts, covered in db.session.execute(q)})
    done_day = local_date_sql(Task.completed_at, db.engine.dialect.name)
    q = (sa.select(Task.team_id, sa.func.count())
         .where(Task.team_id.in_(team_ids), Task.status == DONE, Task.completed_at >= start, Task.completed_at < end,
                sa.or_(Task.due_date.is_(None), done_day <= Task.due_date)).group_by(Task.team_id))
    out.update({(team, TASKS_ON_TIME): float(n) for team, n in db.session.execute(q)})
    return out


def score(targets: dict[str, float], actual: dict[str, float]) -> float:
    """Mean share of target reached, each share capped at 100 %."""
    shares = [min(actual.get(metric, 0.0) / value, 1.0) for metric, value in targets.items()]
    return round(100.0 * sum(shares) / len(shares), 1) if shares else 0.0


@dataclass
class Standing:
    rank: int
    team_id: int
    name: str
    province: str
    remote: bool
    score: float
    targets: dict[str, float] = field(default_factory=dict)
    actual: dict[str, float] = field(default_factory=dict)


def periods(province_code: Optional[str] = None) -> list[tuple[date, date]]:
    """Target periods that exist (newest first), for the leaderboard's picker."""
    q = sa.select(Target.period_start, Target.period_end).distinct().order_by(Target.period_start.desc(),
                                                                            Target.period_end.desc())
    if province_code:
        q = q.where(Target.province_code == province_code)
    return [tuple(row) for row in db.session.execute(q.limit(24))]


def is_remote_clause():
    return sa.or_(Team.remote.is_(True), AdminUnit.unit_type == "Đặc khu")


def leaderboard(first: date, last: date, province_code: Optional[str] = None, remote_only: bool = False,
                now: Optional[datetime] = None) -> list[Standing]:
    """Teams with targets for exactly this period, best score first."""
    q = (sa.select(Target.team_id, Target.metric, Target.value, AdminUnit.name, Team.province_code,
                   is_remote_clause())
         .join(Team, Team.id == Target.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .where(Target.period_start == first, Target.period_end == last))
    if province_code:
        q = q.where(Target.province_code == province_code)
    if remote_only:
        q = q.where(is_remote_clause())
    teams: dict[int, Standing] = {}
    for team_id, metric, value, name, province, remote in db.session.execute(q):
        teams.setdefault(team_id, Standing(0, team_id, name, province, bool(remote), 0.0)).targets[metric] = value
    actual = progress(list(teams), first, last, now)
    for s in teams.values():
        s.actual = {m: actual.get((s.team_id, m), 0.0) for m in s.targets}
        s.score = score(s.targets, s.actual)
    ranked = sorted(teams.values(), key=lambda s: (-s.score, s.name))
    for i, s in enumerate(ranked):
        s.rank = ranked[i - 1].rank if i and ranked[i - 1].score == s.score else i + 1
    return ranked


def clean_period(first: Optional[date], last: Optional[date]) -> tuple[date, date]:
    if first is None or last is None:
        raise ValidationError(_l("Enter the period's first and last day."), field="period_start")
    if last < first:
        raise ValidationError(_l("The period ends before it starts."), field="period_end")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError(_l("A period is at most a year."), field="period_end")
    return first, last


def set_targets(province_code: str, team_ids: list[int], values: dict[str, Optional[float]], first: date,
                last: date, actor_user_id: Optional[int]) -> int:
    """Create or change targets for commune teams of one province; returns how many were written."""
    first, last = clean_period(first, last)
    chosen = {m: v for m, v in values.items() if v is not None}
    if not chosen:
        raise ValidationError(_l("Set at least one target."), field=METRICS[0])
    for metric, value in chosen.items():
        if metric not in METRICS:
            raise ValidationError(_l("Unknown target."), field=metric)
        if not 0 < value <= (100 if metric == SHIFT_COVERAGE else MAX_VALUE):
            raise ValidationError(_l("A target must be above 0 (coverage at most 100 %)."), field=metric)
    teams = set(db.session.scalars(sa.select(Team.id).where(Team.id.in_(team_ids), Team.level == COMMUNE,
                                                            Team.province_code == province_code)))
    if not teams or len(teams) != len(set(team_ids)):
        raise ValidationError(_l("Choose commune teams of this province."), field="team")
    existing = {(t.team_id, t.metric): t for t in db.session.scalars(sa.select(Target).where(
        Target.team_id.in_(teams), Target.period_start == first, Target.period_end == last))}
    for team_id in sorted(teams):
        for metric, value in chosen.items():
            target = existing.get((team_id, metric))
            before = target.value if target else None
            if target:
                target.value = value
            else:
                db.session.add(Target(team_id=team_id, province_code=province_code, metric=metric, value=value,
                                      period_start=first, period_end=last, created_by_id=actor_user_id))
            audit.record(actor_user_id, "update" if target else "create", "target", f"{team_id}:{metric}",
                         province_code=province_code, team_id=team_id,
                         before={"value": before} if target else None,
                         after={"value": value, "from": first, "to": last})
    db.session.flush()
    return len(teams) * len(chosen)


def set_remote(team: Team, remote: bool, actor_user_id: Optional[int]) -> None:
    if team.level != COMMUNE:
        raise ValidationError(_l("Only commune teams can be marked remote."), field="remote")
    if team.remote != remote:
        audit.record(actor_user_id, "update", "team", team.id, province_code=team.province_code, team_id=team.id,
                     before={"remote": team.remote}, after={"remote": remote})
        team.remote = remote

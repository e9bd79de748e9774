"""The monthly report (báo cáo định kỳ hàng tháng), national or for one province.

Every figure is a SQL aggregate over one Vietnam calendar month, grouped by province (national
report) or by commune team (province report); the totals are the sum of those groups. The same
figures for the previous month give the change. Definitions (stated on the page too):
- commune teams: existing at the month's end; formed: created during the month; complete: an
  active lead and at least 3 active members at the month's end;
- members: active memberships of commune and village teams at the month's end, by affiliation
  (a person in two teams counts in each);
- shift coverage: shifts that started in the month (and before now) with at least one check-in,
  ÷ those shifts; hours on duty: duty sessions clipped to the month;
- tasks: created in the month, and done in the month by kind;
- alerts: SMS queued in the month: sent (sent or delivered), delivered, failed (failed,
  undelivered or not sent), acknowledged.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa

from models import AdminUnit, DutySession, Membership, Message, Person, Shift, Task, Team, db
from models.geography import PROVINCE as PROVINCE_UNIT
from models.messages import DELIVERED, FAILED, NOT_SENT, SENT, UNDELIVERED
from models.tasks import DONE
from models.teams import COMMUNE, LEAD, VILLAGE

from coordination.clock import local_to_utc, local_today, utcnow
from coordination.duty.queries import hours_expr

COMPLETE_MIN_MEMBERS = 3


@dataclass
class Figures:
    commune_teams: int = 0
    teams_formed: int = 0
    teams_complete: int = 0
    members: int = 0
    shifts: int = 0
    shifts_covered: int = 0
    hours: float = 0.0
    tasks_created: int = 0
    tasks_done: int = 0
    alerts: int = 0
    alerts_sent: int = 0
    alerts_delivered: int = 0
    alerts_failed: int = 0
    alerts_acknowledged: int = 0
    members_by_affiliation: dict[str, int] = field(default_factory=dict)
    tasks_done_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def coverage(self) -> Optional[float]:
        return round(100.0 * self.shifts_covered / self.shifts, 1) if self.shifts else None

    def add(self, other: "Figures") -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for k, v in theirs.items():
                    mine[k] = mine.get(k, 0) + v
            else:
                setattr(self, f.name, mine + theirs)


# The headline figures, in the order of the report's summary table.
HEADLINE = ("commune_teams", "teams_formed", "teams_complete", "members", "coverage", "hours", "tasks_created",
            "tasks_done", "alerts", "alerts_sent", "alerts_delivered", "alerts_failed", "alerts_acknowledged")


@dataclass
class Line:
    key: str | int
    name: str
    figures: Figures


@dataclass
class MonthlyReport:
    month: date  # the first day
    province: Optional[AdminUnit]
    total: Figures
    previous: Figures
    lines: list[Line]
    generated_at: datetime

    def change(self, name: str):
        now, before = getattr(self.total, name), getattr(self.previous, name)
        if now is None or before is None:
            return None
        return round(now - before, 1) if isinstance(now, float) else now - before


def month_start(value: Optional[str] = None) -> date:
    """'2026-11' -> date(2026, 11, 1); None -> this month in Vietnam. ValueError if malformed."""
    if not value:
        today = local_today()
        return today.replace(day=1)
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def _count_if(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _figures(first: date, province_code: Optional[str], now: datetime) -> dict:
    """Figures per group (province code, or commune team id inside a province) for one month."""
    start, end = local_to_utc(first, time(0)), local_to_utc(next_month(first), time(0))
    last_day = next_month(first) - timedelta(days=1)
    by_team = province_code is not None
    out: dict = defaultdict(Figures)

    def scoped(query, province_col):
        return query.where(province_col == province_code) if by_team else query

    # Commune teams formed by the month's end, and how many are complete.
    key = Team.id if by_team else Team.province_code
    q = scoped(sa.select(key, sa.func.count(), _count_if(Team.created_at >= start))
               .where(Team.level == COMMUNE, Team.created_at < end).group_by(key), Team.province_code)
    for k, teams, formed in db.session.execute(q):
        out[k].commune_teams, out[k].teams_formed = teams, int(formed or 0)
    active = sa.and_(Membership.start_date <= last_day,
                     sa.or_(Membership.end_date.is_(None), Membership.end_date > last_day))
    # Members by team and affiliation; a commune team's village teams count towards it.
    owner = sa.case((Team.level == VILLAGE, Team.parent_id), else_=Team.id)
    # Members are people, counted once per commune even if also in one of its village teams (as the map counts them).
    q = scoped(sa.select(owner, Team.province_code, Person.affiliation, sa.func.count(sa.distinct(Membership.person_id)),
                         _count_if(sa.and_(Membership.role == LEAD, Team.level == COMMUNE)))
               .join(Membership, Membership.team_id == Team.id).join(Person, Person.id == Membership.person_id)
               .where(Team.level.in_((COMMUNE, VILLAGE)), Team.created_at < end, active)
               .group_by(owner, Team.province_code, Person.affiliation), Team.province_code)
    team_members, team_leads, team_group = defaultdict(int), defaultdict(int), {}
    for team_id, province, affiliation, members, leads in db.session.execute(q):
        k = team_id if by_team else province
        f = out[k]
        f.members += members
        f.members_by_affiliation[affiliation] = f.members_by_affiliation.get(affiliation, 0) + members
        team_members[team_id] += members
        team_leads[team_id] += int(leads or 0)
        team_group[team_id] = k
    for team_id, members in team_members.items():  # one row per team: already aggregated in SQL
        if team_leads[team_id] and members >= COMPLETE_MIN_MEMBERS:
            out[team_group[team_id]].teams_complete += 1

    # Shifts that started in the month (and have started), and those with a check-in.
    key = Shift.team_id if by_team else Shift.province_code
    checked = sa.exists().where(DutySession.shift_id == Shift.id)
    q = scoped(sa.select(key, sa.func.count(), _count_if(checked))
               .where(Shift.starts_at >= start, Shift.starts_at < min(end, now)).group_by(key), Shift.province_code)
    for k, shifts, covered in db.session.execute(q):
        out[k].shifts, out[k].shifts_covered = shifts, int(covered or 0)

    key = DutySession.team_id if by_team else DutySession.province_code
    q = scoped(sa.select(key, sa.func.sum(hours_expr(start, end, now)))
               .where(DutySession.started_at < end, sa.func.coalesce(DutySession.ended_at, now) > start)
               .group_by(key), DutySession.province_code)
    for k, hours in db.session.execute(q):
        out[k].hours = round(float(hours or 0), 1)

    key = Task.team_id if by_team else Task.province_code
    q = scoped(sa.select(key, sa.func.count()).where(Task.created_at >= start, Task.created_at < end)
               .group_by(key), Task.province_code)
    for k, created in db.session.execute(q):
        out[k].tasks_created = created
    q = scoped(sa.select(key, Task.kind, sa.func.count())
               .where(Task.status == DONE, Task.completed_at >= start, Task.completed_at < end)
               .group_by(key, Task.kind), Task.province_code)
    for k, kind, done in db.session.execute(q):
        out[k].tasks_done += done
        out[k].tasks_done_by_kind[kind] = done

    # Alerts have a province, not a team: in a province report they only count in the total.
    q = scoped(sa.select(Message.province_code, sa.func.count(),
                         _count_if(Message.status.in_((SENT, DELIVERED))), _count_if(Message.status == DELIVERED),
                         _count_if(Message.status.in_((FAILED, UNDELIVERED, NOT_SENT))),
                         _count_if(Message.acknowledged_at.is_not(None)))
               .where(Message.created_at >= start, Message.created_at < end)
               .group_by(Message.province_code), Message.province_code)
    for k, total, sent, delivered, failed, acked in db.session.execute(q):
        f = out["alerts" if by_team else k]
        f.alerts, f.alerts_sent, f.alerts_delivered = total, int(sent or 0), int(delivered or 0)
        f.alerts_failed, f.alerts_acknowledged = int(failed or 0), int(acked or 0)
    return out


def _total(groups: dict) -> Figures:
    total = Figures()
    for figures in groups.values():
        total.add(figures)
    return total


def build(first: date, province_code: Optional[str] = None, now: Optional[datetime] = None) -> MonthlyReport:
    now = now or utcnow()
    groups = _figures(first, province_code, now)
    previous = _total(_figures(previous_month(first), province_code, now))
    total = _total(groups)
    groups.pop("alerts", None)
    if province_code is None:
        names = dict(db.session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                        .where(AdminUnit.level == PROVINCE_UNIT)).all())
        lines = [Line(code, name, groups.get(code, Figures())) for code, name in sorted(names.items())]
    else:
        names = dict(db.session.execute(sa.select(Team.id, AdminUnit.name).join(
            AdminUnit, AdminUnit.code == Team.admin_unit_code).where(
            Team.level == COMMUNE, Team.province_code == province_code, Team.created_at < local_to_utc(
                next_month(first), time(0)))).all())
        lines = sorted((Line(team_id, name, groups.get(team_id, Figures())) for team_id, name in names.items()),
                       key=lambda line: line.name)
    province = db.session.get(AdminUnit, province_code) if province_code else None
    return MonthlyReport(first, province, total, previous, lines, now)

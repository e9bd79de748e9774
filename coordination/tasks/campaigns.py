"""Campaigns (đợt/chiến dịch): a bulk assignment to more than one commune team, watched as one thing.

A campaign's tasks are the rows of `tasks` sharing its batch. Every figure here is one SQL
aggregate (GROUP BY), never a loop over tasks: a nationwide campaign has 3,321 of them. `area`
narrows a campaign to one province (a province lead reading the ministry's nationwide campaign)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterator, Optional

import sqlalchemy as sa

from models import AdminUnit, Campaign, Task, Team, db
from models.tasks import ACTIVE_STATUSES, BLOCKED, CANCELLED, DONE, IN_PROGRESS

from coordination.clock import local_today, utcnow

# A task's state on the campaign page and its map, first match wins: a blocked task shows blocked
# even when it is also late (its reason is what the lead must read).
STATES = ("done", "blocked", "overdue", "started", "not_started", "cancelled")
SORTS = ("commune", "province", "state", "done", "percent", "due")
PAGE_SIZE = 200


# Batches written before campaigns existed become campaigns (migration 0022 runs this once): the
# fields every task of a batch shares; nationwide when its tasks span more than one province.
BACKFILL_SQL = """
    INSERT INTO campaigns (batch, title, kind, province_code, created_by_id, due_date, target_unit, created_at)
    SELECT batch, MIN(title), MIN(kind), CASE WHEN COUNT(DISTINCT province_code) = 1 THEN MIN(province_code) END,
           MIN(created_by_id), MIN(due_date), MIN(target_unit), MIN(created_at)
    FROM tasks WHERE batch IS NOT NULL AND batch NOT IN (SELECT batch FROM campaigns)
    GROUP BY batch HAVING COUNT(*) > 1"""


def create(batch: str, values: dict, province_code: Optional[str], actor_user_id: Optional[int]) -> Campaign:
    """The campaign of a bulk assignment (assignment.assign calls it when more than one team receives it)."""
    campaign = Campaign(batch=batch, title=values["title"], kind=values["kind"], province_code=province_code,
                        created_by_id=actor_user_id, due_date=values.get("due_date"),
                        target_unit=values.get("target_unit"), created_at=utcnow())
    db.session.add(campaign)
    db.session.flush()
    return campaign


def by_batch(batch: str) -> Optional[Campaign]:
    return db.session.scalar(sa.select(Campaign).where(Campaign.batch == batch))


def listed(province_codes: Optional[set[str]], limit: int = 50) -> list[Campaign]:
    """The newest campaigns one may watch: all (None: the ministry), else those of these provinces
    and the nationwide ones."""
    query = (sa.select(Campaign).options(sa.orm.selectinload(Campaign.province))
             .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit))
    if province_codes is not None:
        query = query.where(sa.or_(Campaign.province_code.is_(None), Campaign.province_code.in_(province_codes)))
    return list(db.session.scalars(query))


def figures_of(campaign_list: list[Campaign], area: Optional[str] = None) -> dict[int, Figures]:
    """Each campaign's figures (in one province when `area`), one GROUP BY over their tasks."""
    if not campaign_list:
        return {}
    ids = {c.batch: c.id for c in campaign_list}
    where = [Task.batch.in_(ids)] + ([Task.province_code == area] if area else [])
    rows = db.session.execute(sa.select(Task.batch, *_figures(local_today())).where(*where).group_by(Task.batch))
    out = {c.id: Figures(0, 0, 0, 0, 0, 0, 0) for c in campaign_list}
    out.update({ids[r[0]]: Figures(*r[1:]) for r in rows})
    return out


def _state(today: date):
    return sa.case(
        (Task.status == DONE, "done"), (Task.status == CANCELLED, "cancelled"), (Task.status == BLOCKED, "blocked"),
        (Task.due_date < today, "overdue"),
        (sa.or_(Task.status == IN_PROGRESS, Task.done_count > 0), "started"), else_="not_started")


def _where(campaign: Campaign, area: Optional[str]) -> list:
    return [Task.batch == campaign.batch] + ([Task.province_code == area] if area else [])


def _figures(today: date) -> list:
    """The aggregate columns of a set of tasks (cancelled ones are left out of every figure)."""
    live = Task.status != CANCELLED
    started = sa.or_(Task.status != "open", Task.done_count > 0)
    return [sa.func.count().filter(live).label("teams"),
            sa.func.coalesce(sa.func.sum(Task.target_count).filter(live), 0).label("target"),
            sa.func.coalesce(sa.func.sum(Task.done_count).filter(live), 0).label("done"),
            sa.func.count().filter(live, started).label("started"),
            sa.func.count().filter(Task.status == DONE).label("finished"),
            sa.func.count().filter(Task.status.in_(ACTIVE_STATUSES), Task.due_date < today).label("overdue"),
            sa.func.count().filter(Task.status == BLOCKED).label("blocked")]


@dataclass
class Figures:
    teams: int  # tasks not cancelled: one per commune team
    target: int
    done: int
    started: int  # teams that reported anything or moved the task on
    finished: int  # teams whose task is done
    overdue: int
    blocked: int

    def share(self, n: int) -> Optional[float]:
        """n as a percentage of the teams, one decimal (None when there is no team)."""
        return round(100.0 * n / self.teams, 1) if self.teams else None

    @property
    def percent_done(self) -> Optional[float]:
        return round(100.0 * self.done / self.target, 1) if self.target else None


def summary(campaign: Campaign, area: Optional[str] = None) -> Figures:
    row = db.session.execute(sa.select(*_figures(local_today())).where(*_where(campaign, area))).one()
    return Figures(*row)


@dataclass
class ProvinceFigures:
    code: str
    name: str
    figures: Figures


def by_province(campaign: Campaign) -> list[ProvinceFigures]:
    """A nationwide campaign's figures per province, by name (one GROUP BY)."""
    figures = sa.select(Task.province_code.label("code"), *_figures(local_today())).where(
        Task.batch == campaign.batch).group_by(Task.province_code).subquery()
    rows = db.session.execute(sa.select(figures, AdminUnit.name).join(AdminUnit, AdminUnit.code == figures.c.code)
                              .order_by(AdminUnit.name)).all()
    return [ProvinceFigures(r.code, r.name, Figures(*r[1:8])) for r in rows]


@dataclass
class CommuneRow:
    task_id: int
    commune_code: str
    commune: str
    province: str
    state: str
    status: str
    done: int
    target: Optional[int]
    percent: Optional[int]
    due_date: Optional[date]
    blocked_reason: Optional[str]
    lat: Optional[float]
    lon: Optional[float]


def _commune_query(campaign: Campaign, area: Optional[str], sort: str, descending: bool):
    today = local_today()
    province = sa.orm.aliased(AdminUnit)
    state = _state(today)
    percent = sa.case((Task.target_count > 0, (100 * Task.done_count) / Task.target_count),
                      (Task.status == DONE, 100), else_=None)  # integer division on both databases
    keys = {"commune": AdminUnit.name, "province": province.name, "state": sa.case(
        *[(state == s, i) for i, s in enumerate(STATES)]), "done": Task.done_count, "percent": percent,
        "due": Task.due_date}
    key = keys.get(sort, AdminUnit.name)
    order = [key.desc().nulls_last() if descending else key.asc().nulls_last(), AdminUnit.name, Task.id]
    return (sa.select(Task.id, AdminUnit.code, AdminUnit.name, province.name, state, Task.status, Task.done_count,
                      Task.target_count, percent, Task.due_date, Task.blocked_reason, AdminUnit.lat, AdminUnit.lon)
            .join(Team, Team.id == Task.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
            .join(province, province.code == Task.province_code)
            .where(*_where(campaign, area)).order_by(*order))


def _row(r) -> CommuneRow:
    row = CommuneRow(*r)
    if row.percent is not None:
        row.percent = min(100, int(row.percent))
    return row


def communes(campaign: Campaign, area: Optional[str] = None, sort: str = "commune", descending: bool = False,
             page: int = 1, size: int = PAGE_SIZE) -> list[CommuneRow]:
    """One page of the campaign's communes (one task each) in the order asked (a column of SORTS)."""
    query = _commune_query(campaign, area, sort, descending).limit(size).offset((page - 1) * size)
    return [_row(r) for r in db.session.execute(query)]


def map_points(campaign: Campaign, area: Optional[str] = None) -> list[tuple[float, float, str, str, int]]:
    """(lat, lon, state, commune name, percent or -1) of every commune of the campaign that has a centre."""
    percent = sa.case((Task.target_count > 0, (100 * Task.done_count) / Task.target_count),
                      (Task.status == DONE, 100), else_=-1)
    query = (sa.select(AdminUnit.lat, AdminUnit.lon, _state(local_today()), AdminUnit.name, percent)
             .join(Team, Team.id == Task.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
             .where(*_where(campaign, area), AdminUnit.lat.is_not(None)))
    return [(lat, lon, state, name, min(100, int(p))) for lat, lon, state, name, p in db.session.execute(query)]


def export_rows(campaign: Campaign, area: Optional[str] = None, sort: str = "commune",
                descending: bool = False) -> Iterator[CommuneRow]:
    """Every commune row of the campaign, streamed (web/campaign_export.py writes them for a reader)."""
    result = db.session.execute(_commune_query(campaign, area, sort, descending).execution_options(yield_per=2000))
    for r in result:
        yield _row(r)


@dataclass
class BoardCampaign:
    campaign: Campaign
    figures: Figures


def on_board(province_code: str, limit: int = 50) -> list[BoardCampaign]:
    """The campaigns with tasks in this province (nationwide ones too), newest first, with this
    province's figures: one GROUP BY over the province's tasks that belong to a campaign."""
    figures = (sa.select(Task.batch.label("batch"), *_figures(local_today()))
               .where(Task.province_code == province_code, Task.batch.in_(sa.select(Campaign.batch)))
               .group_by(Task.batch).subquery())
    rows = db.session.execute(sa.select(Campaign, *[figures.c[k] for k in Figures.__dataclass_fields__])
                              .join(figures, figures.c.batch == Campaign.batch)
                              .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)).all()
    return [BoardCampaign(r[0], Figures(*r[1:])) for r in rows]


def not_in_campaign():
    """The board's clause for tasks outside any campaign (shown as their own rows beside the campaigns)."""
    return sa.or_(Task.batch.is_(None), ~sa.exists().where(Campaign.batch == Task.batch))

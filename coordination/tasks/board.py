"""Reading tasks: the province board, per-commune counts, a team's list, "my tasks", exports.
Counts are SQL aggregates; pages fetch one page of rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterator, Optional

import sqlalchemy as sa

from models import AdminUnit, Membership, Person, Task, TaskUpdate, Team, db
from models.tasks import ACTIVE_STATUSES, DONE, STATUSES
from models.teams import COMMUNE

from coordination.core import exports
from coordination.tasks import campaigns
from coordination.clock import local_today


@dataclass
class BoardFilter:
    status: Optional[str] = None  # a status, or "active"
    kind: Optional[str] = None
    team_id: Optional[int] = None
    overdue: bool = False

    def clauses(self, today: date) -> list:
        out = []
        if self.status == "active":
            out.append(Task.status.in_(ACTIVE_STATUSES))
        elif self.status in STATUSES:
            out.append(Task.status == self.status)
        if self.kind:
            out.append(Task.kind == self.kind)
        if self.team_id:
            out.append(Task.team_id == self.team_id)
        if self.overdue:
            out += [Task.due_date < today, Task.status.in_(ACTIVE_STATUSES)]
        return out


@dataclass
class BoardRow:
    task: Task
    commune_name: str
    assignee_name: Optional[str]
    flagged: bool = False  # a report waits for a lead's check (rules.check_plausible)


@dataclass
class CommuneCounts:
    team_id: int
    commune_name: str
    active: int
    done: int
    overdue: int


def _board_query(where: list):
    """(Task, commune name, assignee's name, has a flagged report) rows."""
    flagged = sa.exists().where(TaskUpdate.task_id == Task.id, TaskUpdate.flagged.is_(True))
    return (sa.select(Task, AdminUnit.name, Person.full_name, flagged.label("flagged"))
            .join(Team, Team.id == Task.team_id)
            .join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
            .outerjoin(Person, Person.id == Task.assignee_person_id)
            .where(*where))


BOARD_ORDER = (Task.due_date.asc().nulls_last(), Task.id)  # earliest due first; matches ix_tasks_province_due


def province_board(province_code: str, f: BoardFilter, page: int = 1, size: int = 50,
                   outside_campaigns: bool = False) -> tuple[list[BoardRow], int]:
    """One page of the province's tasks, earliest due first (no due date last), and the total;
    `outside_campaigns`: only those of no campaign (the board collapsed by campaign shows those as
    one row each). The page is chosen on `tasks` alone (an index walk), then joined to names."""
    today = local_today()
    where = [Task.province_code == province_code] + f.clauses(today)
    if outside_campaigns:
        where.append(campaigns.not_in_campaign())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(*where))
    page_ids = (sa.select(Task.id).where(*where).order_by(*BOARD_ORDER)
                .limit(size).offset((page - 1) * size).scalar_subquery())
    rows = db.session.execute(_board_query([Task.id.in_(page_ids)]).order_by(*BOARD_ORDER)).all()
    return [BoardRow(*row) for row in rows], total


def campaign_tasks(province_code: str, batches: list[str], per: int = 5) -> dict[str, list[BoardRow]]:
    """The first `per` tasks of each of these campaigns in this province, those needing the lead first
    (blocked, then earliest due: overdue ones come first): what its board row shows when opened (the
    campaign page lists them all)."""
    if not batches:
        return {}
    order = (sa.case((Task.status == "blocked", 0), else_=1), *BOARD_ORDER)
    rank = sa.func.row_number().over(partition_by=Task.batch, order_by=order).label("rank")
    ranked = (sa.select(Task.id, rank).where(Task.province_code == province_code, Task.batch.in_(batches))
              .subquery())
    ids = sa.select(ranked.c.id).where(ranked.c.rank <= per)
    out: dict[str, list[BoardRow]] = {b: [] for b in batches}
    for row in db.session.execute(_board_query([Task.id.in_(ids)]).order_by(*order)):
        out[row[0].batch].append(BoardRow(*row))
    return out


def commune_counts(province_code: str) -> list[CommuneCounts]:
    """Per commune team: active, done and overdue tasks; one GROUP BY on `tasks`, then names."""
    today = local_today()
    active = Task.status.in_(ACTIVE_STATUSES)
    counts = (sa.select(Task.team_id.label("team_id"),
                        sa.func.count().filter(active).label("active"),
                        sa.func.count().filter(Task.status == DONE).label("done"),
                        sa.func.count().filter(active, Task.due_date < today).label("overdue"))
              .where(Task.province_code == province_code).group_by(Task.team_id).subquery())
    rows = db.session.execute(
        sa.select(counts.c.team_id, AdminUnit.name, counts.c.active, counts.c.done, counts.c.overdue)
        .join(Team, Team.id == counts.c.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
        .order_by(counts.c.overdue.desc(), AdminUnit.name))
    return [CommuneCounts(*row) for row in rows]


def team_tasks(team_id: int, include_finished: bool = False, limit: int = 100) -> list[BoardRow]:
    where = [Task.team_id == team_id]
    if not include_finished:
        where.append(Task.status.in_(ACTIVE_STATUSES))
    rows = db.session.execute(_board_query(where).order_by(*BOARD_ORDER).limit(limit)).all()
    return [BoardRow(*row) for row in rows]


def my_tasks(person_id: int, limit: int = 100, offset: int = 0) -> list[BoardRow]:
    """Active tasks handed to me, then my teams' tasks nobody has taken yet."""
    my_teams = sa.select(Membership.team_id).where(Membership.person_id == person_id, Membership.end_date.is_(None))
    where = [Task.status.in_(ACTIVE_STATUSES),
             sa.or_(Task.assignee_person_id == person_id,
                    sa.and_(Task.assignee_person_id.is_(None), Task.team_id.in_(my_teams)))]
    rows = db.session.execute(_board_query(where).order_by(
        (Task.assignee_person_id == person_id).desc(), *BOARD_ORDER)
        .limit(limit).offset(offset)).all()
    return [BoardRow(*row) for row in rows]


def communes_with_team(province_code: str) -> list:
    """(code, name) of the province's communes that have a commune team, by name: who a task can go to."""
    return db.session.execute(
        sa.select(AdminUnit.code, AdminUnit.name).join(Team, sa.and_(Team.admin_unit_code == AdminUnit.code,
                                                                     Team.level == COMMUNE))
        .where(AdminUnit.province_code == province_code).order_by(AdminUnit.name)).all()


def recent_updates(task_id: int, limit: int = 100) -> list:
    """(TaskUpdate, author's name or None, assignee's name or None) of a task, newest first: the task
    page's history (who reported what, to whom it was handed)."""
    assignee = sa.orm.aliased(Person)
    return db.session.execute(
        sa.select(TaskUpdate, Person.full_name, assignee.full_name)
        .outerjoin(Person, Person.id == TaskUpdate.person_id)
        .outerjoin(assignee, assignee.id == TaskUpdate.assignee_person_id)
        .where(TaskUpdate.task_id == task_id).order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc()).limit(limit)).all()


def updates(task_id: int) -> list[TaskUpdate]:
    """Every update of a task, oldest first (the API's history)."""
    return list(db.session.scalars(sa.select(TaskUpdate).where(TaskUpdate.task_id == task_id).order_by(TaskUpdate.id)))


EXPORT_HEADER = ["id", "commune", "kind", "title", "status", "priority", "due_date", "target", "unit", "done",
                 "percent", "assignee", "blocked_reason", "created_at"]  # the columns of export_rows


def export_rows(province_code: str, f: BoardFilter, batch_size: int = 2000) -> Iterator[list]:
    """Every task of the filtered board, in board order, streamed in batches: codes, a date and an
    aware UTC moment as stored (web/task_export.py writes them for a reader)."""
    where = [Task.province_code == province_code] + f.clauses(local_today())
    query = _board_query(where).order_by(*BOARD_ORDER)
    result = db.session.execute(query.execution_options(yield_per=batch_size))
    for task, commune, assignee, _flagged in result:
        yield [task.id, commune, task.kind, task.title, task.status, task.priority, task.due_date, task.target_count,
               task.target_unit, task.done_count, task.percent, assignee, task.blocked_reason, task.created_at]


def to_csv(rows: Iterator[list], header: list = EXPORT_HEADER) -> Iterator[str]:
    """The board's CSV (with a BOM, in chunks; formula-safe cells: see coordination.core.exports)."""
    return exports.to_csv(rows, header)


def to_xlsx(rows: Iterator[list], header: list = EXPORT_HEADER, title: str = "tasks") -> bytes:
    return exports.to_xlsx(rows, header, title)

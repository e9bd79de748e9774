"""Reading tasks: the province board, per-commune counts, a team's list, "my tasks", exports.
Counts are SQL aggregates; pages fetch one page of rows."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Iterator, Optional

import sqlalchemy as sa

from models import AdminUnit, Membership, Person, Task, Team, db
from models.tasks import ACTIVE_STATUSES, DONE, STATUSES

from .clock import local_today


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


@dataclass
class CommuneCounts:
    team_id: int
    commune_name: str
    active: int
    done: int
    overdue: int


def _board_query(where: list):
    return (sa.select(Task, AdminUnit.name, Person.full_name)
            .join(Team, Team.id == Task.team_id)
            .join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
            .outerjoin(Person, Person.id == Task.assignee_person_id)
            .where(*where))


def province_board(province_code: str, f: BoardFilter, page: int = 1, size: int = 50) -> tuple[list[BoardRow], int]:
    """One page of the province's tasks, earliest due first (no due date last), and the total."""
    today = local_today()
    where = [Task.province_code == province_code] + f.clauses(today)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(*where))
    rows = db.session.execute(_board_query(where).order_by(Task.due_date.is_(None), Task.due_date, Task.id)
                              .limit(size).offset((page - 1) * size)).all()
    return [BoardRow(t, name, assignee) for t, name, assignee in rows], total


def commune_counts(province_code: str) -> list[CommuneCounts]:
    """Per commune team: active, done and overdue tasks (one GROUP BY)."""
    today = local_today()
    active = Task.status.in_(ACTIVE_STATUSES)
    rows = db.session.execute(
        sa.select(Task.team_id, AdminUnit.name,
                  sa.func.sum(sa.case((active, 1), else_=0)),
                  sa.func.sum(sa.case((Task.status == DONE, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(active, Task.due_date < today), 1), else_=0)))
        .join(Team, Team.id == Task.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
        .where(Task.province_code == province_code).group_by(Task.team_id, AdminUnit.name)
        .order_by(sa.desc(sa.func.sum(sa.case((sa.and_(active, Task.due_date < today), 1), else_=0))),
                  AdminUnit.name))
    return [CommuneCounts(tid, name, a or 0, d or 0, o or 0) for tid, name, a, d, o in rows]


def team_tasks(team_id: int, include_finished: bool = False, limit: int = 100) -> list[BoardRow]:
    where = [Task.team_id == team_id]
    if not include_finished:
        where.append(Task.status.in_(ACTIVE_STATUSES))
    rows = db.session.execute(_board_query(where).order_by(Task.due_date.is_(None), Task.due_date, Task.id)
                              .limit(limit)).all()
    return [BoardRow(t, name, assignee) for t, name, assignee in rows]


def my_tasks(person_id: int, limit: int = 100) -> list[BoardRow]:
    """Active tasks handed to me, then my teams' tasks nobody has taken yet."""
    my_teams = sa.select(Membership.team_id).where(Membership.person_id == person_id, Membership.end_date.is_(None))
    where = [Task.status.in_(ACTIVE_STATUSES),
             sa.or_(Task.assignee_person_id == person_id,
                    sa.and_(Task.assignee_person_id.is_(None), Task.team_id.in_(my_teams)))]
    rows = db.session.execute(_board_query(where).order_by(
        (Task.assignee_person_id == person_id).desc(), Task.due_date.is_(None), Task.due_date, Task.id)
        .limit(limit)).all()
    return [BoardRow(t, name, assignee) for t, name, assignee in rows]


EXPORT_HEADER = ["id", "commune", "kind", "title", "status", "priority", "due_date", "target", "unit", "done",
                 "percent", "assignee", "blocked_reason", "created_at"]


def export_rows(province_code: str, f: BoardFilter, batch_size: int = 2000) -> Iterator[list]:
    """Every task of the filtered board, in board order, streamed in batches."""
    where = [Task.province_code == province_code] + f.clauses(local_today())
    query = _board_query(where).order_by(Task.due_date.is_(None), Task.due_date, Task.id)
    result = db.session.execute(query.execution_options(yield_per=batch_size))
    for task, commune, assignee in result:
        yield [task.id, commune, task.kind, task.title, task.status, task.priority,
               task.due_date.isoformat() if task.due_date else "", task.target_count or "", task.target_unit or "",
               task.done_count, task.percent if task.percent is not None else "", assignee or "",
               task.blocked_reason or "", task.created_at.isoformat(timespec="seconds")]


def to_csv(rows: Iterator[list]) -> Iterator[str]:
    """CSV with a BOM so Excel on Windows opens the Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_HEADER)
    for i, row in enumerate(rows, 1):
        writer.writerow(row)
        if i % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(rows: Iterator[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("tasks")
    sheet.append(EXPORT_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""Bulk assignment: one task per chosen commune team, written in one transaction.

A province lead picks one commune, a list, or every commune of the province matching a filter
(unit type; communes with no open task of this kind); the ministry can do the same nationwide.
`preview` tells how many teams will receive the task before anything is written."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import AdminUnit, Task, Team, db
from models.geography import COMMUNE as COMMUNE_UNIT
from models.tasks import ACTIVE_STATUSES
from models.teams import COMMUNE

from coordination.core import audit
from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.tasks import campaigns, notices
from coordination.tasks.rules import TaskSpec, clean_spec
from coordination.clock import utcnow

ONE, SELECTED, ALL = "one", "selected", "all"
UNIT_TYPES = ("Phường", "Xã", "Đặc khu")
MAX_SELECTED = 5000


@dataclass
class Targeting:
    province_code: Optional[str]  # None: nationwide (ministry)
    mode: str = ALL
    commune_codes: list[str] = field(default_factory=list)
    unit_type: Optional[str] = None  # only with mode ALL
    skip_with_open_task: bool = False  # skip teams that already have an active task of this kind


@dataclass
class Preview:
    team_ids: list[int]
    communes: int  # communes selected
    without_team: int  # selected communes that have no team: they cannot receive a task
    already_open: int  # teams skipped because they have an open task of this kind
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of those without a team, by name

    @property
    def count(self) -> int:
        return len(self.team_ids)


def _selected_communes(t: Targeting):
    """A WHERE clause for the communes the targeting names; validates what was named."""
    conditions = [AdminUnit.level == COMMUNE_UNIT]
    if t.province_code is not None:
        conditions.append(AdminUnit.province_code == t.province_code)
    if t.mode in (ONE, SELECTED):
        codes = sorted({(c or "").strip() for c in t.commune_codes if (c or "").strip()})
        if not codes:
            raise ValidationError(_l("Choose at least one commune."), field="communes")
        if t.mode == ONE and len(codes) != 1:
            raise ValidationError(_l("Choose exactly one commune."), field="communes")
        if len(codes) > MAX_SELECTED:
            raise ValidationError(_l("Too many communes selected."), field="communes")
        known = set(db.session.scalars(sa.select(AdminUnit.code).where(*conditions, AdminUnit.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise NotFound(_l("Unknown commune code(s) here: %(codes)s", codes=", ".join(unknown[:10])),
                           field="communes")
        conditions.append(AdminUnit.code.in_(codes))
    elif t.mode == ALL:
        if t.unit_type:
            if t.unit_type not in UNIT_TYPES:
                raise ValidationError(_l("Choose a commune type from the list."), field="unit_type")
            conditions.append(AdminUnit.unit_type == t.unit_type)
    else:
        raise ValidationError(_l("Choose who receives the task."), field="mode")
    return sa.and_(*conditions)


def preview(targeting: Targeting, kind: str) -> Preview:
    """Which commune teams would receive a task of `kind`: counted in SQL, nothing written."""
    where = _selected_communes(targeting)
    rows = db.session.execute(
        sa.select(AdminUnit.code, AdminUnit.name, Team.id).select_from(AdminUnit)
        .outerjoin(Team, sa.and_(Team.level == COMMUNE, Team.admin_unit_code == AdminUnit.code))
        .where(where).order_by(AdminUnit.name)).all()
    team_ids = [team_id for _code, _name, team_id in rows if team_id is not None]
    already: set[int] = set()
    if targeting.skip_with_open_task and team_ids:
        already = set(db.session.scalars(sa.select(Task.team_id).distinct().where(
            Task.kind == kind, Task.status.in_(ACTIVE_STATUSES),
            *([Task.province_code == targeting.province_code] if targeting.province_code else []),
            Task.team_id.in_(sa.select(Team.id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                             .where(Team.level == COMMUNE, where)))))
    return Preview(team_ids=[t for t in team_ids if t not in already], communes=len(rows),
                   without_team=len(rows) - len(team_ids), already_open=len(already),
                   skipped=[(code, name) for code, name, team_id in rows if team_id is None])


def checked_preview(spec: TaskSpec, targeting: Targeting) -> Preview:
    """Check the task (clean_spec raises on a bad field), then count who would receive it."""
    clean_spec(spec)
    return preview(targeting, spec.kind)


def assign(spec: TaskSpec, targeting: Targeting, actor_user_id: Optional[int]) -> tuple[str, int]:
    """Create one task per targeted commune team in the caller's transaction.
    Returns (batch id, number of tasks); more than one task makes a campaign. Nothing is written when
    anything is invalid."""
    values = clean_spec(spec)
    result = preview(targeting, values["kind"])
    if not result.team_ids:
        raise Conflict(_l("No commune team matches: nothing to assign."), field="communes")  # stored teams
    provinces = dict(db.session.execute(sa.select(Team.id, Team.province_code).where(
        Team.id.in_(result.team_ids))).all()) if targeting.province_code is None else None
    batch, now = str(uuid.uuid4()), utcnow()
    rows = [dict(values, team_id=team_id,
                 province_code=targeting.province_code or provinces[team_id],
                 created_by_id=actor_user_id, batch=batch, status="open", done_count=0,
                 created_at=now, updated_at=now)
            for team_id in result.team_ids]
    if len(rows) > 1:  # a campaign: one thing to watch (coordination/tasks/campaigns.py)
        campaigns.create(batch, values, targeting.province_code, actor_user_id)
    created = db.session.execute(sa.insert(Task).returning(Task.id, Task.team_id, Task.province_code), rows).all()
    audit.record_many(actor_user_id, "create", "task", [
        dict(entity_id=task_id, team_id=team_id, province_code=province,
             after={"batch": batch, "kind": values["kind"], "title": values["title"]})
        for task_id, team_id, province in created])
    notices.batch_assigned(batch, values, targeting.province_code is None, actor_user_id, now)
    return batch, len(rows)

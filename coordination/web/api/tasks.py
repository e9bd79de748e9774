"""/api/v1/tasks: list, create (bulk, with a dry run), read, update, report progress.
Same rules and permissions as the pages; registered on the API blueprint."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from models import Person, Task, db
from models.tasks import STATUSES

from coordination.tasks import assignment, board as task_board, kinds, rules as tasks
from coordination.core import device, permissions
from coordination.clock import utcnow
from coordination.web.login import current_scope
from coordination.core.errors import NotFound, ValidationError
from coordination.web.api import serializers as ser
from coordination.web.api.core import bp
from coordination.web.helpers import refuse_unless
from coordination.web.api.json_input import flag, json_body, paging, query_choice, query_int, text, whole


def _date(data: dict, key: str) -> date | None:
    raw = text(data, key, max_len=10)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(_("Use a date like 2026-12-31."), field=key) from None


def _visible_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not permissions.can_view_task(current_scope(), task):
        abort(404)
    return task


def _board_filter() -> task_board.BoardFilter:
    return task_board.BoardFilter(status=query_choice("status", STATUSES + ("active",)),
                                  kind=query_choice("kind", kinds.codes()), team_id=query_int("team"), overdue=query_choice("overdue", ("0", "1")) == "1")


def _my_tasks(page: int, per_page: int):
    rows = task_board.my_tasks(current_user.person_id, limit=per_page + 1, offset=(page - 1) * per_page)
    return jsonify({"items": [ser.task(r.task, r.commune_name) for r in rows[:per_page]], "page": page,
                    "per_page": per_page, "has_next": len(rows) > per_page})


@bp.get("/api/v1/tasks")
def list_tasks():
    """A province's board (province=…), or my tasks (mine=1)."""
    page, per_page = paging()
    mine = query_choice("mine", ("0", "1")) == "1"
    f = _board_filter()
    if mine:
        return _my_tasks(page, per_page)
    province = request.args.get("province", "")
    if not permissions.can_view_province(current_scope(), province):
        abort(404)
    rows, total = task_board.province_board(province, f, page, per_page)
    return jsonify({"items": [ser.task(r.task, r.commune_name) for r in rows], "page": page,
                    "per_page": per_page, "total": total, "has_next": page * per_page < total})


def _creatable_province(data: dict) -> str | None:
    """The province the tasks go to (None: nationwide), if this user may create tasks there."""
    scope = current_scope()
    province = text(data, "province_code", max_len=8)
    if province is None and not permissions.can_create_national_tasks(scope):  # the nation is outside their scope
        raise NotFound(_("Name a province: only the ministry assigns tasks nationwide."), field="province_code")
    if province is not None and not permissions.can_create_tasks(scope, province):
        abort(404)
    return province


def _commune_codes(data: dict) -> list:
    codes = data.get("commune_codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError(_("Must be a list of commune codes."), field="commune_codes")
    return codes


def _spec(data: dict) -> tasks.TaskSpec:
    return tasks.TaskSpec(kind=text(data, "kind", required=True, max_len=40) or "",
                          title=text(data, "title", required=True, max_len=200) or "",
                          description=text(data, "description", max_len=5000), due_date=_date(data, "due_date"),
                          priority=text(data, "priority", max_len=10) or "normal",
                          target_count=whole(data, "target_count"), target_unit=text(data, "target_unit", max_len=60))


def _targeting(data: dict, province: str | None, codes: list) -> assignment.Targeting:
    return assignment.Targeting(
        province_code=province, mode=text(data, "mode", max_len=10) or (assignment.SELECTED if codes else assignment.ALL),
        commune_codes=codes, unit_type=text(data, "unit_type", max_len=10),
        skip_with_open_task=flag(data, "skip_with_open_task", False))


@bp.post("/api/v1/tasks")
def create_tasks():
    """Create one task per targeted commune team. With "dry_run": true, only count them."""
    data = json_body()
    province, codes = _creatable_province(data), _commune_codes(data)
    spec = _spec(data)
    targeting = _targeting(data, province, codes)
    preview = assignment.checked_preview(spec, targeting)
    body = {"teams": preview.count, "communes": preview.communes, "without_team": preview.without_team,
            "already_open": preview.already_open}
    if flag(data, "dry_run", False):
        return jsonify(body)
    batch, count = assignment.assign(spec, targeting, current_user.id)
    db.session.commit()
    return jsonify(dict(body, batch=batch, created=count)), 201


@bp.get("/api/v1/tasks/<int:task_id>")
def get_task(task_id: int):
    task = _visible_task(task_id)
    body = ser.task(task, task.team.admin_unit.name if task.team.admin_unit else None)
    body["updates"] = [ser.task_update(u) for u in task_board.updates(task.id)]
    return jsonify(body)


def _assignee(data: dict) -> Person | None:
    """The person named by "assignee_person_id" (null takes the task back)."""
    person_id = whole(data, "assignee_person_id")
    person = db.session.get(Person, person_id) if person_id is not None else None
    if person_id is not None and person is None:
        raise NotFound(_("Unknown person."), field="assignee_person_id")
    return person


def _apply_status(task: Task, scope, data: dict, status: str) -> None:
    """Cancel the task, or move it to `status`, if this user may."""
    if status == "cancelled":
        if not permissions.can_cancel_task(scope, task, current_user.id):
            abort(404)
        tasks.cancel(task, current_user.id, current_user.person_id, text(data, "note", max_len=1000))
    else:
        if not permissions.can_work_on_task(scope, task):
            abort(404)
        tasks.change_status(task, status, current_user.id, current_user.person_id,
                            reason=text(data, "blocked_reason", max_len=500), note=text(data, "note", max_len=1000))


@bp.patch("/api/v1/tasks/<int:task_id>")
def update_task(task_id: int):
    """Change status (with blocked_reason), hand to a member (assignee_person_id), or cancel."""
    task, scope, data = _visible_task(task_id), current_scope(), json_body()
    status = text(data, "status", max_len=12)
    if "assignee_person_id" in data:
        refuse_unless(permissions.can_assign_task(scope, task), "assign", "task", task.id, task.province_code,
                      task.team_id)
        tasks.assign_person(task, _assignee(data), current_user.id, current_user.person_id)
    if status is not None:
        _apply_status(task, scope, data, status)
    db.session.commit()
    return jsonify(ser.task(task, None))


def _report_once(task: Task, delta, note, client_uuid, at, confirmed: bool) -> tuple[Task, bool]:
    """Report progress and commit; the same queued report sent twice at once counts once (the
    other request's row wins the unique client_uuid: report again, which finds it)."""
    task_id = task.id
    args = (current_user.id, current_user.person_id, note, client_uuid, at, confirmed)
    try:
        counted = tasks.report_progress(task, delta, *args)
        db.session.commit()
    except sa.exc.IntegrityError:  # the same report, sent twice at once: the other one counted
        db.session.rollback()
        task = db.session.get(Task, task_id)
        counted = tasks.report_progress(task, delta, *args)
        db.session.commit()
    return task, counted


@bp.post("/api/v1/tasks/<int:task_id>/progress")
def task_progress(task_id: int):
    task = _visible_task(task_id)
    if not permissions.can_work_on_task(current_scope(), task):
        abort(404)
    data = json_body()
    delta, note = whole(data, "delta", required=True), text(data, "note", max_len=1000)
    queued = data.get("client_uuid") is not None  # sent from a phone's queue: once, at the phone's time
    client_uuid = device.client_uuid(data["client_uuid"]) if queued else None
    at = device.device_time(data.get("occurred_at"), utcnow()) if queued else None
    task, counted = _report_once(task, delta, note, client_uuid, at, flag(data, "confirm", False))
    return jsonify(ser.task(task, None) | {"counted": counted})


@bp.post("/api/v1/tasks/<int:task_id>/corrections")
def correct_task(task_id: int):
    """A lead corrects the done count: {"amount": -99800, "reason": "…"} (a volunteer gets 404)."""
    task, data = _visible_task(task_id), json_body()
    refuse_unless(permissions.can_correct_task(current_scope(), task), "correct_progress", "task", task.id,
                  task.province_code, task.team_id)
    update = tasks.correct_progress(task, whole(data, "amount", required=True), text(data, "reason", max_len=1000),
                                    current_user.id, current_user.person_id)
    db.session.commit()
    return jsonify(ser.task(task, None) | {"update": ser.task_update(update)}), 201

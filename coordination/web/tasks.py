"""Task pages: the province board (and exports), creating and bulk-assigning, a task, my tasks."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import AdminUnit, Person, Task, db
from models.tasks import CANCELLED, STATUSES

from coordination.tasks import assignment, board as task_board, campaigns, comments, rules as tasks
from coordination.core import permissions
from coordination.org import overview
from coordination.web.login import current_scope
from coordination.clock import local_today
from coordination.core.errors import DomainError
from coordination.core.text import num
from coordination.web.helpers import (form_error, get_or_404, page_arg, province_or_404, refuse_unless,
    require, safe_next, saved, small_int, typed_row)
from coordination.web import labels, task_comments, task_export
from coordination.web.task_forms import (AssignForm, CancelForm, CommentForm, CorrectionForm, ProgressForm, StatusForm,
                                         TaskForm)

bp = Blueprint("tasks", __name__)


def _board_filter() -> task_board.BoardFilter:
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    team = request.args.get("team", "")
    return task_board.BoardFilter(
        status=status if status in STATUSES + ("active",) else None,
        kind=kind if kind in labels.kinds() else None,
        team_id=small_int(team), overdue=request.args.get("overdue") == "1")


def _province(code: str) -> AdminUnit:
    require(permissions.can_view_province(current_scope(), code))
    return province_or_404(code)


@bp.get("/provinces/<code>/tasks")
@login_required
def board(code: str):
    province = _province(code)
    f = _board_filter()
    page, size = page_arg(), current_app.config["PAGE_SIZE"]
    # Collapsed by campaign unless filtered or asked for every task row (?view=tasks).
    collapsed = request.args.get("view") != "tasks" and not (f.status or f.kind or f.team_id or f.overdue)
    in_campaigns = campaigns.on_board(code) if collapsed else []
    rows, total = task_board.province_board(code, f, page, size, outside_campaigns=collapsed)
    return render_template("tasks/board.html", province=province, rows=rows, total=total, page=page, size=size,
                           collapsed=collapsed, in_campaigns=in_campaigns, campaign_tasks=task_board.campaign_tasks(
                               code, [c.campaign.batch for c in in_campaigns]),
                           f=f, teams=overview.commune_teams(code), counts=task_board.commune_counts(code), today=local_today(),
                           can_create=permissions.can_create_tasks(current_scope(), code),
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/provinces/<code>/tasks.<fmt>")
@login_required
def export(code: str, fmt: str):
    _province(code)
    rows = task_board.export_rows(code, _board_filter())
    name = f"tasks-{code}-{local_today().isoformat()}"
    if fmt == "csv":
        return Response(stream_with_context(task_export.csv(rows)), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return Response(task_export.xlsx(rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    abort(404)


def _assigned(spec: tasks.TaskSpec, targeting: assignment.Targeting, province: AdminUnit | None):
    batch, n = assignment.assign(spec, targeting, current_user.id)
    db.session.commit()
    flash(_("Task assigned to %(n)d commune teams.", n=n), "success")
    campaign = campaigns.by_batch(batch)  # more than one team: one thing to watch
    if campaign:
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return redirect(url_for("tasks.board", code=province.code) if province else url_for("main.home"))


def _new_task(province: AdminUnit | None):
    """The task form: preview how many teams it reaches; assign once confirmed for that same number."""
    form = TaskForm()
    form.communes.choices = [(c, n) for c, n in task_board.communes_with_team(province.code)] if province else []
    preview, status = None, 200
    if form.validate_on_submit():
        spec, targeting = form.task_spec(), form.targeting(province.code if province else None)
        try:
            preview = assignment.checked_preview(spec, targeting)
            confirmed = request.form.get("action") == "confirm"
            if confirmed and form.expected.data == str(preview.count):
                return _assigned(spec, targeting, province)
            if confirmed:
                flash(_("The number of teams changed since the preview; check and confirm again."), "error")
            form.expected.data = str(preview.count)
        except DomainError as err:
            form_error(form, err, "communes" if err.field in ("mode", "unit_type") else None)
            preview, status = None, 400
    elif form.is_submitted():
        status = 400
    return render_template("tasks/new.html", form=form, province=province, preview=preview,
                           national=province is None and current_scope().national), status


@bp.route("/provinces/<code>/tasks/new", methods=["GET", "POST"])
@login_required
def new(code: str):
    province = _province(code)
    require(permissions.can_create_tasks(current_scope(), code))
    return _new_task(province)


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
def new_national():
    require(permissions.can_create_national_tasks(current_scope()))
    return _new_task(None)


def _task(task_id: int) -> Task:
    task = get_or_404(Task, task_id)
    require(permissions.can_view_task(current_scope(), task))
    return task


def _render_task(task: Task, status_form=None, progress_form=None, assign_form=None, status: int = 200,
                 correction_form=None, comment_form=None):
    scope = current_scope()
    updates = task_board.recent_updates(task.id)
    assign_form = assign_form or AssignForm()
    members = overview.member_choices(task.team_id)
    assign_form.person_id.choices = [("", "—")] + [(str(i), n) for i, n in members]
    if assign_form.person_id.data is None:
        assign_form.person_id.data = str(task.assignee_person_id or "")
    return render_template(
        "tasks/show.html", task=task, updates=updates, today=local_today(),
        transitions=sorted(tasks.TRANSITIONS.get(task.status, ())), status_form=status_form or StatusForm(),
        progress_form=progress_form or ProgressForm(), assign_form=assign_form, cancel_form=CancelForm(),
        correction_form=correction_form or CorrectionForm(), plausible_bound=tasks.plausible_bound(task),
        can_correct=permissions.can_correct_task(scope, task),
        comments=comments.thread(task.id), comment_form=comment_form or CommentForm(),
        can_work=permissions.can_work_on_task(scope, task), can_assign=permissions.can_assign_task(scope, task),
        can_cancel=permissions.can_cancel_task(scope, task, current_user.id) and task.status not in ("done", CANCELLED),
        can_view_board=permissions.can_view_province(scope, task.province_code)), status


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    return _render_task(_task(task_id))


@bp.post("/tasks/<int:task_id>/status")
@login_required
def change_status(task_id: int):
    task = _task(task_id)
    require(permissions.can_work_on_task(current_scope(), task))
    form = StatusForm()
    if form.validate_on_submit():
        try:
            tasks.change_status(task, form.to_status.data, current_user.id, current_user.person_id,
                                reason=form.blocked_reason.data)
            db.session.commit()
            return redirect(url_for("tasks.show", task_id=task.id))
        except DomainError as err:
            form_error(form, err, "blocked_reason")
    return _render_task(db.session.get(Task, task_id), status_form=form, status=400)


@bp.post("/tasks/<int:task_id>/progress")
@login_required
def progress(task_id: int):
    task = _task(task_id)
    require(permissions.can_work_on_task(current_scope(), task))
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            tasks.report_progress(task, form.delta.data, current_user.id, current_user.person_id, form.note.data,
                                  confirmed=form.confirm.data)
            db.session.commit()
            flash(_("Progress saved: %(done)s done.", done=num(task.done_count)), "success")
            return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task.id)))
        except DomainError as err:
            form_error(form, err, "delta")
    return _render_task(db.session.get(Task, task_id), progress_form=form, status=400)


@bp.post("/tasks/<int:task_id>/comments")
@login_required
def comment(task_id: int):
    task = task_comments.commentable(task_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            photo = task_comments.uploaded_photo()
            new, _sent = comments.add(task, form.body.data, current_user.id, current_user.person_id, photo)
            comments.save(new, photo, task_comments.photo_dir())
            return redirect(url_for("tasks.show", task_id=task.id) + f"#comment-{new.id}")
        except DomainError as err:
            form_error(form, err, "body")
    return _render_task(db.session.get(Task, task_id), comment_form=form, status=400)


def _correctable(task_id: int) -> Task:
    """The task, if this user may correct its count (a volunteer sees 404, and the refusal is audited)."""
    task = get_or_404(Task, task_id)
    scope = current_scope()
    refuse_unless(permissions.can_view_task(scope, task) and permissions.can_correct_task(scope, task),
                  "correct_progress", "task", task.id, task.province_code, task.team_id)
    return task


@bp.post("/tasks/<int:task_id>/correct")
@login_required
def correct(task_id: int):
    task, form = _correctable(task_id), CorrectionForm()
    if form.validate_on_submit():
        try:
            tasks.correct_progress(task, form.amount.data, form.reason.data, current_user.id, current_user.person_id)
            db.session.commit()
            flash(_("Count corrected: %(done)s done.", done=num(task.done_count)), "success")
            return redirect(url_for("tasks.show", task_id=task.id) + "#history")
        except DomainError as err:
            form_error(form, err, "amount")
    return _render_task(db.session.get(Task, task_id), correction_form=form, status=400)


def _chosen_person(raw: str | None) -> Person | None:
    """The member picked in the assign form ("" takes the task back), or a form error."""
    person = typed_row(Person, raw)
    if raw and person is None:
        raise DomainError(_("Choose a member of the team."), field="person_id")
    return person


@bp.post("/tasks/<int:task_id>/assign")
@login_required
def assign_person(task_id: int):
    task = get_or_404(Task, task_id)
    scope = current_scope()
    refuse_unless(permissions.can_view_task(scope, task) and permissions.can_assign_task(scope, task),
                  "assign", "task", task.id, task.province_code, task.team_id)
    form = AssignForm()
    form.person_id.choices = []
    if form.validate_on_submit():
        try:
            tasks.assign_person(task, _chosen_person(form.person_id.data), current_user.id, current_user.person_id)
            db.session.commit()
            return redirect(url_for("tasks.show", task_id=task.id))
        except DomainError as err:
            form_error(form, err, "person_id")
    return _render_task(db.session.get(Task, task_id), assign_form=form, status=400)


@bp.post("/tasks/<int:task_id>/cancel")
@login_required
def cancel(task_id: int):
    task = _task(task_id)
    require(permissions.can_cancel_task(current_scope(), task, current_user.id))
    form = CancelForm()
    if form.validate_on_submit():
        with saved():
            tasks.cancel(task, current_user.id, current_user.person_id, form.reason.data)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.get("/my/tasks")
@login_required
def mine():
    return render_template("tasks/mine.html", rows=task_board.my_tasks(current_user.person_id), today=local_today(),
                           progress_form=ProgressForm())

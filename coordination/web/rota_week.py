"""A team's week of duty as a grid (issue 19 §1): fill a cell by picking a member (free ones first),
see warnings before saving, confirm a removal, apply a named pattern, copy the week forward. Every
action is a plain form POST + redirect; static/js/week.js sends the same forms with fetch and swaps
the cell in, without a reload."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import RotaPattern, Shift, ShiftAssignment, db

from coordination.clock import local_today, to_local
from coordination.core import permissions
from coordination.core.errors import DomainError
from coordination.duty import changes, patterns, rota, week as weeks
from coordination.duty.rota_rules import week_start
from coordination.web.duty import _team
from coordination.web.duty_forms import ApplyPatternForm, CopyWeekForm, PatternForm
from coordination.web.login import current_scope
from coordination.web.helpers import form_error, get_or_404, safe_next, small_int

bp = Blueprint("rota_week", __name__)
ROLES = ("auto", "primary", "backup", "member")


YEARS_AWAY = 10  # a week further from today is no rota (and at the calendar's ends, no date at all)


def _monday(raw) -> date:
    """The Monday of ?start= (this week's if none or unreadable); 404 for a week more than
    YEARS_AWAY years from today, never filled by a pattern or a copy."""
    today = local_today()
    try:
        day = date.fromisoformat(raw)
    except (TypeError, ValueError):
        return week_start(today)
    if abs((day - today).days) > YEARS_AWAY * 366:
        abort(404)
    return week_start(day)


def _back(team_id: int, monday: date) -> str:
    return url_for("rota_week.week_page", team_id=team_id, start=monday.isoformat())


def _by_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _render(team, monday, pattern_form=None, status=200):
    apply_form = ApplyPatternForm()
    apply_form.pattern_id.choices = [(str(p.id), p.name) for p in patterns.team_patterns(team.id)]
    week = weeks.team_week(team.id, monday)
    return render_template("duty/week.html", team=team, week=week,
                           given_back=changes.given_back_people([c.shift.id for c in week.cells.values()]),
                           pattern_form=pattern_form or PatternForm(), apply_form=apply_form,
                           copy_form=CopyWeekForm(), today=local_today(),
                           can_manage=permissions.can_manage_rota(current_scope(), team),
                           prev=monday - timedelta(days=7), next=monday + timedelta(days=7)), status


def _cell_reply(shift: Shift, error=None, warnings=(), status=200):
    html = render_template("duty/_cell.html", c=weeks.cell(shift), can_manage=True,
                           given_back=changes.given_back_people([shift.id]),
                           back=_back(shift.team_id, week_start(to_local(shift.starts_at).date())))
    return jsonify(html=html, error=error, warnings=list(warnings)), status


@bp.get("/teams/<int:team_id>/week")
@login_required
def week_page(team_id: int):
    return _render(_team(team_id), _monday(request.args.get("start")))


@bp.post("/shifts/<int:shift_id>/staff")
@login_required
def staff(shift_id: int):
    shift = get_or_404(Shift, shift_id)
    _team(shift.team_id, manage=True)
    back = safe_next(request.form.get("next"), _back(shift.team_id, week_start(to_local(shift.starts_at).date())))
    person_id, role = small_int(request.form.get("person_id")), request.form.get("role", "auto")
    person = rota.team_member(shift.team_id, person_id)
    try:
        if person is None or role not in ROLES:
            raise DomainError(_("Choose a member of the team."), field="person_id")
        saved, warnings = patterns.staff(shift, person, role, request.form.get("confirm") == "1", current_user.id)
    except DomainError as err:
        db.session.rollback()
        if _by_fetch():
            return _cell_reply(shift, error=str(err), status=err.status)
        flash(str(err), "error")
        return redirect(back)
    if saved is None:  # warnings to confirm first
        if _by_fetch():
            return _cell_reply(shift, warnings=warnings)
        return render_template("duty/confirm.html", warnings=warnings, action=request.path, back=back,
                               fields={"person_id": person.id, "role": role, "next": back, "confirm": "1"},
                               button=_("Put %(name)s on the shift anyway", name=person.full_name))
    db.session.commit()
    return _cell_reply(shift) if _by_fetch() else redirect(back)


@bp.get("/assignments/<int:assignment_id>/remove")
@login_required
def confirm_remove(assignment_id: int):
    assignment = get_or_404(ShiftAssignment, assignment_id)
    _team(assignment.shift.team_id, manage=True)
    shift = assignment.shift
    back = safe_next(request.args.get("next"), _back(shift.team_id, week_start(to_local(shift.starts_at).date())))
    question = _("Remove %(name)s from the shift %(when)s?", name=assignment.person.full_name,
                 when=f"{to_local(shift.starts_at):%d/%m %H:%M}–{to_local(shift.ends_at):%H:%M}")
    return render_template("duty/confirm.html", warnings=[question], back=back, button=_("Remove"),
                           action=url_for("rota_week.remove", assignment_id=assignment_id), fields={"next": back})


@bp.post("/assignments/<int:assignment_id>/remove")
@login_required
def remove(assignment_id: int):
    assignment = get_or_404(ShiftAssignment, assignment_id)
    team = _team(assignment.shift.team_id, manage=True)
    shift = assignment.shift
    rota.unassign(assignment, current_user.id)
    db.session.commit()
    if _by_fetch():
        return _cell_reply(shift)
    return redirect(safe_next(request.form.get("next"), url_for("duty.rota_page", team_id=team.id)))


@bp.post("/teams/<int:team_id>/patterns")
@login_required
def save_pattern(team_id: int):
    team = _team(team_id, manage=True)
    monday, form = _monday(request.args.get("start")), PatternForm()
    if form.validate_on_submit():
        try:
            pattern = patterns.save_pattern(team, form.name.data, form.text.data, form.required.data, current_user.id)
            done = patterns.apply_slots(team, patterns.pattern_slots(pattern), monday, form.weeks.data, current_user.id)
            db.session.commit()
            _report(done)
            return redirect(_back(team.id, monday))
        except DomainError as err:
            form_error(form, err, "text")
    return _render(team, monday, pattern_form=form, status=400)


@bp.post("/teams/<int:team_id>/patterns/apply")
@login_required
def apply_pattern(team_id: int):
    team = _team(team_id, manage=True)
    monday, form = _monday(request.args.get("start")), ApplyPatternForm()
    pattern = db.session.get(RotaPattern, small_int(form.pattern_id.data) or 0)
    _act(form, lambda: patterns.apply_slots(team, patterns.pattern_slots(pattern), monday, form.weeks.data,
                                            current_user.id) if pattern and pattern.team_id == team.id else None)
    return redirect(_back(team.id, monday))


@bp.post("/teams/<int:team_id>/week/copy")
@login_required
def copy_week(team_id: int):
    team = _team(team_id, manage=True)
    monday, form = _monday(request.args.get("start")), CopyWeekForm()
    _act(form, lambda: patterns.copy_week(team, monday, form.weeks.data, current_user.id))
    return redirect(_back(team.id, monday))


def _act(form, work) -> None:
    """Run a bulk action from a small form; say what it did, or why not (in the flash)."""
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return
    try:
        done = work()
        if done is None:
            raise DomainError(_("Choose a pattern from the list."), field="pattern_id")
        db.session.commit()
        _report(done)
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")


def _report(done: patterns.Applied) -> None:
    flash(_("%(s)d shifts created, %(a)d places filled.", s=done.shifts_created, a=done.assigned), "success")
    if done.skipped:
        shown = "; ".join(done.skipped[:8]) + (" …" if len(done.skipped) > 8 else "")
        flash(_("Skipped %(n)d: %(who)s", n=len(done.skipped), who=shown), "error")


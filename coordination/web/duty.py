"""Duty pages: a team's rota (generate, add, staff, swap, claim) and the volunteer's one-tap
check-in app (an installable PWA that works offline: /duty/)."""
from __future__ import annotations

from datetime import timedelta

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Shift, ShiftAssignment, ShiftChange, Team, db

from coordination.duty import changes, queries as duty, rota
from coordination.core import permissions
from coordination.org import overview
from coordination.web.login import current_scope
from coordination.clock import local_today, to_local, utcnow
from coordination.core.errors import DomainError
from coordination.web.duty_forms import AssignShiftForm, RotaForm, ShiftForm, SwapForm
from coordination.web.helpers import form_error, get_or_404, refuse_unless, require, safe_next, saved, small_int

bp = Blueprint("duty", __name__)


def _team(team_id: int, manage: bool = False) -> Team:
    team = get_or_404(Team, team_id)
    scope = current_scope()
    require(permissions.can_view_team(scope, team))
    if manage:  # a member trying a lead's change of the rota: refused, and the refusal is audited
        refuse_unless(permissions.can_manage_rota(scope, team), "manage", "rota", team.id, team.province_code, team.id)
    return team


def _render_rota(team: Team, rota_form=None, shift_form=None, status: int = 200):
    scope = current_scope()
    now = utcnow()
    days = min(max(request.args.get("days", 7, type=int), 1), 31)
    rows = duty.team_shifts(team.id, now, now + timedelta(days=days))
    staffing = duty.assignments_for([r.shift.id for r in rows])
    members = overview.member_choices(team.id)
    assign_form = AssignShiftForm()
    assign_form.person_id.choices = [(str(i), n) for i, n in members]
    swap_form = SwapForm()
    swap_form.first.choices = swap_form.second.choices = [
        (str(a.id), f"{to_local(r.shift.starts_at):%d/%m %H:%M} · {name}")
        for r in rows for a, name in staffing[r.shift.id]]
    rota_form = rota_form or RotaForm(first_day=local_today(), last_day=local_today() + timedelta(days=13))
    shift_form = shift_form or ShiftForm(day=local_today())
    return render_template("duty/rota.html", team=team, rows=rows, staffing=staffing, rota_form=rota_form,
                           shift_form=shift_form, assign_form=assign_form, swap_form=swap_form,
                           on_duty=duty.on_duty_people(team.id), days=days,
                           history=changes.team_history(team.id, now - timedelta(days=7)),
                           open_changes=changes.open_for_places([r.shift.id for r in rows]), now=now,
                           can_manage=permissions.can_manage_rota(scope, team),
                           can_claim=team.id in scope.member_teams, person_id=current_user.person_id), status


@bp.get("/teams/<int:team_id>/rota")
@login_required
def rota_page(team_id: int):
    return _render_rota(_team(team_id))


@bp.post("/teams/<int:team_id>/rota")
@login_required
def generate(team_id: int):
    team = _team(team_id, manage=True)
    form = RotaForm()
    if form.validate_on_submit():
        try:
            _rota, created, skipped = rota.generate(team, form.rota_spec(), form.first_day.data, form.last_day.data,
                                                    current_user.id)
            db.session.commit()
            flash(_("%(n)d shifts created (%(m)d already existed).", n=created, m=skipped), "success")
            return redirect(url_for("duty.rota_page", team_id=team.id))
        except DomainError as err:
            form_error(form, err)
    return _render_rota(team, rota_form=form, status=400)


@bp.post("/teams/<int:team_id>/shifts")
@login_required
def add_shift(team_id: int):
    team = _team(team_id, manage=True)
    form = ShiftForm()
    if form.validate_on_submit():
        try:
            starts, ends = rota.local_shift_times(form.day.data, form.start.data, form.end.data)
            rota.add_shift(team, starts, ends, form.required.data, form.note.data, current_user.id)
            db.session.commit()
            return redirect(url_for("duty.rota_page", team_id=team.id))
        except DomainError as err:
            form_error(form, err, "start" if err.field in ("first_start", "starts_at") else "end")
    return _render_rota(team, shift_form=form, status=400)


@bp.post("/shifts/<int:shift_id>/assign")
@login_required
def assign(shift_id: int):
    shift = get_or_404(Shift, shift_id)
    team = _team(shift.team_id, manage=True)
    form = AssignShiftForm()
    form.person_id.choices = []
    if form.validate_on_submit():
        with saved():
            person = rota.team_member(shift.team_id, small_int(form.person_id.data))
            if person is None:
                raise DomainError(_("Choose a member of the team."), field="person_id")
            rota.assign(shift, person, form.role.data, current_user.id)
    return redirect(url_for("duty.rota_page", team_id=team.id) + f"#shift-{shift_id}")


@bp.post("/teams/<int:team_id>/swap")
@login_required
def swap(team_id: int):
    team = _team(team_id, manage=True)
    form = SwapForm()
    form.first.choices = form.second.choices = []
    ids = [i for i in (small_int(form.first.data), small_int(form.second.data)) if i is not None]
    rows = [db.session.get(ShiftAssignment, i) for i in ids]
    if len(rows) != 2 or any(r is None or r.shift.team_id != team.id for r in rows):
        flash(_("Choose two places on this team's shifts."), "error")
    else:
        with saved(_("Swapped.")):
            rota.swap(rows[0], rows[1], current_user.id)
    return redirect(url_for("duty.rota_page", team_id=team.id))


@bp.post("/shifts/<int:shift_id>/claim")
@login_required
def claim(shift_id: int):
    shift = get_or_404(Shift, shift_id)
    require(permissions.can_view_team(current_scope(), shift.team))
    require(permissions.can_claim_shift(current_scope(), shift))
    with saved(_("The shift is yours.")):
        changes.take(shift, current_user.person, True, current_user.id)  # a given-back place first
    return redirect(safe_next(request.form.get("next"), url_for("duty.rota_page", team_id=shift.team_id)))


# --- the volunteer's check-in app (PWA) -------------------------------------------------------

@bp.get("/duty/")
@login_required
def app_shell():
    """The shell only: data comes from /api/v1/duty/me, so the service worker can cache this page."""
    return render_template("duty/app.html")


@bp.get("/duty/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "duty/sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/duty/manifest.webmanifest")
def manifest():
    body = render_template("duty/manifest.webmanifest")
    return Response(body, mimetype="application/manifest+json")


# --- rota changes: a lead's override and refusal (giving back and swaps: /duty/, the API) ---------

@bp.post("/shifts/<int:shift_id>/override")
@login_required
def override(shift_id: int):
    """A temporary replacement on one place of one shift (the pattern stays as it is)."""
    shift = get_or_404(Shift, shift_id)
    team = shift.team
    refuse_unless(permissions.can_manage_rota(current_scope(), team), "override", "shift", shift.id,
                  team.province_code, team.id)
    place = db.session.get(ShiftAssignment, small_int(request.form.get("assignment_id")) or 0)
    person = rota.team_member(team.id, small_int(request.form.get("person_id")))  # never another's name
    with saved():
        if place is None or place.shift_id != shift.id:
            raise DomainError(_("Choose the person to replace on this shift."), field="assignment_id")
        if person is None:
            raise DomainError(_("Choose a member of the team."), field="person_id")
        result = changes.override(place, person, request.form.get("confirmed") == "1", current_user.id)
        if result.change is None:
            db.session.rollback()
            flash(_("Not saved: %(warnings)s Tick “Confirm” and press again.", warnings=" ".join(result.warnings)),
                  "error")
        else:
            flash(_("%(name)s replaces the person on this shift.", name=person.full_name), "success")
    return redirect(url_for("duty.rota_page", team_id=team.id) + f"#shift-{shift.id}")


@bp.post("/shift-changes/<int:change_id>/refuse")
@login_required
def refuse_change(change_id: int):
    """The lead says no to a give-back or a swap: the place goes back to who had it."""
    change = get_or_404(ShiftChange, change_id)
    team = change.shift.team
    refuse_unless(permissions.can_manage_rota(current_scope(), team), "refuse_change", "shift", change.shift_id,
                  change.shift.province_code, team.id)
    with saved(_("Refused: the shift stays with %(name)s.", name=change.from_person.full_name
                 if change.from_person else "?")):
        changes.refuse(change, current_user.id)
    return redirect(url_for("duty.rota_page", team_id=team.id) + "#changes")

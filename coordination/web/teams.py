"""Team pages: members (with history), adding and ending memberships, village teams, invitations."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Membership, Person, Team, db
from models.teams import COMMUNE, PROVINCE

from coordination.org import accounts, overview, teams
from coordination.messaging import contacts
from coordination.duty import queries as duty
from coordination.core import permissions
from coordination.tasks import board as task_board
from coordination.web.login import current_scope
from coordination.clock import local_today
from coordination.core.errors import DomainError
from coordination.web.forms import (ActionForm, EndMembershipForm, ExistingMemberForm, MemberForm, VillageTeamForm,
                                    member_forms)
from coordination.web.people import refused_over
from coordination.web.provinces import render_province
from coordination.web.helpers import form_error, get_or_404, require, saved

bp = Blueprint("teams", __name__)


def _render(team: Team, new_form=None, existing_form=None, village_form=None, status: int = 200):
    if team.level == PROVINCE:
        return render_province(team.province_code, new_form=new_form, existing_form=existing_form, status=status)
    scope = current_scope()
    new_form, existing_form = member_forms(team, new_form, existing_form)
    villages = overview.village_teams(team.id) if team.level == COMMUNE else []
    memberships = overview.team_members(team.id, include_ended=True)
    can_manage = permissions.can_manage_team(scope, team)
    # A lead sees how an escalation can reach each member (push device, SMS, call).
    reach = contacts.reachable([m.person for m in memberships if m.active]) if can_manage else {}
    return render_template(
        "team.html", team=team, memberships=memberships, reach=reach,
        villages=villages, new_form=new_form, existing_form=existing_form,
        village_form=village_form or VillageTeamForm(prefix="village"), action=ActionForm(),
        end_form=EndMembershipForm(), can_manage=can_manage,
        team_tasks=task_board.team_tasks(team.id), today=local_today(), on_duty=duty.on_duty_people(team.id),
        gaps=duty.province_gaps(team.province_code, team_id=team.id).get(team.id, 0) if team.province_code else 0,
        can_view_province=permissions.can_view_province(scope, team.province_code or ""),
        can_add_village=permissions.can_create_village_team(scope, team)), status


def _team_in_scope(team_id: int, manage: bool = False) -> Team:
    team = get_or_404(Team, team_id)
    scope = current_scope()
    require(permissions.can_view_team(scope, team))
    if manage:
        require(permissions.can_manage_team(scope, team))
    return team


@bp.get("/teams/<int:team_id>")
@login_required
def show(team_id: int):
    team = _team_in_scope(team_id)
    if team.level == PROVINCE:
        return redirect(url_for("provinces.show", code=team.province_code))
    return _render(team)


def _added(team: Team, person: Person):
    db.session.commit()
    flash(_("%(name)s added.", name=person.full_name), "success")
    return redirect(url_for("teams.show", team_id=team.id) + "#members")


@bp.post("/teams/<int:team_id>/members")
@login_required
def add_new_member(team_id: int):
    team = _team_in_scope(team_id, manage=True)
    form, _existing = member_forms(team, MemberForm(prefix="new"))
    if form.validate_on_submit():
        try:
            return _added(team, teams.add_new_person(team, form.person_input(), form.role.data, current_user.id))
        except DomainError as err:
            form_error(form, err)
    return _render(team, new_form=form, status=400)


@bp.post("/teams/<int:team_id>/members/existing")
@login_required
def add_existing_member(team_id: int):
    team = _team_in_scope(team_id, manage=True)
    _new, form = member_forms(team, existing_form=ExistingMemberForm(prefix="existing"))
    if form.validate_on_submit():
        try:
            return _added(team, teams.add_by_phone(team, form.phone.data, form.role.data, current_user.id))
        except DomainError as err:
            form_error(form, err, "phone")
    return _render(team, existing_form=form, status=400)


@bp.post("/memberships/<int:membership_id>/end")
@login_required
def end_membership(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    team = _team_in_scope(membership.team_id, manage=True)
    form = EndMembershipForm()
    if form.validate_on_submit():
        with saved(_("Membership of %(name)s ended; it stays in the history.", name=membership.person.full_name)):
            teams.end_membership(membership, form.end_date.data, actor_id=current_user.id)
    else:
        flash(_("Enter a valid date."), "error")
    return redirect(url_for("teams.show", team_id=team.id) + "#members")


@bp.post("/teams/<int:team_id>/villages")
@login_required
def add_village(team_id: int):
    team = _team_in_scope(team_id)
    require(permissions.can_create_village_team(current_scope(), team))
    form = VillageTeamForm(prefix="village")
    if form.validate_on_submit():
        try:
            village = teams.create_village_team(team, form.name.data, actor_id=current_user.id)
            db.session.commit()
            return redirect(url_for("teams.show", team_id=village.id))
        except DomainError as err:
            form_error(form, err, "name")
    return _render(team, village_form=form, status=400)


@bp.post("/people/<int:person_id>/invite")
@login_required
def invite(person_id: int):
    return _send_link(person_id, accounts.INVITE)


@bp.post("/people/<int:person_id>/reset-password")
@login_required
def reset_password(person_id: int):
    """A separate, explicit reset for an account that already has a password: same authority as an
    invitation; the new password is set through accounts.set_password when the link is used."""
    return _send_link(person_id, accounts.RESET)


def _send_link(person_id: int, purpose: str):
    person = get_or_404(Person, person_id)
    refused_over(person, purpose, permissions.can_invite(current_scope(), person))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("people.show", person_id=person.id))
    hours = current_app.config["INVITATION_TTL_HOURS"]
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    try:
        link = accounts.send_invitation(person, current_user.id, lambda raw: base + url_for("auth.invitation", token=raw),
                                        hours, purpose)
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("people.show", person_id=person.id))
    db.session.commit()
    return render_template("invited.html", person=person, link=link, reset=purpose == accounts.RESET, hours=hours)

"""The province page: team completeness, commune teams with member counts, gaps."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import db

from coordination.duty import queries as duty
from coordination.org import overview, teams
from coordination.core import permissions
from coordination.web.login import current_scope
from coordination.core.errors import DomainError
from coordination.web.forms import ActionForm, CommuneTeamForm, EndMembershipForm, member_forms
from coordination.web.helpers import form_error, require, saved

bp = Blueprint("provinces", __name__, url_prefix="/provinces")


def render_province(code: str, commune_form: CommuneTeamForm | None = None, new_form=None, existing_form=None,
                    status: int = 200):
    """The province page; also re-rendered with errors when a form on it fails."""
    scope = current_scope()
    require(permissions.can_view_province(scope, code))
    data = overview.province_overview(code)
    if data is None:
        abort(404)
    form = commune_form or CommuneTeamForm()
    form.commune_code.choices = [("", "—")] + [(u.code, f"{u.name}") for u in data.communes_without_team]
    new_form, existing_form = member_forms(data.team, new_form, existing_form) if data.team else (None, None)
    return render_template("province.html", o=data, commune_form=form, action=ActionForm(),
                           new_form=new_form, existing_form=existing_form, end_form=EndMembershipForm(),
                           on_duty=duty.on_duty_by_team(code), gaps=duty.province_gaps(code),
                           can_manage=permissions.can_manage_province_team(scope, code),
                           can_add_commune=permissions.can_create_commune_team(scope, code),
                           can_create_team=permissions.can_create_province_team(scope)), status


@bp.get("/<code>")
@login_required
def show(code: str):
    return render_province(code)


@bp.post("/<code>/team")
@login_required
def create_team(code: str):
    scope = current_scope()
    require(permissions.can_view_province(scope, code))
    require(permissions.can_create_province_team(scope))
    if ActionForm().validate_on_submit():
        team = None
        with saved(_("Province team created. Add its co-chairs and leader in charge.")):
            team = teams.create_province_team(code, actor_id=current_user.id)
        if team is not None:
            return redirect(url_for("teams.show", team_id=team.id))
    return redirect(url_for("provinces.show", code=code))


@bp.post("/<code>/communes")
@login_required
def create_commune_team(code: str):
    scope = current_scope()
    require(permissions.can_view_province(scope, code))
    require(permissions.can_create_commune_team(scope, code))
    form = CommuneTeamForm()
    if form.validate_on_submit():
        try:
            team = teams.create_commune_team(form.commune_code.data or "", actor_id=current_user.id,
                                             province_code=code)
            db.session.commit()
            flash(_("Team created for %(unit)s.", unit=team.admin_unit.name), "success")
            return redirect(url_for("teams.show", team_id=team.id))
        except DomainError as err:
            form_error(form, err, "commune_code")
    return render_province(code, form, status=400)

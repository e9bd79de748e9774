"""Thi đua pages: the leaderboard, setting targets, commendation proposals, public recognition."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DateField, FloatField, SelectField, TextAreaField
from wtforms.validators import Optional as OptionalValue

from models import AdminUnit, Commendation, Membership, Person, Team, db
from models.emulation import APPROVED, METRICS
from models.teams import COMMUNE

from coordination.emulation import commendations, targets as emulation
from coordination.core import permissions
from coordination.web.login import current_scope
from coordination.clock import local_today
from coordination.core.errors import DomainError
from coordination.web.forms import ActionForm, FlaskForm
from coordination.web.helpers import (form_error, get_or_404, home_province, province_choices, province_or_404,
    require, safe_next, saved, small_int)

bp = Blueprint("emulation", __name__)


class TargetForm(FlaskForm):
    team = SelectField(_l("Commune team"), choices=[], validate_choice=False)
    period_start = DateField(_l("From"), validators=[OptionalValue()])
    period_end = DateField(_l("To"), validators=[OptionalValue()])
    residents_helped = FloatField(_l("Residents helped"), validators=[OptionalValue()])
    venues_registered = FloatField(_l("Venues registered"), validators=[OptionalValue()])
    shift_coverage = FloatField(_l("Shift coverage (%)"), validators=[OptionalValue()])
    tasks_on_time = FloatField(_l("Tasks done on time"), validators=[OptionalValue()])


class ProposalForm(FlaskForm):
    person = SelectField(_l("Who"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Why (results, in a few lines)"), render_kw={"maxlength": 1000, "rows": 4})


class DecisionForm(FlaskForm):
    decision_reason = TextAreaField(_l("Reason (required to reject)"), render_kw={"maxlength": 1000, "rows": 2})


def _period(raw: str, choices: list) -> tuple[date, date] | None:
    try:
        first, last = (date.fromisoformat(x) for x in raw.split("_"))
        return first, last
    except ValueError:
        return choices[0] if choices else None


@bp.get("/thi-dua")
@login_required
def leaderboard():
    scope = current_scope()
    code = request.args.get("province")
    if code is None and not scope.national:
        code = home_province(scope)
    province = province_or_404(code) if code else None
    choices = emulation.periods(province.code if province else None)
    period = _period(request.args.get("period", ""), choices)
    remote = request.args.get("remote") == "1"
    board = emulation.leaderboard(*period, province.code if province else None, remote) if period else []
    return render_template("emulation/leaderboard.html", board=board, province=province, period=period,
                           periods=choices, remote=remote, provinces=province_choices(), metrics=METRICS,
                           can_set=province is not None and permissions.can_manage_province_team(scope, province.code),
                           action=ActionForm())


def _team_choices(province_code: str) -> list[tuple[str, str]]:
    rows = db.session.execute(sa.select(Team.id, AdminUnit.name).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                              .where(Team.level == COMMUNE, Team.province_code == province_code)
                              .order_by(AdminUnit.name)).all()
    return [("all", _("Every commune team of the province"))] + [(str(i), n) for i, n in rows]


@bp.route("/thi-dua/targets", methods=["GET", "POST"])
@login_required
def targets():
    province = province_or_404(request.args.get("province", ""))
    require(permissions.can_manage_province_team(current_scope(), province.code))
    form = TargetForm()
    form.team.choices = _team_choices(province.code)
    if not form.is_submitted():  # default: this month
        first = local_today().replace(day=1)
        form.period_start.data = first
        form.period_end.data = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if form.validate_on_submit():
        ids = [int(v) for v, _n in form.team.choices[1:]] if form.team.data == "all" else (
            [small_int(form.team.data)] if small_int(form.team.data) is not None else [])
        try:
            n = emulation.set_targets(province.code, ids, {m: form[m].data for m in METRICS},
                                      form.period_start.data, form.period_end.data, current_user.id)
            db.session.commit()
            flash(_("Saved %(n)d targets.", n=n), "success")
            return redirect(url_for("emulation.leaderboard", province=province.code,
                                    period=f"{form.period_start.data}_{form.period_end.data}"))
        except DomainError as err:
            form_error(form, err)
    return render_template("emulation/targets.html", form=form, province=province), 400 if form.errors or \
        form.form_errors else 200


@bp.post("/thi-dua/teams/<int:team_id>/remote")
@login_required
def mark_remote(team_id: int):
    team = get_or_404(Team, team_id)
    require(permissions.can_manage_province_team(current_scope(), team.province_code) and ActionForm().validate())
    emulation.set_remote(team, request.form.get("remote") == "1", current_user.id)
    db.session.commit()
    return redirect(safe_next(request.referrer, url_for("emulation.leaderboard", province=team.province_code)))


@bp.get("/thi-dua/commendations")
@login_required
def proposals():
    scope = current_scope()
    require(scope.national or bool(scope.provinces) or bool(scope.led_teams))
    rows = db.session.execute(
        sa.select(Commendation, AdminUnit.name, Person.full_name)
        .join(Team, Team.id == Commendation.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
        .outerjoin(Person, Person.id == Commendation.person_id)
        .where(commendations.visible_clause(scope)).order_by(Commendation.id.desc()).limit(200)).all()
    return render_template("emulation/proposals.html", rows=rows)


@bp.route("/thi-dua/commendations/new", methods=["GET", "POST"])
@login_required
def propose():
    team = get_or_404(Team, small_int(request.args.get("team")) or 0)
    scope = current_scope()
    require(team.level == COMMUNE and permissions.can_manage_team(scope, team))
    form = ProposalForm()
    members = db.session.execute(sa.select(Person.id, Person.full_name).join(Membership).where(
        Membership.team_id == team.id, Membership.end_date.is_(None)).order_by(Person.full_name)).all()
    form.person.choices = [("", _("The whole team"))] + [(str(i), n) for i, n in members]
    if form.validate_on_submit():
        person_id = small_int(form.person.data)
        person = db.session.get(Person, person_id) if person_id is not None else None
        try:
            c = commendations.propose(scope, current_user.id, team, person, form.reason.data)
            db.session.commit()
            flash(_("Proposal sent. The evidence below was gathered from the platform's data."), "success")
            return redirect(url_for("emulation.proposal", commendation_id=c.id))
        except DomainError as err:
            form_error(form, err)
    return render_template("emulation/propose.html", form=form, team=team), 400 if form.is_submitted() else 200


@bp.get("/thi-dua/commendations/<int:commendation_id>")
@login_required
def proposal(commendation_id: int):
    c = get_or_404(Commendation, commendation_id)
    scope = current_scope()
    require(commendations.can_view(scope, c))
    return render_template("emulation/proposal.html", c=c, form=DecisionForm(),
                           can_decide=commendations.can_decide(scope, c, current_user.id),
                           unit=db.session.get(AdminUnit, c.team.admin_unit_code))


@bp.post("/thi-dua/commendations/<int:commendation_id>/<any(review, approve, reject):step>")
@login_required
def decide(commendation_id: int, step: str):
    c = get_or_404(Commendation, commendation_id)
    form = DecisionForm()
    require(form.validate_on_submit())
    with saved(_("Saved.")):
        if step == "review":
            commendations.review(current_scope(), c, current_user.id)
        else:
            commendations.decide(current_scope(), c, current_user.id, step == "approve", form.decision_reason.data)
    return redirect(url_for("emulation.proposal", commendation_id=c.id))


@bp.get("/recognition")
def recognition():
    """Public: approved commendations with names and team, never phone numbers."""
    code = request.args.get("province") or None
    remote = request.args.get("remote") == "1"
    q = (sa.select(Commendation.decided_at, Commendation.reason, Person.full_name, AdminUnit.name,
                   AdminUnit.province_code, emulation.is_remote_clause())
         .join(Team, Team.id == Commendation.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .outerjoin(Person, Person.id == Commendation.person_id)
         .where(Commendation.status == APPROVED).order_by(Commendation.decided_at.desc()).limit(500))
    if code:
        q = q.where(Commendation.province_code == code)
    if remote:
        q = q.where(emulation.is_remote_clause())
    provinces = province_choices()
    return render_template("emulation/recognition.html", rows=db.session.execute(q).all(), provinces=provinces,
                           province=code, remote=remote, names=dict(provinces))

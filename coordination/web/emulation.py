"""Thi đua pages: the leaderboard, setting targets, commendation proposals, public recognition."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, FloatField, SelectField, TextAreaField
from wtforms.validators import Optional as OptionalValue

from models import AdminUnit, Commendation, Person, Team, db
from models.emulation import METRICS
from models.teams import COMMUNE

from coordination.emulation import commendation_forms, commendation_waits, commendations, fairness, honour
from coordination.emulation import targets as emulation
from coordination.core import permissions
from coordination.org import overview
from coordination.web.login import current_scope
from coordination.clock import local_today
from coordination.core.errors import DomainError
from coordination.web.forms import ActionForm, DateField, FlaskForm
from coordination.geography.units import province_choices
from coordination.org.overview import home_province
from coordination.web.helpers import (form_error, get_or_404, province_or_404,
    require, safe_next, saved, small_int, typed_row)

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
    form_code = SelectField(_l("Form of commendation"), choices=[], validate_choice=False)
    ad_hoc = BooleanField(_l("Ad-hoc (đột xuất): an act worth recognising now, decided directly"))
    act_on = DateField(_l("When it happened (ad-hoc)"), validators=[OptionalValue()])
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
    return [("all", _("Every commune team of the province"))] + [(str(i), n)
                                                                  for i, n in overview.commune_teams(province_code)]


def _this_month(form: TargetForm) -> None:
    first = local_today().replace(day=1)
    form.period_start.data = first
    form.period_end.data = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _target_team_ids(form: TargetForm) -> list[int]:
    if form.team.data == "all":
        return [int(v) for v, _n in form.team.choices[1:]]
    return [small_int(form.team.data)] if small_int(form.team.data) is not None else []


def _set_targets(province_code: str, form: TargetForm):
    n = emulation.set_targets(province_code, _target_team_ids(form), {m: form[m].data for m in METRICS},
                              form.period_start.data, form.period_end.data, current_user.id)
    db.session.commit()
    flash(_("Saved %(n)d targets.", n=n), "success")
    return redirect(url_for("emulation.leaderboard", province=province_code,
                            period=f"{form.period_start.data}_{form.period_end.data}"))


@bp.route("/thi-dua/targets", methods=["GET", "POST"])
@login_required
def targets():
    province = province_or_404(request.args.get("province", ""))
    require(permissions.can_manage_province_team(current_scope(), province.code))
    form = TargetForm()
    form.team.choices = _team_choices(province.code)
    if not form.is_submitted():  # default: this month
        _this_month(form)
    if form.validate_on_submit():
        try:
            return _set_targets(province.code, form)
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
    visible = commendations.visible_clause(scope)
    return render_template("emulation/proposals.html", rows=commendations.visible_list(scope),
                           overdue=commendation_waits.overdue_list(visible),
                           overdue_counts=commendation_waits.overdue_counts(visible),
                           waits=commendation_waits, names=dict(province_choices()),
                           max_wait=(commendation_waits.max_wait_days(True), commendation_waits.max_wait_days(False)),
                           **_fairness(scope))


def _fairness(scope) -> dict:
    """The fairness figures a lead or the ministry sees: the nation, and each province for the
    ministry, the lead's own province(s) otherwise."""
    figures = fairness.figures()
    mine = sorted(figures) if scope.national else sorted(scope.provinces or {home_province(scope)} - {None})
    return {"fair_nation": figures[fairness.NATION],
            "fair_provinces": [(code, figures.get(code) or fairness.Fairness()) for code in mine if code]}


def _proposal_form(team: Team) -> ProposalForm:
    form = ProposalForm()
    form.person.choices = [("", _("The whole team"))] + [(str(i), n) for i, n in overview.member_choices(team.id)]
    form.form_code.choices = [("", _("Choose…"))] + [
        (f.code, f"{f.title} ({commendation_forms.LEVEL_LABELS[f.level]})") for f in commendation_forms.forms()]
    return form


@bp.route("/thi-dua/commendations/new", methods=["GET", "POST"])
@login_required
def propose():
    team = get_or_404(Team, small_int(request.args.get("team")) or 0)
    scope = current_scope()
    require(team.level == COMMUNE and permissions.can_manage_team(scope, team))
    form = _proposal_form(team)
    if form.validate_on_submit():
        try:
            c = commendations.propose(scope, current_user.id, team, typed_row(Person, form.person.data),
                                      form.reason.data, form_code=form.form_code.data or "",
                                      ad_hoc=form.ad_hoc.data, act_on=form.act_on.data)
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
                           can_review=commendation_forms.may_review(scope, c, current_user.id),
                           can_approve=commendation_forms.may_decide(scope, c, current_user.id),
                           can_reject=commendation_forms.may_reject(scope, c, current_user.id),
                           who_decides=commendation_forms.who_decides(c),
                           waiting=commendation_waits.waiting_days(c),
                           overdue=commendation_waits.is_overdue(c),
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
    """Public honour board: approved commendations with names and team, never phone numbers."""
    code = request.args.get("province") or None
    if code:
        province_or_404(code)
    month, remote = honour.parse_month(request.args.get("month")), request.args.get("remote") == "1"
    page = small_int(request.args.get("page")) or 1
    rows, total = honour.board(code, month, remote, page)
    return render_template("emulation/recognition.html", rows=rows, total=total, page=page, size=honour.PAGE_SIZE,
                           provinces=province_choices(), province=code, month=month, months=honour.months(),
                           remote=remote)

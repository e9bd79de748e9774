"""Movement pages (phong trào thi đua): the list, launching one, its page (criteria and their method,
ranking, weekly progress, registrations) and a team's registration (propose, approve or send back,
remind)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import FloatField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional as OptionalValue
from wtforms.widgets import CheckboxInput, ListWidget

from models import AdminUnit, Movement, Team, db
from models.movements import CRITERIA, LOWER_IS_BETTER, PERCENT_CRITERIA, PROPOSED

from coordination.core import audit
from coordination.core.errors import DomainError
from coordination.emulation import assessments, movements, standings
from coordination.org import overview
from coordination.web.forms import ActionForm, DateField, FlaskForm
from coordination.web.helpers import form_error, get_or_404, province_or_404, require, saved
from coordination.web.login import current_scope

bp = Blueprint("movements", __name__)
CHART_COLOURS = ("#1f5fbf", "#1e7b34", "#a15c00", "#7a3fa0", "#b3261e", "#00707a", "#4d5b6a")  # AA on white
RANKING_ROWS = 300  # a national ranking lists its first 300 teams (and the viewer's own)
WEEKS_SHOWN = 12  # the progress table: the last 12 weeks


class LaunchForm(FlaskForm):
    name = StringField(_l("Name of the movement"), render_kw={"maxlength": movements.NAME_MAX})
    theme = TextAreaField(_l("Theme or slogan"), render_kw={"maxlength": movements.THEME_MAX, "rows": 2})
    period_start = DateField(_l("From"), validators=[OptionalValue()])
    period_end = DateField(_l("To"), validators=[OptionalValue()])
    who = RadioField(_l("Teams taking part"), choices=[("all", _l("Every commune team of the area")),
                                                       ("chosen", _l("The teams I tick"))], default="all")
    teams = SelectMultipleField(_l("Commune teams"), choices=[], coerce=int, validate_choice=False,
                                option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


for _metric in CRITERIA:
    setattr(LaunchForm, f"weight_{_metric}", FloatField(_l("Weight (1–100, empty: not used)"),
                                                        validators=[OptionalValue()]))
    setattr(LaunchForm, f"floor_{_metric}", FloatField(
        _l("Maximum target (optional)") if _metric in LOWER_IS_BETTER else _l("Minimum target (optional)"),
        validators=[OptionalValue()]))


class AssessForm(FlaskForm):
    score = FloatField(_l("Score (0–100)"), validators=[OptionalValue()], render_kw={"inputmode": "decimal"})
    note = StringField(_l("Note (why this score)"), render_kw={"maxlength": assessments.NOTE_MAX})
    evidence_url = StringField(_l("Evidence: a link to a photo, a document or a page"),
                               render_kw={"maxlength": assessments.URL_MAX, "inputmode": "url",
                                          "placeholder": "https://"})


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to send back)"), render_kw={"maxlength": movements.REASON_MAX,
                                                                            "rows": 2})


def _registration_form(movement: Movement, data=None):
    class RegistrationForm(FlaskForm):
        pass
    for c in movement.criteria:
        setattr(RegistrationForm, f"c{c.id}", FloatField(str(_l("Target")), validators=[OptionalValue()],
                                                         render_kw={"inputmode": "decimal"}))
    return RegistrationForm(data=data)


def _movement(movement_id: int) -> Movement:
    movement = get_or_404(Movement, movement_id)
    require(movements.can_view(current_scope(), movement))
    return movement


@bp.get("/thi-dua/movements")
@login_required
def index():
    scope = current_scope()
    return render_template("emulation/movements.html", rows=movements.visible(scope), national=scope.national,
                           provinces=sorted(scope.provinces))


@bp.route("/thi-dua/movements/new", methods=["GET", "POST"])
@login_required
def launch():
    code = request.args.get("province") or None
    province = province_or_404(code) if code else None
    require(movements.can_launch(current_scope(), code))
    form = LaunchForm()
    form.teams.choices = [(i, n) for i, n in overview.commune_teams(code)] if code else []
    if form.validate_on_submit():
        try:
            m = movements.launch(
                current_scope(), current_user.id, name=form.name.data, theme=form.theme.data,
                first=form.period_start.data, last=form.period_end.data, province_code=code,
                weights={c: form[f"weight_{c}"].data for c in CRITERIA},
                floors={c: form[f"floor_{c}"].data for c in CRITERIA},
                team_ids=form.teams.data or [] if code and form.who.data == "chosen" else None)
            db.session.commit()
            flash(_("Movement launched. The teams can now register their targets."), "success")
            return redirect(url_for("movements.show", movement_id=m.id))
        except DomainError as err:
            form_error(form, err)
    return render_template("emulation/movement_new.html", form=form, province=province, criteria=CRITERIA), \
        400 if form.is_submitted() else 200


@bp.get("/thi-dua/movements/<int:movement_id>")
@login_required
def show(movement_id: int):
    movement = _movement(movement_id)
    scope = current_scope()
    code = request.args.get("province") or None
    province = province_or_404(code) if code else None
    shown, total_ranked = standings.board(movement, code, limit=RANKING_ROWS,
                                          also=scope.led_teams | scope.member_teams)
    counts = movements.registration_counts(movement, code)
    return render_template(
        "emulation/movement.html", m=movement, board=shown, total_ranked=total_ranked, province=province,
        weeks=standings.weekly(movement, code)[-WEEKS_SHOWN:], counts=counts, taking_part=sum(counts.values()),
        waiting=movements.waiting(scope, movement), colours=CHART_COLOURS, percent=PERCENT_CRITERIA, lower=LOWER_IS_BETTER, proposed=PROPOSED,
        organiser=movements.can_organise(scope, movement), action=ActionForm(),
        area=db.session.get(AdminUnit, movement.province_code) if movement.province_code else None)


def _entry(movement: Movement, team_id: int):
    entry = movements.entry_for(movement, team_id)
    require(entry is not None)
    return entry


def _refuse_unless(allowed: bool, action: str, movement: Movement, entry) -> None:
    """Out of scope: audited (the movement and the team exist), then a plain 404."""
    if not allowed:
        audit.refused(current_user.id, action, "movement", movement.id, province_code=entry.province_code,
                      team_id=entry.team_id)
        abort(404)


@bp.route("/thi-dua/movements/<int:movement_id>/teams/<int:team_id>", methods=["GET", "POST"])
@login_required
def team(movement_id: int, team_id: int):
    movement = _movement(movement_id)
    entry = _entry(movement, team_id)
    scope = current_scope()
    require(movements.can_propose(scope, entry) or team_id in scope.member_teams)
    committed = movements.commitments(entry)
    form = _registration_form(movement, {f"c{k}": int(v) if v == int(v) else v for k, v in committed.items()})
    if request.method == "POST":
        require(movements.can_propose(scope, entry))
        if form.validate_on_submit():
            try:
                movements.propose(scope, current_user.id, movement, entry,
                                  {c.id: form[f"c{c.id}"].data for c in movement.criteria})
                db.session.commit()
                flash(_("Targets sent for approval."), "success")
                return redirect(url_for("movements.team", movement_id=movement.id, team_id=team_id))
            except DomainError as err:
                form_error(form, err)
    given = assessments.current(entry)
    return render_template(
        "emulation/movement_team.html", m=movement, entry=entry, team=db.session.get(Team, team_id), form=form,
        committed=committed, done=standings.team_figures(movement, team_id), decision=DecisionForm(),
        action=ActionForm(), percent=PERCENT_CRITERIA, lower=LOWER_IS_BETTER,
        assessed=assessments.assessed_criteria(movement), assessments=given,
        assess_form=AssessForm(formdata=None, data=_assessed_data(given)),
        can_assess=assessments.can_assess(scope, entry),
        can_propose=movements.can_propose(scope, entry),
        can_decide=movements.can_decide(scope, entry, current_user.id),
        can_remind=movements.can_remind(scope, movement, entry)), 400 if form.errors else 200


@bp.post("/thi-dua/movements/<int:movement_id>/teams/<int:team_id>/<any(approve, send_back):step>")
@login_required
def decide(movement_id: int, team_id: int, step: str):
    movement = _movement(movement_id)
    entry = _entry(movement, team_id)
    form = DecisionForm()
    require(form.validate_on_submit())
    scope = current_scope()
    _refuse_unless(scope.national or entry.province_code in scope.provinces, "approve_registration", movement, entry)
    with saved(_("Approved.") if step == "approve" else _("Sent back to the team.")):
        movements.decide(current_scope(), current_user.id, movement, entry, step == "approve", form.reason.data)
    return redirect(url_for("movements.team", movement_id=movement.id, team_id=team_id))


def _assessed_data(given: dict) -> dict:
    """The assess form filled with the current assessment (a movement has one lead-assessed criterion)."""
    a = next(iter(given.values()), None)
    if a is None:
        return {}
    return {"score": int(a.score) if a.score == int(a.score) else a.score, "note": a.note, "evidence_url": a.evidence_url}


@bp.post("/thi-dua/movements/<int:movement_id>/teams/<int:team_id>/assess/<int:criterion_id>")
@login_required
def assess(movement_id: int, team_id: int, criterion_id: int):
    """The level above scores the team on a lead-assessed criterion (a refusal is audited, then 404)."""
    movement = _movement(movement_id)
    entry = _entry(movement, team_id)
    form = AssessForm()
    require(form.validate_on_submit())
    _refuse_unless(assessments.can_assess(current_scope(), entry), "assess", movement, entry)
    with saved(_("Assessment saved.")):
        assessments.assess(current_scope(), current_user.id, movement, entry, criterion_id, form.score.data,
                           form.note.data, form.evidence_url.data)
    return redirect(url_for("movements.team", movement_id=movement.id, team_id=team_id) + "#assessment")


@bp.post("/thi-dua/movements/<int:movement_id>/teams/<int:team_id>/remind")
@login_required
def remind(movement_id: int, team_id: int):
    movement = _movement(movement_id)
    entry = _entry(movement, team_id)
    require(ActionForm().validate())
    scope = current_scope()
    _refuse_unless(movements.can_remind(scope, movement, entry), "remind", movement, entry)
    with saved():
        sent = movements.remind(scope, current_user.id, movement, entry)
        flash(_("Reminder sent to the commune lead by SMS.") if sent else
              _("Already reminded today (or the team has no commune lead who takes SMS)."), "success" if sent else "info")
    return redirect(request.form.get("back") == "movement" and url_for("movements.show", movement_id=movement.id)
                    or url_for("movements.team", movement_id=movement.id, team_id=team_id))

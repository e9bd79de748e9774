"""Good practice pages (sáng kiến, cách làm hay): the library, writing one (with photos), its page
(figures, photos, "Chúng tôi đã áp dụng", the map of where it was applied), review, and its photos
(sent only to those who may see the practice). Rules: coordination.emulation.practices."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional as OptionalValue

from models import PracticePhoto, db
from models.practices import MAX_PHOTOS, PUBLISHED

from coordination.core import audit
from coordination.core.errors import DomainError, NotFound, ValidationError
from coordination.emulation import practice_figures, practices
from coordination.geography.units import province_choices
from coordination.tasks import photos
from coordination.web import labels
from coordination.web.forms import ActionForm, DateField, FlaskForm
from coordination.web.helpers import form_error, require, saved
from coordination.web.login import current_scope
from maps.practice_map import practice_map

bp = Blueprint("practices", __name__)


class PracticeForm(FlaskForm):
    team = SelectField(_l("Team"), choices=[], coerce=int, validate_choice=False)
    title = StringField(_l("Title of the practice"), render_kw={"maxlength": practices.TITLE_MAX})
    problem = TextAreaField(_l("The problem"), render_kw={"maxlength": practices.TEXT_MAX, "rows": 3})
    action = TextAreaField(_l("What you did"), render_kw={"maxlength": practices.TEXT_MAX, "rows": 4})
    result = TextAreaField(_l("What changed"), render_kw={"maxlength": practices.TEXT_MAX, "rows": 3})
    work_kind = SelectField(_l("Kind of work"), choices=[], validate_choice=False)
    started_on = DateField(_l("Started on (optional: the platform compares 4 weeks before and after)"),
                           validators=[OptionalValue()])
    photos = MultipleFileField(_l("Photos (optional, at most 3)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})


class ReviewForm(FlaskForm):
    reach = RadioField(_l("Publish to"), choices=[], default="province")
    reason = TextAreaField(_l("Reason (required to send back)"), render_kw={"maxlength": practices.REASON_MAX,
                                                                            "rows": 2})


class ApplyForm(FlaskForm):
    team = SelectField(_l("Our team"), choices=[], coerce=int, validate_choice=False)
    note = StringField(_l("How you applied it (a short note)"), render_kw={"maxlength": practices.NOTE_MAX})
    applied_on = DateField(_l("Since (empty: today)"), validators=[OptionalValue()])


def _visible(practice_id: int):
    try:
        return practices.get_visible(current_scope(), current_user.id, practice_id)
    except NotFound:
        abort(404)


def _uploaded() -> list[photos.Photo]:
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise ValidationError(_l("At most %(n)d photos.", n=MAX_PHOTOS), field="photos")
    try:
        return [photos.process(f.stream) for f in files]
    except ValidationError as err:
        raise ValidationError(str(err), field="photos") from None


def _fields(form: PracticeForm) -> dict:
    return dict(title=form.title.data, problem=form.problem.data, action=form.action.data, result=form.result.data,
                work_kind=form.work_kind.data, started_on=form.started_on.data)


def _form_choices(form: PracticeForm) -> None:
    form.team.choices = [(t.id, t.name) for t in practices.own_teams(current_scope())]
    form.work_kind.choices = [("", _("Choose…"))] + labels.active_kind_choices()


@bp.get("/thi-dua/practices")
@login_required
def library():
    scope = current_scope()
    text, kind, code = (request.args.get("q") or "")[:100], request.args.get("kind") or None, \
        request.args.get("province") or None
    return render_template(
        "practices/library.html", rows=practices.library(scope, current_user.id, text, kind, code), q=text,
        kind=kind, province=code, provinces=province_choices(), kinds=labels.kinds(),
        pending=practices.unpublished(scope, current_user.id), can_write=bool(practices.own_teams(scope)))


@bp.route("/thi-dua/practices/new", methods=["GET", "POST"])
@login_required
def new():
    scope = current_scope()
    require(bool(practices.own_teams(scope)))
    form = PracticeForm()
    _form_choices(form)
    if form.validate_on_submit():
        try:
            practice, files = practices.create(scope, current_user.id, form.team.data, _uploaded(), **_fields(form))
            if request.form.get("then") == "submit":
                practices.submit(scope, current_user.id, practice)
            practices.commit_with_files(current_app.config["TASK_PHOTO_DIR"], files)
            flash(_("Sent for review.") if practice.state != "draft" else _("Saved as a draft."), "success")
            return redirect(url_for("practices.show", practice_id=practice.id))
        except DomainError as err:
            form_error(form, err)
    return render_template("practices/form.html", form=form, practice=None, max_photos=MAX_PHOTOS), \
        400 if form.is_submitted() else 200


@bp.route("/thi-dua/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(practice_id: int):
    practice = _visible(practice_id)
    scope = current_scope()
    require(practices.can_edit(scope, practice, current_user.id))
    form = PracticeForm(obj=practice if request.method == "GET" else None)
    _form_choices(form)
    del form.team  # a practice stays with its team
    if form.validate_on_submit():
        try:
            files = practices.edit(scope, current_user.id, practice, _uploaded(), **_fields(form))
            if request.form.get("then") == "submit":
                practices.submit(scope, current_user.id, practice)
            practices.commit_with_files(current_app.config["TASK_PHOTO_DIR"], files)
            flash(_("Sent for review.") if practice.state != "draft" else _("Saved."), "success")
            return redirect(url_for("practices.show", practice_id=practice.id))
        except DomainError as err:
            form_error(form, err)
            practice = _visible(practice_id)
    return render_template("practices/form.html", form=form, practice=practice, max_photos=MAX_PHOTOS), \
        400 if form.is_submitted() else 200


@bp.get("/thi-dua/practices/<int:practice_id>")
@login_required
def show(practice_id: int, apply_form: ApplyForm | None = None, status: int = 200):
    practice = _visible(practice_id)
    scope = current_scope()
    applied = practices.applications(practice)
    own = practice_figures.before_after(practice.work_kind, {practice.team_id: practice.started_on}) \
        if practice.started_on else {}
    changes = practice_figures.before_after(practice.work_kind, {a.team_id: a.applied_on for a in applied})
    review = ReviewForm()
    review.reach.choices = [(r, labels.PRACTICE_REACH[r]) for r in practices.reaches_for(scope)]
    form = apply_form or ApplyForm()
    form.team.choices = [(t.id, t.name) for t in practices.teams_that_may_apply(scope, practice)]
    parts = practice_map(practice_figures.map_points(practice, [a.team_id for a in applied]),
                         {"started": _("Team that wrote it"), "done": _("Applied it")},
                         current_app.config.get("MAP_TILES_URL"), current_app.config.get("MAP_TILES_ATTRIBUTION", "")) \
        if practice.state == PUBLISHED else None
    return render_template(
        "practices/show.html", p=practice, applied=applied, own=own.get(practice.team_id), changes=changes,
        review=review, apply_form=form, action=ActionForm(), parts=parts, kind=labels.kind(practice.work_kind),
        unit=practices.unit_of(practice.work_kind),
        can_edit=practices.can_edit(scope, practice, current_user.id),
        can_review=practices.can_review(scope, practice, current_user.id)), status


@bp.post("/thi-dua/practices/<int:practice_id>/submit")
@login_required
def submit(practice_id: int):
    practice = _visible(practice_id)
    require(ActionForm().validate())
    with saved(_("Sent for review.")):
        practices.submit(current_scope(), current_user.id, practice)
    return redirect(url_for("practices.show", practice_id=practice_id))


@bp.post("/thi-dua/practices/<int:practice_id>/<any(publish, send_back):step>")
@login_required
def decide(practice_id: int, step: str):
    practice = _visible(practice_id)
    scope = current_scope()
    form = ReviewForm()
    form.reach.choices = [(r, r) for r in practices.reaches_for(scope)]
    form.reach.validate_choice = False
    require(form.validate_on_submit())
    if not (scope.national or practice.province_code in scope.provinces):
        audit.refused(current_user.id, "publish", "practice", practice.id, practice.province_code, practice.team_id)
        abort(404)
    with saved(_("Published.") if step == "publish" else _("Sent back to the team.")):
        practices.review(scope, current_user.id, practice, step == "publish", form.reach.data, form.reason.data)
    return redirect(url_for("practices.show", practice_id=practice_id))


@bp.post("/thi-dua/practices/<int:practice_id>/apply")
@login_required
def apply(practice_id: int):
    practice = _visible(practice_id)
    form = ApplyForm()
    form.team.choices = [(t.id, t.name) for t in practices.teams_that_may_apply(current_scope(), practice)]
    if form.validate_on_submit():
        try:
            practices.apply(current_scope(), current_user.id, practice, form.team.data, form.note.data,
                            form.applied_on.data)
            db.session.commit()
            flash(_("Thank you: your team is now listed as having applied it."), "success")
            return redirect(url_for("practices.show", practice_id=practice_id) + "#applied")
        except DomainError as err:
            form_error(form, err, "note")
    return show(practice_id, apply_form=form, status=400)


@bp.get("/thi-dua/practices/<int:practice_id>/photos/<int:photo_id>")
@login_required
def photo(practice_id: int, photo_id: int):
    _visible(practice_id)
    row = db.session.get(PracticePhoto, photo_id)
    path = photos.path_of(current_app.config["TASK_PHOTO_DIR"], row.name) \
        if row is not None and row.practice_id == practice_id else None
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.app_template_global()
def honour_practices():
    """The honour board's section (templates/practices/_honour.html): titles and team names only."""
    return practices.public_board()

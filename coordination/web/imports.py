"""Import members from a spreadsheet: upload → preview with every problem → confirm → result."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from wtforms import RadioField

from models import ImportBatch, db

from coordination.onboarding import files, member_import
from coordination.onboarding.columns import COLUMN_LABELS
from coordination.web.login import current_scope
from coordination.core.errors import DomainError, ValidationError
from coordination.core.exports import to_csv
from coordination.core.spreadsheet import MAX_BYTES, MAX_ROWS
from coordination.core.text import num
from coordination.web.forms import REQUIRED, FlaskForm
from coordination.web.helpers import form_error, get_or_404, refuse_unless, require, saved

bp = Blueprint("imports", __name__, url_prefix="/imports")


class UploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or Excel .xlsx)"), render_kw={"accept": ".csv,.xlsx,.txt,text/csv,application/vnd.openxmlformats-"
                                                      "officedocument.spreadsheetml.sheet"})


class ConfirmForm(FlaskForm):
    mode = RadioField(choices=[], default=member_import.SKIP, validate_choice=True)


def _may_import() -> bool:
    scope = current_scope()
    return scope.national or bool(scope.provinces) or bool(scope.led_teams)


def _confirm_form() -> ConfirmForm:
    form = ConfirmForm()
    form.mode.choices = [(member_import.SKIP, _("Skip them (change nothing)")),
                         (member_import.UPDATE, _("Update their name, affiliation and organisation, and add them "
                                                  "to the commune's team"))]
    return form


def _uploaded() -> tuple[str, bytes]:
    """The uploaded file's name and its first MAX_BYTES + 1 bytes (the rule refuses a bigger file)."""
    upload = request.files.get("file")
    if not upload or not upload.filename:
        raise ValidationError(REQUIRED, field="file")
    return upload.filename, upload.read(MAX_BYTES + 1)


@bp.route("", methods=["GET", "POST"])
@login_required
def upload():
    require(_may_import())
    form = UploadForm()
    if form.validate_on_submit():
        try:
            batch = member_import.preview(current_user.id, *_uploaded(), current_scope())
            db.session.commit()
            return redirect(url_for("imports.show", batch_id=batch.id))
        except DomainError as err:
            form_error(form, err, default_field="file")
    return render_template("imports/upload.html", form=form, recent=files.recent_batches(current_user.id),
                           max_mb=MAX_BYTES // 1048576, max_rows=num(MAX_ROWS)), \
        400 if form.is_submitted() else 200


def _own_batch(batch_id: int) -> ImportBatch:
    batch = get_or_404(ImportBatch, batch_id)
    refuse_unless(batch.user_id == current_user.id, "import", "import_batch", batch.id)
    return batch


@bp.get("/<int:batch_id>")
@login_required
def show(batch_id: int):
    batch = _own_batch(batch_id)
    return render_template("imports/preview.html", batch=batch, s=batch.summary or {}, form=_confirm_form(),
                           labels_by_column=COLUMN_LABELS)


@bp.post("/<int:batch_id>/confirm")
@login_required
def confirm(batch_id: int):
    batch = _own_batch(batch_id)
    form = _confirm_form()
    if not form.validate_on_submit():
        flash(_("Choose what to do with phones already registered."), "error")
        return redirect(url_for("imports.show", batch_id=batch.id))
    result = None
    with saved():
        result = member_import.run(batch, form.mode.data, current_scope(), current_user.id)
    if result:
        flash(_("Imported: %(created)d new people, %(updated)d updated, %(memberships)d added to teams.",
                created=result["created"], updated=result["updated"], memberships=result["memberships"]), "success")
    return redirect(url_for("imports.show", batch_id=batch.id))


@bp.get("/<int:batch_id>/problems.csv")
@login_required
def problems_csv(batch_id: int):
    batch = _own_batch(batch_id)
    labels = COLUMN_LABELS
    rows = [[row, str(labels.get(column, column)), message] for row, column, message in
            (batch.summary or {}).get("problems", [])]
    return Response(to_csv(rows, header=[_("Row"), _("Column"), _("Problem")]), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=import-{batch.id}-problems.csv"})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/template.<ext>")
@login_required
def template(ext: str):
    if ext == "csv":
        return Response(files.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=mau-nhap-thanh-vien.csv"})
    if ext != "xlsx":
        abort(404)
    return Response(files.template_xlsx(), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=mau-nhap-thanh-vien.xlsx"})

"""The ministry's catalogue of kinds of work: add a kind, retire one, bring it back (national scope)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, StringField

from models import WorkKind, db

from coordination.tasks import kinds
from coordination.core import permissions
from coordination.core.errors import DomainError
from coordination.web.forms import ActionForm, FlaskForm
from coordination.web.helpers import form_error, get_or_404, refuse_unless, require, saved
from coordination.web.login import current_scope

bp = Blueprint("work_kinds", __name__)


class KindForm(FlaskForm):
    code = StringField(_l("Code"), render_kw={"maxlength": 40, "placeholder": "support_vneid_level2"})
    name_vi = StringField(_l("Name (Vietnamese)"), render_kw={"maxlength": 120})
    name_en = StringField(_l("Name (English)"), render_kw={"maxlength": 120})
    unit = StringField(_l("Unit"), default="người dân", render_kw={"maxlength": 60})
    counts_as_residents_helped = BooleanField(_l("Counts as residents helped (thi đua)"))


def _page(form: KindForm, status: int = 200):
    return render_template("tasks/kinds.html", form=form, rows=kinds.catalogue(), action=ActionForm()), status


@bp.route("/tasks/kinds", methods=["GET", "POST"])
@login_required
def catalogue():
    require(permissions.can_manage_work_kinds(current_scope()))
    form = KindForm()
    if form.validate_on_submit():
        try:
            return _added(form)
        except DomainError as err:
            form_error(form, err)
    return _page(form, 400 if form.errors or form.form_errors else 200)


def _added(form: KindForm):
    kinds.add_kind(form.code.data, form.name_vi.data, form.name_en.data, form.unit.data,
                   form.counts_as_residents_helped.data, current_user.id)
    db.session.commit()
    flash(_("Kind of work added."), "success")
    return redirect(url_for("work_kinds.catalogue"))


@bp.post("/tasks/kinds/<code>/retired")
@login_required
def retire(code: str):
    get_or_404(WorkKind, code)
    refuse_unless(permissions.can_manage_work_kinds(current_scope()), "retire", "work_kind", code, status=403)
    require(ActionForm().validate())
    with saved(_("Saved.")):
        kinds.set_retired(code, request.form.get("retired") == "1", current_user.id)
    return redirect(url_for("work_kinds.catalogue"))

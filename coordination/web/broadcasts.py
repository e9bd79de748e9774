"""The broadcast composer: audience, text, recipient and segment counts before sending."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, RadioField, SelectMultipleField, TextAreaField, widgets

from models import AdminUnit, db

from coordination.messaging import broadcasts
from coordination.core import permissions
from coordination.org import overview
from coordination.web.login import current_scope
from coordination.core.errors import DomainError
from coordination.web.forms import FlaskForm
from coordination.web import labels
from coordination.web.helpers import form_error, get_or_404, require

bp = Blueprint("broadcasts", __name__)


class BroadcastForm(FlaskForm):
    audience = RadioField(_l("Send to"), default="province", choices=list(labels.AUDIENCE.items()))
    communes = SelectMultipleField(_l("Communes"), choices=[], validate_choice=False,
                                   widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
    body = TextAreaField(_l("Message"), render_kw={"rows": 4, "maxlength": broadcasts.MAX_BODY})
    urgent = BooleanField(_l("Urgent (sent at once, even at night)"), default=True)


def _send(code: str, form: BroadcastForm):
    sent = broadcasts.send(current_user.id, code, form.audience.data, form.communes.data, form.body.data,
                           form.urgent.data)
    db.session.commit()
    flash(_("Queued for %(n)d people.", n=sent.recipients), "success")
    return redirect(url_for("messages.index", broadcast=sent.id))


@bp.route("/provinces/<code>/broadcast", methods=["GET", "POST"])
@login_required
def compose(code: str):
    require(permissions.can_broadcast(current_scope(), code))
    province = get_or_404(AdminUnit, code)
    form = BroadcastForm()
    form.communes.choices = [(str(i), n) for i, n in overview.commune_teams(code)]
    preview, status = None, 200
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "send":
                return _send(code, form)
            preview = broadcasts.preview(code, form.audience.data, form.communes.data, form.body.data)
        except DomainError as err:
            form_error(form, err, "body")
            status = 400
    return render_template("broadcast.html", form=form, province=province, preview=preview), status

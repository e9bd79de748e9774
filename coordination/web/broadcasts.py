"""The broadcast composer: audience, text, recipient and segment counts before sending."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, RadioField, SelectMultipleField, TextAreaField, widgets

from models import AdminUnit, Broadcast, db

from coordination.messaging import broadcasts, confirmations
from coordination.messaging.sms import national
from coordination.core import permissions
from coordination.org import overview
from coordination.web.login import current_scope
from coordination.core.errors import DomainError
from coordination.web.forms import FlaskForm
from coordination.web import labels
from coordination.web.forms import ActionForm
from coordination.web.helpers import form_error, get_or_404, page_arg, refuse_unless, require, saved, small_int

bp = Blueprint("broadcasts", __name__)


class BroadcastForm(FlaskForm):
    audience = RadioField(_l("Send to"), default="province", choices=list(labels.AUDIENCE.items()))
    communes = SelectMultipleField(_l("Communes"), choices=[], validate_choice=False,
                                   widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
    body = TextAreaField(_l("Message"), render_kw={"rows": 4, "maxlength": broadcasts.MAX_BODY})
    urgent = BooleanField(_l("Urgent (sent at once, even at night)"), default=True)
    confirm = BooleanField(_l("Ask for confirmation (each SMS gets a one-tap link)"), default=False)


def _send(code: str, form: BroadcastForm):
    sent = broadcasts.send(current_user.id, code, form.audience.data, form.communes.data, form.body.data,
                           form.urgent.data, confirm=form.confirm.data)
    db.session.commit()
    flash(_("Queued for %(n)d people.", n=sent.recipients), "success")
    return redirect(url_for("broadcasts.show", broadcast_id=sent.id) if sent.confirm
                    else url_for("messages.index", broadcast=sent.id))


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


@bp.get("/messages/broadcasts")
@login_required
def index():
    page = page_arg()
    rows = confirmations.summaries(permissions.visible_broadcasts_clause(current_scope(), Broadcast),
                                   confirmations.PAGE + 1, (page - 1) * confirmations.PAGE)
    has_next, rows = len(rows) > confirmations.PAGE, rows[:confirmations.PAGE]
    pending = confirmations.not_confirmed_many([r.broadcast.id for r in rows if r.broadcast.confirm])
    return render_template("broadcasts.html", rows=rows, page=page, has_next=has_next, pending=pending,
                           action=ActionForm(), national=national)


def _authored(broadcast_id: int, action: str) -> Broadcast:
    """A broadcast its author's scope may read; anyone else: 404, and the refusal is audited."""
    broadcast = get_or_404(Broadcast, broadcast_id)
    refuse_unless(permissions.can_broadcast(current_scope(), broadcast.province_code), action, "broadcast",
                  broadcast.id, broadcast.province_code)
    return broadcast


@bp.get("/broadcasts/<int:broadcast_id>")
@login_required
def show(broadcast_id: int):
    broadcast = _authored(broadcast_id, "view")
    summary = confirmations.summaries(Broadcast.id == broadcast.id, 1)[0]
    pending = confirmations.not_confirmed(broadcast.id) if broadcast.confirm else []
    return render_template("broadcast_show.html", s=summary, pending=pending, action=ActionForm(), national=national)


@bp.post("/broadcasts/<int:broadcast_id>/remind")
@login_required
def remind(broadcast_id: int):
    broadcast = _authored(broadcast_id, "remind")
    round_ = small_int(request.form.get("round"))
    if not broadcast.confirm or round_ is None:
        abort(400)
    if ActionForm().validate_on_submit():
        with saved():
            n = broadcasts.remind(broadcast, round_, current_user.id)
            flash(_("Reminder queued for %(n)d people who have not confirmed.", n=n), "success")
    return redirect(url_for("broadcasts.show", broadcast_id=broadcast.id))


@bp.route("/x/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """One-tap confirmation from a broadcast's SMS: no login; the signed token names one message.
    GET only shows the button (link previewers must not confirm); POST confirms, once."""
    message = confirmations.message_for_link(token)
    if message is None:
        return render_template("confirm.html", message=None), 404
    form = ActionForm()
    if form.validate_on_submit() and confirmations.confirm(message):
        db.session.commit()
    return render_template("confirm.html", message=message, form=form, done=confirmations.confirmed(message),
                           text=db.session.get(Broadcast, message.broadcast_id).body)

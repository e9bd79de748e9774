"""The outbox as leads see it (SMS, calls, pushes; a filter by channel): every message with its status, failures, and a resend action."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from models import Message
from models.messages import CHANNELS

from coordination.messaging import history, outbox
from coordination.clock import utcnow
from coordination.core import permissions
from coordination.web.login import current_scope
from coordination.web.forms import ActionForm
from coordination.web.helpers import get_or_404, page_arg, require, safe_next, saved, small_int

bp = Blueprint("messages", __name__)


@bp.get("/messages")
@login_required
def index():
    scope = current_scope()
    status, purpose, channel = request.args.get("status"), request.args.get("purpose"), request.args.get("channel")
    page, size = page_arg(), current_app.config["PAGE_SIZE"]
    rows = history.messages(scope, status, purpose, small_int(request.args.get("broadcast")), limit=size + 1,
                            offset=(page - 1) * size, channel=channel)
    return render_template("messages.html", rows=rows[:size], page=page, has_next=len(rows) > size,
                           no_sms=history.unreachable_by_sms(scope), status=status, purpose=purpose, now_utc=utcnow(),
                           channel=channel if channel in CHANNELS else None,
                           action=ActionForm(), scope=scope, can_resend=lambda m: permissions.can_resend(scope, m))


@bp.post("/messages/<int:message_id>/resend")
@login_required
def resend(message_id: int):
    message = get_or_404(Message, message_id)
    scope = current_scope()
    require(history.is_visible(scope, message))
    require(permissions.can_resend(scope, message))
    if ActionForm().validate_on_submit():
        with saved(_("Queued again.")):
            outbox.resend(message)
    return redirect(safe_next(request.referrer, url_for("messages.index")))

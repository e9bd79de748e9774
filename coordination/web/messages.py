"""The SMS outbox as leads see it: every message with its status, failures, and a resend action."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from models import Message, Person, db
from models.messages import PURPOSES, STATUSES

from coordination.messaging import outbox
from coordination.core import permissions
from coordination.web.login import current_scope
from coordination.web.forms import ActionForm
from coordination.web.helpers import get_or_404, page_arg, require, safe_next, saved, small_int

bp = Blueprint("messages", __name__)


@bp.get("/messages")
@login_required
def index():
    scope = current_scope()
    status, purpose = request.args.get("status"), request.args.get("purpose")
    query = (sa.select(Message, Person.full_name).outerjoin(Person, Person.id == Message.person_id)
             .where(permissions.visible_messages_clause(scope, Message)))
    if status == "problems":
        query = query.where(Message.status.in_(("failed", "undelivered", "not_sent")))
    elif status in STATUSES:
        query = query.where(Message.status == status)
    if purpose in PURPOSES:
        query = query.where(Message.purpose == purpose)
    broadcast = small_int(request.args.get("broadcast"))
    if broadcast is not None:
        query = query.where(Message.broadcast_id == broadcast)
    page, size = page_arg(), current_app.config["PAGE_SIZE"]
    rows = db.session.execute(query.order_by(Message.created_at.desc(), Message.id.desc())
                              .limit(size + 1).offset((page - 1) * size)).all()
    no_sms = db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
        Person.sms_capable.is_(False), Person.consent_sms.is_(True), permissions.visible_people_clause(scope)))
    return render_template("messages.html", rows=rows[:size], page=page, has_next=len(rows) > size, no_sms=no_sms,
                           status=status, purpose=purpose, action=ActionForm(), scope=scope,
                           can_resend=lambda m: permissions.can_resend(scope, m))


@bp.post("/messages/<int:message_id>/resend")
@login_required
def resend(message_id: int):
    message = get_or_404(Message, message_id)
    scope = current_scope()
    require(db.session.scalar(sa.select(sa.literal(True)).where(
        Message.id == message.id, permissions.visible_messages_clause(scope, Message))) is True)
    require(permissions.can_resend(scope, message))
    if ActionForm().validate_on_submit():
        with saved(_("Queued again.")):
            outbox.resend(message)
    return redirect(safe_next(request.referrer, url_for("messages.index")))

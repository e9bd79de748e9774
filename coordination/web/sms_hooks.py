"""Twilio webhooks (signed): delivery status callbacks."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from twilio.request_validator import RequestValidator

from models import db

from .. import outbox

bp = Blueprint("sms", __name__)


def _signed() -> bool:
    """Twilio signs the public URL it called plus the POSTed form: check it with our auth token."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        return False
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    return RequestValidator(token).validate(url, request.form.to_dict(), request.headers.get("X-Twilio-Signature", ""))


@bp.post("/sms/status")
def status_callback():
    if not _signed():
        abort(403)
    outbox.apply_status(request.form.get("MessageSid", ""), request.form.get("MessageStatus", ""),
                        request.form.get("ErrorCode"))
    db.session.commit()
    return "", 204

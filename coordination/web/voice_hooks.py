"""Twilio's voice webhooks, every one signed (X-Twilio-Signature, else 403): the TwiML of an
escalation call, the key the person pressed, and the call's status callbacks."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from models import db
from models.messages import VOICE

from coordination.duty import voice
from coordination.messaging import receipts
from coordination.messaging.links import message_for_token
from coordination.messaging.sms import CALL_FAILURES
from coordination.web.sms_hooks import _signed

bp = Blueprint("voice", __name__)
FINAL_CALL_STATUSES = ("completed",) + CALL_FAILURES


def _twiml(xml: str) -> Response:
    return Response(xml, mimetype="application/xml")


def _call_message(token: str):
    """The call row a signed request names (by the token in its URL), or 403/404."""
    if not _signed():
        abort(403)
    message = message_for_token(token)
    if message is None or message.channel != VOICE:
        abort(404)
    return message


def _action(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/voice/call/{token}/digits"


@bp.post("/voice/call/<token>")
def call(token: str):
    """Twilio asks what to play once the person answers."""
    message = _call_message(token)
    return _twiml(voice.call_twiml(message, _action(token)))


@bp.post("/voice/call/<token>/digits")
def digits(token: str):
    """The Gather's result: 1 acknowledges, 2 hands on, another key hears the prompt again."""
    message = _call_message(token)
    _outcome, xml = voice.pressed(message, request.form.get("Digits", ""), _action(token))
    db.session.commit()
    return _twiml(xml)


@bp.post("/voice/status")
def status():
    """A call's status callback (initiated, ringing, in-progress, completed, busy, no-answer,
    failed, canceled), applied to its row like an SMS receipt (receipts.record: never backwards,
    kept if it comes before the SID). Nobody answered: the status is the row's error code."""
    if not _signed():
        abort(403)
    call_status = request.form.get("CallStatus", "").lower()
    code = request.form.get("ErrorCode") or (call_status if call_status in CALL_FAILURES else None)
    mid = request.args.get("m", "")
    sid = request.form.get("CallSid", "")
    message_id = int(mid) if mid.isdigit() and len(mid) < 12 else None
    receipts.record(sid, call_status, code, message_id=message_id)
    if call_status in FINAL_CALL_STATUSES:  # ended without a 1: the next step now, not at its time
        message = voice.call_row(sid, message_id)
        if message is not None and voice.call_ended(message):
            db.session.commit()
    return "", 204

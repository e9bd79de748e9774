"""Twilio webhooks (signed): delivery status callbacks."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from models import db
from models.messages import ESCALATION

from coordination.core import audit
from coordination.duty.alerts import ack_contacts, acknowledge as record, alert_over, message_for_token, taken_by
from coordination.duty.replies import already_handled, handle_reply
from coordination.messaging import receipts
from coordination.messaging.sms import national
from coordination.web.forms import ActionForm
from coordination.web.i18n import local_time

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
    # Applied, or kept until the dispatcher writes the SID (receipts.py): never dropped. ?m= is our
    # message id (signed with the URL): it finds a message whose outcome was unknown.
    mid = request.args.get("m", "")
    receipts.record(request.form.get("MessageSid", ""), request.form.get("MessageStatus", ""),
                    request.form.get("ErrorCode"), message_id=int(mid) if mid.isdigit() and len(mid) < 12 else None)
    return "", 204


def _taken_by_other(message):
    """(person, when) of whoever else already took this escalation, or None."""
    taken = taken_by(message.shift_id) if message.shift_id else None
    return taken if taken and taken[0] != message.person_id else None


@bp.route("/a/<token>", methods=["GET", "POST"])
def acknowledge(token: str):
    """One-tap acknowledgement from an SMS link: no login; the signed token names one message. GET only shows
    the button (link previewers must not acknowledge); POST records it — unless someone else already took this
    escalation: then every link says who, and when. The page offers calls to the absent primary and the commune
    lead while the shift runs: after it, the link says so and shows neither."""
    message = message_for_token(token)
    if message is None or message.purpose != ESCALATION:  # a broadcast's /x/ token names a message too
        return render_template("ack.html", message=None), 404
    if alert_over(message):  # the shift has ended: nothing to take, no numbers to hand out
        return render_template("ack.html", message=None, over=True), 410
    form = ActionForm()
    if form.validate_on_submit() and record(message):
        db.session.commit()
    return render_template("ack.html", message=message, form=form, done=message.acknowledged_at is not None,
                           taken=_taken_by_other(message), contacts=ack_contacts(message), national=national)


@bp.post("/a/<token>/ack")
def acknowledge_from_notification(token: str):
    """The "Nhận xử lý" action of a push notification (the duty app's service worker POSTs here, no
    login, no CSRF token: the signed token is the authority, exactly as the SMS link's button).
    Answers JSON: acknowledged (by this tap, or earlier by this person), taken (someone else took it:
    name and time), over (the shift has ended) or invalid (404)."""
    message = message_for_token(token)
    if message is None or message.purpose != ESCALATION:  # a broadcast's /x/ token names a message too
        return jsonify(status="invalid", text=_("This link is wrong or has expired.")), 404
    if alert_over(message):
        return jsonify(status="over", text=_("This shift is over")), 410
    if record(message):
        db.session.commit()
    taken = _taken_by_other(message)
    if message.acknowledged_at is None and taken:
        return jsonify(status="taken", name=taken[1], at=taken[2].isoformat(),
                       text=_("%(name)s took it at %(time)s", name=taken[1], time=local_time(taken[2], "HH:mm"))), 409
    return jsonify(status="acknowledged", text=_("Acknowledged. Thank you!")), 200


@bp.post("/sms/inbound")
def inbound():
    """Replies where the number supports them: OK/1/CO acknowledge, HUY declines (escalate now),
    STOP opts out. Answers with TwiML; unknown senders get a polite reply and are logged."""
    if not _signed():
        abort(403)
    if already_handled(request.form.get("MessageSid")):  # a retry or a replay: answered once, acted on once
        return Response(str(MessagingResponse()), mimetype="application/xml")
    outcome, reply = handle_reply(request.form.get("From", ""), request.form.get("Body", ""))
    audit.record(None, f"sms_{outcome}", "sms", request.form.get("MessageSid"),
                 after={"from": request.form.get("From", "")[:20], "body": request.form.get("Body", "")[:160]})
    db.session.commit()
    twiml = MessagingResponse()
    twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")

"""Receipts that never came: the reconcile job asks the fake Twilio server (real twilio client) about
messages still "sent", and a callback URL names our message so that a message whose outcome was
unknown learns what happened."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from twilio.request_validator import RequestValidator

from coordination.messaging import outbox, receipts, sms
from coordination.clock import utcnow
from models import Message, db
from models.messages import DELIVERED, FAILED, SENT
from tests.factories import make_person

WAIT = timedelta(minutes=15)  # SMS_RECEIPT_WAIT_MINUTES' default


def gateway():
    return sms.gateway_from_config(current_app.config)


def reconcile(now, limit=200):
    counts = receipts.reconcile(gateway, now=now, limit=limit)
    db.session.expire_all()
    return counts


@pytest.fixture
def app_down(ctx, twilio):
    """Twilio posts its callbacks at once, but our app does not answer (nothing listens there):
    every receipt is lost, as when the web app or its database is down."""
    ctx.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:9"
    twilio.callback_mode = "immediate"
    yield twilio
    twilio.wait_callbacks()


def send(n=1, **person):
    messages = [outbox.enqueue(make_person(**person), "Khẩn: nước lên", "broadcast", urgent=True) for _ in range(n)]
    db.session.commit()
    now = utcnow()
    assert outbox.dispatch_due(gateway, now=now)["sent"] == n
    return messages, now


def statuses(messages):
    db.session.expire_all()
    return [db.session.get(Message, m.id).status for m in messages]


def test_a_message_whose_receipts_were_all_lost_is_delivered_by_the_job_after_the_wait(app_down):
    messages, now = send(3)
    app_down.wait_callbacks()
    assert {str(c["answer"]).split(":")[0] for c in app_down.callback_log} == {"URLError"}  # all refused
    assert statuses(messages) == [SENT] * 3
    assert reconcile(now + WAIT - timedelta(minutes=1))["asked"] == 0  # not before the wait
    assert statuses(messages) == [SENT] * 3
    assert reconcile(now + WAIT + timedelta(minutes=1)) == {
        "asked": 3, "settled": 3, "unknown_sid": 0, "timed_out": 0, "unanswered": 0}
    assert statuses(messages) == [DELIVERED] * 3


def test_the_job_takes_the_longest_waiting_first_and_at_most_its_limit(app_down):
    messages, now = send(3)
    assert reconcile(now + WAIT * 2, limit=2)["settled"] == 2
    assert statuses(messages) == [DELIVERED, DELIVERED, SENT]
    assert reconcile(now + WAIT * 2, limit=2)["settled"] == 1
    assert statuses(messages) == [DELIVERED] * 3


def test_an_undelivered_outcome_is_applied_with_its_error_code(app_down):
    app_down.final_statuses["+84900000000"] = "undelivered"
    (message,), now = send(1, phone="+84900000000")
    reconcile(now + WAIT * 2)
    assert (message.status, message.error_code) == ("undelivered", "30003")


def test_an_sid_twilio_does_not_know_fails_visibly(ctx, twilio):
    (message,), now = send(1)
    twilio.sent.clear()  # Twilio has no such message (another account, a purged log)
    assert reconcile(now + WAIT * 2)["unknown_sid"] == 1
    assert message.status == FAILED and message.error_message == receipts.UNKNOWN_SID


def test_twilio_not_answering_leaves_it_for_the_next_run_and_stops_nothing(app_down):
    messages, now = send(2)
    app_down.transient_failures = 1  # the first status request gets a 503
    assert reconcile(now + WAIT * 2)["unanswered"] == 1
    assert statuses(messages) == [SENT, DELIVERED]  # the other one was settled in the same run
    assert reconcile(now + WAIT * 2)["asked"] == 0  # just asked: it waits its turn again
    current_app.config["TWILIO_API_BASE"] = "http://127.0.0.1:9"  # Twilio unreachable: an error, not a crash
    assert reconcile(now + WAIT * 4)["unanswered"] == 1
    current_app.config["TWILIO_API_BASE"] = app_down.url
    assert reconcile(now + WAIT * 6)["settled"] == 1
    assert statuses(messages) == [DELIVERED] * 2


def test_no_final_status_within_72_hours_fails_visibly(app_down):
    app_down.final_statuses["+84900000001"] = "sent"  # the carrier never reports back
    (message,), now = send(1, phone="+84900000001")
    assert reconcile(now + timedelta(hours=71))["timed_out"] == 0
    assert message.status == SENT
    assert reconcile(now + timedelta(hours=73))["timed_out"] == 1
    assert message.status == FAILED and message.error_message == "no delivery receipt within 72 h"


def test_leads_read_why_in_vietnamese(world, client, auth, twilio):
    from tests.factories import HANOI

    for text in (receipts.UNKNOWN_SID, "no delivery receipt within 72 h"):
        message = outbox.enqueue(world.volunteer.person, "Khẩn", "escalation", province_code=HANOI)
        message.status, message.error_message = FAILED, text
    db.session.commit()
    auth.as_user(world.lead_a)
    html = client.get("/messages?status=problems").get_data(as_text=True)
    assert "Twilio không có tin nhắn này: tin chưa được gửi." in html
    assert "Không nhận được báo phát từ Twilio trong 72 giờ" in html


def test_an_outcome_unknown_message_learns_from_its_receipt_by_id(ctx, twilio, client):
    from tests.test_outbox import DiesOnRequest, Killed

    outbox.enqueue(make_person(), "Khẩn", "escalation", urgent=True)
    other = outbox.enqueue(make_person(), "Khẩn", "escalation", urgent=True)
    db.session.commit()
    now = utcnow()
    with pytest.raises(Killed):  # Twilio accepts the first; the dispatcher dies before writing its SID
        outbox.dispatch_due(lambda: DiesOnRequest(1, after_sending=True), now=now)
    db.session.rollback()
    outbox.claim_due(limit=0, now=now + outbox.IN_FLIGHT_LIMIT + timedelta(seconds=1))
    unknown = db.session.scalar(sa.select(Message).where(Message.status == FAILED))
    assert unknown.provider_sid is None and unknown.error_message.startswith("outcome unknown")
    other.status, other.error_message = FAILED, "The 'To' number is not a valid phone number."  # a real failure
    db.session.commit()
    (url, params, signature), = twilio.callbacks("delivered")
    assert url.endswith(f"/sms/status?m={unknown.id}")
    assert client.post(url.replace("https://tcn.example.vn", ""), data=params,
                       headers={"X-Twilio-Signature": signature}).status_code == 204
    db.session.expire_all()
    assert (unknown.status, unknown.provider_sid, unknown.error_message) == (DELIVERED, twilio.sent[0]["sid"], None)
    # A receipt naming a message whose failure was Twilio's own changes nothing.
    forged = dict(params, MessageSid="SM" + "e" * 32)
    path = f"/sms/status?m={other.id}"
    signed = RequestValidator(twilio.auth_token).compute_signature("https://tcn.example.vn" + path, forged)
    assert client.post(path, data=forged, headers={"X-Twilio-Signature": signed}).status_code == 204
    db.session.expire_all()
    assert (other.status, other.provider_sid) == (FAILED, None)


def test_a_receipt_that_came_while_the_message_was_in_flight_reaches_it_once_its_outcome_is_unknown(
        ctx, twilio, live_server):
    """Twilio posts "sent" and "delivered" before its 201 (callback_mode immediate) and the
    dispatcher dies before writing the SID: the receipts are kept, with the id their URL named.
    When the row becomes outcome-unknown, the sweep hands them to it."""
    from tests.test_outbox import DiesOnRequest, Killed

    ctx.config["PUBLIC_BASE_URL"] = live_server
    twilio.callback_mode = "immediate"
    message = outbox.enqueue(make_person(), "Khẩn", "escalation", urgent=True)
    db.session.commit()
    now = utcnow()
    with pytest.raises(Killed):
        outbox.dispatch_due(lambda: DiesOnRequest(1, after_sending=True), now=now)
    db.session.rollback()
    assert [c["answer"] for c in twilio.callback_log] == [204, 204]  # kept: the SID was not written yet
    outbox.claim_due(now=now + outbox.IN_FLIGHT_LIMIT + timedelta(seconds=1))
    db.session.expire_all()
    assert (message.status, message.provider_sid) == (FAILED, None)
    assert receipts.sweep(now + timedelta(minutes=1))["applied"] == 1
    db.session.expire_all()
    assert (message.status, message.provider_sid) == (DELIVERED, twilio.sent[0]["sid"])


def test_the_signature_covers_the_query_so_a_changed_id_is_refused(ctx, twilio, client):
    message = outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    outbox.dispatch_due(gateway)
    (url, params, signature), = twilio.callbacks("delivered")
    assert url.endswith(f"?m={message.id}") and RequestValidator(twilio.auth_token).validate(url, params, signature)
    tampered = url.replace(f"?m={message.id}", f"?m={message.id + 1}")
    assert not RequestValidator(twilio.auth_token).validate(tampered, params, signature)
    assert client.post(tampered.replace("https://tcn.example.vn", ""), data=params,
                       headers={"X-Twilio-Signature": signature}).status_code == 403
    assert client.post(url.replace("https://tcn.example.vn", ""), data=params,
                       headers={"X-Twilio-Signature": signature}).status_code == 204


def test_the_one_move_out_of_a_final_status():
    assert receipts.advance_status(FAILED, DELIVERED) == FAILED
    assert receipts.advance_status(FAILED, DELIVERED, outcome_unknown=True) == DELIVERED
    assert receipts.advance_status(FAILED, SENT, outcome_unknown=True) == SENT  # Twilio has it: await the rest
    assert receipts.advance_status(DELIVERED, SENT, outcome_unknown=True) == DELIVERED

"""Escalation calls that can be acknowledged (issue 20 §1): the outbox's voice channel through the
official twilio client's Calls API against the fake Twilio server, which fetches our TwiML, rings,
presses keys and posts signed status callbacks to the app."""
from __future__ import annotations

import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import alerts, rota
from coordination.messaging import receipts
from coordination.messaging.outbox import dispatch_due
from coordination.messaging.sms import gateway_from_config
from coordination.org import teams
from models import Message, db
from tests.factories import make_person

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the shift starts 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)


@pytest.fixture
def phone(ctx, client, twilio):
    """The fake Twilio server's calls reach the app through the test client (signed like Twilio's);
    the backup step calls as well as texts."""
    def transport(url, form, signature):
        parts = urllib.parse.urlsplit(url)
        response = client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=form,
                               headers={"X-Twilio-Signature": signature})
        return response.status_code, response.get_data(as_text=True)

    twilio.voice.transport = transport
    saved = ctx.config.get("ALERT_CALL_STEPS"), ctx.config.get("CONTACT_DEFAULT_CHAIN")
    ctx.config["ALERT_CALL_STEPS"] = (1,)
    # A deployment whose default chain sends every channel at once (the chain's delays: test_contacts.py).
    ctx.config["CONTACT_DEFAULT_CHAIN"] = {"push": 0, "sms": 0, "voice": 0}
    yield twilio.voice
    ctx.config["ALERT_CALL_STEPS"], ctx.config["CONTACT_DEFAULT_CHAIN"] = saved


@pytest.fixture
def staffed(world):
    backup = make_person(full_name="Người Dự Phòng")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    return shift, backup


def send(ctx, at):
    return dispatch_due(lambda: gateway_from_config(ctx.config), now=at)


def call_row(person_id) -> Message:
    db.session.expire_all()
    return db.session.scalar(sa.select(Message).where(Message.person_id == person_id, Message.channel == "voice"))


def escalated_to() -> list[tuple[int, str]]:
    return sorted(tuple(r) for r in db.session.execute(sa.select(Message.person_id, Message.channel)
                                                        .where(Message.purpose == "escalation")))


def test_the_backup_step_texts_and_calls_and_pressing_1_acknowledges_like_the_link(ctx, world, staffed, phone, twilio):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    assert escalated_to() == [(backup.id, "sms"), (backup.id, "voice")]
    send(ctx, T + timedelta(minutes=10))
    assert [m["to"] for m in twilio.sent].count(backup.phone) == 1  # the SMS, and
    [call] = phone.calls
    assert call["to"] == backup.phone and call["from"] == "+15005550006"
    assert call["url"].startswith("https://tcn.example.vn/voice/call/")
    assert call["events"] == ["initiated", "ringing", "answered", "completed"]
    row = call_row(backup.id)
    assert row.status == "sent" and row.provider_sid == call["sid"] and row.in_flight_since is None

    assert phone.ring(call) == "in-progress"
    spoken = call["said"]
    assert len(spoken) == 2 and spoken[0] == spoken[1]  # twice inside the Gather
    assert "Tổ Công nghệ cộng đồng" in spoken[0] and "Tình Nguyện Viên chưa vào ca trực Tổ" in spoken[0]
    assert "Bấm phím 1 để nhận xử lý, phím 2 để chuyển người khác" in spoken[0]
    assert [c["status"] for c in phone.callback_log] == ["initiated", "ringing", "in-progress"]
    assert {c["answer"] for c in phone.callback_log} == {204}

    answer = phone.press(call, "1")
    assert "Đã ghi nhận: bạn nhận xử lý" in answer and "<Hangup />" in answer
    row = call_row(backup.id)
    assert row.acknowledged_at == T and row.status == "delivered"  # completed: the call took place
    assert alerts.taken_by(shift.id)[0] == backup.id
    alerts.tick(T + timedelta(minutes=20))
    alerts.tick(T + timedelta(minutes=31))
    assert escalated_to() == [(backup.id, "sms"), (backup.id, "voice")]  # stopped, like the link


def test_pressing_2_hands_the_alert_to_the_next_step_now(ctx, world, staffed, phone):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    phone.ring(phone.calls[0])
    assert "người tiếp theo" in phone.press(phone.calls[0], "2")
    assert (world.commune_lead.person_id, "sms") in escalated_to()  # at minute 10, not 20
    assert call_row(backup.id).acknowledged_at is None
    assert alerts.taken_by(shift.id) is None


def test_another_key_hears_the_prompt_again_then_1_still_works(ctx, world, staffed, phone):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    call = phone.calls[0]
    phone.ring(call)
    again = phone.press(call, "7")
    assert "Phím không hợp lệ" in again and "<Gather" in again and call["status"] == "in-progress"
    assert call_row(backup.id).acknowledged_at is None
    phone.press(call, "1")
    assert call_row(backup.id).acknowledged_at is not None


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
def test_a_call_nobody_answers_is_not_acknowledged_and_the_chain_goes_on(ctx, world, staffed, phone, outcome):
    shift, backup = staffed
    phone.outcomes[backup.phone] = outcome
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    assert phone.ring(phone.calls[0]) == outcome
    row = call_row(backup.id)
    assert row.status == ("failed" if outcome == "failed" else "undelivered") and row.error_code == outcome
    assert row.acknowledged_at is None
    assert (world.commune_lead.person_id, "sms") in escalated_to()  # at minute 10, not at 20
    alerts.tick(T + timedelta(minutes=20))
    assert escalated_to().count((world.commune_lead.person_id, "sms")) == 1  # the tick adds no second


def test_a_call_that_ends_without_a_key_is_not_acknowledged_and_hands_on_at_once(ctx, world, staffed, phone):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    phone.ring(phone.calls[0])
    phone.hang_up(phone.calls[0])
    assert phone.calls[0]["said"][-1].startswith("Không nhận được phím bấm")
    row = call_row(backup.id)
    assert row.status == "delivered" and row.acknowledged_at is None
    assert (world.commune_lead.person_id, "sms") in escalated_to()  # as the call said, at minute 10


def test_pressing_2_then_the_calls_end_hands_on_once(ctx, world, staffed, phone):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    phone.ring(phone.calls[0])
    phone.press(phone.calls[0], "2")  # the call then ends: its 'completed' callback hands on again
    assert [s for s in phone.callback_log if s["status"] == "completed"]
    assert escalated_to().count((world.commune_lead.person_id, "sms")) == 1


def test_unsigned_or_wrongly_signed_voice_requests_get_403(ctx, world, staffed, phone, client):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    call = phone.calls[0]
    url, form, signature = phone.signed_callback(call, "completed")
    path = url.removeprefix("https://tcn.example.vn")
    twiml = call["url"].removeprefix("https://tcn.example.vn")
    for target in (path, twiml, twiml + "/digits"):
        assert client.post(target, data=dict(form, Digits="1")).status_code == 403
        assert client.post(target, data=dict(form, Digits="1"), headers={"X-Twilio-Signature": "x" + signature[1:]}
                           ).status_code == 403
    assert client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code == 204
    # a signed request with a forged token in its URL names no call
    forged = "/voice/call/1.AAAAAAAAAA"
    bad = phone._signature("https://tcn.example.vn" + forged, form)
    assert client.post(forged, data=form, headers={"X-Twilio-Signature": bad}).status_code == 404
    row = call_row(backup.id)
    assert row.acknowledged_at is None and row.status == "delivered"


def test_a_number_that_does_not_exist_fails_visibly_with_the_providers_code(ctx, world, staffed, phone, twilio):
    shift, backup = staffed
    twilio.invalid_numbers.add(backup.phone)
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    assert phone.calls == []
    row = call_row(backup.id)
    assert row.status == "failed" and row.error_code == "21211" and "Invalid 'To'" in row.error_message


def test_a_call_twilio_cannot_take_now_is_retried_and_placed_once(ctx, world, staffed, phone, twilio):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    urgent = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    twilio.transient_failures = urgent  # every request of this round meets a 503
    assert send(ctx, T + timedelta(minutes=10))["retry"] == urgent
    row = call_row(backup.id)
    assert row.status == "queued" and row.attempts == 1 and row.error_code == "20500" and row.in_flight_since is None
    assert send(ctx, T + timedelta(minutes=11))["sent"] == urgent
    assert send(ctx, T + timedelta(minutes=12))["sent"] == 0
    assert len(phone.calls) == 1 and call_row(backup.id).attempts == 2


def test_a_status_before_the_sid_is_kept_and_reconcile_asks_the_calls_api(ctx, world, staffed, phone):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    call = phone.calls[0]
    # a callback for a call whose SID we do not know yet is kept, then applied when it is written
    assert receipts.record("CA" + "f" * 32, "ringing") == "kept"
    # the callbacks were lost (the app was down): reconcile asks the Calls API
    phone.outcomes[backup.phone] = "no-answer"
    phone.transport = lambda url, form, signature: (0, "ConnectionRefusedError")
    phone.ring(call)
    assert call_row(backup.id).status == "sent"
    ctx.config["SMS_RECEIPT_WAIT_MINUTES"] = 1
    try:
        receipts.reconcile(lambda: gateway_from_config(ctx.config), now=T + timedelta(minutes=13))
    finally:
        ctx.config["SMS_RECEIPT_WAIT_MINUTES"] = 15
    row = call_row(backup.id)
    assert row.status == "undelivered" and row.error_code == "no-answer"


def test_a_recorded_message_plays_instead_of_speech(ctx, world, staffed, phone):
    ctx.config["TWILIO_VOICE_AUDIO"] = {"escalation": "https://cdn.example.vn/ca-truc.mp3"}
    try:
        alerts.tick(T + timedelta(minutes=10))
        send(ctx, T + timedelta(minutes=10))
        phone.ring(phone.calls[0])
    finally:
        ctx.config["TWILIO_VOICE_AUDIO"] = {}
    assert phone.calls[0]["said"][:2] == ["(plays https://cdn.example.vn/ca-truc.mp3)"] * 2


def test_the_say_voice_and_language_are_configurable(ctx, world, staffed, phone, client):
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    call = phone.calls[0]
    ctx.config["TWILIO_VOICE_NAME"] = "Google.vi-VN-Wavenet-B"
    try:
        form = phone._params(call)
        answer = client.post(call["url"].removeprefix("https://tcn.example.vn"), data=form,
                             headers={"X-Twilio-Signature": phone._signature(call["url"], form)})
    finally:
        ctx.config["TWILIO_VOICE_NAME"] = "Google.vi-VN-Standard-A"
    text = answer.get_data(as_text=True)
    assert answer.mimetype == "application/xml"
    assert 'voice="Google.vi-VN-Wavenet-B"' in text and 'language="vi-VN"' in text and 'numDigits="1"' in text


def test_without_call_steps_escalation_only_texts(ctx, world, staffed):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    assert escalated_to() == [(backup.id, "sms")]


def test_the_channel_is_checked_by_the_database(ctx, world):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(Message(to_phone="+84912345678", body="x", purpose="other", channel="fax"))
        db.session.flush()
    db.session.rollback()


def test_the_messages_page_shows_a_call_and_why_it_was_not_acknowledged(ctx, world, staffed, phone, auth):
    shift, backup = staffed
    phone.outcomes[backup.phone] = "no-answer"
    alerts.tick(T + timedelta(minutes=10))
    send(ctx, T + timedelta(minutes=10))
    phone.ring(phone.calls[0])
    auth.as_user(world.lead_a)
    html = auth.client.get("/messages").get_data(as_text=True)
    assert "Cuộc gọi" in html and "Không ai nghe máy: chưa có người nhận xử lý." in html
    assert "Bấm phím 1 để nhận xử lý" in html  # what the call said


def test_a_call_answered_after_someone_else_took_the_alert_says_who(ctx, world, staffed, phone, twilio):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=20))  # the backup's SMS and call, the commune lead's SMS
    send(ctx, T + timedelta(minutes=20))
    lead_sms = db.session.scalar(sa.select(Message).where(Message.person_id == world.commune_lead.person_id,
                                                          Message.purpose == "escalation"))
    assert alerts.acknowledge(lead_sms, T + timedelta(minutes=20))
    db.session.commit()
    call = phone.calls[0]
    phone.ring(call)
    assert call["status"] == "completed" and call["gather"] is None  # no keys to press
    assert "đã nhận xử lý lúc 08:20" in call["said"][0]
    assert call_row(backup.id).acknowledged_at is None


def test_a_push_row_is_never_sent_as_an_sms_or_a_call(ctx, world, twilio):
    from coordination.messaging import outbox

    row = outbox.put(outbox.Outgoing(world.volunteer.person.id, world.volunteer.person.phone, "x", "other",
                                     channel="push"), T)
    db.session.commit()
    assert send(ctx, T)["failed"] == 1
    db.session.refresh(row)
    # the person has no device subscribed: the push fails visibly, and never becomes an SMS or a call
    assert row.status == "failed" and row.error_code == "no_device" and "subscribed to push" in row.error_message
    assert twilio.sent == [] and twilio.voice.calls == []

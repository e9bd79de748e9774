"""The SMS outbox through the official twilio client against a fake Twilio server: sending,
retries with backoff, permanent failures, "not configured", signed status callbacks, dedupe."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from coordination import outbox, sms
from coordination.clock import utcnow
from models import Message, db
from tests.factories import at_once, make_person


def dispatch(now=None):
    return outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config), now=now)


class Killed(BaseException):
    """The dispatcher process dying (not an error it could handle)."""


class DiesOnRequest:
    """The real gateway, except that the dispatcher dies during its n-th request, before or after
    Twilio accepted the message."""

    def __init__(self, n: int, after_sending: bool):
        self.inner = sms.gateway_from_config(current_app.config)
        self.calls, self.n, self.after_sending = 0, n, after_sending

    def send(self, to, body):
        self.calls += 1
        if self.calls == self.n and not self.after_sending:
            raise Killed()
        sid = self.inner.send(to, body)
        if self.calls == self.n:
            raise Killed()
        return sid


def test_segments_for_vietnamese_and_unaccented_text():
    assert sms.segments("Ca truc bat dau luc 06:00") == sms.Segments("GSM-7", 25, 1)
    vietnamese = "Ca trực của bạn bắt đầu lúc 06:00 tại Phường Ba Đình. Bấm để xác nhận. Cảm ơn!"
    assert sms.segments(vietnamese).encoding == "UCS-2" and sms.segments(vietnamese).segments == 2
    assert sms.segments(sms.for_recipient(vietnamese, True)).segments == 1
    assert sms.segments("x" * 160).segments == 1 and sms.segments("x" * 161).segments == 2
    assert sms.segments("€" * 80).units == 160  # extension characters count twice


def test_queued_message_is_sent_through_twilio_with_a_status_callback(ctx, twilio):
    person = make_person(full_name="Nhận Tin", sms_ascii=True)
    outbox.enqueue(person, "Đến ca trực", "reminder")
    db.session.commit()
    assert dispatch() == {"sent": 1, "retry": 0, "failed": 0, "not_sent": 0}
    message = db.session.scalar(sa.select(Message))
    assert message.status == "sent" and message.provider_sid == twilio.sent[0]["sid"]
    assert twilio.sent[0]["to"] == person.phone and twilio.sent[0]["body"] == "Den ca truc"  # unaccented by choice
    assert twilio.sent[0]["status_callback"] == "https://tcn.example.vn/sms/status"


def test_transient_failures_are_retried_with_backoff_then_sent(ctx, twilio):
    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    twilio.transient_failures, twilio.rate_limited = 1, 1
    now = utcnow()
    assert dispatch(now)["retry"] == 1  # 429
    message = db.session.scalar(sa.select(Message))
    assert message.status == "queued" and message.error_code == "20429"
    assert message.next_attempt_at == now + timedelta(seconds=30)
    assert dispatch(now + timedelta(seconds=10)) == {"sent": 0, "retry": 0, "failed": 0, "not_sent": 0}  # not due
    assert dispatch(now + timedelta(seconds=31))["retry"] == 1  # 503
    assert db.session.scalar(sa.select(Message.next_attempt_at)) == now + timedelta(seconds=31 + 60)
    assert dispatch(now + timedelta(seconds=200))["sent"] == 1
    assert db.session.scalar(sa.select(Message.attempts)) == 3


def test_retries_stop_at_the_limit_and_the_failure_is_visible(ctx, twilio):
    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    twilio.transient_failures = 100
    now = utcnow()
    for i in range(outbox.MAX_ATTEMPTS):
        dispatch(now + timedelta(hours=i))
    message = db.session.scalar(sa.select(Message))
    assert message.status == "failed" and message.attempts == outbox.MAX_ATTEMPTS
    assert message.error_message.startswith(f"gave up after {outbox.MAX_ATTEMPTS} attempts")


@pytest.mark.parametrize("bucket, code", [("invalid_numbers", "21211"), ("unsubscribed", "21610")])
def test_permanent_failures_fail_at_once_without_blocking_others(ctx, twilio, bucket, code):
    bad, good = make_person(full_name="Số Sai"), make_person(full_name="Số Đúng")
    getattr(twilio, bucket).add(bad.phone)
    outbox.enqueue(bad, "A", "broadcast")
    outbox.enqueue(good, "B", "broadcast")
    db.session.commit()
    assert dispatch() == {"sent": 1, "retry": 0, "failed": 1, "not_sent": 0}
    statuses = dict(db.session.execute(sa.select(Message.person_id, Message.status)).all())
    assert statuses == {bad.id: "failed", good.id: "sent"}
    assert db.session.scalar(sa.select(Message.error_code).where(Message.person_id == bad.id)) == code


def test_without_twilio_settings_messages_are_marked_not_sent(ctx):
    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    assert dispatch()["not_sent"] == 1
    message = db.session.scalar(sa.select(Message))
    assert message.status == "not_sent" and message.error_message == "not sent: SMS not configured"


def test_signed_status_callbacks_update_delivery_and_never_go_backwards(ctx, twilio, client):
    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    dispatch()
    (url, params, signature), = twilio.callbacks("delivered")
    path = url.replace("https://tcn.example.vn", "")
    assert client.post(path, data=params, headers={"X-Twilio-Signature": "forged"}).status_code == 403
    assert client.post(path, data=params, headers={"X-Twilio-Signature": signature}).status_code == 204
    db.session.commit()
    assert db.session.scalar(sa.select(Message.status)) == "delivered"
    (_u, late, late_sig), = twilio.callbacks("sent")  # a late "sent" after "delivered"
    client.post(path, data=late, headers={"X-Twilio-Signature": late_sig})
    db.session.commit()
    assert db.session.scalar(sa.select(Message.status)) == "delivered"


def test_undelivered_callback_keeps_the_error_code(ctx, twilio, client):
    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    dispatch()
    (url, params, signature), = twilio.callbacks("undelivered", error_code="30003")
    client.post(url.replace("https://tcn.example.vn", ""), data=params, headers={"X-Twilio-Signature": signature})
    db.session.commit()
    assert db.session.execute(sa.select(Message.status, Message.error_code)).one() == ("undelivered", "30003")


def test_the_same_decision_twice_queues_one_message(ctx):
    person = make_person()
    assert outbox.enqueue(person, "Nhắc ca 1", "reminder", dedupe_key="reminder/1/60") is not None
    assert outbox.enqueue(person, "Nhắc ca 1", "reminder", dedupe_key="reminder/1/60") is None
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_a_row_left_sending_by_a_dead_dispatcher_is_picked_up_again(ctx, twilio):
    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    now = utcnow()
    claimed = outbox.claim_due(now=now)  # a dispatcher claims it, then dies before sending
    assert [m.status for m in claimed] == ["sending"]
    assert dispatch(now + timedelta(minutes=1))["sent"] == 0
    assert dispatch(now + timedelta(minutes=16))["sent"] == 1  # it never reached Twilio: sent now


def test_a_claim_takes_its_batch_urgent_first_then_by_due_time(ctx):
    now = utcnow()
    people = [make_person() for _ in range(6)]
    for i, p in enumerate(people):
        outbox.enqueue(p, f"tin {i}", "broadcast", urgent=i in (4, 5), now=now - timedelta(minutes=10 - i))
    outbox.enqueue(make_person(), "later", "reminder", now=now + timedelta(minutes=5))  # not due yet
    db.session.commit()
    first = outbox.claim_due(limit=4, now=now)
    assert [m.body for m in first] == ["tin 4", "tin 5", "tin 0", "tin 1"]
    assert [m.body for m in outbox.claim_due(limit=4, now=now)] == ["tin 2", "tin 3"]
    assert outbox.claim_due(limit=4, now=now) == []


def test_two_dispatchers_at_once_never_send_twice(ctx, twilio):
    people = [make_person() for _ in range(40)]
    for p in people:
        outbox.enqueue(p, "Khẩn: họp giao ban", "broadcast", urgent=True)
    db.session.commit()
    at_once(ctx, 2, lambda: [outbox.dispatch_due(lambda: sms.gateway_from_config(ctx.config), limit=7)
                             for _ in range(10)])
    assert sorted(m["to"] for m in twilio.sent) == sorted(p.phone for p in people)  # each exactly once
    db.session.commit()
    assert set(db.session.scalars(sa.select(Message.status))) == {"sent"}


def test_leads_see_their_province_messages_and_resend_failures(world, client, auth, twilio):
    from tests.factories import HANOI

    twilio.invalid_numbers.add(world.volunteer.person.phone)
    outbox.enqueue(world.volunteer.person, "Nhắc ca", "reminder", province_code=HANOI)
    db.session.commit()
    dispatch()
    failed = db.session.scalar(sa.select(Message))
    auth.as_user(world.lead_a)
    html = client.get("/messages?status=problems").get_data(as_text=True)
    assert "Tình Nguyện Viên" in html and "21211" in html and "Gửi lại" in html
    assert client.post(f"/messages/{failed.id}/resend").status_code == 302
    db.session.commit()
    assert sorted(db.session.scalars(sa.select(Message.status))) == ["failed", "queued"]
    auth.as_user(world.lead_b)
    assert "Tình Nguyện Viên" not in client.get("/messages").get_data(as_text=True)
    assert client.post(f"/messages/{failed.id}/resend").status_code == 404
    auth.as_user(world.volunteer)  # everyone sees what was sent to them, without a resend button
    html = client.get("/messages").get_data(as_text=True)
    assert "Nhắc ca" in html and "Gửi lại" not in html


def test_an_invitation_is_also_queued_as_sms(world, client, auth):
    auth.as_user(world.commune_lead)
    client.post(f"/people/{world.volunteer.person_id}/reset-password")  # the volunteer has a password: a reset
    db.session.commit()
    message = db.session.scalar(sa.select(Message).where(Message.purpose == "invitation"))
    assert message.to_phone == world.volunteer.person.phone and "/invite/" in message.body
    assert sms.segments(message.body).encoding == "GSM-7"


def test_fault_injection_transient_errors_and_a_dispatcher_killed_mid_batch(ctx, twilio):
    """30 % transient failures, and a dispatcher that dies during a request: every message ends
    delivered or failed, and none reaches Twilio twice."""
    import random

    from coordination.sms_sandbox import FakeTwilio

    people = [make_person() for _ in range(30)]
    for p in people:
        outbox.enqueue(p, "Diễn tập", "broadcast")
    db.session.commit()
    rng = random.Random(7)
    original = FakeTwilio._create

    def flaky(self, form):
        if rng.random() < 0.3:
            return self._error(503, 20500, "Service unavailable")
        return original(self, form)

    twilio._create = flaky.__get__(twilio)

    now = utcnow()
    with pytest.raises(Killed):  # Twilio accepts the third; we die before recording its SID
        outbox.dispatch_due(lambda: DiesOnRequest(3, after_sending=True), limit=10, now=now)
    db.session.rollback()
    for minutes in range(16, 16 + 24 * 60, 30):  # later dispatchers, every half hour for a day
        dispatch(now + timedelta(minutes=minutes))
    for url, params, signature in twilio.callbacks("delivered"):
        ctx.test_client().post(url.replace("https://tcn.example.vn", ""), data=params,
                               headers={"X-Twilio-Signature": signature})
    db.session.commit()
    statuses = db.session.execute(sa.select(Message.status, Message.error_message)).all()
    assert {s for s, _e in statuses} <= {"delivered", "failed"}
    assert [e for s, e in statuses if s == "failed"] == [
        "outcome unknown: the dispatcher stopped during the request; check before resending"]
    sent_to = [m["to"] for m in twilio.sent]
    assert len(sent_to) == len(set(sent_to)) == 30  # each once, the uncertain one included


def test_outcomes_already_received_are_kept_when_the_dispatcher_dies(ctx, twilio):
    """Each outcome is committed with the next message's in-flight mark, and the last one on the way
    out: a dispatcher that dies during its third request leaves two sent rows and one in flight."""
    for _ in range(3):
        outbox.enqueue(make_person(), "Diễn tập", "broadcast")
    db.session.commit()

    with pytest.raises(Killed):
        outbox.dispatch_due(lambda: DiesOnRequest(3, after_sending=False))
    db.session.rollback()
    rows = db.session.execute(sa.select(Message.status, Message.provider_sid, Message.in_flight_since)
                              .order_by(Message.id)).all()
    assert [(status, sid is not None, flight is not None) for status, sid, flight in rows] == [
        ("sent", True, False), ("sent", True, False), ("sending", False, True)]

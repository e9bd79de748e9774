"""The SMS outbox through the official twilio client against a fake Twilio server: sending,
retries with backoff, permanent failures, "not configured", signed status callbacks, dedupe."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from coordination import clock
from coordination.messaging import outbox, sms
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

    def send(self, to, body, message_id=None):
        self.calls += 1
        if self.calls == self.n and not self.after_sending:
            raise Killed()
        sid = self.inner.send(to, body, message_id)
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
    assert twilio.sent[0]["status_callback"] == f"https://tcn.example.vn/sms/status?m={message.id}"


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


@pytest.mark.parametrize("lease", [None, 5])
def test_a_row_claimed_by_a_dead_dispatcher_is_sent_by_another_when_its_lease_ends(ctx, twilio, lease):
    if lease:
        ctx.config["OUTBOX_LEASE_SECONDS"] = lease
    seconds = lease or 60  # the default lease
    outbox.enqueue(make_person(), "Nhắc ca", "reminder", urgent=True)
    db.session.commit()
    now = utcnow()
    claimed = outbox.claim_due(now=now)  # a dispatcher claims it, then dies before sending
    assert [m.status for m in claimed] == ["sending"]
    try:
        assert dispatch(now + timedelta(seconds=seconds))["sent"] == 0  # still leased
        assert dispatch(now + timedelta(seconds=seconds + 1))["sent"] == 1  # it never reached Twilio: sent now
    finally:
        ctx.config.pop("OUTBOX_LEASE_SECONDS", None)
    assert len(twilio.sent) == 1


class Stalls:
    """Dispatcher A's gateway: its first request stalls. Meanwhile the clock moves past the lease
    and `meanwhile()` runs (dispatcher B); then A dies, or wakes up and goes on."""

    def __init__(self, meanwhile, then_dies: bool):
        self.inner = sms.gateway_from_config(current_app.config)
        self.meanwhile, self.then_dies, self.calls = meanwhile, then_dies, 0

    def send(self, to, body, message_id=None):
        self.calls += 1
        if self.calls == 1:
            clock.advance(outbox.lease() + timedelta(seconds=1))
            self.meanwhile()
            if self.then_dies:
                raise Killed()
        return self.inner.send(to, body, message_id)


@pytest.fixture
def a_batch(ctx):
    """Three rows dispatcher A will claim in this order: X (urgent, due first), U (urgent), N."""
    clock.set_now(utcnow())
    now = utcnow()
    rows = {}
    for name, urgent, due in (("X", True, 3), ("U", True, 2), ("N", False, 1)):
        rows[name] = outbox.enqueue(make_person(), f"Tin {name}", "escalation", urgent=urgent,
                                    now=now - timedelta(minutes=due))
    db.session.commit()
    return {name: (m.id, m.to_phone) for name, m in rows.items()}


def test_a_dispatcher_that_dies_mid_batch_delays_an_urgent_alert_by_one_lease_and_sends_nothing_twice(
        ctx, twilio, a_batch):
    start = utcnow()
    b = []
    with pytest.raises(Killed):  # A marks X in flight, stalls, dies; B runs a lease later
        outbox.dispatch_due(lambda: Stalls(lambda: b.append(dispatch(utcnow())), then_dies=True), now=start)
    db.session.rollback()
    assert b == [{"sent": 2, "retry": 0, "failed": 0, "not_sent": 0}]  # U, then N: urgent first
    assert [m["to"] for m in twilio.sent] == [a_batch["U"][1], a_batch["N"][1]]
    x = db.session.get(Message, a_batch["X"][0])
    assert (x.status, x.error_message) == ("failed", outbox.OUTCOME_UNKNOWN)  # A may have sent it: visible
    clock.advance(timedelta(hours=1))
    assert dispatch(utcnow())["sent"] == 0  # and never sent again
    assert len(twilio.sent) == 2


def test_a_dispatcher_that_wakes_up_late_cannot_send_rows_another_claimed(ctx, twilio, a_batch):
    start = utcnow()
    claimed_by_b = []
    counts = outbox.dispatch_due(lambda: Stalls(lambda: claimed_by_b.extend(outbox.claim_due(now=utcnow())),
                                                then_dies=False), now=start)
    assert sorted(m.id for m in claimed_by_b) == sorted([a_batch["U"][0], a_batch["N"][0]])
    assert counts["sent"] == 1 and [m["to"] for m in twilio.sent] == [a_batch["X"][1]]  # A: only X
    db.session.rollback()
    x = db.session.get(Message, a_batch["X"][0])
    assert (x.status, x.provider_sid) == ("sent", twilio.sent[0]["sid"])  # what Twilio answered A, recorded
    clock.advance(outbox.lease() + timedelta(seconds=1))  # B died too: its lease ends, C sends U and N
    assert dispatch(utcnow())["sent"] == 2
    assert sorted(m["to"] for m in twilio.sent) == sorted(phone for _id, phone in a_batch.values())  # once each


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

    from dev.sms_sandbox import FakeTwilio

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
    db.session.commit()
    assert db.session.execute(sa.select(Message.error_message).where(Message.status == "failed")).scalars().all() == [
        "outcome unknown: the dispatcher stopped during the request; check before resending"]
    for url, params, signature in twilio.callbacks("delivered"):
        ctx.test_client().post(url.replace("https://tcn.example.vn", ""), data=params,
                               headers={"X-Twilio-Signature": signature})
    db.session.commit()
    # The uncertain one's receipt names it (?m=<id>): it did reach the phone, and now says so.
    assert db.session.execute(sa.select(Message.status, sa.func.count()).group_by(Message.status)).all() == [
        ("delivered", 30)]
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


def test_no_answer_from_twilio_fails_visibly_instead_of_sending_twice(ctx, twilio):
    """A read time-out may come after Twilio accepted the message: it is not retried. A refused
    connection certainly sent nothing: it is."""
    import time

    from dev.sms_sandbox import FakeTwilio

    outbox.enqueue(make_person(), "Khẩn", "escalation", urgent=True)
    db.session.commit()
    original = FakeTwilio._create
    twilio._create = (lambda self, form: (time.sleep(1.0), original(self, form))[1]).__get__(twilio)

    def impatient():
        c = current_app.config
        return sms.TwilioGateway(c["TWILIO_ACCOUNT_SID"], c["TWILIO_AUTH_TOKEN"], c["TWILIO_FROM"], None, None,
                                 c["TWILIO_API_BASE"], timeout=0.3)

    now = utcnow()
    assert outbox.dispatch_due(impatient, now=now)["failed"] == 1
    message = db.session.scalar(sa.select(Message))
    assert message.status == "failed" and message.error_message.startswith(sms.OUTCOME_UNKNOWN)
    time.sleep(1.0)
    assert len(twilio.sent) == 1  # Twilio did accept it
    assert dispatch(now + timedelta(hours=1))["sent"] == 0 and len(twilio.sent) == 1  # never sent again

    outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    ctx.config["TWILIO_API_BASE"] = "http://127.0.0.1:9"  # nothing listens: refused, never sent
    assert dispatch(now + timedelta(hours=2))["retry"] == 1


def test_leads_read_in_vietnamese_that_an_outcome_is_unknown(world, client, auth, twilio):
    from tests.factories import HANOI

    outbox.enqueue(world.volunteer.person, "Khẩn", "escalation", urgent=True, province_code=HANOI)
    db.session.commit()
    now = utcnow()
    with pytest.raises(Killed):  # Twilio accepts it; the dispatcher dies before recording the SID
        outbox.dispatch_due(lambda: DiesOnRequest(1, after_sending=True), now=now)
    db.session.rollback()
    outbox.claim_due(now=now + outbox.IN_FLIGHT_LIMIT + timedelta(seconds=1))
    auth.as_user(world.lead_a)
    html = client.get("/messages?status=problems").get_data(as_text=True)
    assert "Không rõ kết quả: tin này có thể đã đến máy người nhận" in html and "Gửi lại" in html


def test_every_message_row_is_built_by_the_outbox_constructor():
    """One way into the outbox (issue 17): a new channel or purpose plugs in at outbox.Outgoing /
    put / put_many / put_select, so no other module inserts into messages itself."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "coordination"
    writers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if p.name != "outbox.py" and re.search(r"insert\(Message\)|\bMessage\(", p.read_text()))
    assert writers == []

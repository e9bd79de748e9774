"""Web Push (issue 20 §2): the server's send path through pywebpush against a local push service that
checks the VAPID signature and decrypts the aes128gcm payload (dev/fake_push.py); the subscription
API; the acknowledgement a notification's action POSTs."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import current_app
from py_vapid import Vapid

from coordination.duty import alerts, rota
from coordination.messaging import push, push_devices
from coordination.org import teams
from models import Message, PushSubscription, db
from tests.factories import make_person

T = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)  # the shift starts 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)


def _new_key() -> str:
    vapid = Vapid()
    vapid.generate_keys()
    return vapid.private_pem().decode()


@pytest.fixture
def fake_push(ctx):
    """A running fake push service, and the app configured with a VAPID key and allowed to reach it."""
    from dev.fake_push import FakePush

    fake = FakePush().start()
    keys = ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "PUSH_INSECURE_ORIGINS", "PUBLIC_BASE_URL")
    saved = {k: ctx.config.get(k) for k in keys}
    ctx.config.update(VAPID_PRIVATE_KEY=_new_key(), VAPID_PUBLIC_KEY="", PUSH_INSECURE_ORIGINS=(fake.url,),
                      PUBLIC_BASE_URL="https://tcn.example.vn")
    fake.app_key = push.public_key()
    yield fake
    ctx.config.update(saved)
    fake.stop()


@pytest.fixture
def escalation(world):
    """A no-show shift escalated to its backup: the backup's escalation message."""
    backup = make_person(full_name="Người Dự Phòng")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    alerts.tick(T + timedelta(minutes=10))
    message = db.session.scalar(sa.select(Message).where(Message.person_id == backup.id,
                                                         Message.purpose == "escalation"))
    return message, backup


def _device(fake, person, key=None):
    sub = fake.subscribe(key or fake.app_key)
    push_devices.subscribe(person.id, sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"], "Chrome test")
    db.session.commit()
    return sub


def _count(person) -> int:
    return push_devices.device_count(person.id)


def test_an_escalation_reaches_the_device_signed_encrypted_with_its_acknowledgement(escalation, fake_push, client):
    message, backup = escalation
    _device(fake_push, backup)
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.devices, outcome.sent, outcome.gone) == ("sent", 1, 1, 0)
    [got] = fake_push.received  # the push service verified the JWT against the key and decrypted the body
    assert got["claims"]["aud"] == fake_push.url and got["claims"]["sub"] == "mailto:tcn@localhost"
    assert (got["urgency"], got["ttl"]) == ("high", "900")
    data = got["json"]
    token = alerts.ack_token(message.id)
    assert data["body"].startswith("[TCN] Tình Nguyện Viên (0987 654 321) chưa vào ca trực Tổ ")
    assert "http" not in data["body"]  # the SMS's link is the notification's action instead
    assert data["ack"] == f"https://tcn.example.vn/a/{token}/ack" and data["url"] == f"https://tcn.example.vn/a/{token}"
    assert [a["title"] for a in data["actions"]] == ["Nhận xử lý", "Mở"]
    assert data["tag"] == f"shift-{message.shift_id}" and data["urgent"] is True
    assert db.session.get(PushSubscription, 1).last_success_at == T

    answer = client.post(f"/a/{token}/ack")  # what the "Nhận xử lý" action POSTs: no login, no CSRF token
    assert answer.status_code == 200 and answer.get_json()["status"] == "acknowledged"
    assert db.session.get(Message, message.id).acknowledged_at is not None
    assert alerts.tick(T + timedelta(minutes=20))["escalations"] == 0  # nobody else is alerted
    assert client.post(f"/a/{token}/ack").get_json()["status"] == "acknowledged"  # a second tap: still fine


def test_410_and_404_remove_the_device_and_a_working_one_still_gets_it(escalation, fake_push):
    message, backup = escalation
    gone, lost, working = _device(fake_push, backup), _device(fake_push, backup), _device(fake_push, backup)
    fake_push.answer(gone, 410)
    fake_push.answer(lost, 404)
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.devices, outcome.sent, outcome.gone) == ("sent", 3, 1, 2)
    assert [s.endpoint for s in push_devices.devices(backup.id)] == [working["endpoint"]]
    fake_push.answer(working, 410)
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.gone, outcome.code, outcome.transient) == ("gone", 1, "410", False)
    assert _count(backup) == 0
    assert push.send_push_message(message).status == "no_device"


def test_a_wrong_vapid_key_is_refused_by_the_push_service_and_the_device_is_kept(escalation, fake_push, ctx):
    message, backup = escalation
    _device(fake_push, backup)
    ctx.config["VAPID_PRIVATE_KEY"] = _new_key()  # not the key the browser subscribed with
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.code, outcome.transient) == ("failed", "403", False)
    assert fake_push.refused[-1]["why"] == "k is not the key this subscription was made with"
    assert not fake_push.received and _count(backup) == 1


@pytest.mark.parametrize("status, transient", [(500, True), (503, True), (429, True), (413, False), (400, False)])
def test_failures_carry_the_push_services_code(escalation, fake_push, status, transient):
    message, backup = escalation
    fake_push.answer(_device(fake_push, backup), status)
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.code, outcome.transient) == ("failed", str(status), transient)
    assert _count(backup) == 1


def test_an_unreachable_push_service_is_a_transient_connection_failure(escalation, fake_push, ctx):
    message, backup = escalation
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    sub = fake_push.subscribe(fake_push.app_key)
    ctx.config["PUSH_INSECURE_ORIGINS"] = (fake_push.url, closed)
    push_devices.subscribe(backup.id, closed + "/push/x", sub["keys"]["p256dh"], sub["keys"]["auth"])
    db.session.commit()
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.code, outcome.transient) == ("failed", "connection", True)


def test_a_push_service_that_does_not_answer_in_time_is_a_transient_timeout(escalation, fake_push, ctx,
                                                                             monkeypatch):
    message, backup = escalation
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection (the kernel does), never answers
    origin = f"http://127.0.0.1:{silent.getsockname()[1]}"
    sub = fake_push.subscribe(fake_push.app_key)
    ctx.config["PUSH_INSECURE_ORIGINS"] = (fake_push.url, origin)
    push_devices.subscribe(backup.id, origin + "/push/x", sub["keys"]["p256dh"], sub["keys"]["auth"])
    db.session.commit()
    monkeypatch.setattr(push, "REQUEST_TIMEOUT", 0.3)
    try:
        outcome = push.send_push_message(message)
    finally:
        silent.close()
    assert (outcome.status, outcome.code, outcome.transient) == ("failed", "timeout", True)
    assert _count(backup) == 1  # kept: a slow service is not a gone subscription


def test_without_a_vapid_key_push_is_off_and_says_so(escalation, fake_push, ctx, client, auth, world):
    message, backup = escalation
    _device(fake_push, backup)
    ctx.config["VAPID_PRIVATE_KEY"] = ""
    outcome = push.send_push_message(message)
    assert (outcome.status, outcome.code, outcome.transient) == ("failed", "not_configured", False)
    auth.as_user(world.volunteer)
    assert client.get("/api/v1/push").get_json() == {"enabled": False, "public_key": None, "devices": 0}
    ctx.config["VAPID_PUBLIC_KEY"] = "BAAA"  # a public key that is not the private key's half: off too
    ctx.config["VAPID_PRIVATE_KEY"] = _new_key()
    assert push.public_key() is None


def test_a_long_text_is_cut_to_fit_the_push_services_limit(escalation, fake_push):
    message, backup = escalation
    _device(fake_push, backup)
    message.body = "Tổ trực ca đêm cần người thay gấp. " * 45  # 1,575 characters, ~2,200 bytes of UTF-8 …
    message.body += "ữ" * 20
    outcome = push.send_push_message(message)
    assert outcome.status == "sent"
    [got] = fake_push.received
    assert len(got["payload"]) <= push.MAX_PAYLOAD and got["json"]["body"].startswith("Tổ trực ca đêm")


def test_a_reminder_opens_the_duty_app_and_has_no_acknowledgement(world, fake_push):
    from coordination.messaging import outbox

    person = world.volunteer.person
    message = outbox.enqueue(person, "[TCN] Nhắc ca trực Tổ X 08:00–16:00, còn 10 phút. Vào ca: https://tcn.example.vn/duty/",
                             "reminder")
    db.session.commit()
    _device(fake_push, person)
    assert push.send_push_message(message).status == "sent"
    data = fake_push.payloads()[0]
    assert data["ack"] is None and [a["action"] for a in data["actions"]] == ["open"]
    assert data["url"] == "https://tcn.example.vn/duty/" and fake_push.received[0]["urgency"] == "normal"


# --- the subscription API ----------------------------------------------------------------------

def test_the_duty_app_subscribes_and_unsubscribes_this_device(world, fake_push, client, auth):
    auth.as_user(world.volunteer)
    state = client.get("/api/v1/push").get_json()
    assert state == {"enabled": True, "public_key": fake_push.app_key, "devices": 0}
    sub = fake_push.subscribe(state["public_key"])
    answer = client.post("/api/v1/push/subscriptions", json=sub, headers={"User-Agent": "Chrome/131 Android"})
    assert answer.status_code == 201 and answer.get_json()["devices"] == 1
    assert client.post("/api/v1/push/subscriptions", json=sub, headers={"User-Agent": "Chrome/132 Android"}
                       ).status_code == 201  # again (the browser updated): still one device
    [row] = push_devices.devices(world.volunteer.person_id)
    assert (row.endpoint, row.user_agent) == (sub["endpoint"], "Chrome/132 Android")
    assert client.delete("/api/v1/push/subscriptions", json={"endpoint": sub["endpoint"]}).get_json()["removed"] is True
    assert _count(world.volunteer.person) == 0


def test_another_person_cannot_remove_my_device_and_a_shared_phone_follows_the_last_login(world, fake_push, client,
                                                                                          auth):
    mine = _device(fake_push, world.volunteer.person)
    auth.as_user(world.commune_lead)
    assert client.delete("/api/v1/push/subscriptions", json={"endpoint": mine["endpoint"]}).get_json()["removed"] is False
    assert _count(world.volunteer.person) == 1
    assert client.post("/api/v1/push/subscriptions", json=mine).status_code == 201  # the lead signed in on that phone
    assert _count(world.volunteer.person) == 0 and _count(world.commune_lead.person) == 1


@pytest.mark.parametrize("change, status, field", [
    ({"endpoint": "https://evil.example.com/push/1"}, 422, "endpoint"),
    ({"endpoint": "http://10.0.0.1:8080/admin"}, 422, "endpoint"),
    ({"endpoint": "https://fcm.googleapis.com.evil.io/x"}, 422, "endpoint"),
    ({"endpoint": "https://user@fcm.googleapis.com/x"}, 422, "endpoint"),
    ({"endpoint": "http://[fcm.googleapis.com/x"}, 422, "endpoint"),
    ({"endpoint": "https://fcm.googleapis.com:port/x"}, 422, "endpoint"),
    ({"endpoint": "https://fcm.googleapis.com:22/x"}, 422, "endpoint"),  # a push service listens on 443
    ({"endpoint": "https://fcm.googleapis.com/x\n"}, 400, "endpoint"),  # "x" and "x\n" are not two devices
    ({"keys": {"p256dh": "B" * 87 + "\n", "auth": "A" * 22}}, 400, "keys.p256dh"),
    ({"endpoint": "javascript:alert(1)"}, 400, "endpoint"),
    ({"endpoint": "https://fcm.googleapis.com/" + "x" * 1000}, 400, "endpoint"),
    ({"endpoint": None}, 400, "endpoint"),
    ({"keys": {"p256dh": "A" * 87, "auth": "A" * 22}}, 422, "keys.p256dh"),
    ({"keys": {"p256dh": "short", "auth": "A" * 22}}, 400, "keys.p256dh"),
    ({"keys": {"auth": "A" * 22}}, 400, "keys.p256dh"),
    ({"keys": "nope"}, 400, "keys.p256dh"),
])
def test_a_bad_subscription_is_refused_naming_the_field(world, fake_push, client, auth, change, status, field):
    auth.as_user(world.volunteer)
    sub = fake_push.subscribe(fake_push.app_key)
    answer = client.post("/api/v1/push/subscriptions", json=dict(sub, **change))
    assert answer.status_code == status and answer.get_json()["field"] == field, answer.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


def test_forgetting_a_device_needs_its_endpoint(world, fake_push, client, auth):
    auth.as_user(world.volunteer)
    for body in ({}, {"endpoint": None}, {"endpoint": "not a url"}):
        answer = client.delete("/api/v1/push/subscriptions", json=body)
        assert answer.status_code == 400 and answer.get_json()["field"] == "endpoint"


def test_a_real_push_services_endpoint_is_accepted(world, fake_push, client, auth):
    auth.as_user(world.volunteer)
    sub = fake_push.subscribe(fake_push.app_key)
    sub["endpoint"] = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bH"
    assert client.post("/api/v1/push/subscriptions", json=sub).status_code == 201


def test_the_subscription_api_needs_a_login(client, fake_push):
    assert client.get("/api/v1/push").status_code == 401
    assert client.post("/api/v1/push/subscriptions", json={}).status_code == 401


def test_a_person_keeps_at_most_ten_devices(world, fake_push):
    person = world.volunteer.person
    first = [_device(fake_push, person) for _ in range(push_devices.MAX_DEVICES)]
    _device(fake_push, person)
    endpoints = {s.endpoint for s in push_devices.devices(person.id)}
    assert len(endpoints) == push_devices.MAX_DEVICES and first[0]["endpoint"] not in endpoints


# --- the acknowledgement a notification's action POSTs -------------------------------------------

def test_the_notification_acknowledgement_answers_invalid_taken_and_over(escalation, world, client):
    from coordination import clock

    message, backup = escalation
    token = alerts.ack_token(message.id)
    assert client.post(f"/a/{token[:-1]}x/ack").status_code == 404
    assert client.post("/a/zzzz/ack").get_json()["status"] == "invalid"
    alerts.tick(T + timedelta(minutes=20))  # the commune lead is alerted too, and takes it first
    lead_message = db.session.scalar(sa.select(Message).where(Message.person_id == world.commune_lead.person_id,
                                                              Message.purpose == "escalation"))
    assert client.post(f"/a/{alerts.ack_token(lead_message.id)}/ack").status_code == 200
    taken = client.post(f"/a/{token}/ack")
    assert taken.status_code == 409 and taken.get_json()["name"] == "Tổ Trưởng Xã"
    assert "Tổ Trưởng Xã" in taken.get_json()["text"]
    assert db.session.get(Message, message.id).acknowledged_at is None
    clock.set_now(T + timedelta(hours=9))
    assert client.post(f"/a/{token}/ack").status_code == 410


def test_an_escalation_to_a_subscribed_person_goes_out_as_a_push_too_through_the_dispatcher(world, fake_push, twilio,
                                                                                            client):
    """The escalation step queues a push row beside the SMS for a person with a device; the
    dispatcher sends both (the push through the fake push service, the SMS through the fake
    Twilio); "Nhận xử lý" on the notification stops the escalation."""
    from coordination.messaging.outbox import dispatch_due
    from coordination.messaging.sms import gateway_from_config

    backup = make_person(full_name="Người Dự Phòng")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    _device(fake_push, backup)
    alerts.tick(T + timedelta(minutes=10))
    rows = db.session.scalars(sa.select(Message).where(Message.person_id == backup.id,
                                                       Message.purpose == "escalation").order_by(Message.id)).all()
    assert [r.channel for r in rows] == ["sms", "push"]
    # the default chain: the push at once, the SMS 2 minutes later (test_contacts.py)
    counts = dispatch_due(lambda: gateway_from_config(current_app.config), now=T + timedelta(minutes=12))
    assert counts["sent"] >= 2
    sms, pushed = (db.session.get(Message, r.id) for r in rows)
    db.session.refresh(sms), db.session.refresh(pushed)
    assert sms.status == "sent" and pushed.status == "delivered"
    [got] = fake_push.received
    token = alerts.ack_token(pushed.id)
    assert got["json"]["ack"].endswith(f"/a/{token}/ack")
    assert client.post(f"/a/{token}/ack").get_json()["status"] == "acknowledged"
    assert alerts.tick(T + timedelta(minutes=20))["escalations"] == 0


def test_without_a_device_the_escalation_queues_no_push(escalation, fake_push):
    message, backup = escalation
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.person_id == backup.id, Message.channel == "push")) == 0


"""A push subscription the browser rotated (issue 20 §2, the service worker's pushsubscriptionchange):
POST /api/v1/push/renewals puts the new subscription in the old one's place, with no session — the
old subscription's endpoint and auth secret are the credential. What an attacker could try: a guessed
or stale credential, a new endpoint of their choosing, replaying a renewal. The browser side is
tests/test_push_browser.py."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordination.messaging import push, push_devices
from models import Message, PushSubscription, db
from tests.test_push import T, _count, _device, fake_push  # noqa: F401 - the fixture

pytestmark = pytest.mark.clock_at(T)
RENEW = "/api/v1/push/renewals"


def _renewal(old: dict, new: dict) -> dict:
    return {"old": {"endpoint": old["endpoint"], "auth": old["keys"]["auth"]}, "subscription": new}


def _endpoints(person) -> list[str]:
    return [d.endpoint for d in push_devices.devices(person.id)]


def test_the_new_subscription_takes_the_old_ones_place_without_a_session_and_pushes_reach_it(world, fake_push,
                                                                                              client, ctx):
    person = world.volunteer.person
    old = _device(fake_push, person)
    new = fake_push.subscribe(fake_push.app_key)
    ctx.config["WTF_CSRF_ENABLED"] = True  # as in production: still no CSRF token needed (no cookie is trusted)
    try:
        answer = client.post(RENEW, json=_renewal(old, new), headers={"User-Agent": "Firefox/133"})
    finally:
        ctx.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code == 200 and answer.get_json()["renewed"] is True
    db.session.expire_all()
    assert _endpoints(person) == [new["endpoint"]]  # the same person's, one device
    message = Message(person_id=person.id, to_phone=person.phone, body="[TCN] Họp Tổ lúc 19:00", purpose="broadcast",
                      status="queued", attempts=0, next_attempt_at=T)
    db.session.add(message)
    db.session.commit()
    assert push.send_push_message(message).status == "sent"
    [received] = fake_push.received  # decrypted with the new subscription's keys
    assert received["device"] == new["endpoint"].rsplit("/", 1)[1] and received["json"]["body"] == "[TCN] Họp Tổ lúc 19:00"


def test_a_wrong_secret_an_unknown_endpoint_and_a_replayed_renewal_look_the_same(world, fake_push, client):
    person = world.volunteer.person
    old = _device(fake_push, person)
    new, other = fake_push.subscribe(fake_push.app_key), fake_push.subscribe(fake_push.app_key)
    wrong = dict(old, keys=dict(old["keys"], auth="B" * 22))
    unknown = fake_push.subscribe(fake_push.app_key)
    answers = [client.post(RENEW, json=_renewal(wrong, new)), client.post(RENEW, json=_renewal(unknown, new))]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].get_json()["error"] == answers[1].get_json()["error"]
    db.session.expire_all()
    assert _endpoints(person) == [old["endpoint"]]  # untouched
    assert client.post(RENEW, json=_renewal(old, new)).status_code == 200
    assert client.post(RENEW, json=_renewal(old, other)).status_code == 404  # the old credential is spent
    db.session.expire_all()
    assert _endpoints(person) == [new["endpoint"]]


@pytest.mark.parametrize("endpoint", ["https://evil.example.com/push/1", "http://10.0.0.1:8080/admin"])
def test_the_new_endpoint_must_be_a_known_push_service(world, fake_push, client, endpoint):
    old = _device(fake_push, world.volunteer.person)
    new = dict(fake_push.subscribe(fake_push.app_key), endpoint=endpoint)
    answer = client.post(RENEW, json=_renewal(old, new))
    assert answer.status_code == 422 and answer.get_json()["field"] == "endpoint"
    db.session.expire_all()
    assert _endpoints(world.volunteer.person) == [old["endpoint"]]


@pytest.mark.parametrize("body, field", [
    ({"old": {"endpoint": "x", "auth": "A" * 22}}, "old.endpoint"),
    ({"old": {"auth": "A" * 22}}, "old.endpoint"),
    ({"old": {"endpoint": "https://fcm.googleapis.com/x", "auth": "short"}}, "old.auth"),
    ({"old": "nope"}, "old.endpoint"),
])
def test_a_malformed_renewal_is_refused_naming_the_field(world, fake_push, client, body, field):
    old = _device(fake_push, world.volunteer.person)
    answer = client.post(RENEW, json=dict({"subscription": fake_push.subscribe(fake_push.app_key)}, **body))
    assert answer.status_code == 400 and answer.get_json()["field"] == field, answer.get_json()
    db.session.expire_all()
    assert _endpoints(world.volunteer.person) == [old["endpoint"]]


def test_when_the_page_already_sent_the_new_subscription_the_old_one_just_goes(world, fake_push, client, auth):
    person = world.volunteer.person
    old = _device(fake_push, person)
    new = fake_push.subscribe(fake_push.app_key)
    auth.as_user(world.volunteer)
    assert client.post("/api/v1/push/subscriptions", json=new).status_code == 201
    auth.logout()
    assert client.post(RENEW, json=_renewal(old, new)).status_code == 200
    db.session.expire_all()
    assert _endpoints(person) == [new["endpoint"]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 1


def test_the_other_push_routes_still_need_a_session(world, fake_push, client):
    sub = fake_push.subscribe(fake_push.app_key)
    assert client.post("/api/v1/push/subscriptions", json=sub).status_code == 401
    assert client.get("/api/v1/push").status_code == 401
    assert _count(world.volunteer.person) == 0

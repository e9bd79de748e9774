"""Pushes through the dispatcher at volume (issue 20: ≤ 2 ms of our CPU a push): one VAPID token per
push service origin, reused until shortly before its exp; the batch's devices read once and their
last_success_at written once per batch (and at most once a day); 404/410 and failures as before."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.messaging import outbox, push
from coordination.messaging.sms import NotConfigured
from models import Message, PushSubscription, db
from tests.factories import make_person
from tests.test_push import T, _device, fake_push  # noqa: F401 - the fixture

pytestmark = pytest.mark.clock_at(T)


def _claims(authorization: str) -> dict:
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _no_twilio():
    raise NotConfigured("no Twilio in this test")


def _queue_pushes(people, urgent=False) -> list[int]:
    ids = [outbox.put(outbox.Outgoing(p.id, p.phone, "[TCN] Họp Tổ lúc 19:00.", "broadcast", urgent,
                                      channel="push")).id for p in people]
    db.session.commit()
    return ids


def test_one_vapid_token_serves_an_origin_until_shortly_before_its_exp(fake_push):
    vapid, public = push.vapid_keys()
    t0 = 1_800_000_000.0
    first = push.vapid_headers(vapid, public, fake_push.url, "mailto:a@b.vn", now=t0)
    assert _claims(first["Authorization"])["exp"] == int(t0) + push.VAPID_LIFETIME
    renew_at = t0 + push.VAPID_LIFETIME - push.VAPID_RENEW
    assert push.vapid_headers(vapid, public, fake_push.url, "mailto:a@b.vn", now=renew_at - 1) is first
    other_origin = push.vapid_headers(vapid, public, "https://fcm.googleapis.com", "mailto:a@b.vn", now=t0)
    assert _claims(other_origin["Authorization"])["aud"] == "https://fcm.googleapis.com"
    renewed = push.vapid_headers(vapid, public, fake_push.url, "mailto:a@b.vn", now=renew_at)
    assert renewed["Authorization"] != first["Authorization"]
    assert _claims(renewed["Authorization"])["exp"] == int(renew_at) + push.VAPID_LIFETIME
    # Whenever it is asked, as time goes on, the token it gives has at least VAPID_RENEW left before its exp.
    second_renewal = renew_at + push.VAPID_LIFETIME - push.VAPID_RENEW
    for now in (renew_at + 5 * 3600, second_renewal - 1, second_renewal, t0 + 3 * push.VAPID_LIFETIME):
        header = push.vapid_headers(vapid, public, fake_push.url, "mailto:a@b.vn", now=now)
        exp = _claims(header["Authorization"])["exp"]
        assert now + push.VAPID_RENEW <= exp <= now + push.VAPID_LIFETIME


def test_the_dispatcher_pushes_a_batch_with_one_token_and_stamps_the_devices(world, fake_push):
    people = [make_person(full_name=f"Người {i}") for i in range(3)]
    db.session.commit()
    for p in people:
        _device(fake_push, p)
    ids = _queue_pushes(people)
    counts = outbox.dispatch_due(_no_twilio, now=T)
    assert counts["sent"] == 3
    assert [db.session.get(Message, i).status for i in ids] == ["delivered"] * 3
    assert len(fake_push.received) == 3 and not fake_push.refused  # the push service took the one token
    assert len({r["authorization"] for r in fake_push.received}) == 1
    db.session.expire_all()
    stamps = db.session.scalars(sa.select(PushSubscription.last_success_at).order_by(PushSubscription.id)).all()
    assert stamps == [T, T, T]


def test_last_success_is_written_at_most_once_a_day(world, fake_push):
    recent, old = make_person(full_name="Mới"), make_person(full_name="Cũ")
    db.session.commit()
    _device(fake_push, recent), _device(fake_push, old)
    hour_ago, two_days_ago = T - timedelta(hours=1), T - timedelta(days=2)
    for person, when in ((recent, hour_ago), (old, two_days_ago)):
        db.session.execute(sa.update(PushSubscription).where(PushSubscription.person_id == person.id)
                           .values(last_success_at=when))
    db.session.commit()
    _queue_pushes([recent, old])
    assert outbox.dispatch_due(_no_twilio, now=T)["sent"] == 2
    db.session.expire_all()
    got = dict(db.session.execute(sa.select(PushSubscription.person_id, PushSubscription.last_success_at)).all())
    assert got == {recent.id: hour_ago, old.id: T}


def test_through_the_dispatcher_gone_devices_go_and_failures_show_their_code(world, fake_push):
    gone_person, busy_person = make_person(full_name="Đã Gỡ"), \
        make_person(full_name="Bận")
    db.session.commit()
    gone, busy = _device(fake_push, gone_person), _device(fake_push, busy_person)
    fake_push.answer(gone, 410)
    fake_push.answer(busy, 503)
    gone_id, busy_id = _queue_pushes([gone_person, busy_person])
    counts = outbox.dispatch_due(_no_twilio, now=T)
    assert (counts["failed"], counts["retry"]) == (1, 1)
    gone_row, busy_row = db.session.get(Message, gone_id), db.session.get(Message, busy_id)
    db.session.refresh(gone_row), db.session.refresh(busy_row)
    assert (gone_row.status, gone_row.error_code) == ("failed", "410")
    assert (busy_row.status, busy_row.error_code) == ("queued", "503")  # transient: tried again later
    assert busy_row.next_attempt_at > T
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)
                             .where(PushSubscription.person_id == gone_person.id)) == 0
    assert db.session.scalar(sa.select(PushSubscription.last_success_at)
                             .where(PushSubscription.person_id == busy_person.id)) is None


def test_pushes_reuse_one_kept_alive_connection_to_a_push_service(world, ctx):
    """A real push service keeps the connection open: the pushes after the first need no new one
    (dev/fake_push.py with keep_alive, as bench/bench_push_dispatch.py --keep-alive)."""
    from dev.fake_push import FakePush

    from tests.test_push import _new_key

    fake = FakePush().start(keep_alive=True)
    saved = {k: ctx.config.get(k) for k in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "PUSH_INSECURE_ORIGINS")}
    ctx.config.update(VAPID_PRIVATE_KEY=_new_key(), VAPID_PUBLIC_KEY="", PUSH_INSECURE_ORIGINS=(fake.url,))
    try:
        fake.app_key = push.public_key()
        people = [make_person(full_name=f"Người {i}") for i in range(3)]
        db.session.commit()
        for p in people:
            _device(fake, p)
        _queue_pushes(people)
        assert outbox.dispatch_due(_no_twilio, now=T)["sent"] == 3
        assert len(fake.received) == 3 and not fake.refused
        assert fake.connections == 1  # one TCP connection for the three pushes
    finally:
        ctx.config.update(saved)
        fake.stop()

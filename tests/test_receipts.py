"""Delivery receipts are never lost: the status rule, receipts kept for SIDs not yet written, and the
fake Twilio server posting real signed callbacks to a live app server — immediately (before its 201
is answered), late, twice, out of order, or all of those at random — with the real twilio client."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from coordination.messaging import outbox, receipts, sms
from coordination.clock import utcnow
from models import Message, db
from models.messages import DELIVERED, FAILED, NOT_SENT, QUEUED, SENDING, SENT, STATUSES, UNDELIVERED, EarlyReceipt
from tests.factories import make_person


@pytest.mark.parametrize("current, incoming, after", [
    (SENT, DELIVERED, DELIVERED), (DELIVERED, SENT, DELIVERED),  # a late "sent" never undoes "delivered"
    (SENDING, SENT, SENT), (QUEUED, DELIVERED, DELIVERED), (SENT, SENT, SENT),
    (DELIVERED, UNDELIVERED, DELIVERED), (UNDELIVERED, DELIVERED, UNDELIVERED),  # the first final stays
    (FAILED, DELIVERED, FAILED), (NOT_SENT, SENT, NOT_SENT), (None, SENT, SENT), (SENT, "bogus", SENT)])
def test_a_status_only_moves_forward(current, incoming, after):
    assert receipts.advance_status(current, incoming) == after


def test_the_database_applies_the_same_rule(ctx):
    message = outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    message.provider_sid = "SM1"
    db.session.commit()
    for current in STATUSES:
        for incoming in STATUSES:
            db.session.execute(sa.update(Message).values(status=current))
            db.session.execute(receipts.BY_SID, {"r_sid": "SM1", "r_status": incoming, "r_code": None,
                                                 "r_at": utcnow()})
            assert db.session.scalar(sa.select(Message.status)) == receipts.advance_status(current, incoming), \
                (current, incoming)
    db.session.rollback()


def test_a_receipt_for_an_unknown_sid_is_kept_then_applied_when_the_sid_is_written(ctx):
    message = outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    assert receipts.record("SMearly", "sent") == "kept"
    assert receipts.record("SMearly", "undelivered", "30003") == "kept"
    assert receipts.record("SMearly", "sent") == "kept"  # late and repeated: the kept one stays undelivered
    assert db.session.execute(sa.select(EarlyReceipt.status, EarlyReceipt.error_code)).all() == [
        ("undelivered", "30003")]
    db.session.execute(sa.update(Message).values(provider_sid="SMearly", status=SENT))  # the dispatcher's outcome
    db.session.commit()
    with db.engine.connect() as conn:
        assert receipts.apply_early(conn, "SMearly") == 1
        conn.commit()
    db.session.expire_all()
    assert (message.status, message.error_code) == ("undelivered", "30003")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EarlyReceipt)) == 0
    assert receipts.record("SMearly", "delivered") == "applied"  # known now; final stays final
    assert db.session.get(Message, message.id).status == "undelivered"
    assert receipts.record("", "sent") == receipts.record("SMearly", "bogus") == "ignored"


def test_the_sweep_applies_what_is_left_and_forgets_old_unknown_receipts(ctx):
    message = outbox.enqueue(make_person(), "Nhắc ca", "reminder")
    db.session.commit()
    now = utcnow()
    receipts.record("SMlate", "delivered", now=now)
    receipts.record("SMnever", "delivered", now=now)
    db.session.execute(sa.update(Message).values(provider_sid="SMlate", status=SENT))
    db.session.commit()
    assert receipts.sweep(now + timedelta(minutes=1)) == {"applied": 1, "forgotten": 0}
    assert db.session.get(Message, message.id).status == "delivered"
    assert receipts.sweep(now + receipts.KEEP_UNKNOWN + timedelta(minutes=1)) == {"applied": 0, "forgotten": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EarlyReceipt)) == 0


@pytest.fixture
def callbacks_to(twilio, live_server, ctx):
    """The fake Twilio server posts its callbacks to a live app server (PUBLIC_BASE_URL)."""
    saved = ctx.config["PUBLIC_BASE_URL"]
    ctx.config["PUBLIC_BASE_URL"] = live_server

    def use(mode: str, **faults):
        twilio.callback_mode = mode
        for name, value in faults.items():
            setattr(twilio, name, value)
        return twilio

    yield use
    twilio.wait_callbacks()
    ctx.config["PUBLIC_BASE_URL"] = saved


def dispatch(now=None):
    return outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config), limit=50, now=now)


def final_statuses() -> dict[str, int]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(Message.status, sa.func.count()).group_by(Message.status)).all())


@pytest.mark.parametrize("mode", ["immediate", "delayed", "duplicate", "reorder", "chaos"])
def test_every_receipt_reaches_its_message_however_callbacks_arrive(ctx, callbacks_to, mode):
    fake = callbacks_to(mode, callback_seed=16)
    for _ in range(12):
        outbox.enqueue(make_person(), "Khẩn: nước lên", "broadcast", urgent=True)
    db.session.commit()
    assert dispatch()["sent"] == 12
    fake.wait_callbacks()
    answers = {entry["answer"] for entry in fake.callback_log}
    per_message = {sum(e["sid"] == m["sid"] for e in fake.callback_log) for m in fake.sent}
    assert answers == {204} and per_message <= {"duplicate": {4}, "chaos": {2, 4}}.get(mode, {2})
    assert final_statuses() == {"delivered": 12}  # delivered == sent; none stuck at "sent", none went back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EarlyReceipt)) == 0


def test_under_transient_errors_and_chaotic_callbacks_each_message_is_sent_once_and_delivered(ctx, callbacks_to):
    fake = callbacks_to("chaos", callback_seed=7, transient_rate=0.3)
    people = [make_person() for _ in range(30)]
    for p in people:
        outbox.enqueue(p, "Diễn tập", "broadcast")
    db.session.commit()
    now = utcnow()
    for minutes in range(0, 24 * 60, 30):  # a dispatcher every half hour for a day: retries with backoff
        dispatch(now + timedelta(minutes=minutes))
    fake.wait_callbacks()
    sent_to = [m["to"] for m in fake.sent]
    assert sorted(sent_to) == sorted(p.phone for p in people)  # each exactly once
    assert final_statuses() == {"delivered": 30}


@pytest.mark.parametrize("mode", ["immediate", "chaos"])
def test_three_dispatchers_at_once_lose_no_receipt(ctx, callbacks_to, mode):
    from tests.factories import at_once

    fake = callbacks_to(mode, callback_seed=3)
    people = [make_person() for _ in range(45)]
    for p in people:
        outbox.enqueue(p, "Khẩn: họp giao ban", "broadcast", urgent=True)
    db.session.commit()
    at_once(ctx, 3, lambda: [outbox.dispatch_due(lambda: sms.gateway_from_config(ctx.config), limit=7)
                             for _ in range(4)])
    fake.wait_callbacks()
    assert sorted(m["to"] for m in fake.sent) == sorted(p.phone for p in people)  # each exactly once
    assert final_statuses() == {"delivered": 45}

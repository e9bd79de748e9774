"""Escalation that repeats (issue 20 §3): the whole policy runs again up to ESCALATION_REPEATS
times until someone acknowledges; rate limits per person and channel defer, never drop."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination import clock
from coordination.duty import alerts, rota
from coordination.messaging import rate_limits
from coordination.messaging.outbox import dispatch_due
from coordination.messaging.sms import gateway_from_config
from coordination.org import teams
from models import Message, db
from tests.factories import make_person

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)
M = timedelta(minutes=1)


@pytest.fixture
def staffed(world):
    backup = make_person(full_name="Người Dự Phòng")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    return shift, backup


@pytest.fixture
def repeats(ctx):
    def set_to(n):
        ctx.config["ESCALATION_REPEATS"] = n
    yield set_to
    ctx.config["ESCALATION_REPEATS"] = 1


def sms_to(person_id) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Message).where(
        Message.person_id == person_id, Message.purpose == "escalation", Message.channel == "sms").order_by(Message.id)))


def test_the_steps_run_again_by_the_clock():
    end = T + timedelta(hours=8)
    assert alerts.escalation_step(T, end, T + 40 * M) == 3  # once: the province step is the last
    assert alerts.escalation_step(T, end, T + 40 * M, repeats=2) == 4
    assert alerts.escalation_step(T, end, T + 90 * M, repeats=2) == 6
    assert [alerts.policy_step(s) for s in range(1, 8)] == [1, 2, 3, 1, 2, 3, 1]
    assert [alerts.round_of(s) for s in (1, 3, 4, 6, 7)] == [0, 0, 1, 1, 2]


def test_once_by_default_the_backup_is_not_alerted_again(world, staffed):
    shift, backup = staffed
    for minutes in (10, 20, 30, 40, 50, 60):
        alerts.tick(T + minutes * M)
    assert len(sms_to(backup.id)) == 1


def test_twice_the_backup_is_alerted_again_after_the_province_step_then_it_stops(world, staffed, repeats):
    shift, backup = staffed
    repeats(2)
    for minutes in (10, 20, 30, 40, 50, 60, 70, 80):
        alerts.tick(T + minutes * M)
    first, again = sms_to(backup.id)
    assert first.dedupe_key == f"escalation/{shift.id}/1/{backup.id}" and "(Lần" not in first.body
    assert again.dedupe_key == f"escalation/{shift.id}/4/{backup.id}" and again.created_at == T + 40 * M
    assert again.body.startswith("[TCN] (Lần 2) Tình Nguyện Viên")
    assert len(sms_to(world.commune_lead.person_id)) == 2  # steps 2 and 5, nothing more


def test_an_acknowledgement_stops_the_repeats(world, staffed, repeats):
    shift, backup = staffed
    repeats(3)
    alerts.tick(T + 10 * M)
    assert alerts.acknowledge(sms_to(backup.id)[0], T + 12 * M)
    db.session.commit()
    for minutes in (20, 40, 70, 100):
        alerts.tick(T + minutes * M)
    assert len(sms_to(backup.id)) == 1 and sms_to(world.commune_lead.person_id) == []


# --- rate limits ---------------------------------------------------------------------------------

def test_next_allowed_is_the_moment_the_window_frees():
    rules = rate_limits.parse_rules("1/5,3/15")
    assert rules == ((1, 5), (3, 15))
    assert rate_limits.next_allowed([], T, rules) is None
    assert rate_limits.next_allowed([T - 2 * M], T, rules) == T + 3 * M  # 1 in 5 minutes
    assert rate_limits.next_allowed([T - 6 * M], T, rules) is None
    three = [T - 14 * M, T - 12 * M, T - 6 * M]
    assert rate_limits.next_allowed(three, T, rules) == T + M  # 3 in 15: when the oldest leaves
    assert rate_limits.parse_rules("") == () and rate_limits.next_allowed(three, T, ()) is None


def test_a_second_escalation_sms_within_the_minute_is_deferred_visibly_then_sent(ctx, world, staffed, twilio, repeats,
                                                                                 client, auth):
    """A flapping case: the same person alerted twice at once (two runs of the policy that came
    due together after a restart). The second SMS waits for the person's window, and is sent."""
    shift, backup = staffed
    repeats(2)
    alerts.tick(T + 45 * M)  # a scheduler back after 45 minutes: steps 1 … 4 at once
    assert len(sms_to(backup.id)) == 2
    counts = dispatch_due(lambda: gateway_from_config(ctx.config), now=T + 45 * M)
    assert counts["deferred"] == 1
    first, second = sms_to(backup.id)
    assert first.status == "sent" and second.status == "queued"
    assert second.error_code == "rate_limited" and second.next_attempt_at == T + 46 * M
    assert [m["to"] for m in twilio.sent].count(backup.phone) == 1
    auth.as_user(world.lead_a)
    clock.set_now(T + 45 * M)
    page = client.get("/messages?channel=sms").get_data(as_text=True)
    assert "Hoãn do giới hạn đến 08:46 (không bao giờ bị bỏ)." in page
    dispatch_due(lambda: gateway_from_config(ctx.config), now=T + 46 * M)
    assert [m.status for m in sms_to(backup.id)] == ["sent", "sent"]
    assert sms_to(backup.id)[1].error_code is None
    assert [m["to"] for m in twilio.sent].count(backup.phone) == 2


def test_broadcasts_are_not_held_by_the_escalation_limit(ctx, world, staffed, twilio):
    shift, backup = staffed
    from coordination.messaging import outbox
    outbox.put_many([outbox.to(backup, f"Tin {i}", "broadcast") for i in range(3)], T)
    db.session.commit()
    counts = dispatch_due(lambda: gateway_from_config(ctx.config), now=T)
    assert counts == {"sent": 3, "retry": 0, "failed": 0, "not_sent": 0}

"""Quiet hours (issue 20 §3): during QUIET_HOURS (Vietnam time) messages that are not urgent wait
for the end of the quiet period — visibly, never dropped — while duty alerts and escalations go
at once, day or night."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination import clock
from coordination.duty import alerts, rota
from coordination.messaging import broadcasts, outbox, quiet_hours
from coordination.messaging.outbox import dispatch_due
from coordination.messaging.sms import gateway_from_config
from coordination.org import teams
from models import Message, db
from models.messages import BROADCAST, OTHER, TASK_NOTICE
from tests.factories import HANOI, make_person

UTC = timezone.utc
NIGHT = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 23:00 in Hà Nội
SIX = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 06:00 the next morning in Hà Nội
M = timedelta(minutes=1)
pytestmark = pytest.mark.clock_at(NIGHT)


@pytest.fixture(autouse=True)
def deployment_default(request):
    """The suite's app has no quiet hours (conftest); here they are the deployment default."""
    if "ctx" in request.fixturenames or "world" in request.fixturenames:
        request.getfixturevalue("quiet_hours_on")


@pytest.fixture
def setting(ctx):
    saved = ctx.config.get("QUIET_HOURS")
    yield lambda value: ctx.config.__setitem__("QUIET_HOURS", value)
    ctx.config["QUIET_HOURS"] = saved


def test_the_setting_is_read_in_vietnam_time():
    assert quiet_hours.parse("22:00-06:00") == (time(22), time(6))
    assert quiet_hours.parse(" 6:30 - 7:00 ") == (time(6, 30), time(7))
    assert quiet_hours.parse("") is None and quiet_hours.parse("off") is None and quiet_hours.parse("06:00-06:00") is None
    for bad in ("22-06", "22:00", "25:00-06:00", "ten-six"):
        with pytest.raises(ValueError):
            quiet_hours.parse(bad)
    night = quiet_hours.parse("22:00-06:00")
    assert quiet_hours.in_quiet_hours(NIGHT, night) and not quiet_hours.in_quiet_hours(SIX, night)
    assert quiet_hours.after_quiet_hours(NIGHT, night) == SIX
    assert quiet_hours.after_quiet_hours(NIGHT + 3 * timedelta(hours=1), night) == SIX  # 02:00, same morning
    lunch = quiet_hours.parse("12:00-13:30")  # a window that does not cross midnight
    noon = datetime(2026, 11, 24, 5, 15, tzinfo=UTC)  # 12:15
    assert quiet_hours.in_quiet_hours(noon, lunch) and not quiet_hours.in_quiet_hours(NIGHT, lunch)
    assert quiet_hours.after_quiet_hours(noon, lunch) == datetime(2026, 11, 24, 6, 30, tzinfo=UTC)


def test_a_malformed_setting_stops_the_app_at_start():
    from app import create_app
    with pytest.raises(ValueError):
        create_app({"TESTING": True, "QUIET_HOURS": "every night"})


def test_non_urgent_messages_wait_for_the_end_of_quiet_hours_marked(world):
    person = world.volunteer.person
    for purpose in (TASK_NOTICE, BROADCAST, OTHER):
        outbox.put(outbox.to(person, f"không gấp {purpose}", purpose), NIGHT)
    outbox.put_many([outbox.to(person, "nhắc đăng ký", OTHER, dedupe_key="x/1")], NIGHT)
    outbox.put(outbox.to(person, "gấp", TASK_NOTICE, urgent=True), NIGHT)
    broadcasts.send(world.lead_a.id, HANOI, "communes", [world.commune_team.id], "Họp tuần", urgent=False, now=NIGHT)
    broadcasts.send(world.lead_a.id, HANOI, "communes", [world.commune_team.id], "Bão", urgent=True, now=NIGHT)
    db.session.commit()
    got = {(m.body, m.next_attempt_at, m.error_code) for m in db.session.scalars(
        sa.select(Message).where(Message.person_id == person.id))}
    assert got == {(f"không gấp {TASK_NOTICE}", SIX, "quiet_hours"), (f"không gấp {BROADCAST}", SIX, "quiet_hours"),
                   (f"không gấp {OTHER}", SIX, "quiet_hours"), ("nhắc đăng ký", SIX, "quiet_hours"),
                   ("Họp tuần", SIX, "quiet_hours"), ("gấp", NIGHT, None), ("Bão", NIGHT, None)}


def test_duty_alerts_ignore_quiet_hours_and_the_notice_goes_at_six(ctx, world, twilio, client, auth):
    backup = make_person(full_name="Người Dự Phòng Đêm")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, NIGHT, NIGHT + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    outbox.put(outbox.to(backup, "Nhiệm vụ mới: họp tuần", TASK_NOTICE, province_code=HANOI), NIGHT)
    db.session.commit()
    for minutes in (5, 10):
        alerts.tick(NIGHT + minutes * M)
    alert = db.session.scalar(sa.select(Message).where(Message.person_id == backup.id, Message.purpose == "escalation"))
    assert alert.next_attempt_at == NIGHT + 10 * M and alert.error_code is None
    dispatch_due(lambda: gateway_from_config(ctx.config), now=NIGHT + 10 * M)
    assert [m["body"][:11] for m in twilio.sent if m["to"] == backup.phone] == ["[TCN] Tình "]  # the alert only
    notice = db.session.scalar(sa.select(Message).where(Message.purpose == TASK_NOTICE))
    assert notice.status == "queued" and notice.error_code == "quiet_hours"
    auth.as_user(world.lead_a)
    clock.set_now(NIGHT + 10 * M)
    page = client.get("/messages").get_data(as_text=True)
    assert "Hoãn vì giờ yên tĩnh đến 06:00 25/11 (không gấp; không bao giờ bị bỏ)." in page
    dispatch_due(lambda: gateway_from_config(ctx.config), now=SIX)
    db.session.expire_all()
    notice = db.session.get(Message, notice.id)
    assert notice.status in ("sent", "delivered") and notice.error_code is None
    assert [m["body"] for m in twilio.sent if m["to"] == backup.phone][-1] == "Nhiệm vụ mới: họp tuần"


def test_the_reminder_before_a_night_shift_is_not_held(world):
    rota.assign(rota.add_shift(world.commune_team, NIGHT + 10 * M, NIGHT + 8 * timedelta(hours=1), 1),
                world.volunteer.person, "primary")
    db.session.commit()
    alerts.tick(NIGHT)
    reminder = db.session.scalar(sa.select(Message).where(Message.purpose == "reminder"))
    assert reminder.next_attempt_at == NIGHT and reminder.error_code is None


def test_the_deployment_chooses_its_quiet_hours(world, setting):
    person = world.volunteer.person
    setting("off")
    assert outbox.put(outbox.to(person, "a", TASK_NOTICE), NIGHT).next_attempt_at == NIGHT
    setting("21:00-07:00")
    held = outbox.put(outbox.to(person, "b", TASK_NOTICE), NIGHT)
    assert held.next_attempt_at == SIX + timedelta(hours=1) and held.error_code == "quiet_hours"
    setting("23:30-05:00")
    assert outbox.put(outbox.to(person, "c", TASK_NOTICE), NIGHT).next_attempt_at == NIGHT

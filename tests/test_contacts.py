"""A contact chain per person (issue 20 §3): push at once, SMS after 2 minutes, a call after 5, each
later channel only if nobody acknowledged by then; a person's own chain on /account within the
deployment's limits; what a lead sees of each member's channels; the messages page per channel."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination import clock
from coordination.duty import alerts, replies, rota
from coordination.messaging import contacts
from coordination.messaging.contacts import Step
from coordination.messaging.outbox import dispatch_due
from coordination.messaging.sms import gateway_from_config
from coordination.org import teams
from models import ContactMethod, Message, db
from tests.factories import make_person
from tests.test_push import _device, fake_push  # noqa: F401 - the fake push service fixture

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the shift starts 08:00 in Hà Nội
STEP = T + timedelta(minutes=10)  # the backup's step
pytestmark = pytest.mark.clock_at(T)
DEFAULT = [Step("push", 0), Step("sms", 2), Step("voice", 5)]


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
def calls(ctx):
    saved = ctx.config.get("ALERT_CALL_STEPS")
    ctx.config["ALERT_CALL_STEPS"] = (1,)
    yield
    ctx.config["ALERT_CALL_STEPS"] = saved


def rows_of(person_id) -> dict[str, Message]:
    db.session.expire_all()
    return {m.channel: m for m in db.session.scalars(sa.select(Message).where(
        Message.person_id == person_id, Message.purpose == "escalation"))}


def to(twilio, person) -> list[str]:
    """What the fake Twilio server received for this person (the absent primary gets a nudge)."""
    return [m["to"] for m in twilio.sent if m["to"] == person.phone]


def send(ctx, at):
    clock.set_now(at)
    return dispatch_due(lambda: gateway_from_config(ctx.config), now=at)


# --- the rule, as a plain function ------------------------------------------------------------

def test_the_plan_skips_channels_the_person_lacks_and_never_waits_for_them():
    minutes = lambda plan: [(c, d.total_seconds() / 60) for c, d in plan]  # noqa: E731
    assert minutes(contacts.plan(DEFAULT, has_push=True, calls=True)) == [("push", 0), ("sms", 2), ("voice", 5)]
    assert minutes(contacts.plan(DEFAULT, has_push=False, calls=True)) == [("sms", 0), ("voice", 5)]
    assert minutes(contacts.plan(DEFAULT, has_push=False, calls=False)) == [("sms", 0)]
    mine = [Step("voice", 1), Step("sms", 4)]
    assert minutes(contacts.plan(mine, has_push=True, calls=True)) == [("voice", 0), ("sms", 4)]


def test_the_default_chain_is_the_deployments_and_sorted(ctx, world):
    assert contacts.chain_of(world.volunteer.person_id) == DEFAULT
    ctx.config["CONTACT_DEFAULT_CHAIN"] = {"voice": 3, "sms": 0}
    try:
        assert contacts.chain_of(world.volunteer.person_id) == [Step("sms", 0), Step("voice", 3)]
    finally:
        ctx.config["CONTACT_DEFAULT_CHAIN"] = {"push": 0, "sms": 2, "voice": 5}


# --- the escalation along the chain, through the dispatcher ------------------------------------

def test_the_backups_push_goes_at_once_the_sms_two_minutes_later(ctx, world, staffed, fake_push, twilio):  # noqa: F811
    shift, backup = staffed
    _device(fake_push, backup)
    alerts.tick(STEP)
    rows = rows_of(backup.id)
    assert {c: m.next_attempt_at for c, m in rows.items()} == {"push": STEP, "sms": STEP + timedelta(minutes=2)}
    send(ctx, STEP + timedelta(minutes=1))
    assert len(fake_push.received) == 1 and to(twilio, backup) == []
    assert rows_of(backup.id)["sms"].status == "queued"
    send(ctx, STEP + timedelta(minutes=2))
    assert to(twilio, backup) == [backup.phone]
    assert rows_of(backup.id)["sms"].status == "sent"


def test_an_acknowledged_alert_sends_no_later_channel_and_says_why(ctx, world, staffed, fake_push, twilio, calls,  # noqa: F811
                                                                    client, auth):
    shift, backup = staffed
    _device(fake_push, backup)
    alerts.tick(STEP)
    assert set(rows_of(backup.id)) == {"push", "sms", "voice"}
    assert rows_of(backup.id)["voice"].next_attempt_at == STEP + timedelta(minutes=5)
    send(ctx, STEP)
    [got] = fake_push.received
    answer = client.post(got["json"]["ack"][len("https://tcn.example.vn"):])  # "Nhận xử lý" on the notification
    assert answer.get_json()["status"] == "acknowledged"
    rows = rows_of(backup.id)
    assert rows["push"].acknowledged_at is not None
    assert {c: (m.status, m.error_message) for c, m in rows.items() if c != "push"} == {
        "sms": ("not_sent", "acknowledged before sending"), "voice": ("not_sent", "acknowledged before sending")}
    send(ctx, STEP + timedelta(minutes=6))
    assert to(twilio, backup) == [] and twilio.voice.calls == []
    auth.as_user(world.lead_a)
    page = client.get("/messages").get_data(as_text=True)
    assert page.count("Chưa gửi: đã có người nhận xử lý trước lượt của kênh này.") == 2


def test_the_dispatcher_skips_a_row_whose_alert_was_acknowledged_while_it_was_being_claimed(ctx, world, staffed,
                                                                                              twilio, calls):
    """The acknowledgement's cancel step only sees queued rows; a row being claimed at that moment
    is caught by the dispatcher: recorded as not sent, never requested."""
    from coordination.duty import alert_store
    shift, backup = staffed
    alerts.tick(STEP)
    sms = rows_of(backup.id)["sms"]
    send(ctx, STEP)
    assert alert_store.mark_acknowledged(sms.id, shift.id, STEP + timedelta(minutes=1))  # the record only
    db.session.commit()
    assert rows_of(backup.id)["voice"].status == "queued"
    send(ctx, STEP + timedelta(minutes=5))
    voice = rows_of(backup.id)["voice"]
    assert (voice.status, voice.error_message, voice.attempts) == ("not_sent", "acknowledged before sending", 0)
    assert twilio.voice.calls == []


def test_a_decline_cancels_only_the_decliners_later_channels(ctx, world, staffed, twilio, calls):
    shift, backup = staffed
    alerts.tick(STEP)
    sms = rows_of(backup.id)["sms"]
    assert sms.next_attempt_at == STEP and rows_of(backup.id)["voice"].next_attempt_at == STEP + timedelta(minutes=5)
    replies.escalate_now(sms, STEP + timedelta(minutes=1))
    assert rows_of(backup.id)["voice"].status == "not_sent"
    assert rows_of(backup.id)["voice"].error_message == "declined before sending"
    lead = rows_of(world.commune_lead.person_id)
    assert lead["sms"].status == "queued"  # the next step, now


# --- my chain on /account ------------------------------------------------------------------------

def test_a_volunteer_changes_the_chain_within_the_limits(ctx, world, staffed, client, auth, calls, twilio):
    shift, backup = staffed
    user = world.volunteer  # the backup has no login: take the volunteer's account for the form, the backup's rows below
    auth.as_user(user)
    page = client.get("/account").get_data(as_text=True)
    assert "Cách cảnh báo đến với tôi" in page and "Đây là chuỗi mặc định." in page
    for form, error in (({"delay_push": "0", "delay_sms": "off", "delay_voice": "5"},
                         "Không thể tắt SMS: đó là kênh dự phòng mọi điện thoại đều có."),
                        ({"delay_push": "0", "delay_sms": "2", "delay_voice": "11"},
                         "Cuộc gọi: chọn độ trễ từ 0 đến 10 phút."),
                        ({"delay_push": "abc", "delay_sms": "2", "delay_voice": "5"},
                         "Thông báo đẩy: chọn độ trễ từ 0 đến 10 phút."),
                        ({"delay_push": "0", "delay_sms": "²", "delay_voice": "5"},  # a digit to str.isdigit, not to int()
                         "SMS: chọn độ trễ từ 0 đến 10 phút."),
                        ({"delay_push": "0", "delay_sms": "-1", "delay_voice": "5"}, "SMS: chọn độ trễ từ 0 đến 10 phút.")):
        answer = client.post("/account/contacts", data=form, follow_redirects=True).get_data(as_text=True)
        assert error in answer
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactMethod)) == 0
    done = client.post("/account/contacts", data={"delay_push": "off", "delay_sms": "3", "delay_voice": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã lưu chuỗi liên lạc của bạn." in done and "Đây là chuỗi mặc định." not in done
    assert contacts.chain_of(user.person_id) == [Step("voice", 1), Step("sms", 3)]

    contacts.save(backup, {"push": None, "sms": 3, "voice": 1})  # the same choice, for the backup
    db.session.commit()
    alerts.tick(STEP)
    rows = rows_of(backup.id)
    assert {c: m.next_attempt_at for c, m in rows.items()} == {"voice": STEP, "sms": STEP + timedelta(minutes=3)}

    client.post("/account/contacts", data={"reset": "1"})
    assert contacts.chain_of(user.person_id) == DEFAULT


def test_the_longest_delay_is_the_deployments(ctx, world, client, auth):
    ctx.config["CONTACT_MAX_DELAY_MINUTES"] = 20
    try:
        auth.as_user(world.volunteer)
        client.post("/account/contacts", data={"delay_push": "0", "delay_sms": "15", "delay_voice": "20"})
        assert contacts.chain_of(world.volunteer.person_id)[-1] == Step("voice", 20)
    finally:
        ctx.config["CONTACT_MAX_DELAY_MINUTES"] = 10


# --- what a lead sees --------------------------------------------------------------------------

def test_a_lead_sees_each_members_channels_a_volunteer_does_not(world, client, auth, fake_push):  # noqa: F811
    fixed = make_person(full_name="Máy Bàn", phone="+842438234567")
    teams.add_member(world.commune_team, fixed, "member")
    fixed.sms_capable = False
    db.session.commit()
    _device(fake_push, world.volunteer.person)
    auth.as_user(world.commune_lead)
    page = client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)

    def reach(person_id):
        start = page.index(f'data-person="{person_id}"')
        return page[start:page.index("</small>", start)]
    assert "Thông báo đẩy: có" in reach(world.volunteer.person_id) and "SMS: có" in reach(world.volunteer.person_id)
    assert "Thông báo đẩy: không" in reach(fixed.id) and "SMS: không" in reach(fixed.id)
    assert "Cuộc gọi: có" in reach(fixed.id)
    auth.as_user(world.volunteer)
    assert "data-person=" not in client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)


# --- the messages page ---------------------------------------------------------------------------

def test_the_messages_page_shows_every_channel_and_filters_by_one(ctx, world, staffed, client, auth, calls):
    shift, backup = staffed
    alerts.tick(STEP)
    auth.as_user(world.lead_a)
    every = client.get("/messages").get_data(as_text=True)
    assert "Tin nhắn do nền tảng gửi" in every and "Cuộc gọi" in every
    assert "Đến hạn lúc 08:15" in every  # the call waits its turn: 5 minutes after the step (Vietnam time)
    calls_only = client.get("/messages?channel=voice").get_data(as_text=True)
    assert "Đến hạn lúc 08:15" in calls_only and "Bấm để nhận xử lý" not in calls_only
    sms_only = client.get("/messages?channel=sms").get_data(as_text=True)
    assert "Bấm để nhận xử lý" in sms_only and "Đến hạn lúc 08:15" not in sms_only
    assert client.get("/messages?channel=fax").status_code == 200

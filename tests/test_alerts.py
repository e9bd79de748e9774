"""Reminders and no-show escalation: pure decisions, the scheduler's tick with dedupe, and the
one-tap acknowledgement link that stops escalation."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.duty import alerts, checkins, replies, rota
from coordination.org import teams
from coordination.jobs import JOBS
from models import Message, db
from tests.factories import make_person

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # the shift starts 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)


def test_reminder_windows():
    assert not alerts.reminder_due(T, T - timedelta(minutes=61), 60)
    assert alerts.reminder_due(T, T - timedelta(minutes=60), 60)
    assert alerts.reminder_due(T, T - timedelta(minutes=1), 10)
    assert not alerts.reminder_due(T, T, 10)


@pytest.mark.parametrize("minutes, step", [(5, 0), (9, 0), (10, 1), (19, 1), (20, 2), (30, 3), (200, 3), (480, 0)])
def test_escalation_steps_follow_the_clock(minutes, step):
    assert alerts.escalation_step(T, T + timedelta(hours=8), T + timedelta(minutes=minutes)) == step


def test_a_session_started_up_to_an_hour_before_the_shift_counts_as_showing_up():
    """The same hour that lets an early check-in count for its shift (checkins.EARLY); the rule
    that a check-in or an acknowledgement stops escalation is tested through the scheduler below."""
    shift = SimpleNamespace(starts_at=T, ends_at=T + timedelta(hours=8))
    assert alerts.showed_up(shift, T - timedelta(minutes=60)) and alerts.showed_up(shift, T + timedelta(hours=7))
    assert not alerts.showed_up(shift, T - timedelta(minutes=61))
    assert not alerts.showed_up(shift, T + timedelta(hours=8))


def test_the_scheduler_ticks_every_15_seconds_sweeps_receipts_every_minute_and_prunes_login_counters_hourly():
    from coordination import jobs
    from coordination.org import login_throttle
    from coordination.messaging import receipts

    assert [(type(j["func"]) if j["id"] == "duty-alerts" else j["func"], j["seconds"]) for j in JOBS] == [
        (alerts.Ticker, 15), (receipts.sweep, 60), (jobs.reconcile_receipts, 300), (login_throttle.prune, 3600)]


@pytest.fixture
def staffed(world):
    backup = make_person(full_name="Người Dự Phòng")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    return shift, backup


def _recipients(purpose: str) -> list[int]:
    return sorted(db.session.scalars(sa.select(Message.person_id).where(Message.purpose == purpose)))


def test_reminders_once_each_even_after_a_restart(world, staffed):
    shift, backup = staffed
    people = sorted([world.volunteer.person_id, backup.id])
    assert alerts.tick(T - timedelta(minutes=50))["reminders"] == 2
    assert alerts.tick(T - timedelta(minutes=45))["reminders"] == 0  # a restarted scheduler sends nothing new
    assert alerts.tick(T - timedelta(minutes=5))["reminders"] == 2
    assert alerts.tick(T - timedelta(minutes=4))["reminders"] == 0
    assert _recipients("reminder") == sorted(people * 2)
    body = db.session.scalar(sa.select(Message.body).where(Message.purpose == "reminder").limit(1))
    assert "08:00–16:00 ngày 24/11" in body and body.endswith("Vào ca: http://127.0.0.1:5000/duty/")


def test_a_steady_ticker_sends_exactly_what_full_scans_send(world, staffed):
    """The scheduler's ticker only looks at moments that came since its last run; over a whole
    shift start (reminders, handoff, three escalation steps) it queues the same messages as full
    scans, and a restart (a new ticker) adds nothing."""
    moments = [T - timedelta(minutes=70) + timedelta(seconds=15 * i) for i in range(int(110 * 60 / 15))]

    def keys():
        return sorted(db.session.scalars(sa.select(Message.dedupe_key)))

    ticker = alerts.Ticker()
    for now in moments:
        ticker(now)
    incremental = keys()
    alerts.Ticker()(moments[-1])  # restarted: its first run is a full scan, and finds nothing new
    assert keys() == incremental
    db.session.execute(sa.delete(Message))
    db.session.commit()
    for now in moments[::4]:  # full scans, once a minute
        alerts.tick(now)
    assert keys() == incremental
    purposes = {k.split("/")[0] for k in incremental}
    assert purposes == {"reminder", "handoff", "escalation"} and len(incremental) >= 2 + 2 + 1 + 1 + 1


def test_no_show_escalates_backup_then_commune_lead_then_province_leads(world, staffed):
    shift, backup = staffed
    assert alerts.tick(T + timedelta(minutes=4))["escalations"] == 0
    assert alerts.tick(T + timedelta(minutes=5))["escalations"] == 1  # the primary's own nudge
    assert alerts.tick(T + timedelta(minutes=9))["escalations"] == 0
    assert _recipients("escalation") == []
    assert alerts.tick(T + timedelta(minutes=10))["escalations"] == 1
    assert _recipients("escalation") == [backup.id]
    alerts.tick(T + timedelta(minutes=20))
    assert _recipients("escalation") == sorted([backup.id, world.commune_lead.person_id])
    alerts.tick(T + timedelta(minutes=31))
    alerts.tick(T + timedelta(minutes=32))  # again: nothing twice
    assert _recipients("escalation") == sorted([backup.id, world.commune_lead.person_id, world.lead_a.person_id])
    body = db.session.scalar(sa.select(Message.body).where(Message.person_id == backup.id))
    assert "Tình Nguyện Viên (0987 654 321) chưa vào ca trực Tổ " in body and re.search(r"/a/[0-9a-z]+\.[\w-]{10}$", body)
    assert set(db.session.scalars(sa.select(Message.urgent).where(Message.purpose == "escalation"))) == {True}


def test_a_check_in_stops_escalation(world, staffed):
    alerts.tick(T + timedelta(minutes=10))
    checkins.record_checkins(world.volunteer.id, [{
        "client_uuid": "7b0c3f55-7d55-4c4b-9a56-1b7c2f5d1a01", "kind": "in",
        "occurred_at": (T + timedelta(minutes=12)).isoformat()}], now=T + timedelta(minutes=12))
    db.session.commit()
    assert alerts.tick(T + timedelta(minutes=25))["escalations"] == 0
    assert len(_recipients("escalation")) == 1


def test_the_ack_link_works_without_login_and_stops_escalation(world, staffed, client):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    message = db.session.scalar(sa.select(Message).where(Message.person_id == backup.id))
    path = "/a/" + alerts.ack_token(message.id)
    page = client.get(path)
    assert page.status_code == 200 and "Tôi nhận xử lý" in page.get_data(as_text=True)
    db.session.commit()
    assert db.session.get(Message, message.id).acknowledged_at is None  # opening the link is not acknowledging
    done = client.post(path)
    assert "Đã xác nhận" in done.get_data(as_text=True)
    db.session.commit()
    assert db.session.get(Message, message.id).acknowledged_at is not None
    assert alerts.tick(T + timedelta(minutes=40))["escalations"] == 0
    assert _recipients("escalation") == [backup.id]


def test_forged_or_expired_ack_links_are_refused(world, staffed, client):
    alerts.tick(T + timedelta(minutes=10))
    message = db.session.scalar(sa.select(Message).where(Message.purpose == "escalation"))
    token = alerts.ack_token(message.id)
    assert client.get(f"/a/{token[:-1]}x").status_code == 404
    assert client.get("/a/zzzz").status_code == 404
    message.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert client.get(f"/a/{token}").status_code == 404


@pytest.mark.parametrize("text, kind", [("ok", "ack"), (" Có ", "ack"), ("1", "ack"), ("Hủy", "decline"),
                                        ("STOP", "stop"), ("dừng", "stop"), ("xin chào", "unknown"), ("", "unknown")])
def test_replies_are_understood_with_or_without_diacritics(text, kind):
    assert replies.classify_reply(text) == kind


def _signed_post(client, form, token="test-auth-token", url="https://tcn.example.vn/sms/inbound"):
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(token).compute_signature(url, form)
    return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def test_inbound_ok_acknowledges_and_answers_with_twiml(world, staffed, client, twilio):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    db.session.commit()
    response = _signed_post(client, {"From": backup.phone, "Body": "OK", "MessageSid": "SM1"})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "<Response><Message>Đã xác nhận. Cảm ơn bạn!</Message></Response>" in response.get_data(as_text=True)
    db.session.commit()
    assert db.session.scalar(sa.select(Message.acknowledged_at).where(Message.person_id == backup.id)) is not None


def test_inbound_huy_escalates_at_once(world, staffed, client, twilio):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=10))
    db.session.commit()
    _signed_post(client, {"From": backup.phone, "Body": "huy", "MessageSid": "SM2"})
    db.session.commit()
    assert world.commune_lead.person_id in _recipients("escalation")  # not waiting for minute 20
    assert alerts.tick(T + timedelta(minutes=20))["escalations"] == 0  # and not twice


def test_inbound_stop_opts_out_and_unknown_senders_get_a_polite_reply(world, staffed, client, twilio):
    shift, backup = staffed
    _signed_post(client, {"From": backup.phone, "Body": "STOP", "MessageSid": "SM3"})
    db.session.commit()
    db.session.refresh(backup)
    assert backup.consent_sms is False
    reply = _signed_post(client, {"From": "+84911000999", "Body": "ai day?", "MessageSid": "SM4"})
    assert "chưa đăng ký" in reply.get_data(as_text=True)
    # a sender that is no phone number at all (a short code, an alphanumeric id) is unknown too
    reply = _signed_post(client, {"From": "VIETTEL", "Body": "OK", "MessageSid": "SM5"})
    assert reply.status_code == 200 and "chưa đăng ký" in reply.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "bad"}])
def test_webhooks_refuse_missing_or_wrong_signatures(world, client, twilio, headers):
    for path in ("/sms/inbound", "/sms/status"):
        assert client.post(path, data={"From": "+84987654321", "Body": "OK"}, headers=headers).status_code == 403
    db.session.commit()
    assert db.session.get(type(world.volunteer.person), world.volunteer.person_id).consent_sms is True


# --- issue 16 part 5: coordinated escalation -----------------------------------------------

def _dispatch(now):
    from flask import current_app

    from coordination.messaging import outbox, sms
    return outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config), now=now)


def test_the_steps_start_with_the_primarys_own_nudge():
    end = T + timedelta(hours=8)
    assert alerts.due_steps(T, end, T + timedelta(minutes=4)) == []
    assert alerts.due_steps(T, end, T + timedelta(minutes=5)) == [alerts.NUDGE_STEP]
    assert alerts.due_steps(T, end, T + timedelta(minutes=10)) == [alerts.NUDGE_STEP, alerts.BACKUP_STEP]
    assert alerts.due_steps(T, end, T + timedelta(minutes=45)) == [0, 1, 2, 3]
    assert alerts.due_steps(T, end, end) == []
    # a short escalation wait still nudges first: half-way to the backup
    assert alerts.due_steps(T, end, T + timedelta(minutes=2), wait=timedelta(minutes=4)) == [alerts.NUDGE_STEP]


def test_the_absent_primary_is_nudged_first_with_a_link_to_the_duty_app(world, staffed, twilio):
    """What the fake Twilio server receives, in order: the primary's own nudge 5 minutes in, and
    only at 10 minutes the backup's alert."""
    shift, backup = staffed
    primary = world.volunteer.person
    alerts.tick(T + timedelta(minutes=5))
    _dispatch(T + timedelta(minutes=5))

    def alerts_sent():  # the handoff digest the primary also gets at the start is not an alert
        return [m for m in twilio.sent if not m["body"].startswith("[TCN] Giao ca")]

    assert [m["to"] for m in alerts_sent()] == [primary.phone]
    assert alerts_sent()[0]["body"] == ("[TCN] Bạn chưa vào ca trực Tổ Phường Ba Đình 08:00–16:00 ngày 24/11 — bấm "
                                        "để vào ca: https://tcn.example.vn/duty/")
    alerts.tick(T + timedelta(minutes=10))
    alerts.tick(T + timedelta(minutes=11))  # nothing twice
    _dispatch(T + timedelta(minutes=11))
    assert [m["to"] for m in alerts_sent()] == [primary.phone, backup.phone]
    assert alerts_sent()[1]["body"].startswith(
        "[TCN] Tình Nguyện Viên (0987 654 321) chưa vào ca trực Tổ Phường Ba Đình 08:00–16:00 ngày 24/11. "
        "Bấm để nhận xử lý: https://tcn.example.vn/a/")


def test_a_nudge_reply_does_not_stop_the_escalation(world, staffed, client, twilio):
    alerts.tick(T + timedelta(minutes=5))
    db.session.commit()
    assert _signed_post(client, {"From": world.volunteer.person.phone, "Body": "OK", "MessageSid": "SM9"}
                        ).status_code == 200
    db.session.commit()
    assert alerts.tick(T + timedelta(minutes=10))["escalations"] == 1  # the backup is still alerted


def _link(person_id):
    message = db.session.scalar(sa.select(Message).where(Message.person_id == person_id,
                                                         Message.purpose == "escalation"))
    return "/a/" + alerts.ack_token(message.id), message


def test_once_taken_every_other_link_says_who_and_when(world, staffed, client):
    from coordination import clock

    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=20))  # backup and commune lead alerted
    db.session.commit()
    backup_link, _ = _link(backup.id)
    lead_link, lead_message = _link(world.commune_lead.person_id)
    assert "Tôi nhận xử lý" in client.get(lead_link).get_data(as_text=True)  # not taken yet: the button
    clock.set_now(T + timedelta(minutes=22))  # 08:22 in Hà Nội
    assert "Đã xác nhận" in client.post(backup_link).get_data(as_text=True)
    clock.set_now(T + timedelta(minutes=25))
    html = client.get(lead_link).get_data(as_text=True)
    assert "Người Dự Phòng đã nhận xử lý lúc 08:22" in html and "Tôi nhận xử lý" not in html
    html = client.post(lead_link).get_data(as_text=True)  # a tap on a stale page: no second acknowledgement
    assert "Người Dự Phòng đã nhận xử lý lúc 08:22" in html
    db.session.commit()
    assert db.session.get(Message, lead_message.id).acknowledged_at is None


def test_the_ack_page_offers_calls_to_the_absent_person_and_the_commune_lead(world, staffed, client):
    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=20))
    db.session.commit()
    backup_link, _ = _link(backup.id)
    html = client.get(backup_link).get_data(as_text=True)
    assert f'href="tel:{world.volunteer.person.phone}"' in html and "0987 654 321" in html
    assert f'href="tel:{world.commune_lead.person.phone}"' in html and "Gọi Tổ Trưởng Xã (tổ trưởng)" in html
    lead_link, _ = _link(world.commune_lead.person_id)
    html = client.get(lead_link).get_data(as_text=True)  # the lead is not offered a call to themself
    assert f'href="tel:{world.volunteer.person.phone}"' in html
    assert f'href="tel:{world.commune_lead.person.phone}"' not in html


def test_an_sms_ok_after_someone_took_it_says_who(world, staffed, client, twilio):
    from coordination import clock

    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=20))
    db.session.commit()
    clock.set_now(T + timedelta(minutes=21))
    _signed_post(client, {"From": backup.phone, "Body": "OK", "MessageSid": "SM5"})
    db.session.commit()
    reply = _signed_post(client, {"From": world.commune_lead.person.phone, "Body": "ok", "MessageSid": "SM6"})
    assert "Người Dự Phòng đã nhận xử lý lúc 08:21" in reply.get_data(as_text=True)
    reply = _signed_post(client, {"From": world.commune_lead.person.phone, "Body": "HUY", "MessageSid": "SM7"})
    assert "Người Dự Phòng đã nhận xử lý lúc 08:21" in reply.get_data(as_text=True)  # and nobody more is alerted
    db.session.commit()
    assert world.lead_a.person_id not in _recipients("escalation")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.acknowledged_at.is_not(None))) == 1


def test_two_taps_on_two_links_at_once_record_one_acknowledgement(world, staffed, ctx):
    from tests.factories import at_once

    alerts.tick(T + timedelta(minutes=20))
    db.session.commit()
    ids = list(db.session.scalars(sa.select(Message.id).where(Message.purpose == "escalation")))
    assert len(ids) == 2
    queue = list(ids)

    def tap():
        message = db.session.get(Message, queue.pop())
        taken = alerts.acknowledge(message)
        db.session.commit()
        return taken

    assert sorted(at_once(ctx, 2, tap)) == [False, True]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.acknowledged_at.is_not(None))) == 1


def test_a_link_for_a_shift_that_is_over_shows_no_phones_and_acknowledges_nothing(world, staffed, client, twilio):
    """The link lives 24 h, the shift 8 h: once the shift is over there is nothing to handle, and a
    forwarded or old link must not keep handing out the absent person's and the lead's numbers."""
    from coordination import clock

    shift, backup = staffed
    alerts.tick(T + timedelta(minutes=20))
    db.session.commit()
    backup_link, message = _link(backup.id)
    clock.set_now(shift.ends_at + timedelta(minutes=1))
    page = client.get(backup_link)
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and "Ca trực này đã kết thúc" in html
    assert "tel:" not in html and world.commune_lead.person.phone not in html and "Tôi nhận xử lý" not in html
    assert "0987 654 321" not in html  # the SMS's own text (which names the absent person) is not shown again
    client.post(backup_link)
    reply = _signed_post(client, {"From": backup.phone, "Body": "OK", "MessageSid": "SMlate"})  # nor a late OK
    assert "Đã xác nhận" not in reply.get_data(as_text=True)
    db.session.commit()
    assert db.session.get(Message, message.id).acknowledged_at is None


def test_one_sms_sent_twice_acknowledges_one_alert(world, staffed, client, twilio):
    """Twilio may post the same inbound SMS again (a retry; or a captured request replayed: the
    signature has no time in it). The commune lead had alerts for two shifts: the same OK, posted
    twice, acknowledged both, and the second shift's escalation stopped with nobody on it."""
    shift, _backup = staffed
    second = rota.add_shift(world.commune_team, T + timedelta(minutes=5), T + timedelta(hours=8), 2)
    primary = make_person(full_name="Người Trực Hai")
    teams.add_member(world.commune_team, primary, "member")
    rota.assign(second, primary, "primary")
    db.session.commit()
    alerts.tick(T + timedelta(minutes=30))
    db.session.commit()
    lead = world.commune_lead.person
    form = {"From": lead.phone, "Body": "OK", "MessageSid": "SMsame"}
    assert "Đã xác nhận" in _signed_post(client, form).get_data(as_text=True)
    again = _signed_post(client, form)
    assert again.status_code == 200 and "<Message>" not in again.get_data(as_text=True)  # answered once
    db.session.commit()
    acknowledged = db.session.scalars(sa.select(Message.shift_id).where(
        Message.person_id == lead.id, Message.acknowledged_at.is_not(None))).all()
    assert len(acknowledged) == 1
    assert "Đã xác nhận" in _signed_post(client, dict(form, MessageSid="SMnext")).get_data(as_text=True)

"""Broadcasts that collect answers (issue 18 §5): a personal one-tap link in each SMS, a double tap
is one confirmation, SMS replies count (after an open alert), the SMS page counts recipients,
delivered, failed and confirmed per broadcast in one query, lists who has not confirmed and
reminds only them — once per tap; another province's lead gets 404 and the refusal is audited."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import current_app

from coordination import clock
from coordination.duty import alerts, replies, rota
from coordination.messaging import broadcasts, confirmations, outbox, sms
from coordination.org import teams
from models import AuditEvent, Message, db
from tests.factories import HANOI, make_person

UTC = timezone.utc
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOON)
TEXT = "Đề nghị xác nhận: họp trực tuyến 14:00 về Bình dân học vụ số."


def _send(world, confirm=True, **kw):
    sent = broadcasts.send(world.lead_a.id, HANOI, "province", None, TEXT, urgent=True, confirm=confirm, **kw)
    db.session.commit()
    return sent


def _links():
    """{person id: the confirmation link in their SMS}"""
    found = {}
    for pid, body in db.session.execute(sa.select(Message.person_id, Message.body).order_by(Message.id)):
        match = re.search(r"(https?://\S+/x/\S+)$", body)
        if match:
            found[pid] = match.group(1)
    return found


def _path(url: str) -> str:
    return urlsplit(url).path


def test_each_sms_carries_a_personal_link_without_diacritics_if_asked(world):
    world.volunteer.person.sms_ascii = True
    _send(world)
    bodies = dict(db.session.execute(sa.select(Message.person_id, Message.body)).all())
    links = _links()
    assert len(set(links.values())) == 3  # one each
    assert bodies[world.lead_a.person_id] == f"{TEXT} Xác nhận: {links[world.lead_a.person_id]}"
    assert bodies[world.volunteer.person_id].startswith("De nghi xac nhan: hop truc tuyen 14:00 ve Binh dan hoc vu so."
                                                        " Xac nhan: ")
    assert bodies[world.volunteer.person_id].isascii()


def test_a_broadcast_without_confirmation_has_no_link(world):
    _send(world, confirm=False)
    assert _links() == {}


def test_the_link_shows_a_button_confirms_on_post_once(world, client):
    _send(world)
    link = _path(_links()[world.volunteer.person_id])
    page = client.get(link).get_data(as_text=True)
    assert "Tôi xác nhận" in page and TEXT in page  # GET only shows (link previewers must not confirm)
    assert confirmations.summaries(sa.true())[0].confirmed == 0
    for _tap in range(2):
        done = client.post(link, data={}).get_data(as_text=True)
        assert "Đã xác nhận. Cảm ơn bạn!" in done and "Tôi xác nhận" not in done
    db.session.expire_all()
    assert confirmations.summaries(sa.true())[0].confirmed == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.acknowledged_at.is_not(None))) == 1


def test_wrong_expired_or_non_confirm_links_are_404(world, client):
    _send(world)
    link = _path(_links()[world.volunteer.person_id])
    assert client.get(link[:-2] + "zz").status_code == 404
    assert client.get("/x/zzzz").status_code == 404
    plain = _send(world, confirm=False)
    mid = db.session.scalar(sa.select(Message.id).where(Message.broadcast_id == plain.id).limit(1))
    assert client.get(f"/x/{alerts.ack_token(mid)}").status_code == 404
    clock.set_now(NOON + confirmations.CONFIRM_TTL + timedelta(minutes=1))
    assert client.get(link).status_code == 404


def test_counts_one_query_for_the_page_and_who_has_not_confirmed(world, twilio, client, auth):
    first = _send(world)
    outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config))
    phone_of = {m["to"]: m for m in twilio.sent}
    for url, form, signature in twilio.callbacks("delivered"):
        status = "failed" if form["To"] == world.commune_lead.person.phone else "delivered"
        form = dict(form, MessageStatus=status)
        from twilio.request_validator import RequestValidator
        signature = RequestValidator(twilio.auth_token).compute_signature(url, form)
        client.post(_path(url) + "?" + urlsplit(url).query, data=form, headers={"X-Twilio-Signature": signature})
    assert len(phone_of) == 3
    client.post(_path(_links()[world.volunteer.person_id]), data={})
    _send(world, confirm=False)
    _send(world)
    statements = []
    record = lambda conn, cursor, statement, *a: statements.append(statement)
    auth.as_user(world.lead_a)
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = auth.client.get("/messages/broadcasts").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    # three broadcasts: one query for their counts, one for who has not confirmed (two confirm broadcasts)
    assert len([s for s in statements if "messages" in s]) == 2
    assert page.count('class="broadcast"') == 3
    row = page[page.index(f'data-id="{first.id}"'):]
    listed = row[row.index('class="people not-confirmed"'):]
    listed = listed[:listed.index("</ul>")]
    assert "Tổ Trưởng Xã" in listed and "Trưởng Hà Nội" in listed and "Tình Nguyện Viên" not in listed
    counts = re.findall(r"<li[^>]*><b>(\d+)</b><span>([^<]+)</span>", row)[:4]
    assert counts == [("3", "người nhận"), ("2", "đã đến máy"), ("1", "lỗi"), ("1", "đã xác nhận")]
    detail = auth.client.get(f"/broadcasts/{first.id}").get_data(as_text=True)
    pending = detail[detail.index('id="not-confirmed"'):]
    assert "Tổ Trưởng Xã" in pending and "Trưởng Hà Nội" in pending and "Tình Nguyện Viên" not in pending
    assert "SMS chưa tới máy" in pending  # the commune lead's SMS failed


def test_remind_resends_only_to_those_who_have_not_confirmed_and_once_per_tap(world, client, auth):
    sent = _send(world)
    client.post(_path(_links()[world.volunteer.person_id]), data={})
    auth.as_user(world.lead_a)
    for _tap in range(2):  # the same page tapped twice posts the same round
        auth.client.post(f"/broadcasts/{sent.id}/remind", data={"round": "1"})
    reminders = db.session.execute(sa.select(Message.person_id, Message.body).where(
        Message.broadcast_id == sent.id, Message.dedupe_key.is_not(None))).all()
    assert sorted(pid for pid, _b in reminders) == sorted([world.lead_a.person_id, world.commune_lead.person_id])
    assert all(body.startswith(f"[Nhắc lại] {TEXT} Xác nhận: http") for _p, body in reminders)
    # a reminder's own link confirms too, and the person counts once
    reminder_link = next(re.search(r"(/x/\S+)$", b).group(1) for p, b in reminders if p == world.commune_lead.person_id)
    client.post(reminder_link, data={})
    first_link = next(re.search(r"(/x/\S+)$", b).group(1) for p, b in db.session.execute(
        sa.select(Message.person_id, Message.body).where(Message.broadcast_id == sent.id, Message.dedupe_key.is_(None)))
        if p == world.commune_lead.person_id)
    assert "Đã xác nhận. Cảm ơn bạn!" in client.post(first_link, data={}).get_data(as_text=True)  # their first SMS's link
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.person_id == world.commune_lead.person_id, Message.acknowledged_at.is_not(None))) == 1  # one answer
    s = confirmations.summaries(sa.true())[0]
    assert (s.recipients, s.confirmed) == (3, 2)
    auth.client.post(f"/broadcasts/{sent.id}/remind", data={"round": "2"})  # the next round, from a reloaded page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.dedupe_key.like(f"broadcast/{sent.id}/remind/2/%"))) == 1  # only the province lead now


def test_another_provinces_lead_gets_404_and_it_is_audited(world, auth):
    sent = _send(world)
    auth.as_user(world.lead_b)
    assert auth.client.get(f"/broadcasts/{sent.id}").status_code == 404
    assert auth.client.post(f"/broadcasts/{sent.id}/remind", data={"round": "1"}).status_code == 404
    assert f'data-id="{sent.id}"' not in auth.client.get("/messages/broadcasts").get_data(as_text=True)
    refused = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "broadcast",
                                                                    AuditEvent.actor_user_id == world.lead_b.id)).all()
    assert len(refused) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.dedupe_key.is_not(None))) == 0


@pytest.mark.parametrize("text", ["OK", "xác nhận", "Da nhan", "Đã xác nhận ạ"])
def test_an_sms_reply_confirms(world, text):
    _send(world)
    outcome, reply = replies.handle_reply(world.volunteer.person.phone, text)
    db.session.commit()
    assert (outcome, reply) == ("confirm", "Đã ghi nhận xác nhận của bạn. Cảm ơn!")
    assert confirmations.summaries(sa.true())[0].confirmed == 1


def test_an_open_alert_takes_the_reply_first_then_the_broadcast(world):
    backup = make_person(full_name="Người Dự Phòng")
    teams.add_member(world.commune_team, backup, "member")
    db.session.commit()
    _send(world)
    shift = rota.add_shift(world.commune_team, NOON, NOON + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    alerts.tick(NOON + timedelta(minutes=10))
    clock.set_now(NOON + timedelta(minutes=11))
    assert replies.handle_reply(backup.phone, "OK")[0] == "ack"
    db.session.commit()
    assert confirmations.summaries(sa.true())[0].confirmed == 0
    assert replies.handle_reply(backup.phone, "xác nhận")[0] == "confirm"
    db.session.commit()
    assert confirmations.summaries(sa.true())[0].confirmed == 1
    assert replies.handle_reply(backup.phone, "OK")[0] == "unknown"  # nothing left to answer


def test_the_composer_asks_for_confirmation(world, auth):
    auth.as_user(world.lead_a)
    page = auth.client.get(f"/provinces/{HANOI}/broadcast").get_data(as_text=True)
    assert "Yêu cầu xác nhận" in page
    response = auth.client.post(f"/provinces/{HANOI}/broadcast", data={
        "audience": "province", "body": TEXT, "urgent": "y", "confirm": "y", "action": "send"})
    assert response.status_code in (302, 303) and "/broadcasts/" in response.headers["Location"]
    assert len(_links()) == 3

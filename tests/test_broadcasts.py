"""Broadcasts: audiences, per-recipient unaccented text, segment counts, quiet hours and the
per-person limit (deferred, never dropped), the composer page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.messaging import broadcasts, outbox
from coordination.duty import checkins, rota
from models import Message, db
from tests.factories import HANOI

UTC = timezone.utc
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOON)
NIGHT = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 23:00 in Hà Nội
TEXT = "Khẩn: họp giao ban lúc 14:00 tại UBND phường."


def test_audiences(world):
    assert broadcasts.preview(HANOI, "province", None, TEXT).recipients == 3  # lead, commune lead, volunteer
    assert broadcasts.preview(HANOI, "communes", [world.commune_team.id], TEXT).recipients == 2
    assert broadcasts.preview(HANOI, "on_duty", None, TEXT).recipients == 0
    checkins.record_checkins(world.volunteer.id, [{
        "client_uuid": "0e7c1c4a-5b1d-4e0b-8a3e-2f1d2c3b4a51", "kind": "in",
        "occurred_at": utcnow().isoformat()}])
    assert broadcasts.preview(HANOI, "on_duty", None, TEXT).recipients == 1
    now = utcnow()
    shift = rota.add_shift(world.commune_team, now - timedelta(hours=1), now + timedelta(hours=3), 2)
    rota.assign(shift, world.commune_lead.person, "primary")
    assert broadcasts.preview(HANOI, "on_call", None, TEXT).recipients == 1


def test_segments_and_unaccented_version(world):
    world.volunteer.person.sms_ascii = True
    p = broadcasts.preview(HANOI, "province", None, TEXT)
    assert (p.ascii_recipients, p.accented.encoding, p.unaccented.encoding) == (1, "UCS-2", "GSM-7")
    assert p.unaccented_text == "Khan: hop giao ban luc 14:00 tai UBND phuong."


def test_send_queues_one_row_each_with_the_text_they_asked_for(world):
    world.volunteer.person.sms_ascii = True
    sent = broadcasts.send(world.lead_a.id, HANOI, "province", None, TEXT, urgent=True, now=NIGHT)
    db.session.commit()
    rows = dict(db.session.execute(sa.select(Message.person_id, Message.body)).all())
    assert sent.recipients == 3 and len(rows) == 3
    assert rows[world.volunteer.person_id] == "Khan: hop giao ban luc 14:00 tai UBND phuong."
    assert rows[world.lead_a.person_id] == TEXT
    assert set(db.session.scalars(sa.select(Message.next_attempt_at))) == {NIGHT}  # urgent: now, even at night


def test_non_urgent_waits_for_the_end_of_quiet_hours(world, quiet_hours_on):
    broadcasts.send(world.lead_a.id, HANOI, "province", None, "Họp tuần", urgent=False, now=NIGHT)
    db.session.commit()
    assert set(db.session.scalars(sa.select(Message.next_attempt_at))) == {datetime(2026, 11, 24, 23, 0, tzinfo=UTC)}


def test_the_sixth_non_urgent_sms_in_15_minutes_waits(world):
    person = world.volunteer.person
    for i in range(5):
        outbox.enqueue(person, f"tin {i}", "other", now=NOON - timedelta(minutes=5))
    db.session.commit()
    broadcasts.send(world.lead_a.id, HANOI, "communes", [world.commune_team.id], "Họp tuần", urgent=False, now=NOON)
    db.session.commit()
    due = dict(db.session.execute(sa.select(Message.person_id, Message.next_attempt_at)
                                  .where(Message.purpose == "broadcast")).all())
    assert due[person.id] == NOON + timedelta(minutes=15)
    assert due[world.commune_lead.person_id] == NOON


def test_composer_previews_then_sends_and_other_provinces_get_404(world, client, auth):
    auth.as_user(world.lead_a)
    html = client.post(f"/provinces/{HANOI}/broadcast", data={
        "audience": "province", "body": TEXT, "urgent": "y", "action": "preview"}).get_data(as_text=True)
    assert "3 người sẽ nhận." in html and "UCS-2" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    empty = client.post(f"/provinces/{HANOI}/broadcast", data={"audience": "province", "body": " ", "action": "send"})
    assert empty.status_code == 400 and "Nhập nội dung tin nhắn." in empty.get_data(as_text=True)
    sent = client.post(f"/provinces/{HANOI}/broadcast", data={
        "audience": "province", "body": TEXT, "urgent": "y", "action": "send"})
    assert sent.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 3
    auth.as_user(world.lead_b)
    assert client.get(f"/provinces/{HANOI}/broadcast").status_code == 404
    auth.as_user(world.volunteer)
    assert client.get(f"/provinces/{HANOI}/broadcast").status_code == 404

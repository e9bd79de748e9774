"""SMS that can be delivered and costs what it says (issue 16 part 6): a fixed-line number is a
contact number, flagged, and never queued as SMS; the unaccented text is really GSM-7."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import current_app

from coordination.duty import alerts, rota
from coordination.messaging import broadcasts, outbox, sms
from coordination.org import teams
from coordination.org.people import can_receive_sms
from models import Message, Person, db
from tests.factories import HANOI, make_person
from tests.test_member_import import ROWS, csv_bytes

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)
LANDLINE = "024 3825 1234"


@pytest.mark.parametrize("phone, ok", [(LANDLINE, False), ("028 3822 1234", False), ("0912 345 678", True),
                                       ("+84 987 654 321", True), ("+1 650 253 0000", True)])  # US: fixed or mobile
def test_only_numbers_sms_can_reach_are_mobile(phone, ok):
    assert can_receive_sms(phone) is ok


@pytest.fixture
def landline(world):
    person = make_person(full_name="Bác Máy Bàn", phone=LANDLINE)  # accepted as a contact number
    teams.add_member(world.commune_team, person, "member")
    db.session.commit()
    return person


def test_a_fixed_line_is_accepted_and_flagged_on_the_person_page(world, landline, auth):
    assert landline.phone == "+842438251234" and landline.sms_capable is False
    auth.as_user(world.lead_a)
    html = auth.client.get(f"/people/{landline.id}").get_data(as_text=True)
    assert "không nhận được SMS" in html and 'id="no-sms"' in html
    assert "không nhận được SMS" not in auth.client.get(f"/people/{world.volunteer.person_id}").get_data(as_text=True)
    listed = auth.client.get("/people?q=Máy Bàn").get_data(as_text=True)
    assert "Bác Máy Bàn" in listed and "không nhận được SMS" in listed


def test_the_composer_counts_them_apart_and_sends_them_nothing(world, landline, auth):
    auth.as_user(world.lead_a)
    html = auth.client.post(f"/provinces/{HANOI}/broadcast", data={
        "audience": "communes", "communes": [str(world.commune_team.id)], "body": "Họp tuần", "urgent": "y",
        "action": "preview"}).get_data(as_text=True)
    assert "2 người sẽ nhận." in html  # the commune lead and the volunteer, not the fixed line
    assert "Thêm 1 người trong danh sách không nhận được SMS (số máy bàn)" in html
    sent = broadcasts.send(world.lead_a.id, HANOI, "province", None, "Họp tuần", urgent=True)
    db.session.commit()
    assert sent.recipients == 3 and landline.id not in set(db.session.scalars(sa.select(Message.person_id)))


def test_alerts_skip_them_and_the_sms_page_says_so(world, landline, auth, twilio):
    """A fixed-line backup gets no reminder and no escalation; the escalation goes on to the
    commune lead. The fake Twilio server never sees the fixed line."""
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, landline, "backup")
    db.session.commit()
    for minutes in (-60, -10, 5, 10, 20):
        alerts.tick(T + timedelta(minutes=minutes))
    outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config), now=T + timedelta(minutes=20))
    assert twilio.sent and landline.phone not in {m["to"] for m in twilio.sent}
    assert world.commune_lead.person.phone in {m["to"] for m in twilio.sent}
    auth.as_user(world.lead_a)
    html = auth.client.get("/messages").get_data(as_text=True)
    assert "1 người bạn quản lý dùng số máy bàn, không nhận được SMS" in html
    auth.as_user(world.lead_b)  # another province's lead does not see this person, nor the count
    assert "số máy bàn" not in auth.client.get("/messages").get_data(as_text=True)


def test_the_import_preview_flags_fixed_lines(world, auth):
    auth.as_user(world.lead_a)
    rows = ROWS + ["Bác Máy Bàn,024 3825 1234,Phường Hoàn Kiếm,,Đoàn thanh niên,,Thành viên"]
    response = auth.client.post("/imports", data={"file": (io.BytesIO(csv_bytes(rows)), "m.csv")},
                                content_type="multipart/form-data")
    preview = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Số máy bàn: không nhận được SMS (1)" in preview and "+842438251234" in preview
    assert "Nhập 4 dòng" in preview  # accepted as a contact number
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    auth.client.post(f"/imports/{batch_id}/confirm", data={"mode": "skip"})
    db.session.commit()
    assert db.session.scalar(sa.select(Person.sms_capable).where(Person.phone == "+842438251234")) is False
    assert db.session.scalar(sa.select(Person.sms_capable).where(Person.phone == "+84912345001")) is True


# --- GSM-7 -----------------------------------------------------------------------------------

TYPOGRAPHIC = ("Khẩn – họp “giao ban” lúc 14:00… • mang theo máy\u00a0tính — ‘gấp’. Địa điểm: UBND phường Ba Đình, "
               "tầng 2, phòng họp số 3. Liên hệ: anh Minh 0912 345 678.")


def test_the_unaccented_variant_is_gsm7():
    plain = sms.for_recipient(TYPOGRAPHIC, True)
    assert plain.startswith('Khan - hop "giao ban" luc 14:00... - mang theo may tinh - \'gap\'. Dia diem')
    assert sms.segments(plain) == sms.Segments("GSM-7", len(plain), 1) and len(plain) <= 160
    assert sms.segments(sms.for_recipient("Xin chào 😀", True)).encoding == "GSM-7"  # never silently UCS-2


def test_the_composer_bills_the_unaccented_text_as_one_segment(world, auth):
    world.volunteer.person.sms_ascii = True
    db.session.commit()
    p = broadcasts.preview(HANOI, "province", None, TYPOGRAPHIC)
    assert (p.unaccented.encoding, p.unaccented.segments) == ("GSM-7", 1)
    auth.as_user(world.lead_a)
    html = auth.client.post(f"/provinces/{HANOI}/broadcast", data={
        "audience": "province", "body": TYPOGRAPHIC, "urgent": "y", "action": "preview"}).get_data(as_text=True)
    assert "1 người chọn nhận SMS không dấu; họ nhận (GSM-7, 1 tin)" in html
    broadcasts.send(world.lead_a.id, HANOI, "province", None, TYPOGRAPHIC, urgent=True)
    db.session.commit()
    body = db.session.scalar(sa.select(Message.body).where(Message.person_id == world.volunteer.person_id))
    assert sms.segments(body).segments == 1 and body == p.unaccented_text


def test_an_invitation_to_a_fixed_line_queues_no_sms_and_says_so(world, landline, auth):
    auth.as_user(world.commune_lead)
    html = auth.client.post(f"/people/{landline.id}/invite").get_data(as_text=True)
    assert "là số máy bàn, không nhận được SMS: không gửi SMS" in html and "/invite/" in html
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_times_and_phones_read_as_people_say_them():
    start = datetime(2026, 12, 1, 19, 56, tzinfo=UTC)  # 02:56 on 02/12 in Hà Nội
    assert sms.span(start, start + timedelta(hours=1)) == "02:56–03:56 ngày 02/12"
    night = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 22:00 on 01/12
    assert sms.span(night, night + timedelta(hours=8)) == "22:00 ngày 01/12–06:00 ngày 02/12"
    assert sms.national("+84987654321") == "0987 654 321"
    assert sms.short_team("Tổ Công nghệ cộng đồng Phường Ba Đình") == "Tổ Phường Ba Đình"

"""Pages as a user sees them: province completeness and gaps, forms with errors beside fields, times."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from coordination.org import teams
from models import AdminUnit, Membership, Person, db
from tests.factories import HANOI, make_person


def _communes_in_hanoi() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AdminUnit).where(
        AdminUnit.province_code == HANOI, AdminUnit.level == "commune"))


def test_province_page_flags_missing_roles_and_lists_gaps(world, client, auth):
    auth.as_user(world.lead_a)
    html = client.get(f"/provinces/{HANOI}").get_data(as_text=True)
    assert "Thiếu thành phần" in html
    assert html.count("Còn thiếu") == 2  # health co-chair and leader in charge
    assert "Trưởng Hà Nội" in html
    assert f"Xã/phường chưa có tổ ({_communes_in_hanoi() - 1})" in html
    # The commune team row shows its lead and active member count.
    row = re.search(r"Tổ Trưởng Xã</td>\s*<td class=\"num\">(\d+)</td>", html)
    assert row and row.group(1) == "2"


def test_adding_a_member_with_a_bad_phone_shows_the_error_beside_the_field(world, client, auth):
    auth.as_user(world.commune_lead)
    response = client.post(f"/teams/{world.commune_team.id}/members", data={
        "new-full_name": "Trần Văn Mới", "new-phone": "09123", "new-role": "member",
        "new-affiliation": "youth_union"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="new-phone-error"' in html and "“09123” không phải là số điện thoại hợp lệ." in html
    assert 'value="Trần Văn Mới"' in html  # what was typed is kept
    assert db.session.scalar(sa.select(Person).where(Person.full_name == "Trần Văn Mới")) is None


def test_adding_a_member_with_a_taken_phone_does_not_name_the_owner(world, client, auth):
    auth.as_user(world.commune_lead)
    html = client.post(f"/teams/{world.commune_team.id}/members", data={
        "new-full_name": "Người Khác", "new-phone": "0987 654 321", "new-role": "member",
        "new-affiliation": "youth_union"}).get_data(as_text=True)
    assert "Số +84987654321 đã được đăng ký" in html and "đã thuộc về" not in html


def test_add_existing_person_and_end_membership_keeps_history(world, client, auth):
    auth.as_user(world.commune_lead)
    other = make_person(full_name="Người Có Sẵn", phone="0912 111 222")
    db.session.commit()
    response = client.post(f"/teams/{world.commune_team.id}/members/existing",
                           data={"existing-phone": "0912111222", "existing-role": "member"})
    assert response.status_code == 302
    membership = db.session.scalar(sa.select(Membership).where(Membership.person_id == other.id))
    assert client.post(f"/memberships/{membership.id}/end", data={}).status_code == 302
    html = client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)
    assert "Thành viên cũ (1)" in html and "Người Có Sẵn" in html


def test_province_lead_creates_a_commune_team_and_bad_codes_are_refused(world, client, auth):
    auth.as_user(world.lead_a)
    bad = client.post(f"/provinces/{HANOI}/communes", data={"commune_code": "26740"})  # a HCM commune
    assert bad.status_code == 400 and "không thuộc tỉnh/thành phố này" in bad.get_data(as_text=True)
    empty = client.post(f"/provinces/{HANOI}/communes", data={"commune_code": ""})
    assert "Chọn xã/phường." in empty.get_data(as_text=True)
    unit = db.session.scalar(sa.select(AdminUnit).where(AdminUnit.province_code == HANOI, AdminUnit.level == "commune")
                             .order_by(AdminUnit.code.desc()).limit(1))
    ok = client.post(f"/provinces/{HANOI}/communes", data={"commune_code": unit.code})
    assert ok.status_code == 302
    assert teams.commune_team(unit.code) is not None


def test_times_are_shown_in_vietnam_time(world, client, auth):
    world.volunteer.last_login_at = datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc)
    db.session.commit()
    auth.as_user(world.commune_lead)
    assert "01/01/2026 07:30" in client.get(f"/people/{world.volunteer.person_id}").get_data(as_text=True)


def test_naive_datetimes_are_refused(world):
    import pytest

    world.volunteer.last_login_at = datetime(2026, 1, 1, 0, 30)
    with pytest.raises(sa.exc.StatementError, match="naive datetime refused"):
        db.session.commit()
    db.session.rollback()


def test_national_page_counts_teams_per_province(world, client, auth):
    auth.as_user(world.ministry)
    html = client.get("/").get_data(as_text=True)
    assert "<b>34</b> tỉnh/thành" in html
    assert "<b>2</b> / 3.321 xã/phường đã có tổ" in html  # Vietnamese groups thousands with a dot
    hanoi = re.search(r'<a href="/provinces/01">.*?</tr>', html, re.S).group(0)
    assert "Thiếu thành phần" in hanoi and "Còn thiếu: Đồng tổ trưởng (Sở Y tế), Lãnh đạo tỉnh phụ trách" in hanoi


def test_counts_are_written_as_the_reader_writes_them(world, client, auth, app):
    from flask_babel import force_locale

    from coordination.core.text import num

    auth.as_user(world.ministry)
    world.ministry.locale = "en"
    db.session.commit()
    assert "<b>2</b> / 3,321 communes with a team" in client.get("/").get_data(as_text=True)
    with app.test_request_context("/"), force_locale("vi"):
        assert [num(100066), num(12.5), num(7), num(None)] == ["100.066", "12,5", "7", ""]
    with app.test_request_context("/"), force_locale("en"):
        assert [num(100066), num(12.5), num(1234567.25)] == ["100,066", "12.5", "1,234,567.2"]


def test_edit_person_rejects_bad_email_beside_the_field(world, client, auth):
    auth.as_user(world.volunteer)
    response = client.post(f"/people/{world.volunteer.person_id}/edit", data={
        "full_name": "Tình Nguyện Viên", "phone": "0987654321", "email": "not-an-email",
        "affiliation": "youth_union"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_search_page_finds_old_address(world, client, auth):
    auth.as_user(world.volunteer)
    html = client.get("/search", query_string={"q": "Phường Bến Nghé, Quận 1"}).get_data(as_text=True)
    assert "Phường Sài Gòn" in html and "trước đây: Phường Bến Nghé, Quận 1" in html


def test_a_tampered_choice_gets_a_vietnamese_error_beside_the_field(world, client, auth):
    auth.as_user(world.commune_lead)
    response = client.post(f"/teams/{world.commune_team.id}/members", data={
        "new-full_name": "Người Lạ", "new-phone": "0912000777", "new-role": "pirate",
        "new-affiliation": "youth_union"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="new-role-error"' in html and "Lựa chọn không hợp lệ." in html

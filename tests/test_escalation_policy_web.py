"""The escalation policy pages (issue 20 §3): who may open and save them (a province's default, a
team's own), errors in Vietnamese beside the field with nothing stored, names that never leak
through the form, audited changes and refusals."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import escalation_policy as policy
from coordination.org import teams
from models import AuditEvent, EscalationPolicy, db
from tests.factories import HANOI, make_person

T = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(T)


def team_url(world):
    return f"/teams/{world.commune_team.id}/escalation-policy"


@pytest.mark.parametrize("role, team_page, province_page", [
    ("ministry", 200, 200), ("lead_a", 200, 200), ("lead_b", 404, 404), ("commune_lead", 200, 404),
    ("volunteer", 404, 404)])
def test_who_opens_which_page(world, client, auth, role, team_page, province_page):
    auth.as_user(world.users()[role])
    assert client.get(team_url(world)).status_code == team_page
    assert client.get(f"/provinces/{HANOI}/escalation-policy").status_code == province_page
    team = client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)
    assert ("Chính sách báo động" in team) == (team_page == 200)


def test_anonymous_is_sent_to_sign_in(world, client):
    assert "/login" in client.get(team_url(world)).headers["Location"]
    assert client.get(f"/teams/{world.province_team_a.id}/escalation-policy").status_code == 302


def test_the_province_page_links_to_its_default(world, client, auth):
    auth.as_user(world.lead_a)
    page = client.get(f"/provinces/{HANOI}").get_data(as_text=True)
    assert f'href="/provinces/{HANOI}/escalation-policy"' in page
    body = client.get(f"/provinces/{HANOI}/escalation-policy").get_data(as_text=True)
    assert "Chính sách mặc định của hệ thống" in body and "Phút 10" in body and "Phút 30" in body


def test_a_bad_wait_is_refused_beside_its_field_and_nothing_is_stored(world, client, auth):
    auth.as_user(world.commune_lead)
    response = client.post(team_url(world), data={"step-1-wait": "500", "step-1-roles": "backup", "repeats": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="step-1-wait-error"' in page and "Bước 1, thời gian chờ: chọn từ 0 đến 120 phút." in page
    assert 'value="500" aria-invalid="true"' in page  # what was typed stays, marked
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EscalationPolicy)) == 0


def test_saving_a_team_policy_is_audited_and_shown(world, client, auth):
    named = make_person(full_name="Anh Trực Đêm")
    teams.add_member(world.commune_team, named, "member")
    db.session.commit()
    auth.as_user(world.commune_lead)
    response = client.post(team_url(world), data={
        "step-1-wait": "5", "step-1-roles": "backup", "step-1-channels": "sms",
        "step-2-wait": "15", "step-2-people": str(named.id), "step-2-channels": "sms_voice",
        "step-3-wait": "", "repeats": "2"})
    assert response.status_code == 302
    page = client.get(team_url(world)).get_data(as_text=True)
    assert "Đã lưu chính sách báo động." in page and "Chính sách riêng của tổ này" in page
    assert "Phút 5: Người trực dự phòng của ca" in page and "Phút 20: Anh Trực Đêm" in page
    assert "chạy lại toàn bộ chính sách, tối đa 2 lần nữa" in page
    followed = policy.effective(world.commune_team.id, HANOI)
    assert followed.repeats == 2 and followed.steps[1].people == (named.id,)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "escalation_policy"))
    assert event.action == "update" and event.team_id == world.commune_team.id and event.province_code == HANOI
    audit = client.get("/audit").get_data(as_text=True)
    assert "đã thay đổi chính sách báo động của" in audit
    client.post(team_url(world), data={"reset": "1"})
    assert policy.effective(world.commune_team.id, HANOI).source == "builtin"


def test_a_name_from_outside_the_team_is_refused_without_being_named(world, client, auth):
    outsider = make_person(full_name="Người Lạ Sài Gòn")
    teams.add_member(world.commune_team_b, outsider, "member")
    db.session.commit()
    auth.as_user(world.commune_lead)
    response = client.post(team_url(world), data={"step-1-wait": "5", "step-1-people": str(outsider.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Người Lạ Sài Gòn" not in page
    assert "không phải thành viên hiện tại của tổ" in page
    assert "Trưởng Sài Gòn" not in page  # the form offers only this team's members
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EscalationPolicy)) == 0


def test_a_province_default_names_only_the_province_team_and_a_commune_lead_sees_no_names(world, client, auth):
    auth.as_user(world.lead_a)
    assert client.post(f"/provinces/{HANOI}/escalation-policy", data={
        "step-1-wait": "10", "step-1-roles": "commune_lead", "step-2-wait": "10",
        "step-2-people": str(world.lead_a.person_id), "repeats": "1"}).status_code == 302
    assert client.post(f"/provinces/{HANOI}/escalation-policy", data={
        "step-1-wait": "10", "step-1-people": str(world.commune_lead.person_id)}).status_code == 400
    auth.as_user(world.commune_lead)
    page = client.get(team_url(world)).get_data(as_text=True)
    assert "Chính sách mặc định của tỉnh" in page and "Phút 20: 1 người được chỉ định không hiện ở đây" in page
    assert "Trưởng Hà Nội" not in page


def test_saving_outside_ones_area_is_refused_and_audited(world, client, auth):
    auth.as_user(world.lead_b)
    data = {"step-1-wait": "5", "step-1-roles": "backup"}
    assert client.post(team_url(world), data=data).status_code == 404
    assert client.post(f"/provinces/{HANOI}/escalation-policy", data=data).status_code == 404
    auth.as_user(world.volunteer)
    assert client.post(team_url(world), data=data).status_code == 404
    refused = db.session.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "refused")).all()
    assert [r["attempted"] for r in refused] == ["edit_escalation_policy"] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EscalationPolicy)) == 0

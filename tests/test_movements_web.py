"""Movement pages (issue 22 §1–2): launching, the page, registering, approving, sending back,
reminding — and who may reach each (another province's lead, another commune's lead, a volunteer)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from coordination.core.permissions import scope_for_person
from coordination.emulation import movements
from coordination.org import teams
from models import AuditEvent, Message, Movement, MovementTeam, db
from tests.factories import HANOI, communes_of, make_person, make_user

NOW = datetime(2026, 10, 20, 5, 0, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)


def launch_form(**kw):
    data = {"name": "Chiến dịch 90 ngày", "theme": "Mỗi người dân một tài khoản VNeID",
            "period_start": "01/10/2026", "period_end": "31/12/2026", "who": "all",
            "weight_residents_helped": "3", "weight_shift_coverage": "1", "floor_residents_helped": "40"}
    data.update(kw)
    return data


@pytest.fixture
def movement(world):
    b = teams.create_commune_team(communes_of(HANOI, 2)[1].code)
    lead = make_person(full_name="Tổ Trưởng B")
    teams.add_member(b, lead, "lead")
    world.team_b, world.commune_lead_b = b, make_user(lead)
    m = movements.launch(scope_for_person(world.lead_a.person_id), world.lead_a.id, name="Thi đua Hà Nội",
                         theme="Chuyển đổi số", first=date(2026, 10, 1), last=date(2026, 12, 31),
                         province_code=HANOI, weights={"residents_helped": 1}, floors={})
    db.session.commit()
    world.movement = m
    return world


def test_a_province_lead_launches_with_dd_mm_yyyy_dates(world, client, auth):
    auth.as_user(world.lead_a)
    page = client.post(f"/thi-dua/movements/new?province={HANOI}", data=launch_form())
    assert page.status_code == 302
    m = db.session.scalar(sa.select(Movement))
    assert (m.start_date, m.end_date, m.province_code) == (date(2026, 10, 1), date(2026, 12, 31), HANOI)
    assert [(c.metric, c.weight, c.floor) for c in m.criteria] == [("residents_helped", 3, 40.0),
                                                                   ("shift_coverage", 1, None)]
    shown = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Mỗi người dân một tài khoản VNeID" in shown
    method = shown.split('id="method"')[1]  # how each criterion is computed, and the floor
    assert "có ít nhất một lượt vào ca" in method and "chỉ tiêu tối thiểu 40<br>" in method
    assert "0 trên 1 tổ đã đăng ký" in shown  # the registration share (the one Hà Nội team)


def test_launch_errors_name_their_field(world, client, auth):
    auth.as_user(world.lead_a)
    page = client.post(f"/thi-dua/movements/new?province={HANOI}",
                       data=launch_form(weight_residents_helped="", weight_shift_coverage="", floor_residents_helped=""),
                       headers={"Accept-Language": "vi"})
    assert page.status_code == 400
    assert 'id="weight_residents_helped-error"' in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Movement)) == 0


@pytest.mark.parametrize("who,province,status", [
    ("ministry", "", 200), ("lead_a", "", 404), ("lead_a", HANOI, 200), ("lead_b", HANOI, 404),
    ("commune_lead", HANOI, 404), ("volunteer", HANOI, 404),
])
def test_who_may_open_the_launch_form(world, client, auth, who, province, status):
    auth.as_user(world.users()[who])
    assert client.get(f"/thi-dua/movements/new?province={province}").status_code == status


@pytest.mark.parametrize("who,status", [("ministry", 200), ("lead_a", 200), ("lead_b", 404),
                                        ("commune_lead", 200), ("volunteer", 200)])
def test_who_sees_a_province_movement(movement, client, auth, who, status):
    auth.as_user(movement.users()[who])
    assert client.get(f"/thi-dua/movements/{movement.movement.id}").status_code == status


def test_register_send_back_register_approve_and_rank(movement, client, auth):
    m, team = movement.movement, movement.commune_team
    url = f"/thi-dua/movements/{m.id}/teams/{team.id}"
    cid = m.criteria[0].id
    auth.as_user(movement.commune_lead_b)  # another commune's lead
    assert client.post(url, data={f"c{cid}": "5"}).status_code == 404
    auth.as_user(movement.commune_lead)
    assert client.post(url, data={f"c{cid}": "0"}).status_code == 400
    assert client.post(url, data={f"c{cid}": "5"}).status_code == 302
    auth.as_user(movement.lead_b)  # another province's lead: the movement is not theirs to see
    assert client.post(url + "/approve").status_code == 404
    auth.as_user(movement.lead_a)
    client.post(url + "/send_back", data={"reason": "Chỉ tiêu quá thấp so với dân số"})
    auth.as_user(movement.commune_lead)
    page = client.get(url).get_data(as_text=True)
    assert "Chỉ tiêu quá thấp so với dân số" in page
    progress = page.split('id="progress"')[1].split("</section>")[0]  # the team sees its figures and target
    assert "Lượt người dân được hỗ trợ" in progress and ">5<" in progress
    client.post(url, data={f"c{cid}": "50"})
    auth.as_user(movement.volunteer)  # a member sees the team's registration but cannot approve
    assert client.get(url).status_code == 200
    assert client.post(url + "/approve").status_code == 404
    auth.as_user(movement.lead_a)
    assert client.post(url + "/approve").status_code == 302
    entry = db.session.scalar(sa.select(MovementTeam).where(MovementTeam.team_id == team.id))
    assert entry.state == "approved"
    shown = client.get(f"/thi-dua/movements/{m.id}").get_data(as_text=True)
    assert "1 trên 2 tổ đã đăng ký" in shown
    assert team.admin_unit.name in shown.split('id="ranking"')[1].split('id="progress"')[0]
    refused = db.session.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "refused")).all()
    assert {"attempted": "approve_registration"} in refused  # the volunteer's try


def test_the_reminder_button_queues_one_sms_for_a_double_tap(movement, client, auth, ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "PUBLIC_BASE_URL", "https://tcn.example.vn")
    m, team = movement.movement, movement.commune_team
    url = f"/thi-dua/movements/{m.id}/teams/{team.id}/remind"
    for outsider in ("lead_b", "commune_lead", "volunteer"):
        auth.as_user(movement.users()[outsider])
        assert client.post(url).status_code == 404
    auth.as_user(movement.lead_a)
    page = client.get(f"/thi-dua/movements/{m.id}").get_data(as_text=True)
    assert page.count("Nhắc qua SMS") == 2  # both teams unregistered
    assert client.post(url, data={"back": "movement"}).status_code == 302
    assert client.post(url, data={"back": "movement"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    assert db.session.scalar(sa.select(Message.person_id)) == movement.commune_lead.person_id


def test_the_audit_trail_reads_in_vietnamese(movement, client, auth):
    auth.as_user(movement.lead_a)
    page = client.get("/audit").get_data(as_text=True)
    assert "Trưởng Hà Nội phát động phong trào thi đua “Thi đua Hà Nội” cho 2 tổ" in page


@pytest.mark.parametrize("path", ["/thi-dua/movements/99999999999999", "/thi-dua/movements/new?province=zz",
                                  "/thi-dua/movements/1/teams/99999999999999"])
def test_unknown_ids_are_not_found(movement, client, auth, path):
    auth.as_user(movement.ministry)
    assert client.get(path).status_code == 404


def test_an_impossible_date_is_refused_beside_its_field(world, client, auth):
    auth.as_user(world.ministry)
    page = client.post("/thi-dua/movements/new", data=launch_form(period_start="31/02/2026"))
    assert page.status_code == 400 and 'id="period_start-error"' in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Movement)) == 0


def test_the_minutes_to_acknowledge_criterion_is_launched_with_a_maximum_and_explained(world, client, auth):
    """Lower is better: the organiser's bound is a maximum, said so on the page; its method is explained."""
    auth.as_user(world.lead_a)
    page = client.post(f"/thi-dua/movements/new?province={HANOI}",
                       data=launch_form(weight_alerts_ack_minutes="2", floor_alerts_ack_minutes="10"))
    assert page.status_code == 302
    m = db.session.scalar(sa.select(Movement))
    assert [(c.metric, c.weight, c.floor) for c in m.criteria][-1] == ("alerts_ack_minutes", 2, 10.0)
    method = client.get(page.headers["Location"]).get_data(as_text=True).split('id="method"')[1]
    assert "Số phút trung vị để xác nhận cảnh báo (càng thấp càng tốt)" in method
    assert "chỉ tiêu tối đa 10<br>" in method and "trung vị trên các ca đã được xác nhận" in method
    team = client.get(f"/thi-dua/movements/{m.id}/teams/{world.commune_team.id}").get_data(as_text=True)
    assert "(tối đa 10)" in team

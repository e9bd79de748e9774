"""The week grid's pages without JavaScript (issue 19 §1): who may see and change it, warnings on a
confirmation page before anything is saved, removal asks first, patterns and copying week by form;
and the same forms sent by the grid's script answer with the new cell."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import rota
from coordination.org import teams
from models import RotaPattern, Shift, ShiftAssignment, db
from tests.factories import ROLES, make_person

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday 2 Dec 2026, 10:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOW)
H = timedelta(hours=1)
FETCH = {"X-Requested-With": "fetch"}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC) - 7 * H


@pytest.fixture
def grid(world):
    team = world.commune_team
    people = []
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi"):
        people.append(make_person(full_name=name))
        teams.add_member(team, people[-1])
    morning = rota.add_shift(team, at(7, 6), at(7, 14))
    evening = rota.add_shift(team, at(7, 14), at(7, 22))
    rota.assign(morning, people[0], "primary")
    db.session.commit()
    return team, people, morning, evening


def _count(shift) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ShiftAssignment)
                             .where(ShiftAssignment.shift_id == shift.id))


def test_week_permission_matrix(world, grid, auth):
    team, people, morning, evening = grid
    routes = [  # ministry lead_a lead_b c_lead vol anon
        ("GET", f"/teams/{team.id}/week?start=2026-12-07", None, (200, 200, 404, 200, 200, 302)),
        ("POST", f"/shifts/{evening.id}/staff", {"person_id": str(people[2].id)}, (302, 302, 404, 302, 404, 302)),
        ("POST", f"/teams/{team.id}/week/copy?start=2026-12-07", {"weeks": "1"}, (302, 302, 404, 302, 404, 302)),
    ]
    for role in ROLES:
        for route in routes:
            auth.check_route(world, role, route)
        auth.logout()


def test_the_grid_shows_days_shifts_people_and_gaps(world, grid, client, auth):
    team, people, morning, evening = grid
    auth.as_user(world.commune_lead)
    page = client.get(f"/teams/{team.id}/week?start=2026-12-09").get_data(as_text=True)  # any day: its week
    assert "07/12–13/12/2026" in page and "T2 07/12" in page
    assert "06:00–14:00" in page and "Nguyễn Văn An" in page and "chính" in page
    assert page.count('class="cell gap"') == 2  # 1/2 and 0/2: both short
    assert "2 ca thiếu người" in page
    assert "start=2026-11-30" in page and "start=2026-12-14" in page  # previous / next week


def test_a_warning_is_confirmed_on_a_page_before_saving(world, grid, client, auth):
    team, people, morning, evening = grid
    auth.as_user(world.commune_lead)
    answer = client.post(f"/shifts/{evening.id}/staff", data={"person_id": str(people[0].id), "role": "auto"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "16 giờ liên tục" in page and 'name="confirm" value="1"' in page
    assert _count(evening) == 0
    answer = client.post(f"/shifts/{evening.id}/staff", data={"person_id": str(people[0].id), "confirm": "1"})
    assert answer.status_code == 302 and _count(evening) == 1


def test_removing_asks_first(world, grid, client, auth):
    team, people, morning, evening = grid
    auth.as_user(world.commune_lead)
    assignment = db.session.scalar(sa.select(ShiftAssignment).where(ShiftAssignment.shift_id == morning.id))
    page = client.get(f"/assignments/{assignment.id}/remove").get_data(as_text=True)
    assert "Bỏ Nguyễn Văn An khỏi ca 07/12 06:00–14:00?" in page and _count(morning) == 1
    answer = client.post(f"/assignments/{assignment.id}/remove", data={"next": f"/teams/{team.id}/week"})
    assert answer.headers["Location"].endswith(f"/teams/{team.id}/week") and _count(morning) == 0


def test_the_grid_script_gets_the_new_cell(world, grid, client, auth):
    team, people, morning, evening = grid
    auth.as_user(world.commune_lead)
    reply = client.post(f"/shifts/{morning.id}/staff", data={"person_id": str(people[1].id)}, headers=FETCH).get_json()
    assert reply["warnings"] == [] and "Trần Thị Bình" in reply["html"] and "2/2" in reply["html"]
    reply = client.post(f"/shifts/{morning.id}/staff", data={"person_id": str(people[2].id)}, headers=FETCH).get_json()
    assert "3" in reply["warnings"][0] and _count(morning) == 2  # a third: not saved before confirming
    answer = client.post(f"/shifts/{morning.id}/staff", data={"person_id": "x"}, headers=FETCH)
    assert answer.status_code == 400 and answer.get_json()["error"]


def test_a_pattern_typed_once_then_copied(world, grid, client, auth):
    team, people, morning, evening = grid
    auth.as_user(world.commune_lead)
    answer = client.post(f"/teams/{team.id}/patterns?start=2026-12-07", data={
        "name": "Đêm", "required": "2", "weeks": "1", "text": "T2-CN 22:00-06:00: Bình chính, Chi dự phòng"})
    assert answer.status_code == 302
    nights = db.session.scalars(sa.select(Shift).where(Shift.team_id == team.id, Shift.starts_at >= at(7, 22))).all()
    assert len(nights) == 7 and all(_count(s) == 2 for s in nights)
    answer = client.post(f"/teams/{team.id}/patterns?start=2026-12-07", data={
        "name": "Sai", "required": "2", "weeks": "1", "text": "T2 22:00-06:00: Dũng"})
    assert answer.status_code == 400 and "Dòng 1" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RotaPattern)) == 1
    client.post(f"/teams/{team.id}/week/copy?start=2026-12-07", data={"weeks": "2"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift).where(Shift.team_id == team.id)) == 9 * 3
    page = client.get(f"/teams/{team.id}/week?start=2026-12-14").get_data(as_text=True)
    assert "Trần Thị Bình" in page and "Lê Văn Chi" in page  # the copied week names its people
    assert client.post(f"/teams/{team.id}/week/copy?start=2026-12-07", data={"weeks": "99"}).status_code == 302


def test_a_member_trying_a_leads_change_of_the_rota_is_refused_and_audited(world, grid, client, auth):
    from models import AuditEvent

    team, people, morning, evening = grid
    auth.as_user(world.volunteer)  # a member of the team, not its lead
    assert client.post(f"/shifts/{evening.id}/staff", data={"person_id": str(people[2].id)}).status_code == 404
    assert client.post(f"/teams/{team.id}/week/copy?start=2026-12-07", data={"weeks": "1"}).status_code == 404
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert [(e.entity, e.entity_id, e.after["attempted"]) for e in refused] == [("rota", str(team.id), "manage")] * 2
    assert _count(evening) == 0
    auth.as_user(world.lead_b)  # another province's lead: the team is not even visible, a plain 404
    assert client.post(f"/shifts/{evening.id}/staff", data={"person_id": str(people[2].id)}).status_code == 404

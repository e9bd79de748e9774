"""Giving back, swaps and overrides through /duty/'s API and the rota page (issue 19 §2): who may do
what (the assignee, the teammate asked, the team's leads — not another province's lead, not a
stranger), the errors a phone shows, a double tap, the history on the rota page and the audit trail."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.core.audit_text import describe
from coordination.duty import changes, rota
from coordination.org import teams
from models import AuditEvent, Membership, ShiftAssignment, ShiftChange, db
from models.shifts import PRIMARY
from tests.factories import ROLES, make_person, make_user

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock_at(NOW)
H = timedelta(hours=1)


@pytest.fixture
def setup(world):
    """The volunteer is primary on a shift 20 h away; Chi, a teammate with an account, is free."""
    t = world.commune_team
    chi = make_person(full_name="Lê Văn Chi")
    teams.add_member(t, chi)
    chi_user = make_user(chi)
    shift = rota.add_shift(t, NOW + 20 * H, NOW + 28 * H, 1)
    rota.assign(shift, world.volunteer.person, PRIMARY)
    db.session.commit()
    return dict(shift=shift, chi=chi, chi_user=chi_user)


def _place(shift):
    return db.session.scalar(sa.select(ShiftAssignment.person_id).where(ShiftAssignment.shift_id == shift.id))


def _routes(w, s, change_id):
    #                                                                        ministry lead_a lead_b c_lead vol anon
    return [
        ("POST", f"/api/v1/shifts/{s.id}/give-back", {},                     (404, 404, 404, 404, 201, 401)),
        ("POST", f"/api/v1/shift-changes/{change_id}/accept", {},            (404, 404, 404, 404, 404, 401)),
        ("POST", f"/api/v1/shift-changes/{change_id}/decline", {},           (404, 404, 404, 404, 404, 401)),
        ("POST", f"/shift-changes/{change_id}/refuse", {},                   (302, 302, 404, 302, 404, 302)),
        ("POST", f"/shifts/{s.id}/override", {"assignment_id": "0", "person_id": "0"},
                                                                              (302, 302, 404, 302, 404, 302)),
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize("role", ROLES)
def test_shift_change_permission_matrix(world, setup, auth, role, index):
    change = changes.ask_swap(setup["shift"], world.volunteer.person, setup["chi"])
    db.session.commit()
    if index == 0:  # giving back: only the assignee (the open request is withdrawn first)
        changes.cancel(change, world.volunteer.person)
        db.session.commit()
    auth.check_route(world, role, _routes(world, setup["shift"], change.id)[index])


def test_give_back_from_duty_and_a_teammate_takes_it_with_one_tap(world, setup, client, auth):
    shift, chi = setup["shift"], setup["chi"]
    auth.as_user(world.volunteer)
    me = client.get("/api/v1/duty/me").get_json()
    assert me["upcoming"][0]["can_change"] and [m["name"] for m in me["teammates"][str(shift.team_id)]] == [
        "Lê Văn Chi", "Tổ Trưởng Xã"]
    assert client.post(f"/api/v1/shifts/{shift.id}/give-back").status_code == 201
    again = client.post(f"/api/v1/shifts/{shift.id}/give-back")  # a double tap
    assert again.status_code == 409 and "đã trả ca" in again.get_json()["error"]
    mine = client.get("/api/v1/duty/me").get_json()["upcoming"][0]
    assert mine["change"]["kind"] == "give_back" and not mine["can_change"]
    auth.as_user(setup["chi_user"])
    open_shifts = client.get("/api/v1/duty/me").get_json()["open_shifts"]
    assert [(s["id"], s["given_back_by"]) for s in open_shifts] == [(shift.id, ["Tình Nguyện Viên"])]
    taken = client.post(f"/api/v1/shifts/{shift.id}/claim")
    assert taken.status_code == 201 and taken.get_json()["role"] == PRIMARY
    assert _place(shift) == chi.id
    assert client.post(f"/api/v1/shifts/{shift.id}/claim").status_code == 409  # a second tap: full, nothing more


def test_too_late_and_past_shifts_are_refused_in_vietnamese(world, setup, client, auth):
    late = rota.add_shift(world.commune_team, NOW + 3 * H, NOW + 8 * H, 1)
    past = rota.add_shift(world.commune_team, NOW - 9 * H, NOW - H, 1)
    for s in (late, past):
        rota.assign(s, world.volunteer.person, PRIMARY)
    db.session.commit()
    auth.as_user(world.volunteer)
    for s in (late, past):
        r = client.post(f"/api/v1/shifts/{s.id}/give-back")
        assert r.status_code == 400 and "12 giờ" in r.get_json()["error"]
        assert client.post(f"/api/v1/shifts/{s.id}/swap", json={"person_id": setup["chi"].id}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftChange)) == 0


def test_a_swap_asked_of_a_stranger_or_another_team_is_refused(world, setup, client, auth):
    auth.as_user(world.volunteer)
    stranger = make_person(full_name="Người Ngoài")
    other_team = db.session.scalar(sa.select(Membership.person_id).where(
        Membership.team_id == world.commune_team_b.id))
    db.session.commit()
    for pid in (stranger.id, other_team, 10**9):
        r = client.post(f"/api/v1/shifts/{setup['shift'].id}/swap", json={"person_id": pid})
        assert r.status_code == 400 and r.get_json()["field"] == "person_id"
    assert client.post(f"/api/v1/shifts/{setup['shift'].id}/swap", json={"person_id": "x"}).status_code == 400


def test_swap_accepted_on_duty_then_refused_by_the_lead_on_the_rota_page(world, setup, client, auth):
    shift, chi = setup["shift"], setup["chi"]
    auth.as_user(world.volunteer)
    change_id = client.post(f"/api/v1/shifts/{shift.id}/swap", json={"person_id": chi.id}).get_json()["change"]["id"]
    auth.as_user(setup["chi_user"])
    asked = client.get("/api/v1/duty/me").get_json()["asked"]
    assert [(c["id"], c["from"]) for c in asked] == [(change_id, "Tình Nguyện Viên")]
    assert client.post(f"/api/v1/shift-changes/{change_id}/accept").status_code == 200
    assert client.post(f"/api/v1/shift-changes/{change_id}/accept").status_code == 409  # once
    assert _place(shift) == chi.id
    auth.as_user(world.commune_lead)
    page = client.get(f"/teams/{shift.team_id}/rota").get_data(as_text=True)
    assert "Thay đổi lịch trực" in page and "Tình Nguyện Viên nhờ Lê Văn Chi trực thay" in page
    r = client.post(f"/shift-changes/{change_id}/refuse", follow_redirects=True)
    assert "vẫn trực ca này" in r.get_data(as_text=True)
    assert _place(shift) == world.volunteer.person_id
    sentences = [describe(e, {("person", str(world.volunteer.person_id)): "Tình Nguyện Viên",
                              ("person", str(chi.id)): "Lê Văn Chi"}, actor="X")
                 for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "shift",
                                                                          AuditEvent.action.in_(
                                                                              ("ask_swap", "take_over",
                                                                               "refuse_change"))))]
    assert any("nhờ Lê Văn Chi trực thay" in s for s in sentences)
    assert any("không đồng ý" in s and "Tình Nguyện Viên vẫn trực" in s for s in sentences)


def test_another_provinces_lead_cannot_refuse_and_is_recorded(world, setup, client, auth):
    change = changes.give_back(setup["shift"], world.volunteer.person)
    db.session.commit()
    auth.as_user(world.lead_b)
    assert client.post(f"/shift-changes/{change.id}/refuse").status_code == 404
    assert db.session.get(ShiftChange, change.id).state == "open"
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "refused",
                                                            AuditEvent.actor_user_id == world.lead_b.id))


def test_the_lead_overrides_a_place_and_a_warning_is_confirmed_first(world, setup, client, auth):
    shift, chi = setup["shift"], setup["chi"]
    before = rota.add_shift(world.commune_team, shift.starts_at - 6 * H, shift.starts_at - 2 * H, 1)
    rota.assign(before, chi, PRIMARY)  # Chi would have only 2 h of rest
    db.session.commit()
    place = db.session.scalar(sa.select(ShiftAssignment.id).where(ShiftAssignment.shift_id == shift.id))
    auth.as_user(world.commune_lead)
    form = {"assignment_id": str(place), "person_id": str(chi.id)}
    page = client.post(f"/shifts/{shift.id}/override", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Chưa lưu" in page and _place(shift) == world.volunteer.person_id
    page = client.post(f"/shifts/{shift.id}/override", data=dict(form, confirmed="1"),
                       follow_redirects=True).get_data(as_text=True)
    assert "trực thay trong ca này" in page and _place(shift) == chi.id
    assert "trưởng nhóm xếp Lê Văn Chi trực thay Tình Nguyện Viên" in page
    # another team's place named on this shift's URL: refused, nothing moves
    other = rota.add_shift(world.commune_team, NOW + 40 * H, NOW + 48 * H, 1)
    rota.assign(other, world.volunteer.person, PRIMARY)
    db.session.commit()
    other_place = db.session.scalar(sa.select(ShiftAssignment.id).where(ShiftAssignment.shift_id == other.id))
    client.post(f"/shifts/{shift.id}/override", data={"assignment_id": str(other_place), "person_id": str(chi.id)})
    assert _place(other) == world.volunteer.person_id


def test_the_week_grid_marks_a_given_back_place_and_links_the_history(world, setup, client, auth):
    changes.give_back(setup["shift"], world.volunteer.person)
    db.session.commit()
    auth.as_user(world.commune_lead)
    start = setup["shift"].starts_at + 7 * H
    page = client.get(f"/teams/{world.commune_team.id}/week?start={start.date().isoformat()}").get_data(as_text=True)
    cell = page[page.index(f'id="cell-{setup["shift"].id}"'):]
    assert "đã trả ca" in cell[:cell.index("</ul>")] and "#changes" in page

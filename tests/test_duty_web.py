"""Duty pages and API: permissions, batch endpoint, on-duty and hours endpoints, the PWA's parts."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.duty import checkins, rota
from models import CheckIn, DutySession, Shift, db
from tests.factories import HANOI, ROLES, at_once



def _now_item(kind="in", minutes_ago=0):
    at = utcnow() - timedelta(minutes=minutes_ago)
    return {"client_uuid": str(uuid.uuid4()), "kind": kind, "occurred_at": at.isoformat()}


@pytest.fixture
def shift(world) -> Shift:
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    s = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 2)
    db.session.commit()
    return s


def _routes(w, s):
    ct = w.commune_team.id
    gen = {"name": "x", "first_start": "06:00", "shift_hours": "8", "shifts_per_day": "3", "required": "2",
           "weekdays": ["1", "2"], "first_day": "2026-12-01", "last_day": "2026-12-07"}
    #                                                                        ministry lead_a lead_b c_lead vol anon
    return [
        ("GET", f"/teams/{ct}/rota", None,                                    (200, 200, 404, 200, 200, 302)),
        ("POST", f"/teams/{ct}/rota", gen,                                    (302, 302, 404, 302, 404, 302)),
        ("POST", f"/shifts/{s.id}/assign", {"person_id": str(w.volunteer.person_id), "role": "primary"},
                                                                              (302, 302, 404, 302, 404, 302)),
        ("POST", f"/shifts/{s.id}/claim", {},                                 (404, 404, 404, 302, 302, 302)),
        ("GET", "/duty/", None,                                               (200, 200, 200, 200, 200, 302)),
        ("GET", "/api/v1/duty/me", None,                                      (200, 200, 200, 200, 200, 401)),
        ("GET", "/api/v1/duty/now", None,                                     (200, 404, 404, 404, 404, 401)),
        ("GET", f"/api/v1/duty/now?province={HANOI}", None,                   (200, 200, 404, 404, 404, 401)),
        ("GET", f"/api/v1/duty/hours?team={ct}", None,                        (200, 200, 404, 200, 200, 401)),
        ("GET", f"/api/v1/teams/{ct}/shifts", None,                           (200, 200, 404, 200, 200, 401)),
    ]


@pytest.mark.parametrize("index", range(10))
@pytest.mark.parametrize("role", ROLES)
def test_duty_permission_matrix(world, shift, auth, role, index):
    auth.check_route(world, role, _routes(world, shift)[index])


def test_batch_endpoint_answers_per_item_and_is_idempotent(world, client, auth):
    auth.as_user(world.volunteer)
    good = [_now_item("in", 60), _now_item("out", 30)]
    batch = good + [{"client_uuid": "x", "kind": "in", "occurred_at": "yesterday"}]
    first = client.post("/api/v1/checkins", json={"items": batch}).get_json()
    assert (first["accepted"], first["rejected"], first["duplicate"]) == (2, 1, 0)
    assert first["results"][2]["field"] == "client_uuid" and first["results"][2]["error"]
    again = client.post("/api/v1/checkins", json={"items": good}).get_json()
    assert again["duplicate"] == 2 and again["accepted"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 2


def test_one_tap_is_stored_with_its_session_then_closed_by_the_next(world, client, auth):
    auth.as_user(world.volunteer)
    tap_in, tap_out = _now_item("in", 50), _now_item("out", 5)
    first = client.post("/api/v1/checkins", json={"items": [tap_in]}).get_json()
    assert first["accepted"] == 1 and first["results"][0]["id"]
    assert client.get("/api/v1/duty/me").get_json()["on_duty"] is True
    second = client.post("/api/v1/checkins", json={"items": [tap_out]}).get_json()
    assert second["accepted"] == 1
    session = db.session.scalar(sa.select(DutySession).where(DutySession.person_id == world.volunteer.person_id))
    assert (session.started_at, session.ended_at) == (
        datetime.fromisoformat(tap_in["occurred_at"]), datetime.fromisoformat(tap_out["occurred_at"]))
    again = client.post("/api/v1/checkins", json={"items": [tap_out]}).get_json()  # the phone retries
    assert again["duplicate"] == 1 and again["results"][0]["id"] == second["results"][0]["id"]


def test_a_switched_off_account_cannot_check_in_with_its_old_cookie(world, client, auth):
    auth.as_user(world.volunteer)
    world.volunteer.is_active_account = False
    db.session.commit()
    response = client.post("/api/v1/checkins", json={"items": [_now_item()]})
    assert response.status_code == 401 and response.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_two_phones_sending_the_same_tap_at_once_store_it_once(world, ctx):
    tap, user_id = _now_item(), world.volunteer.id  # read here: the threads must not share the test's session
    answers = at_once(ctx, 6, lambda: checkins.submit(user_id, [dict(tap)])[0].status)
    assert sorted(answers) == ["accepted"] + ["duplicate"] * 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DutySession)) == 1


def test_two_check_ins_from_two_phones_at_once_open_one_session(world, ctx):
    user_id = world.volunteer.id  # read here: the threads must not share the test's session
    answers = at_once(ctx, 4, lambda: checkins.submit(user_id, [_now_item()])[0])
    assert sorted(a.status for a in answers) == ["accepted"] + ["rejected"] * 3
    assert {a.field for a in answers if a.status == "rejected"} == {"kind"}  # "already checked in since …"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DutySession)) == 1


@pytest.mark.parametrize("body", [{}, {"items": []}, {"items": "x"}, {"items": [{}] * 501}])
def test_malformed_batches_are_refused_whole(world, client, auth, body):
    auth.as_user(world.volunteer)
    response = client.post("/api/v1/checkins", json=body)
    assert response.status_code == 400 and response.get_json()["field"] == "items"


def test_the_api_refuses_an_unconfirmed_quick_check_out_per_item(world, client, auth, app, monkeypatch):
    auth.as_user(world.volunteer)
    tap_in, tap_out = _now_item("in", 0), _now_item("out", 0)
    body = client.post("/api/v1/checkins", json={"items": [tap_in, tap_out]}).get_json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["code"] == "unconfirmed_check_out" and body["results"][1]["field"] == "confirmed"
    assert client.get("/api/v1/duty/me").get_json()["on_duty"] is True
    monkeypatch.setitem(app.config, "CHECKOUT_MIN_SECONDS", 0)  # the setting is read per request
    body = client.post("/api/v1/checkins", json={"items": [_now_item("out", 0)]}).get_json()
    assert body["accepted"] == 1
    assert client.get("/api/v1/duty/me").get_json()["on_duty"] is False


def test_a_batch_of_500_is_accepted(world, client, auth):
    auth.as_user(world.volunteer)
    start = utcnow() - timedelta(days=6)
    items = [{"client_uuid": str(uuid.uuid4()), "kind": "in" if i % 2 == 0 else "out",
              "occurred_at": (start + timedelta(minutes=10 * i)).isoformat()} for i in range(500)]
    body = client.post("/api/v1/checkins", json={"items": items}).get_json()
    assert body["accepted"] == 500
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 500


def test_duty_me_reports_the_open_session_and_shifts(world, shift, client, auth):
    rota.assign(shift, world.volunteer.person, "primary")
    db.session.commit()
    auth.as_user(world.volunteer)
    client.post("/api/v1/checkins", json={"items": [_now_item("in", 5)]})
    me = client.get("/api/v1/duty/me").get_json()
    assert me["on_duty"] is True and me["upcoming"][0]["id"] == shift.id and me["csrf_token"]


def test_hours_api_shows_members_only_their_own(world, client, auth):
    auth.as_user(world.volunteer)
    client.post("/api/v1/checkins", json={"items": [_now_item("in", 120), _now_item("out", 60)]})
    auth.as_user(world.commune_lead)
    client.post("/api/v1/checkins", json={"items": [_now_item("in", 90), _now_item("out", 60)]})
    auth.as_user(world.volunteer)
    mine = client.get(f"/api/v1/duty/hours?team={world.commune_team.id}").get_json()
    assert mine["hours"] == {str(world.volunteer.person_id): 1.0}
    auth.as_user(world.commune_lead)
    lead = client.get(f"/api/v1/duty/hours?team={world.commune_team.id}").get_json()
    assert lead["total"] == 1.5


def test_rota_form_errors_beside_fields(world, client, auth):
    auth.as_user(world.commune_lead)
    html = client.post(f"/teams/{world.commune_team.id}/rota", data={
        "name": "x", "first_start": "06:00", "shift_hours": "9", "shifts_per_day": "3", "required": "2",
        "weekdays": ["1"], "first_day": "2026-12-01", "last_day": "2026-12-07"}).get_data(as_text=True)
    assert 'id="shifts_per_day-error"' in html and "tối đa 24" in html
    html = client.post(f"/teams/{world.commune_team.id}/shifts", data={
        "day": "2026-12-01", "start": "08:00", "end": "08:00", "required": "2"}).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 1  # overnight 24 h shift is fine


def test_province_and_team_pages_show_on_duty_and_gaps(world, shift, client, auth):
    auth.as_user(world.volunteer)
    client.post("/api/v1/checkins", json={"items": [_now_item("in", 5)]})
    auth.as_user(world.lead_a)
    html = client.get(f"/provinces/{HANOI}").get_data(as_text=True)
    assert "<b>1</b> đang trực" in html and "1 ca thiếu người trong 7 ngày tới" in html
    html = client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)
    assert "Tình Nguyện Viên" in html and "1 ca thiếu người" in html
    auth.as_user(world.ministry)
    assert "<b>1</b> đang trực" in client.get("/").get_data(as_text=True)


def test_pwa_parts_are_served(client):
    sw = client.get("/duty/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.content_type and b"caches.open" in sw.data
    manifest = client.get("/duty/manifest.webmanifest").get_json(force=True)
    assert manifest["start_url"] == "/duty/" and manifest["display"] == "standalone"


def test_the_duty_apps_install_name_is_in_the_users_language(world, client, auth):
    """The manifest names the installed app in Vietnamese, or in English for a user who chose English: the
    browser fetches it without cookies, so /duty/ puts the language in its address."""
    import re

    def manifest(path):
        response = client.get(path)
        assert response.mimetype == "application/manifest+json"
        return response.get_json(force=True)

    plain = manifest("/duty/manifest.webmanifest")
    assert (plain["name"], plain["short_name"], plain["lang"]) == ("Trực ca — Tổ Công nghệ cộng đồng", "Trực", "vi")
    assert manifest("/duty/manifest.webmanifest?lang=xx")["lang"] == "vi"
    auth.as_user(world.volunteer)
    world.volunteer.locale = "en"
    db.session.commit()
    href = re.search(r'<link rel="manifest" href="([^"]+)"', client.get("/duty/").get_data(as_text=True)).group(1)
    auth.logout()  # as the browser fetches it
    english = manifest(href.replace("&amp;", "&"))
    assert (english["name"], english["short_name"], english["lang"]) == (
        "Community technology teams — duty", "Duty", "en")
    assert 'lang="vi"' in client.get("/login?lang=en").get_data(as_text=True)  # only the manifest reads it


def test_my_shifts_name_whom_to_call_only_while_i_am_in_the_team(world, client, auth):
    """/api/v1/duty/me gives my role, the others on my shift and the team's leads with their phones —
    and, once my membership has ended, none of those numbers any more."""
    from datetime import timedelta

    from coordination.clock import utcnow
    from coordination.duty import rota
    from coordination.org import teams
    from models import Membership
    from tests.factories import make_person

    backup = make_person(full_name="Người Dự Phòng", phone="0912000777")
    teams.add_member(world.commune_team, backup, "member")
    start = utcnow() + timedelta(hours=3)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    auth.as_user(world.volunteer)
    mine = client.get("/api/v1/duty/me").get_json()["upcoming"][0]
    assert mine["role"] == "primary"
    assert [(p["name"], p["role"]) for p in mine["others"]] == [("Người Dự Phòng", "backup")]
    assert [p["phone"] for p in mine["leads"]] == [world.commune_lead.person.phone]
    membership = db.session.scalar(sa.select(Membership).where(Membership.person_id == world.volunteer.person_id,
                                                               Membership.team_id == world.commune_team.id))
    teams.end_membership(membership)
    db.session.commit()
    mine = client.get("/api/v1/duty/me").get_json()["upcoming"][0]
    assert mine["others"] == [] and mine["leads"] == []


def test_an_open_shift_is_taken_through_the_api_once_and_only_by_its_team(world, client, auth):
    from datetime import timedelta

    from coordination.clock import utcnow
    from coordination.duty import rota
    from models import ShiftAssignment

    start = utcnow() + timedelta(hours=5)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=4), 1)
    db.session.commit()
    auth.as_user(world.lead_b)  # another province's lead: not of this team
    assert client.post(f"/api/v1/shifts/{shift.id}/claim").status_code == 404
    auth.as_user(world.volunteer)
    taken = client.post(f"/api/v1/shifts/{shift.id}/claim")
    assert taken.status_code == 201 and taken.get_json()["role"] == "primary"
    again = client.post(f"/api/v1/shifts/{shift.id}/claim")  # a second tap: the shift is full now
    assert again.status_code == 409 and again.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftAssignment)
                             .where(ShiftAssignment.shift_id == shift.id)) == 1
    assert client.post("/api/v1/shifts/999999/claim").status_code == 404


def test_my_hours_this_month_and_last_month_follow_vietnam_months(world, client, auth):
    """/duty/ shows my hours this month and last month; at 01:00 on the 1st in Vietnam (still the
    previous month in UTC) a shift across midnight is split between the two Vietnam months."""
    from datetime import time

    from coordination import clock
    from coordination.clock import local_to_utc, local_today

    first = (local_today().replace(day=1) + timedelta(days=32)).replace(day=1)  # the 1st of next month
    clock.set_now(local_to_utc(first, time(1)))
    midnight = local_to_utc(first, time(0))
    person = world.volunteer.person_id
    for start, hours in ((midnight - timedelta(hours=1, minutes=30), 2.0),  # 22:30–00:30
                         (midnight - timedelta(days=10), 2.0)):  # ten days earlier, two hours
        db.session.add(DutySession(person_id=person, team_id=world.commune_team.id, province_code=HANOI,
                                   started_at=start, ended_at=start + timedelta(hours=hours)))
    db.session.commit()
    auth.as_user(world.volunteer)
    hours = client.get("/api/v1/duty/me").get_json()["hours"]
    assert hours == {"this_month": 0.5, "last_month": 3.5}
    page = client.get("/duty/").get_data(as_text=True)
    assert 'id="hours-this"' in page and 'id="hours-last"' in page


def test_a_lead_opening_duty_sees_who_is_on_duty_and_todays_gaps_in_the_team(world, client, auth):
    """A commune lead without shifts opens /duty/: who of the team is on duty now (to call) and the
    shifts left today that lack people — not tomorrow's, and not a staffed one."""
    from datetime import time

    from coordination import clock
    from coordination.clock import local_to_utc, local_today

    day = local_today() + timedelta(days=3)
    clock.set_now(local_to_utc(day, time(10)))
    team = world.commune_team
    gap = rota.add_shift(team, local_to_utc(day, time(14)), local_to_utc(day, time(22)), 2)
    rota.assign(gap, world.volunteer.person, "primary")
    staffed = rota.add_shift(team, local_to_utc(day, time(6)), local_to_utc(day, time(14)), 1)
    rota.assign(staffed, world.volunteer.person, "primary")
    rota.add_shift(team, local_to_utc(day + timedelta(days=1), time(6)), local_to_utc(day + timedelta(days=1), time(14)), 1)
    db.session.add(DutySession(person_id=world.volunteer.person_id, team_id=team.id, province_code=HANOI,
                               started_at=local_to_utc(day, time(6))))
    db.session.commit()
    auth.as_user(world.commune_lead)
    led = client.get("/api/v1/duty/me").get_json()["led"]
    assert [t["team_id"] for t in led] == [team.id]
    assert [(p["name"], p["since"]) for p in led[0]["on_duty"]] == [(world.volunteer.person.full_name, "06:00")]
    assert [(s["id"], s["staffed"]) for s in led[0]["gaps_today"]] == [(gap.id, 1)]
    auth.as_user(world.volunteer)  # a member, not a lead: no team overview
    assert client.get("/api/v1/duty/me").get_json()["led"] == []

"""Issue 15 part 5: no input causes a server error. Each case goes through the real interface and
checks what the user sees and what is (not) in the database afterwards."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import alerts
from coordination.tasks import assignment
from coordination.core.errors import ValidationError
from coordination.org.people import PersonInput, create_person
from coordination.tasks.rules import TaskSpec
from models import CheckIn, Person, Team, db
from tests.factories import HANOI

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock_at(NOW)
HUGE = "99999999999999999999999"


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def tap(kind="in", at="", **kw):
    return dict(client_uuid=str(uuid.uuid4()), kind=kind, occurred_at=at or (NOW - timedelta(minutes=1)).isoformat(),
                **kw)


def test_unrepresentable_dates_are_rejected_per_item_and_the_valid_tap_is_kept(world, client, auth):
    auth.as_user(world.volunteer)
    good = tap("in")
    batch = [tap(at="0001-01-01T00:00:00+14:00"), good, tap(at="9999-12-31T23:59:59-14:00"),
             tap(at="2999-01-01T00:00:00+00:00"), tap(shift_id=int(HUGE))]
    response = client.post("/api/v1/checkins", json={"items": batch})
    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted", "rejected", "rejected", "rejected"]
    assert [r.get("field") for r in body["results"]] == ["occurred_at", None, "occurred_at", "occurred_at",
                                                         "shift_id"]
    assert "ngày" in body["results"][0]["error"] or "đồng hồ" in body["results"][0]["error"]
    assert body["accepted"] == 1 and body["rejected"] == 4
    rows = db.session.scalars(sa.select(CheckIn)).all()
    assert [str(r.client_uuid) for r in rows] == [good["client_uuid"]]


@pytest.mark.parametrize("path", [
    f"/api/v1/teams/{HUGE}", f"/api/v1/people/{HUGE}", f"/api/v1/tasks/{HUGE}", f"/api/v1/teams/{HUGE}/shifts",
    f"/teams/{HUGE}", f"/people/{HUGE}", f"/tasks/{HUGE}", f"/teams/{2**63}", "/api/v1/teams/9223372036854775808",
    "/api/v1/teams/2147483648", f"/tasks/{2**31}"])
def test_integers_beyond_64_bits_in_a_path_are_not_found(world, client, auth, path):
    auth.as_user(world.lead_a)
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.is_json and response.get_json()["status"] == 404


@pytest.mark.parametrize("query, field", [
    (f"/api/v1/teams?page={HUGE}", "page"), (f"/api/v1/people?page={HUGE}", "page"),
    (f"/api/v1/tasks?province={HANOI}&page={HUGE}", "page"), ("/api/v1/teams?per_page=0", "per_page"),
    ("/api/v1/teams?per_page=201", "per_page"), ("/api/v1/teams?page=0", "page"), ("/api/v1/teams?page=²", "page"),
    (f"/api/v1/duty/hours?team={HUGE}", "team")])
def test_api_query_integers_are_bounded_with_a_clear_error(world, client, auth, query, field):
    auth.as_user(world.lead_a)
    response = client.get(query)
    assert response.status_code == 400
    assert response.get_json()["field"] == field


@pytest.mark.parametrize("raw", ["--5", "-+5", "+-5", " 5", "5 ", "5.0", "1e3", "٣", "", "5\n", "0x10"])
def test_api_query_integers_are_an_optional_sign_and_digits(world, client, auth, raw):
    auth.as_user(world.lead_a)
    response = client.get("/api/v1/teams", query_string={"per_page": raw})
    assert response.status_code == 400
    assert response.get_json() == dict(response.get_json(), field="per_page", error="Phải là số nguyên.")


@pytest.mark.parametrize("raw, shown", [("7", 7), ("+7", 7), ("007", 7)])
def test_api_query_integers_take_a_plus_sign_and_leading_zeros(world, client, auth, raw, shown):
    auth.as_user(world.lead_a)
    assert client.get("/api/v1/teams", query_string={"per_page": raw}).get_json()["per_page"] == shown


def test_a_negative_query_integer_is_out_of_range_not_unreadable(world, client, auth):
    auth.as_user(world.lead_a)
    body = client.get("/api/v1/tasks", query_string={"mine": "1", "per_page": "-5"}).get_json()
    assert body["field"] == "per_page" and "1" in body["error"] and "200" in body["error"]


@pytest.mark.parametrize("query, field", [
    ("/api/v1/admin-units?q=ben%20nghe&level=ward", "level"), ("/api/v1/teams?level=", "level"),
    ("/api/v1/tasks?mine=1&overdue=yes", "overdue"), ("/api/v1/tasks?mine=1&status=bogus", "status"),
    ("/api/v1/tasks?mine=2", "mine"), ("/api/v1/tasks?mine=1&team=x", "team"),
    ("/api/v1/tasks?mine=1&per_page=500", "per_page"), ("/api/v1/duty/hours?team=2&from=", "from")])
def test_api_query_words_outside_the_documented_values_are_refused(world, client, auth, query, field):
    auth.as_user(world.lead_a)
    response = client.get(query)
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_my_tasks_through_the_api_page_like_every_other_list(world, client, auth):
    auth.as_user(world.commune_lead)
    for n in range(3):
        assignment.assign(TaskSpec(kind="other", title=f"Việc {n}"), assignment.Targeting(HANOI), world.lead_a.id)
    db.session.commit()
    first = client.get("/api/v1/tasks?mine=1&per_page=2").get_json()
    second = client.get("/api/v1/tasks?mine=1&per_page=2&page=2").get_json()
    assert (len(first["items"]), first["has_next"], second["page"], len(second["items"]), second["has_next"]) == \
        (2, True, 2, 1, False)
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])


@pytest.mark.parametrize("query", [f"/audit?before={HUGE}", f"/people?page={HUGE}", f"/messages?broadcast={HUGE}",
                                   f"/provinces/{HANOI}/tasks?page={HUGE}&team={HUGE}", "/audit?before=²"])
def test_page_query_integers_never_overflow(world, client, auth, query):
    auth.as_user(world.lead_a)
    assert client.get(query).status_code in (200, 404)


def test_a_huge_id_in_a_json_body_is_a_field_error(world, client, auth):
    auth.as_user(world.lead_a)
    response = client.post(f"/api/v1/teams/{world.commune_team.id}/members",
                           json={"person_id": int(HUGE), "role": "member"})
    assert response.status_code == 400 and response.get_json()["field"] == "person_id"


def test_deeply_nested_json_is_refused(world, client, auth):
    auth.as_user(world.lead_a)
    for depth in (50, 100_000):
        body = '{"items":' + "[" * depth + "]" * depth + "}"
        response = client.post("/api/v1/checkins", data=body, content_type="application/json")
        assert response.status_code == 400 and response.is_json
    assert _count(CheckIn) == 0


@pytest.mark.parametrize("token", ["ầ" * 5, "1z.Ab3-_x9Kq€", "z" * 3000, "1" * 3000 + ".abc", "zzzzzzzzzzzzzzzz.x"])
def test_bad_acknowledgement_tokens_are_not_found(ctx, client, token):
    assert client.get(f"/a/{token}").status_code == 404
    assert alerts.message_for_token(token) is None


@pytest.mark.parametrize("args, field", [
    ("from=0001-01-01&to=9999-12-31", "from"), ("from=2026-01-01&to=9999-12-31", "to"),
    ("from=2020-01-01&to=2026-11-01", "to"), ("from=2026-11-23&to=2026-11-01", "to")])
def test_extreme_date_ranges_on_duty_hours_and_shifts_are_refused(world, client, auth, args, field):
    auth.as_user(world.lead_a)
    team = world.commune_team.id
    for url in (f"/api/v1/duty/hours?team={team}&{args}", f"/api/v1/teams/{team}/shifts?{args}"):
        response = client.get(url)
        assert response.status_code == 422, url  # dates the document allows, refused by its stated rules
        assert response.get_json()["field"] == field
    assert client.get(f"/api/v1/duty/hours?team={team}&from=2026-01-01&to=2026-12-31").status_code == 200


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\ufeff\u2060", "Nguyễn\x00Văn", "\u202eAn Nguyen",
                                  "Lê \u2066Văn\u2069 C", "Trần\ud800"])
def test_names_of_invisible_control_or_direction_characters_are_refused(world, client, auth, name):
    auth.as_user(world.lead_a)
    before = _count(Person)
    response = client.post(f"/api/v1/teams/{world.commune_team.id}/members",
                           json={"full_name": name, "phone": "0912 000 111", "role": "member"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "full_name" and body["error"]
    assert _count(Person) == before


def test_real_vietnamese_names_are_kept_and_nfc_normalised(ctx):
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ha\u0300"  # typed with combining marks
    person = create_person(PersonInput(full_name=" " + decomposed + "\u200b ", phone="0912 000 222"))
    db.session.commit()
    assert db.session.get(Person, person.id).full_name == "Nguyễn Thị Hà"


def test_village_team_and_task_titles_go_through_the_same_cleaner(world):
    from coordination.tasks import rules as tasks
    from coordination.org import teams

    before = _count(Team)
    with pytest.raises(ValidationError) as err:
        teams.create_village_team(world.commune_team, "Tổ \u202e1")
    assert err.value.field == "name" and _count(Team) == before
    with pytest.raises(ValidationError) as err:
        tasks.clean_spec(tasks.TaskSpec(kind="other", title="\u200b\u2060"))
    assert err.value.field == "title"


def test_nul_in_a_query_or_form_is_a_clear_400(world, client, auth):
    auth.as_user(world.lead_a)
    assert client.get("/api/v1/people?q=a%00b").status_code == 400
    assert client.get("/api/v1/admin-units/%00").status_code == 400
    page = client.get("/people?q=%00")
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)

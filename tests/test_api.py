"""The JSON API: health, OpenAPI, units, teams, people, clear errors and nothing half-written."""
from __future__ import annotations

import re

import sqlalchemy as sa

from models import Person, Team, db
from tests.factories import HANOI, HCM, communes_of


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_openapi_document_lists_every_api_route(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {path.replace("{id}", "<>").replace("{code}", "<>") for path in doc["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":
            normalised = re.sub(r"<(?:int:)?\w+>", "<>", rule.rule)
            assert normalised in documented, rule.rule


def test_admin_unit_search_through_the_api(world, client, auth):
    auth.as_user(world.volunteer)
    items = client.get("/api/v1/admin-units?q=ben+nghe").get_json()["items"]
    assert items[0]["name"] == "Phường Sài Gòn"
    assert items[0]["matched_legacy"]["district"] == "Quận 1"
    provinces = client.get("/api/v1/admin-units?level=province&per_page=100").get_json()["items"]
    assert len(provinces) == 34


def test_team_list_is_scoped_with_member_counts(world, client, auth):
    auth.as_user(world.lead_a)
    items = client.get("/api/v1/teams?per_page=200").get_json()["items"]
    assert {t["province_code"] for t in items} == {HANOI}
    commune = next(t for t in items if t["id"] == world.commune_team.id)
    assert commune["active_members"] == 2


def test_province_team_reports_completeness(world, client, auth):
    auth.as_user(world.ministry)
    body = client.get(f"/api/v1/teams/{world.province_team_a.id}").get_json()
    assert body["completeness"]["complete"] is False
    assert body["completeness"]["missing_roles"] == ["co_chair_health", "leader_in_charge"]


def test_create_commune_team_errors(world, client, auth):
    auth.as_user(world.lead_a)
    free = communes_of(HANOI, 5)[4].code
    wrong_parent = client.post("/api/v1/teams", json={"level": "commune", "commune_code": free,
                                                      "parent_team_id": world.province_team_b.id})
    assert wrong_parent.status_code == 400 and wrong_parent.get_json()["field"] == "parent_team_id"
    unknown = client.post("/api/v1/teams", json={"level": "commune", "commune_code": "99999"})
    assert unknown.status_code == 404 and "99999" in unknown.get_json()["error"]
    other_province = client.post("/api/v1/teams", json={"level": "commune",
                                                        "commune_code": communes_of(HCM, 5)[4].code})
    assert other_province.status_code == 404
    second = client.post("/api/v1/teams", json={"level": "commune",
                                                "commune_code": world.commune_team.admin_unit_code})
    assert second.status_code == 409
    ok = client.post("/api/v1/teams", json={"level": "commune", "commune_code": free})
    assert ok.status_code == 201 and ok.get_json()["parent_id"] == world.province_team_a.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team).where(Team.admin_unit_code == free)) == 1


def test_bad_person_input_is_named_in_vietnamese_and_writes_nothing(world, client, auth):
    auth.as_user(world.commune_lead)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    url = f"/api/v1/teams/{world.commune_team.id}/members"
    bad_phone = client.post(url, json={"full_name": "Nguyễn X", "phone": "12345"})
    assert bad_phone.status_code == 422  # a text the document allows, but no such number
    assert bad_phone.get_json()["errors"] == {"phone": "“12345” không phải là số điện thoại hợp lệ."}
    duplicate = client.post(url, json={"full_name": "Nguyễn Y", "phone": "0987 654 321"})
    assert duplicate.status_code == 409 and "Tình Nguyện Viên" not in duplicate.get_json()["error"]
    huge = client.post(url, json={"full_name": "x" * 5000, "phone": "0912000555"})
    assert huge.status_code == 400 and huge.get_json()["field"] == "full_name"
    not_json = client.post(url, data="phone=1", content_type="text/plain")
    assert not_json.status_code == 400
    wrong_type = client.post(url, json={"full_name": ["a"], "phone": "0912000555"})
    assert wrong_type.status_code == 400
    bad_role = client.post(url, json={"full_name": "Vai Trò", "phone": "0912000556", "role": "co_chair_ict"})
    assert bad_role.status_code == 422 and bad_role.get_json()["field"] == "role"  # not in a commune team
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == before


def test_patch_person_normalises_the_phone(world, client, auth):
    auth.as_user(world.volunteer)
    response = client.patch(f"/api/v1/people/{world.volunteer.person_id}", json={"phone": "0912 345 678"})
    assert response.status_code == 200 and response.get_json()["phone"] == "+84912345678"


def test_api_errors_speak_english_when_the_user_chose_it(world, client, auth):
    world.lead_a.locale = "en"
    db.session.commit()
    auth.as_user(world.lead_a)
    response = client.post(f"/api/v1/teams/{world.commune_team.id}/members", json={"full_name": "A", "phone": "1"})
    assert response.get_json()["error"] == "“1” is not a phone number."


def test_unknown_api_path_is_json_404(world, client, auth):
    auth.as_user(world.ministry)
    response = client.get("/api/v1/teams/999999")
    assert response.status_code == 404 and response.is_json

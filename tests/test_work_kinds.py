"""Kinds of work are a catalogue (issue 18 §1): today's work (VNeID level 2…) counts in thi đua's
residents helped and in the monthly report by kind; the ministry adds and retires kinds; a retired
kind is refused for new tasks and its old tasks still show its name."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.emulation import targets as emulation
from coordination.reports import monthly as monthly_report
from coordination.tasks import assignment, kinds, rules as tasks
from coordination.core.errors import ValidationError
from models import AuditEvent, Task, TaskUpdate, WorkKind, db
from models.emulation import RESIDENTS_HELPED
from tests.factories import HANOI

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 15, 3, 0, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)
VNEID = "support_vneid_level2"


def _vneid_task(world, done: int) -> Task:
    at = datetime(2026, 10, 10, 9, 0, tzinfo=VN)
    task = Task(kind=VNEID, title="Kích hoạt VNeID mức 2", team_id=world.commune_team.id, province_code=HANOI,
                status="done", target_count=done, target_unit="người dân", done_count=done, created_at=at,
                updated_at=at, completed_at=at)
    db.session.add(task)
    db.session.flush()
    db.session.add(TaskUpdate(task_id=task.id, delta=done, done_count_after=done, at=at))
    db.session.commit()
    return task


def test_the_catalogue_holds_todays_work_next_to_2021s(ctx):
    codes = kinds.codes()
    for code in (VNEID, "support_online_public_services", "support_cashless_payment", "digital_skills_training",
                 "ecommerce_local_producers", "support_online_fraud_awareness", "support_qr_checkin",
                 "venue_qr_registration", "data_verification", "other"):
        assert code in codes
    helped = kinds.residents_helped_kinds()
    assert VNEID in helped and "support_qr_checkin" in helped and "venue_qr_registration" not in helped
    assert kinds.ensure_catalogue() == 0  # written once


def test_vneid_progress_counts_as_residents_helped_and_in_the_report_by_kind(world, auth):
    _vneid_task(world, 40)
    actual = emulation.progress([world.commune_team.id], date(2026, 10, 1), date(2026, 10, 31), NOW)
    assert actual[(world.commune_team.id, RESIDENTS_HELPED)] == 40
    report = monthly_report.build(date(2026, 10, 1), HANOI, now=NOW)
    assert report.total.tasks_done_by_kind == {VNEID: 1}
    auth.as_user(world.lead_a)
    html = auth.client.get("/reports/monthly?province=01&month=2026-10").get_data(as_text=True)
    assert "Hướng dẫn người dân kích hoạt VNeID mức 2" in html
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(auth.client.get("/reports/monthly.xlsx?province=01&month=2026-10").get_data()))
    by_kind = {row[0]: row[1] for row in book["Nhiệm vụ hoàn thành theo loại"].iter_rows(values_only=True)}
    assert by_kind["Hướng dẫn người dân kích hoạt VNeID mức 2"] == 1


def test_a_retired_kind_is_refused_for_a_new_task_but_its_old_tasks_keep_its_name(world, auth):
    old = _vneid_task(world, 5)
    kinds.set_retired(VNEID, True, world.ministry.id)
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        tasks.clean_spec(tasks.TaskSpec(kind=VNEID, title="Việc mới"))
    assert err.value.field == "kind"
    auth.as_user(world.lead_a)
    form = auth.client.get(f"/provinces/{HANOI}/tasks/new").get_data(as_text=True)
    assert f'value="{VNEID}"' not in form and 'value="support_online_public_services"' in form
    refused = auth.client.post(f"/provinces/{HANOI}/tasks/new", data={"kind": VNEID, "title": "X", "mode": "all"})
    assert refused.status_code == 400 and "ngừng sử dụng" in refused.get_data(as_text=True)
    page = auth.client.get(f"/tasks/{old.id}").get_data(as_text=True)
    assert "Hướng dẫn người dân kích hoạt VNeID mức 2" in page
    board = auth.client.get(f"/provinces/{HANOI}/tasks?kind={VNEID}").get_data(as_text=True)
    assert "Kích hoạt VNeID mức 2" in board  # the board still filters by it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_the_api_refuses_an_unknown_or_retired_kind_naming_the_field(world, client, auth):
    auth.as_user(world.lead_a)
    body = {"province_code": HANOI, "kind": "dance", "title": "Nhảy", "target_count": 5}
    unknown = client.post("/api/v1/tasks", json=body)
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "kind"
    kinds.set_retired("support_qr_checkin", True, None)
    db.session.commit()
    retired = client.post("/api/v1/tasks", json=dict(body, kind="support_qr_checkin"))
    assert retired.status_code == 400 and retired.get_json()["field"] == "kind"
    created = client.post("/api/v1/tasks", json=dict(body, kind=VNEID, title="VNeID mức 2"))
    assert created.status_code == 201
    assert db.session.scalar(sa.select(Task.kind)) == VNEID


def test_the_ministry_adds_retires_and_brings_back_a_kind_audited(world, client, auth):
    auth.as_user(world.ministry)
    assert client.get("/tasks/kinds").status_code == 200
    bad = client.post("/tasks/kinds", data={"code": "Bad code!", "name_vi": "X", "name_en": "X", "unit": "người"})
    assert bad.status_code == 400 and db.session.get(WorkKind, "bad code!") is None
    added = client.post("/tasks/kinds", data={"code": "support_etax", "name_vi": "Hướng dẫn nộp thuế điện tử",
                                              "name_en": "Help with e-tax", "unit": "hộ kinh doanh",
                                              "counts_as_residents_helped": "y"})
    assert added.status_code == 302
    db.session.expire_all()
    assert "support_etax" in kinds.residents_helped_kinds()
    again = client.post("/tasks/kinds", data={"code": "support_etax", "name_vi": "X", "name_en": "X", "unit": "x"})
    assert again.status_code == 400 and "Đã có loại công việc" in again.get_data(as_text=True)
    assert client.post("/tasks/kinds/support_etax/retired", data={"retired": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkKind, "support_etax").retired
    client.post("/tasks/kinds/support_etax/retired", data={"retired": "0"})
    db.session.expire_all()
    assert not db.session.get(WorkKind, "support_etax").retired
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "work_kind")
                                .order_by(AuditEvent.id)).all()
    assert events == ["create", "update", "update"]
    auth.as_user(world.lead_a)
    assert "Hướng dẫn nộp thuế điện tử" in client.get(f"/provinces/{HANOI}/tasks/new").get_data(as_text=True)


@pytest.mark.parametrize("role", ["lead_a", "commune_lead", "volunteer"])
def test_only_the_ministry_manages_the_catalogue(world, client, auth, role):
    auth.as_user(world.users()[role])
    assert client.get("/tasks/kinds").status_code == 404
    added = client.post("/tasks/kinds", data={"code": "sneaky", "name_vi": "X", "name_en": "X", "unit": "x"})
    assert added.status_code == 404 and db.session.get(WorkKind, "sneaky") is None
    assert client.post(f"/tasks/kinds/{VNEID}/retired", data={"retired": "1"}).status_code == 403
    db.session.expire_all()
    assert not db.session.get(WorkKind, VNEID).retired
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity == "work_kind")) == "refused"


def test_anonymous_is_sent_to_login(client):
    assert client.get("/tasks/kinds").status_code == 302

"""Task pages and API: the permission matrix, forms with errors, boards, exports."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.clock import local_today, utcnow
from coordination.tasks import assignment, rules as tasks
from models import Task, TaskUpdate, db
from tests.factories import HANOI, HCM, ROLES, at_once

SPEC = dict(kind="venue_qr_registration", title="Đăng ký QR chợ", target_count=10, target_unit="địa điểm")


@pytest.fixture
def task(world) -> Task:
    batch, _n = assignment.assign(tasks.TaskSpec(**SPEC), assignment.Targeting(HANOI), world.lead_a.id)
    db.session.commit()
    return db.session.scalar(sa.select(Task).where(Task.batch == batch))


def _routes(w, t):
    vol = w.volunteer.person_id
    #                                                                    ministry lead_a lead_b c_lead vol anon
    return [
        ("GET", f"/provinces/{HANOI}/tasks", None,                        (200, 200, 404, 404, 404, 302)),
        ("GET", f"/provinces/{HANOI}/tasks.csv", None,                    (200, 200, 404, 404, 404, 302)),
        ("GET", f"/provinces/{HANOI}/tasks.xlsx", None,                   (200, 200, 404, 404, 404, 302)),
        ("GET", f"/provinces/{HANOI}/tasks/new", None,                    (200, 200, 404, 404, 404, 302)),
        ("GET", "/tasks/new", None,                                       (200, 404, 404, 404, 404, 302)),
        ("GET", f"/tasks/{t.id}", None,                                   (200, 200, 404, 200, 200, 302)),
        ("GET", "/my/tasks", None,                                        (200, 200, 200, 200, 200, 302)),
        ("POST", f"/tasks/{t.id}/progress", {"delta": "2"},               (302, 302, 404, 302, 302, 302)),
        ("POST", f"/tasks/{t.id}/status", {"to_status": "in_progress"},   (302, 302, 404, 302, 302, 302)),
        ("POST", f"/tasks/{t.id}/assign", {"person_id": str(vol)},        (302, 302, 404, 302, 404, 302)),
        ("POST", f"/tasks/{t.id}/cancel", {},                             (302, 302, 404, 404, 404, 302)),
        ("POST", f"/provinces/{HANOI}/tasks/new", {"kind": "other", "title": "X", "mode": "all",
                                                   "priority": "normal", "action": "preview"},
                                                                          (200, 200, 404, 404, 404, 302)),
        ("GET", f"/api/v1/tasks?province={HANOI}", None,                  (200, 200, 404, 404, 404, 401)),
        ("GET", f"/api/v1/tasks/{t.id}", None,                            (200, 200, 404, 200, 200, 401)),
        ("POST", f"/api/v1/tasks/{t.id}/progress", {"delta": 1},          (200, 200, 404, 200, 200, 401)),
        ("POST", "/api/v1/tasks", {"province_code": HANOI, "kind": "other", "title": "Y", "dry_run": True},
                                                                          (200, 200, 404, 404, 404, 401)),
    ]


@pytest.mark.parametrize("index", range(16))
@pytest.mark.parametrize("role", ROLES)
def test_task_permission_matrix(world, task, auth, role, index):
    auth.check_route(world, role, _routes(world, task)[index])


def test_new_task_form_shows_errors_beside_fields_and_writes_nothing(world, client, auth):
    auth.as_user(world.lead_a)
    html = client.post(f"/provinces/{HANOI}/tasks/new", data={
        "kind": "other", "title": "Việc", "mode": "all", "priority": "normal", "target_count": "-4",
        "due_date": "2020-01-01", "action": "preview"}).get_data(as_text=True)
    assert 'id="due_date-error"' in html and "Hạn hoàn thành đã qua." in html
    html = client.post(f"/provinces/{HANOI}/tasks/new", data={
        "kind": "other", "title": "Việc", "mode": "all", "priority": "normal", "target_count": "abc",
        "action": "preview"}).get_data(as_text=True)
    assert 'id="target_count-error"' in html and "Nhập một số nguyên." in html
    html = client.post(f"/provinces/{HANOI}/tasks/new", data={
        "kind": "other", "title": "Việc", "mode": "selected", "priority": "normal", "communes": ["99999"],
        "action": "preview"}).get_data(as_text=True)
    assert "99999" in html and 'id="communes-error"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0


def test_preview_then_confirm_assigns_in_one_go(world, client, auth):
    auth.as_user(world.lead_a)
    form = {"kind": "other", "title": "Rà soát", "mode": "all", "priority": "normal"}
    preview = client.post(f"/provinces/{HANOI}/tasks/new", data=dict(form, action="preview"))
    assert "1 tổ xã/phường sẽ nhận nhiệm vụ này." in preview.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0
    stale = client.post(f"/provinces/{HANOI}/tasks/new", data=dict(form, action="confirm", expected="5"))
    assert "đã thay đổi" in stale.get_data(as_text=True)
    done = client.post(f"/provinces/{HANOI}/tasks/new", data=dict(form, action="confirm", expected="1"))
    assert done.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_blocking_without_a_reason_is_refused_in_vietnamese(world, task, client, auth):
    auth.as_user(world.volunteer)
    html = client.post(f"/tasks/{task.id}/status", data={"to_status": "blocked"}).get_data(as_text=True)
    assert "Nêu lý do vướng mắc." in html
    jump = client.post(f"/tasks/{task.id}/status", data={"to_status": "done"})
    assert jump.status_code == 400 and "không thể chuyển" in jump.get_data(as_text=True)
    db.session.commit()
    assert db.session.scalar(sa.select(Task.status).where(Task.id == task.id)) == "open"


def test_board_filters_overdue_and_counts_per_commune(world, task, client, auth):
    late = Task(kind="other", title="Việc trễ hạn", team_id=world.commune_team.id, province_code=HANOI,
                due_date=local_today() - timedelta(days=3), status="in_progress", priority="normal", done_count=0)
    db.session.add(late)
    db.session.commit()
    auth.as_user(world.lead_a)
    html = client.get(f"/provinces/{HANOI}/tasks?overdue=1").get_data(as_text=True)
    assert "Việc trễ hạn" in html and "Đăng ký QR chợ" not in html and "quá hạn" in html
    html = client.get(f"/provinces/{HANOI}/tasks").get_data(as_text=True)
    assert "<b>2</b> nhiệm vụ" in html
    assert html.index("Việc trễ hạn") < html.index("Đăng ký QR chợ")  # earliest due first


def test_exports_contain_the_filtered_board(world, task, client, auth):
    from openpyxl import load_workbook

    tasks.report_progress(task, 4, None, None)
    db.session.commit()
    auth.as_user(world.lead_a)
    text = client.get(f"/provinces/{HANOI}/tasks.csv").get_data(as_text=True)
    assert text.startswith("\ufeffSTT,Xã/phường,Loại,Tên nhiệm vụ,Trạng thái")  # issue 18 §6: Vietnamese headings
    assert "Đăng ký QR chợ" in text and ",4,40," in text
    book = load_workbook(io.BytesIO(client.get(f"/provinces/{HANOI}/tasks.xlsx?status=done").data))
    assert book.active.max_row == 1  # header only: nothing is done
    book = load_workbook(io.BytesIO(client.get(f"/provinces/{HANOI}/tasks.xlsx").data))
    assert [c.value for c in book.active[2]][3] == "Đăng ký QR chợ"


def test_exports_name_kinds_and_statuses_and_write_dates_and_times_the_vietnamese_way(world, task, client, auth):
    """Labels, not codes; the due date as dd/mm/yyyy; the creation time in Vietnam time, so a task
    made at 23:30 UTC on the 1st reads 06:30 on the 2nd; counts stay numbers in Excel."""
    from openpyxl import load_workbook

    task.due_date = date(2031, 12, 24)
    task.created_at = datetime(2031, 12, 1, 23, 30, tzinfo=timezone.utc)
    db.session.commit()
    auth.as_user(world.lead_a)
    header, row = list(csv.reader(io.StringIO(
        client.get(f"/provinces/{HANOI}/tasks.csv").get_data(as_text=True).lstrip("\ufeff"))))[:2]
    record = dict(zip(header, row))
    assert (record["Loại"], record["Trạng thái"]) == ("Đăng ký mã QR cho địa điểm", "Mới giao")
    assert (record["Hạn hoàn thành"], record["Ngày tạo"]) == ("24/12/2031", "02/12/2031 06:30")
    sheet = load_workbook(io.BytesIO(client.get(f"/provinces/{HANOI}/tasks.xlsx").data)).active
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]]))
    assert values["Chỉ tiêu"] == 10 and values["Hạn hoàn thành"] == "24/12/2031"


def test_progress_from_many_phones_at_once_all_counts(world, task, app):
    """Eight volunteers report +1 five times each, in parallel requests."""
    tasks.change_status(task, "in_progress", None, None)
    db.session.commit()
    session_id, task_id = world.volunteer.get_id(), task.id

    def reporter():  # each phone: its own thread, context and database session
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id  # "id:session_version", as login_user writes it
        return [client.post(f"/api/v1/tasks/{task_id}/progress", json={"delta": 1}).status_code for _ in range(5)]

    failures = [status for statuses in at_once(app, 8, reporter) for status in statuses if status != 200]
    assert failures == []
    db.session.commit()
    assert db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id)) == 40
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskUpdate).where(
        TaskUpdate.task_id == task.id, TaskUpdate.delta == 1)) == 40


def test_a_queued_report_resent_at_once_from_four_tabs_counts_once(world, task, app):
    """A phone's queue sends the same report again (lost answers, several tabs): it counts once, at its time."""
    task.created_at = utcnow() - timedelta(days=1)  # given out yesterday
    tasks.change_status(task, "in_progress", None, None)
    db.session.commit()
    session_id, task_id = world.volunteer.get_id(), task.id
    made = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    report = {"delta": 9, "note": "Ngoại tuyến", "client_uuid": str(uuid.uuid4()), "occurred_at": made.isoformat()}

    def sender():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
        return [client.post(f"/api/v1/tasks/{task_id}/progress", json=report) for _ in range(3)]

    answers = [r for rs in at_once(app, 4, sender) for r in rs]
    assert {r.status_code for r in answers} == {200}
    assert sorted(r.get_json()["counted"] for r in answers) == [False] * 11 + [True]
    db.session.commit()
    assert db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id)) == 9
    update = db.session.scalar(sa.select(TaskUpdate).where(TaskUpdate.delta == 9))
    assert update.at == made and update.client_uuid == report["client_uuid"]


@pytest.mark.parametrize("change, field", [
    (dict(client_uuid="abc"), "client_uuid"),
    (dict(occurred_at=None), "occurred_at"),
    (dict(occurred_at="2026-11-23T10:00:00"), "occurred_at"),
])
def test_a_queued_report_with_bad_fields_is_refused_naming_the_field(world, task, client, auth, change, field):
    auth.as_user(world.volunteer)
    report = {"delta": 2, "client_uuid": str(uuid.uuid4()), "occurred_at": utcnow().isoformat()} | change
    response = client.post(f"/api/v1/tasks/{task.id}/progress", json=report)
    assert response.status_code == 400 and response.get_json()["field"] == field
    db.session.commit()
    assert db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id)) == 0


def test_api_create_dry_run_then_create_and_bad_jumps(world, client, auth):
    auth.as_user(world.lead_a)
    body = {"province_code": HANOI, "kind": "data_verification", "title": "Làm sạch dữ liệu", "target_count": 50}
    dry = client.post("/api/v1/tasks", json=dict(body, dry_run=True)).get_json()
    assert dry["teams"] == 1 and db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0
    created = client.post("/api/v1/tasks", json=body)
    assert created.status_code == 201 and created.get_json()["created"] == 1
    task_id = client.get(f"/api/v1/tasks?province={HANOI}").get_json()["items"][0]["id"]
    jump = client.patch(f"/api/v1/tasks/{task_id}", json={"status": "done"})
    assert jump.status_code == 409 and jump.get_json()["field"] == "status"  # the task's state refuses it
    negative = client.post(f"/api/v1/tasks/{task_id}/progress", json={"delta": -2})
    assert negative.status_code == 400 and negative.get_json()["field"] == "delta"
    other = client.post("/api/v1/tasks", json=dict(body, province_code=HCM))
    assert other.status_code == 404
    past = client.post("/api/v1/tasks", json=dict(body, due_date="2020-01-01"))
    assert past.status_code == 422 and past.get_json()["field"] == "due_date"  # a date, but a past one
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1


def test_my_tasks_lists_what_was_handed_to_me_first(world, task, client, auth):
    tasks.assign_person(task, world.volunteer.person, world.commune_lead.id, None)
    db.session.commit()
    auth.as_user(world.volunteer)
    html = client.get("/my/tasks").get_data(as_text=True)
    assert "Đăng ký QR chợ" in html
    items = client.get("/api/v1/tasks?mine=1").get_json()["items"]
    assert items[0]["id"] == task.id and items[0]["assignee_person_id"] == world.volunteer.person_id


def test_a_province_lead_finds_the_board_in_the_main_menu(world, client, auth):
    auth.as_user(world.lead_a)
    nav = client.get("/account").get_data(as_text=True).split('<nav class="nav"')[1].split("</nav>")[0]
    assert f'<a href="/provinces/{HANOI}/tasks">Nhiệm vụ</a>' in nav
    auth.as_user(world.volunteer)
    nav = client.get("/account").get_data(as_text=True).split('<nav class="nav"')[1].split("</nav>")[0]
    assert "/tasks\">Nhiệm vụ" not in nav


def test_the_preview_names_the_communes_it_skips_and_links_to_create_their_teams(world, client, auth):
    """Issue 18 §2: not only "N communes have no team yet", but which, with the way to fix it."""
    from models import AdminUnit

    auth.as_user(world.lead_a)
    form = {"kind": "other", "title": "Rà soát", "mode": "all", "priority": "normal", "action": "preview"}
    html = client.post(f"/provinces/{HANOI}/tasks/new", data=form).get_data(as_text=True)
    skipped = html.split('id="skipped"')[1].split("</details>")[0]
    names = db.session.scalars(sa.select(AdminUnit.name).where(
        AdminUnit.province_code == HANOI, AdminUnit.level == "commune",
        AdminUnit.code != world.commune_team.admin_unit_code)).all()
    assert len(names) > 100 and all(f"<li>{n}</li>" in skipped for n in names)
    assert f"/provinces/{HANOI}#without-team" in skipped

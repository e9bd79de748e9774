"""The audit page reads as Vietnamese sentences with names for every kind of event the rules write,
and shows before → after in words (issue 18 §6): no codes, no ids, no uuids."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from coordination.clock import local_today, utcnow
from coordination.duty import rota
from coordination.emulation import targets
from coordination.messaging import broadcasts
from coordination.org import people, teams
from coordination.tasks import assignment, rules as tasks
from coordination.tasks.assignment import Targeting
from coordination.tasks.rules import TaskSpec
from models import AuditEvent, Task, db
from tests.factories import HANOI, make_person

RAW = re.compile(r"#\d|_id|\b(status|done_count|retired|batch|in_progress|data_verification|residents_helped|"
                 r"primary|None|True|False)\b|[0-9a-f]{8}-[0-9a-f]{4}|\d{4}-\d{2}-\d{2}")


def _a_day_of_everything(world):
    actor = world.lead_a.id
    person = make_person(full_name="Đỗ Thị Mới")
    people.update_person(person, people.PersonInput(full_name="Đỗ Thị Mới", phone=person.phone,
                                                    affiliation="youth_union"), actor_id=actor)
    membership = teams.add_member(world.commune_team, person, actor_id=actor)
    teams.end_membership(membership, actor_id=actor)
    batch, _n = assignment.assign(TaskSpec(kind="data_verification", title="Xác minh hộ khẩu"),
                                  Targeting(province_code=HANOI), actor)
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch).order_by(Task.id).limit(1))
    tasks.change_status(task, "in_progress", actor, None)
    tasks.report_progress(task, 3, actor, None)
    start = utcnow() + timedelta(days=2)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), actor_id=actor)
    rota.assign(shift, world.volunteer.person, "primary", actor_id=actor)
    broadcasts.send(actor, HANOI, "province", None, "Họp khẩn lúc 20h", urgent=True)
    first = local_today().replace(day=1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    targets.set_targets(HANOI, [world.commune_team.id], {"residents_helped": 1200}, first, last, actor)
    db.session.commit()
    return task


def _events_html(client) -> str:
    return client.get("/audit").get_data(as_text=True).split('id="events"')[1].split("</ol>")[0]


def test_every_event_on_the_page_reads_as_a_sentence_with_names(world, client, auth):
    _a_day_of_everything(world)
    auth.as_user(world.lead_a)
    html = _events_html(client)
    lead, team, volunteer = world.lead_a.person.full_name, world.commune_team.name, world.volunteer.person.full_name
    assert f"{lead} đã thêm Đỗ Thị Mới vào {team}" in html
    assert f"{lead} đã kết thúc tư cách thành viên của Đỗ Thị Mới trong {team}" in html
    assert f"{lead} đã chuyển việc “Xác minh hộ khẩu” sang “Đang làm”" in html
    assert f"{lead} đã báo tiến độ việc “Xác minh hộ khẩu”: đã làm 3" in html
    assert f"{lead} đã xếp {volunteer} vào ca " in html
    assert re.search(rf"{lead} đã gửi thông báo khẩn tới \d+ người", html)
    assert f"{lead} đã đặt chỉ tiêu “Lượt người dân được hỗ trợ” của {team} là 1.200" in html
    assert re.search(r"<dt>Trạng thái</dt><dd><del>[^<]+</del> → Đang làm</dd>", html)
    assert "Giao cùng đợt" in html and "đợt giao việc ngày" in html  # the batch as a day, not its uuid
    assert "<dt>Khẩn</dt><dd>Có</dd>" in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert not RAW.search(text), RAW.search(text)


def test_the_same_page_in_english(world, client, auth):
    _a_day_of_everything(world)
    world.lead_a.locale = "en"
    db.session.commit()
    auth.as_user(world.lead_a)
    html = _events_html(client)
    lead = world.lead_a.person.full_name
    assert f"{lead} moved the task “Xác minh hộ khẩu” to “In progress”" in html
    assert "<dt>Urgent</dt><dd>Yes</dd>" in html


def test_a_refused_action_says_what_was_tried_but_not_on_whom(world, client, auth):
    from coordination.core import audit

    audit.refused(world.lead_b.id, "correct_progress", "task", 1, HANOI)
    auth.as_user(world.lead_a)
    html = _events_html(client)
    assert f"{world.lead_b.person.full_name} đã định sửa tiến độ một việc ngoài phạm vi được giao" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "refused")) == 1


def test_kinds_of_work_and_system_events_read_with_names(app):
    from types import SimpleNamespace

    from coordination.core.audit_text import describe

    names = {("work_kind", "data_verification"): "Xác minh dữ liệu", ("user", "5"): "Nguyễn Văn An"}
    retire = SimpleNamespace(action="update", entity="work_kind", entity_id="data_verification", team_id=None,
                             before={"retired": False}, after={"retired": True})
    failed = SimpleNamespace(action="login_failed", entity="user", entity_id="5", team_id=None, before=None,
                             after={"identifier": "0912345678"})
    with app.test_request_context():
        assert describe(retire, names, "Bộ") == "Bộ đã ngừng dùng loại việc “Xác minh dữ liệu”"
        assert describe(failed, names) == "Đăng nhập sai vào tài khoản của Nguyễn Văn An"



def test_commendations_and_targets_can_be_filtered_by_kind(world, client, auth):
    _a_day_of_everything(world)
    auth.as_user(world.lead_a)
    page = client.get("/audit?entity=target")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option value="target" selected>Chỉ tiêu</option>' in html
    events = html.split('id="events"')[1].split("</ol>")[0]
    assert "đã đặt chỉ tiêu" in events and "đã gửi thông báo" not in events
    assert '<option value="commendation" >Khen thưởng</option>' in html or 'value="commendation"' in html


def test_changes_leave_out_what_nobody_set_and_write_coverage_as_a_share(app):
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from coordination.web.audit_view import changes, value

    approve = SimpleNamespace(action="approve", entity="commendation", entity_id="2", team_id=None,
                              at=datetime(2026, 12, 1, 19, 56, tzinfo=timezone.utc),
                              before={"status": "reviewed"}, after={"status": "approved", "reason": None})
    target = SimpleNamespace(action="create", entity="target", entity_id="3:shift_coverage", team_id=3,
                             at=approve.at, before=None, after={"value": 80})
    with app.test_request_context():
        assert [tuple(c) for c in changes(approve, {})] == [("Trạng thái", "đã thẩm định", "đã duyệt")]
        assert value(target, {}, "value", 80) == "80\u00a0%"
        assert value(approve, {}, "batch", "0991f40e-aaaa") == "đợt giao việc ngày 02/12/2026"  # Vietnam day

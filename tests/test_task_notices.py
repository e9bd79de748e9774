"""Task notices by SMS (issue 18 §4): the person handed a task, the commune lead whose team the
province assigns something (one INSERT … SELECT for any number of teams), the assigner when a task
is blocked (with the reason) or done — consent, quiet hours, no diacritics when asked, once each."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask import current_app

from coordination.messaging import outbox, sms
from coordination.org import teams
from coordination.tasks import assignment, rules as tasks
from models import Message, Task, db
from models.messages import TASK_NOTICE
from tests.factories import HANOI, communes_of, make_person

UTC = timezone.utc
NOON = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội
NIGHT = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 23:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOON)
SPEC = dict(kind="support_vaccination_registration", title="Hướng dẫn kích hoạt VNeID mức 2", target_count=100,
            target_unit="người dân")


def _notices():
    return db.session.execute(sa.select(Message.person_id, Message.body, Message.next_attempt_at, Message.urgent)
                              .where(Message.purpose == TASK_NOTICE).order_by(Message.id)).all()


def _assign(world, actor=None, **kw) -> Task:
    batch, _n = assignment.assign(tasks.TaskSpec(**dict(SPEC, **kw)), assignment.Targeting(
        HANOI, assignment.ONE, [world.commune_team.admin_unit_code]), (actor or world.lead_a).id)
    db.session.commit()
    return db.session.scalar(sa.select(Task).where(Task.batch == batch))


def test_the_commune_lead_is_told_when_the_province_assigns_their_team(world):
    task = _assign(world)
    [(person_id, body, due, urgent)] = _notices()
    assert person_id == world.commune_lead.person_id and not urgent and due == NOON
    assert body == (f"[TCN] Tỉnh giao nhiệm vụ mới cho tổ: Hướng dẫn kích hoạt VNeID mức 2. "
                    f"Xem: {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/tasks/{task.id}")


def test_a_lead_assigning_their_own_team_is_not_told(world):
    _assign(world, actor=world.commune_lead)
    assert _notices() == []


def test_at_night_a_normal_notice_waits_for_six_an_urgent_one_goes_now(world, ctx, quiet_hours_on):
    from coordination import clock

    clock.set_now(NIGHT)
    _assign(world, title="Họp tuần")
    _assign(world, title="Bão số 9: kiểm tra loa", priority="urgent")
    waits, now = _notices()
    assert waits.next_attempt_at == datetime(2026, 11, 24, 23, 0, tzinfo=UTC) and not waits.urgent
    assert now.next_attempt_at == NIGHT and now.urgent


def test_a_bulk_assignment_tells_every_lead_in_one_statement(world, ctx):
    """Twelve commune teams with a lead each (one without consent, one on a fixed line): ten
    notices, each naming its own task, written by one INSERT … SELECT into messages."""
    leads = []
    for i, unit in enumerate(communes_of(HANOI, 13)[1:]):
        team = teams.create_commune_team(unit.code)
        lead = make_person(full_name=f"Tổ trưởng {i}", **({"phone": "024 3825 1200"} if i == 0 else {}))
        if i == 1:
            lead.consent_sms = False
        teams.add_member(team, lead, "lead")
        leads.append(lead)
    db.session.commit()
    inserts = []
    record = lambda conn, cursor, statement, *a: inserts.append(statement) if statement.lstrip().upper().startswith(
        "INSERT INTO MESSAGES") else None
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        batch, n = assignment.assign(tasks.TaskSpec(**SPEC), assignment.Targeting(HANOI), world.lead_a.id)
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert n == 13 and len(inserts) == 1
    told = {pid: body for pid, body, _due, _u in _notices()}
    assert set(told) == {world.commune_lead.person_id} | {p.id for p in leads[2:]}
    task_of = dict(db.session.execute(sa.select(Task.team_id, Task.id).where(Task.batch == batch)).all())
    assert told[world.commune_lead.person_id].endswith(f"/tasks/{task_of[world.commune_team.id]}")


def test_the_person_handed_a_task_is_told_once_without_diacritics_if_asked(world):
    task = _assign(world)
    volunteer = world.volunteer.person
    volunteer.sms_ascii = True
    for _tap in range(2):  # a double tap hands it once
        tasks.assign_person(task, volunteer, world.commune_lead.id, world.commune_lead.person_id)
        db.session.commit()
    bodies = [body for pid, body, _d, _u in _notices() if pid == volunteer.id]
    assert bodies == [f"[TCN] Ban duoc giao nhiem vu: Huong dan kich hoat VNeID muc 2. Xem: "
                      f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/tasks/{task.id}"]
    tasks.assign_person(task, world.commune_lead.person, world.commune_lead.id, world.commune_lead.person_id)
    tasks.assign_person(task, volunteer, world.commune_lead.id, world.commune_lead.person_id)
    db.session.commit()
    assert len([1 for pid, *_ in _notices() if pid == volunteer.id]) == 2  # handed back later: told again
    assert world.commune_lead.person_id not in {pid for pid, *_ in _notices()[1:]}  # took it themself: not told


def test_the_assigner_is_told_when_it_is_blocked_with_the_reason_and_when_done(world):
    task = _assign(world)
    tasks.change_status(task, "blocked", world.volunteer.id, world.volunteer.person_id,
                        reason="Mất điện cả xã, chưa làm được")
    tasks.change_status(task, "in_progress", world.volunteer.id, world.volunteer.person_id)
    tasks.change_status(task, "done", world.volunteer.id, world.volunteer.person_id)
    db.session.commit()
    to_lead = [body for pid, body, *_ in _notices() if pid == world.lead_a.person_id]
    assert to_lead == ["[TCN] Nhiệm vụ “Hướng dẫn kích hoạt VNeID mức 2” bị vướng: Mất điện cả xã, chưa làm được. "
                       f"Xem: {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/tasks/{task.id}",
                       "[TCN] Nhiệm vụ “Hướng dẫn kích hoạt VNeID mức 2” đã hoàn thành (0/100). "
                       f"Xem: {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/tasks/{task.id}"]


def test_nobody_is_told_of_what_they_did_themselves_nor_without_consent(world):
    task = _assign(world)
    tasks.change_status(task, "blocked", world.lead_a.id, world.lead_a.person_id, reason="Chờ tài liệu")
    world.volunteer.person.consent_sms = False
    tasks.assign_person(task, world.volunteer.person, world.commune_lead.id, world.commune_lead.person_id)
    db.session.commit()
    assert [pid for pid, *_ in _notices()] == [world.commune_lead.person_id]  # only the assignment's notice


def test_the_web_flow_reaches_the_phones_through_twilio(world, auth, twilio):
    task = _assign(world)
    auth.as_user(world.commune_lead)
    assert auth.client.post(f"/tasks/{task.id}/assign", data={"person_id": str(world.volunteer.person_id)}
                            ).status_code in (302, 303)
    auth.as_user(world.volunteer)
    auth.client.post(f"/tasks/{task.id}/status", data={"to_status": "blocked", "blocked_reason": "Thiếu máy tính bảng"})
    outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config))
    got = {m["to"]: m["body"] for m in twilio.sent}
    assert "Bạn được giao nhiệm vụ" in got[world.volunteer.person.phone]
    assert got[world.lead_a.person.phone].startswith("[TCN] Nhiệm vụ “Hướng dẫn kích hoạt VNeID mức 2” bị vướng: "
                                                     "Thiếu máy tính bảng.")
    assert f"https://tcn.example.vn/tasks/{task.id}" in got[world.commune_lead.person.phone]

"""Task rules as plain functions: content, transitions, progress arithmetic, bulk assignment."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from coordination.tasks import assignment, rules as tasks
from coordination.org import teams
from coordination.clock import local_today, utcnow
from coordination.core.errors import Conflict, NotFound, ValidationError
from models import Task, TaskUpdate, db
from tests.factories import HANOI, HCM, communes_of, make_person

SPEC = dict(kind="support_vaccination_registration", title="Hỗ trợ đăng ký tiêm", target_count=100,
            target_unit="người dân")


def _task(world, **kw) -> Task:
    batch, n = assignment.assign(tasks.TaskSpec(**dict(SPEC, **kw)), assignment.Targeting(
        HANOI, assignment.ONE, [world.commune_team.admin_unit_code]), world.lead_a.id)
    db.session.commit()
    return db.session.scalar(sa.select(Task).where(Task.batch == batch))


@pytest.mark.parametrize("change, field", [
    (dict(due_date=date(2020, 1, 1)), "due_date"),
    (dict(target_count=-5), "target_count"),
    (dict(target_count=0), "target_count"),
    (dict(target_count=None, target_unit="người"), "target_count"),
    (dict(kind="dance"), "kind"),
    (dict(title="   "), "title"),
    (dict(priority="whenever"), "priority"),
])
def test_bad_task_content_names_the_field(ctx, change, field):  # kinds are in the database
    with pytest.raises(ValidationError) as err:
        tasks.clean_spec(tasks.TaskSpec(**dict(SPEC, **change)), today=date(2026, 11, 23))
    assert err.value.field == field


def test_due_today_in_vietnam_is_allowed(ctx):
    assert tasks.clean_spec(tasks.TaskSpec(**SPEC, due_date=local_today()))["due_date"] == local_today()


def test_workflow_transitions(world):
    task = _task(world)
    with pytest.raises(Conflict):  # the task's state refuses it (409 in the API), not the request
        tasks.change_status(task, "done", world.volunteer.id, None)  # open -> done skips the work
    with pytest.raises(ValidationError) as err:
        tasks.change_status(task, "blocked", world.volunteer.id, None)
    assert err.value.field == "blocked_reason"
    tasks.change_status(task, "blocked", world.volunteer.id, None, reason="Mất điện")
    assert task.blocked_reason == "Mất điện"
    tasks.change_status(task, "in_progress", world.volunteer.id, None)
    assert task.blocked_reason is None
    tasks.change_status(task, "done", world.volunteer.id, None)
    assert task.completed_at is not None
    tasks.change_status(task, "in_progress", world.commune_lead.id, None)  # reopen
    tasks.cancel(task, world.lead_a.id, None, "Trùng việc")
    with pytest.raises(Conflict):
        tasks.change_status(task, "in_progress", world.lead_a.id, None)
    db.session.commit()
    statuses = db.session.scalars(sa.select(TaskUpdate.to_status).where(TaskUpdate.task_id == task.id)
                                  .order_by(TaskUpdate.id)).all()
    assert statuses == ["blocked", "in_progress", "done", "in_progress", "cancelled"]


def test_a_stale_status_change_loses_cleanly(world):
    task = _task(world)
    db.session.execute(sa.update(Task).where(Task.id == task.id).values(status="in_progress")
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict):
        tasks.change_status(task, "blocked", world.volunteer.id, None, reason="x")  # our copy still says open


def test_progress_adds_up_and_starts_an_open_task(world):
    task = _task(world)
    tasks.report_progress(task, 30, world.volunteer.id, world.volunteer.person_id, "Tổ 5")
    assert (task.status, task.done_count, task.percent) == ("in_progress", 30, 30)
    tasks.report_progress(task, 90, world.volunteer.id, world.volunteer.person_id)
    assert (task.done_count, task.percent) == (120, 100)  # over target is kept, the bar stops at 100 %
    for bad in (0, -3, 2_000_000, "5", 1.5):
        with pytest.raises(ValidationError):
            tasks.report_progress(task, bad, world.volunteer.id, None)
    db.session.commit()
    deltas = db.session.scalars(sa.select(TaskUpdate.delta).where(TaskUpdate.task_id == task.id,
                                                                  TaskUpdate.delta.is_not(None))).all()
    assert sorted(deltas) == [30, 90]


def test_a_report_queued_on_a_phone_counts_once_at_its_own_time(world):
    task = _task(world)
    task.created_at = utcnow() - timedelta(days=1)  # given out yesterday
    made = utcnow().replace(microsecond=0) - timedelta(hours=3)
    key = str(uuid.uuid4())
    assert tasks.report_progress(task, 12, world.volunteer.id, world.volunteer.person_id, "Offline", key, made)
    db.session.commit()
    assert not tasks.report_progress(task, 12, world.volunteer.id, world.volunteer.person_id, "Offline", key, made)
    tasks.change_status(task, "done", None, None)
    assert not tasks.report_progress(task, 12, world.volunteer.id, None, None, key, made)  # a late resend: no error
    db.session.commit()
    assert db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id)) == 12
    update = db.session.scalar(sa.select(TaskUpdate).where(TaskUpdate.client_uuid == key))
    assert update.at == made and update.delta == 12
    other = _task(world, title="Một việc khác")
    with pytest.raises(Conflict):
        tasks.report_progress(other, 1, world.volunteer.id, None, None, key, made)


def test_a_queued_report_is_never_dated_before_its_task_existed(world):
    """occurred_at may be 7 days old, but nobody reports on a task before it is given out: a report
    dated 3 days before the task (a phone's wrong clock, or a forged date) is kept at the task's
    creation, so history and the weekly figures never show work on a task that did not exist."""
    task = _task(world)
    made = task.created_at - timedelta(days=3)
    assert tasks.report_progress(task, 5, world.volunteer.id, world.volunteer.person_id, None, str(uuid.uuid4()), made)
    db.session.commit()
    update = db.session.scalar(sa.select(TaskUpdate).where(TaskUpdate.delta == 5))
    assert update.at == task.created_at


def test_concurrent_progress_reports_never_overwrite_each_other(world):
    task = _task(world)
    tasks.change_status(task, "in_progress", None, None)
    db.session.commit()
    # Another volunteer's report lands after we loaded the task: our copy still says 0.
    db.session.execute(sa.update(Task).where(Task.id == task.id).values(done_count=Task.done_count + 5)
                       .execution_options(synchronize_session=False))
    tasks.report_progress(task, 7, world.volunteer.id, None)
    db.session.commit()
    assert db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id)) == 12


def test_no_progress_on_blocked_or_finished_tasks(world):
    task = _task(world)
    tasks.change_status(task, "blocked", None, None, reason="Chờ dữ liệu")
    with pytest.raises(Conflict):
        tasks.report_progress(task, 1, None, None)


def test_hand_a_task_only_to_a_member_of_its_team(world):
    task = _task(world)
    outsider = make_person(full_name="Người Ngoài")
    with pytest.raises(Conflict):
        tasks.assign_person(task, outsider, world.commune_lead.id, None)
    tasks.assign_person(task, world.volunteer.person, world.commune_lead.id, None)
    assert task.assignee_person_id == world.volunteer.person_id


def _teams_in_hanoi(n: int) -> list:
    existing = {world_team.admin_unit_code for world_team in db.session.scalars(
        sa.select(teams.Team).where(teams.Team.level == "commune", teams.Team.province_code == HANOI))}
    made = []
    for unit in communes_of(HANOI, n + len(existing)):
        if unit.code not in existing and len(made) < n:
            made.append(teams.create_commune_team(unit.code))
    return made


def test_bulk_assignment_to_every_commune_team_of_the_province(world):
    _teams_in_hanoi(3)
    preview = assignment.preview(assignment.Targeting(HANOI), SPEC["kind"])
    assert preview.count == 4  # world's team + 3
    total = db.session.scalar(sa.select(sa.func.count()).select_from(teams.AdminUnit).where(
        teams.AdminUnit.province_code == HANOI, teams.AdminUnit.level == "commune"))
    assert (preview.communes, preview.without_team) == (total, total - 4)
    batch, n = assignment.assign(tasks.TaskSpec(**SPEC), assignment.Targeting(HANOI), world.lead_a.id)
    db.session.commit()
    rows = db.session.scalars(sa.select(Task).where(Task.batch == batch)).all()
    assert n == 4 and {t.province_code for t in rows} == {HANOI} and len({t.team_id for t in rows}) == 4
    # Skipping teams that already have an open task of this kind leaves nobody.
    again = assignment.preview(assignment.Targeting(HANOI, skip_with_open_task=True), SPEC["kind"])
    assert (again.count, again.already_open) == (0, 4)
    with pytest.raises(Conflict):  # nobody left to receive it: the stored teams, not the request
        assignment.assign(tasks.TaskSpec(**SPEC), assignment.Targeting(HANOI, skip_with_open_task=True), None)


def test_bulk_assignment_filters_by_commune_type(world):
    made = _teams_in_hanoi(6)
    types = {t.admin_unit.unit_type for t in made + [world.commune_team]}
    for unit_type in types:
        expected = sum(1 for t in made + [world.commune_team] if t.admin_unit.unit_type == unit_type)
        assert assignment.preview(assignment.Targeting(HANOI, unit_type=unit_type), SPEC["kind"]).count == expected
    with pytest.raises(ValidationError):
        assignment.preview(assignment.Targeting(HANOI, unit_type="Quận"), SPEC["kind"])


def test_selected_communes_must_exist_in_the_province(world):
    with pytest.raises(NotFound) as err:
        assignment.preview(assignment.Targeting(HANOI, assignment.SELECTED, ["99999"]), SPEC["kind"])
    assert "99999" in str(err.value)
    hcm_commune = world.commune_team_b.admin_unit_code
    with pytest.raises(NotFound):
        assignment.preview(assignment.Targeting(HANOI, assignment.SELECTED, [hcm_commune]), SPEC["kind"])
    with pytest.raises(ValidationError):
        assignment.preview(assignment.Targeting(HANOI, assignment.SELECTED, []), SPEC["kind"])


def test_nothing_is_written_when_the_content_is_bad(world):
    with pytest.raises(ValidationError):
        assignment.assign(tasks.TaskSpec(**dict(SPEC, due_date=local_today() - timedelta(days=2))),
                          assignment.Targeting(HANOI), world.lead_a.id)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0


def test_national_campaign_reaches_every_province(world):
    batch, n = assignment.assign(tasks.TaskSpec(**SPEC), assignment.Targeting(None), world.ministry.id)
    db.session.commit()
    provinces = set(db.session.scalars(sa.select(Task.province_code).where(Task.batch == batch)))
    assert n == 2 and provinces == {HANOI, HCM}


def test_limits_in_messages_are_written_as_a_vietnamese_reader_writes_numbers(world, app):
    """10.000.000, not 10,000,000: a count in a rule's message is grouped like every count on the pages."""
    from flask_babel import force_locale

    task = _task(world)
    with app.test_request_context("/"), force_locale("vi"):
        with pytest.raises(ValidationError) as too_big:
            tasks.report_progress(task, 2_000_000, world.volunteer.id, None)
        assert "1.000.000" in str(too_big.value)

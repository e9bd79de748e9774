"""Numbers that can be trusted and corrected (issue 18 §3): a report far above what remains asks to be
confirmed and is then flagged; a lead corrects a wrong count, in the history and the audit trail."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.core.errors import Conflict, ValidationError
from coordination.tasks import assignment, rules as tasks
from models import AuditEvent, Task, TaskUpdate, db
from tests.factories import HANOI, ROLES

SPEC = dict(kind="other", title="Tiêm chủng", target_count=200, target_unit="người")
TYPO = "Bạn báo 100.000, nhiều hơn nhiều so với chỉ tiêu còn lại 134. Bấm xác nhận nếu đúng."


@pytest.fixture
def task(world) -> Task:
    """Target 200, 66 done: 134 remain."""
    batch, _n = assignment.assign(tasks.TaskSpec(**SPEC), assignment.Targeting(HANOI), world.lead_a.id)
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch))
    tasks.report_progress(task, 66, world.volunteer.id, world.volunteer.person_id)
    db.session.commit()
    return task


def _done(task_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Task.done_count).where(Task.id == task_id))


def _flagged(task_id: int) -> list:
    return db.session.scalars(sa.select(TaskUpdate.delta).where(TaskUpdate.task_id == task_id,
                                                                TaskUpdate.flagged.is_(True))).all()


def test_the_plausible_bound():
    assert tasks.plausible_bound(Task(target_count=200, done_count=66)) == 1340  # 10× what remains
    assert tasks.plausible_bound(Task(target_count=200, done_count=198)) == 50  # never below 50
    assert tasks.plausible_bound(Task(target_count=200, done_count=250)) == 200  # nothing left: the target
    assert tasks.plausible_bound(Task(target_count=None, done_count=0)) is None  # no target, no bound


def test_an_implausible_report_is_refused_until_confirmed_then_flagged(world, task):
    with pytest.raises(tasks.NeedsConfirmation) as err:
        tasks.report_progress(task, 100_000, world.volunteer.id, world.volunteer.person_id)
    assert err.value.field == "confirm"
    db.session.rollback()
    assert _done(task.id) == 66 and _flagged(task.id) == []
    tasks.report_progress(task, 1340, world.volunteer.id, world.volunteer.person_id)  # at the bound: no question
    tasks.report_progress(task, 100_000, world.volunteer.id, world.volunteer.person_id, confirmed=True)
    db.session.commit()
    assert _done(task.id) == 101_406 and _flagged(task.id) == [100_000]
    with pytest.raises(tasks.NeedsConfirmation) as err:  # nothing left: more than the whole target is asked about
        tasks.report_progress(task, 201, world.volunteer.id, world.volunteer.person_id)
    assert str(err.value) == "Bạn báo 201, nhiều hơn cả chỉ tiêu 200 (đã đạt). Bấm xác nhận nếu đúng."
    tasks.report_progress(task, 200, world.volunteer.id, world.volunteer.person_id)


def test_a_queued_report_is_never_lost_it_is_stored_flagged(world, task):
    """The phone already sent it and nobody can be asked: stored, flagged for the lead."""
    counted = tasks.report_progress(task, 100_000, world.volunteer.id, world.volunteer.person_id,
                                    client_uuid=str(uuid.uuid4()), at=utcnow())
    db.session.commit()
    assert counted and _done(task.id) == 100_066 and _flagged(task.id) == [100_000]


def test_a_lead_corrects_the_count_in_history_and_audit(world, task):
    tasks.report_progress(task, 100_000, world.volunteer.id, world.volunteer.person_id, confirmed=True)
    update = tasks.correct_progress(task, -99_990, "Gõ nhầm, thực tế 10", world.commune_lead.id,
                                    world.commune_lead.person_id)
    db.session.commit()
    assert _done(task.id) == 76 and _flagged(task.id) == []  # correcting clears the flag
    assert (update.delta, update.done_count_after, update.note) == (-99_990, 76, "Gõ nhầm, thực tế 10")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "correct_progress"))
    assert event.actor_user_id == world.commune_lead.id and event.entity_id == str(task.id)
    assert event.before == {"done_count": 100_066} and event.after["done_count"] == 76


def test_a_correction_needs_a_reason_and_never_goes_below_zero(world, task):
    for amount, reason, error in ((-67, "Sai", Conflict), (-5, "  ", ValidationError), (0, "Sai", ValidationError),
                                  (True, "Sai", ValidationError)):
        with pytest.raises(error):
            tasks.correct_progress(task, amount, reason, world.lead_a.id, world.lead_a.person_id)
        db.session.rollback()
    assert _done(task.id) == 66
    tasks.correct_progress(task, -66, "Làm lại từ đầu", world.lead_a.id, world.lead_a.person_id)
    assert _done(task.id) == 0


def test_the_web_form_asks_then_stores_flagged_and_a_lead_corrects_it(world, task, client, auth):
    auth.as_user(world.volunteer)
    asked = client.post(f"/tasks/{task.id}/progress", data={"delta": "100000"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 400 and TYPO in html and 'name="confirm"' in html
    assert _done(task.id) == 66
    stored = client.post(f"/tasks/{task.id}/progress", data={"delta": "100000", "confirm": "y"})
    assert stored.status_code == 302 and _done(task.id) == 100_066
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "cần kiểm tra: vượt xa chỉ tiêu" in html and "Tình Nguyện Viên" in html
    assert f'action="/tasks/{task.id}/correct"' not in html  # a volunteer cannot correct…
    refused = client.post(f"/tasks/{task.id}/correct", data={"amount": "-99990", "reason": "Sai"})
    assert refused.status_code == 404 and _done(task.id) == 100_066  # …nor post a correction
    auth.as_user(world.lead_a)
    assert 'class="badge warn flagged"' in client.get(f"/provinces/{HANOI}/tasks").get_data(as_text=True)
    auth.as_user(world.commune_lead)
    assert f'action="/tasks/{task.id}/correct"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "cần kiểm tra" in client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)
    empty = client.post(f"/tasks/{task.id}/correct", data={"amount": "-99990", "reason": ""})
    assert empty.status_code == 400 and _done(task.id) == 100_066
    below = client.post(f"/tasks/{task.id}/correct", data={"amount": "-200000", "reason": "Sai"})
    assert below.status_code == 400 and "không thể nhỏ hơn 0 (hiện là 100.066)" in below.get_data(as_text=True)
    done = client.post(f"/tasks/{task.id}/correct", data={"amount": "-99.990", "reason": "Gõ nhầm"})
    assert done.status_code == 302 and _done(task.id) == 76
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "-99.990" in html and "Gõ nhầm" in html and "cần kiểm tra" not in html
    assert "cần kiểm tra" not in client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)


def test_a_lead_of_another_province_cannot_correct(world, task, client, auth):
    auth.as_user(world.lead_b)
    assert client.post(f"/tasks/{task.id}/correct", data={"amount": "-6", "reason": "Sai"}).status_code == 404
    assert client.post(f"/api/v1/tasks/{task.id}/corrections", json={"amount": -6, "reason": "Sai"}).status_code == 404
    assert _done(task.id) == 66


@pytest.mark.parametrize("api", (False, True))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_correct(world, task, auth, role, api):
    """As handing a task over: the team's lead and those above; a volunteer and another province: 404."""
    path, data = ((f"/api/v1/tasks/{task.id}/corrections", {"amount": -6, "reason": "Sai"}) if api
                  else (f"/tasks/{task.id}/correct", {"amount": "-6", "reason": "Sai"}))
    #                                        ministry lead_a lead_b c_lead vol anon
    statuses = (201, 201, 404, 201, 404, 401) if api else (302, 302, 404, 302, 404, 302)
    auth.check_route(world, role, ("POST", path, data, statuses))
    assert _done(task.id) == (60 if statuses[ROLES.index(role)] in (201, 302) and role != "anonymous" else 66)
    refused = db.session.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "refused"))
    audited = ("volunteer",) if api else ("lead_b", "volunteer")  # as assigning: the API hides what lead_b cannot see
    assert refused == ({"attempted": "correct_progress"} if role in audited else None)


def test_the_history_names_the_assignee(world, task, client, auth):
    tasks.assign_person(task, world.volunteer.person, world.lead_a.id, world.lead_a.person_id)
    db.session.commit()
    auth.as_user(world.lead_a)
    assert "đã giao cho Tình Nguyện Viên" in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_the_api_asks_confirms_and_corrects(world, task, client, auth):
    auth.as_user(world.volunteer)
    url = f"/api/v1/tasks/{task.id}/progress"
    asked = client.post(url, json={"delta": 100_000})
    assert asked.status_code == 422 and asked.json["field"] == "confirm" and asked.json["error"] == TYPO
    assert client.post(url, json={"delta": 100_000, "confirm": True}).json["done_count"] == 100_066
    queued = client.post(url, json={"delta": 5000, "client_uuid": str(uuid.uuid4()),
                                    "occurred_at": utcnow().isoformat()})
    assert queued.status_code == 200 and queued.json["done_count"] == 105_066
    assert sorted(_flagged(task.id)) == [5000, 100_000]
    fix = {"amount": -104_990, "reason": "Gõ nhầm"}
    assert client.post(f"/api/v1/tasks/{task.id}/corrections", json=fix).status_code == 404  # a volunteer
    auth.as_user(world.lead_a)
    assert client.post(f"/api/v1/tasks/{task.id}/corrections", json={"amount": -200_000, "reason": "x"}).status_code == 409
    fixed = client.post(f"/api/v1/tasks/{task.id}/corrections", json=fix)
    assert fixed.status_code == 201 and fixed.json["done_count"] == 76 and fixed.json["update"]["note"] == "Gõ nhầm"
    updates = client.get(f"/api/v1/tasks/{task.id}").json["updates"]
    assert updates[-1]["delta"] == -104_990 and not any(u["flagged"] for u in updates)


@pytest.mark.browser
def test_on_the_phone_a_typo_is_asked_about_then_queued_and_flagged(world, task, live_server, phone_page):
    """With the offline queue on, a report above the bound is posted as a form, so the server can ask;
    confirmed, it goes through the queue like any report and is stored flagged."""
    from tests.factories import browser_login

    browser_login(phone_page, live_server, "0987 654 321")
    phone_page.goto(f"{live_server}/tasks/{task.id}")
    phone_page.fill("#delta", "100000")
    phone_page.click("#progress-form button.primary")
    phone_page.wait_for_selector("#confirm")
    assert TYPO in phone_page.locator("#progress").inner_text()
    assert _done(task.id) == 66
    phone_page.check("#confirm")
    phone_page.click("#progress-form button.primary")
    phone_page.wait_for_function("() => document.getElementById('progress').innerText.includes('100.066 / 200')")
    assert _done(task.id) == 100_066 and _flagged(task.id) == [100_000]
    assert db.session.scalar(sa.select(TaskUpdate.client_uuid).where(TaskUpdate.flagged.is_(True))) is not None
    # The province lead, on a phone too, takes the typo back with a reason from the flagged line.
    phone_page.context.clear_cookies()
    browser_login(phone_page, live_server, "hn@example.vn")
    phone_page.goto(f"{live_server}/tasks/{task.id}")
    flagged = phone_page.locator("li", has_text="cần kiểm tra")
    flagged.locator("input[name=reason]").fill("Gõ nhầm, thừa ba số 0")
    button = flagged.get_by_role("button", name="Trừ lại 100.000")
    assert button.bounding_box()["height"] >= 44
    button.tap()
    phone_page.wait_for_function("() => /(^|\\D)66 \\/ 200/.test(document.getElementById('progress').innerText)")
    assert _done(task.id) == 66 and phone_page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_leaderboard_counts_the_correction(world):
    """The thi đua progress sums the history's deltas: a correction takes the typo back there too."""
    from coordination.clock import local_today
    from coordination.emulation import targets
    from models.emulation import RESIDENTS_HELPED

    spec = tasks.TaskSpec(kind="support_vaccination_registration", title="Hỗ trợ", target_count=200)
    batch, _n = assignment.assign(spec, assignment.Targeting(HANOI), world.lead_a.id)
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch))
    tasks.report_progress(task, 100_066, world.volunteer.id, world.volunteer.person_id, confirmed=True)
    tasks.correct_progress(task, -99_990, "Gõ nhầm", world.lead_a.id, world.lead_a.person_id)
    db.session.commit()
    today = local_today()
    assert targets.progress([task.team_id], today, today)[(task.team_id, RESIDENTS_HELPED)] == 76

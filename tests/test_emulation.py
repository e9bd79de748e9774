"""Thi đua: scores on a hand-computed dataset, the commendation workflow's permissions, pages."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.emulation import commendations, targets as emulation
from coordination.org import teams
from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.permissions import scope_for_person
from models import Commendation, DutySession, Shift, Target, Task, TaskUpdate, db
from tests.factories import HANOI, browser_login, communes_of, make_person

VN = timezone(timedelta(hours=7))
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 31)
NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)


def vn(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=VN).astimezone(timezone.utc)


@pytest.fixture
def october(world):
    """Counted by hand. Team A (the world's, big): helped 30 + 25 residents in October (and 50 in
    September, not counted) against a target of 100 → 55 %; 2 shifts in October, 1 with a check-in,
    against a coverage target of 100 % → 50 %; a venue-registration report does not count as residents
    helped. Score (55 + 50) / 2 = 52.5.
    Team B (small): helped 12 residents against 10 → capped at 100 %; 2 tasks done in October, one on
    its due day, one at 00:30 the day after (Vietnam time; 17:30 UTC on the due day) → 1 of 2 on time
    against a target of 2 → 50 %. Score 75.0: the small commune ranks first."""
    a = world.commune_team
    b = teams.create_commune_team(communes_of(HANOI, 2)[1].code)

    def task(team, kind, **kw):
        t = Task(kind=kind, title=kind, team_id=team.id, province_code=HANOI, status=kw.pop("status", "in_progress"),
                 created_at=vn("2026-09-01", "08:00"), updated_at=vn("2026-09-01", "08:00"), **kw)
        db.session.add(t)
        db.session.flush()
        return t

    def report(t, delta, at):
        db.session.add(TaskUpdate(task_id=t.id, delta=delta, at=at))

    help_a = task(a, "support_qr_checkin")
    report(help_a, 30, vn("2026-10-05", "10:00"))
    report(help_a, 25, vn("2026-10-31", "23:30"))
    report(help_a, 50, vn("2026-09-30", "23:30"))
    report(task(a, "venue_qr_registration"), 40, vn("2026-10-06", "10:00"))
    for day, came in (("2026-10-01", True), ("2026-10-02", False)):
        s = Shift(team_id=a.id, province_code=HANOI, starts_at=vn(day, "08:00"), ends_at=vn(day, "16:00"), required=1)
        db.session.add(s)
        db.session.flush()
        if came:
            db.session.add(DutySession(person_id=world.volunteer.person_id, team_id=a.id, province_code=HANOI,
                                       shift_id=s.id, started_at=vn(day, "08:00"), ended_at=vn(day, "16:00")))
    report(task(b, "support_home_care"), 12, vn("2026-10-07", "10:00"))
    task(b, "data_verification", status="done", due_date=date(2026, 10, 10), completed_at=vn("2026-10-10", "09:00"))
    task(b, "data_verification", status="done", due_date=date(2026, 10, 10), completed_at=vn("2026-10-11", "00:30"))
    emulation.set_targets(HANOI, [a.id], {"residents_helped": 100, "shift_coverage": 100}, FIRST, LAST,
                          world.lead_a.id)
    emulation.set_targets(HANOI, [b.id], {"residents_helped": 10, "tasks_on_time": 2}, FIRST, LAST, world.lead_a.id)
    db.session.commit()
    world.small_team = b
    return world


def test_scores_rank_by_share_of_target_not_raw_totals(october):
    board = emulation.leaderboard(FIRST, LAST, HANOI, now=NOW)
    assert [(s.rank, s.team_id, s.score) for s in board] == [
        (1, october.small_team.id, 75.0), (2, october.commune_team.id, 52.5)]
    big, small = board[1], board[0]
    assert big.actual == {"residents_helped": 55.0, "shift_coverage": 50.0}
    assert small.actual == {"residents_helped": 12.0, "tasks_on_time": 1.0}


def test_score_rule():
    assert emulation.score({"a": 10, "b": 4}, {"a": 30, "b": 1}) == 62.5  # 100 % (capped) and 25 %
    assert emulation.score({}, {}) == 0.0


def test_equal_scores_share_a_rank_and_remote_teams_can_be_filtered(october):
    emulation.set_targets(HANOI, [october.commune_team.id], {"residents_helped": 55, "shift_coverage": 50},
                          FIRST, LAST, october.lead_a.id)  # now 100 %
    emulation.set_targets(HANOI, [october.small_team.id], {"tasks_on_time": 1}, FIRST, LAST, october.lead_a.id)
    emulation.set_remote(october.small_team, True, october.lead_a.id)
    db.session.commit()
    board = emulation.leaderboard(FIRST, LAST, HANOI, now=NOW)
    assert [s.rank for s in board] == [1, 1]
    assert [s.team_id for s in emulation.leaderboard(FIRST, LAST, HANOI, remote_only=True, now=NOW)] == [
        october.small_team.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Target)) == 4  # changed, not duplicated


@pytest.mark.parametrize("values,first,last,field", [
    ({}, FIRST, LAST, "residents_helped"),
    ({"shift_coverage": 120}, FIRST, LAST, "shift_coverage"),
    ({"residents_helped": 0}, FIRST, LAST, "residents_helped"),
    ({"residents_helped": 5}, LAST, FIRST, "period_end"),
    ({"residents_helped": 5}, FIRST, FIRST + timedelta(days=400), "period_end"),
])
def test_bad_targets_are_refused_with_their_field(world, values, first, last, field):
    with pytest.raises(ValidationError) as err:
        emulation.set_targets(HANOI, [world.commune_team.id], values, first, last, world.lead_a.id)
    assert err.value.field == field


def test_targets_only_for_commune_teams_of_the_province(world):
    with pytest.raises(ValidationError):
        emulation.set_targets(HANOI, [world.commune_team_b.id], {"residents_helped": 5}, FIRST, LAST, world.lead_a.id)


def scope(user):
    return scope_for_person(user.person_id)


def test_commendation_workflow_and_who_may_do_what(world):
    volunteer = world.volunteer.person
    with pytest.raises(NotFound):  # a volunteer cannot propose
        commendations.propose(scope(world.volunteer), world.volunteer.id, world.commune_team, None, "Rất tích cực trực")
    with pytest.raises(ValidationError):  # someone outside the team
        commendations.propose(scope(world.commune_lead), world.commune_lead.id, world.commune_team,
                              make_person(), "Rất tích cực trực ca đêm")
    c = commendations.propose(scope(world.commune_lead), world.commune_lead.id, world.commune_team, volunteer,
                              "Trực đủ 30 ca đêm trong mùa mưa bão")
    assert c.status == "proposed" and set(c.evidence) >= {"hours_on_duty", "shifts_covered", "tasks_done",
                                                          "median_ack_minutes"}
    with pytest.raises(NotFound):  # another province's lead
        commendations.review(scope(world.lead_b), c, world.lead_b.id)
    with pytest.raises(Conflict):  # approval needs a review first
        commendations.decide(scope(world.lead_a), c, world.lead_a.id, approve=True)
    commendations.review(scope(world.lead_a), c, world.lead_a.id)
    with pytest.raises(ValidationError):  # a rejection needs its reason
        commendations.decide(scope(world.ministry), c, world.ministry.id, approve=False, reason="")
    commendations.decide(scope(world.ministry), c, world.ministry.id, approve=True)
    assert c.status == "approved"
    with pytest.raises(Conflict):
        commendations.decide(scope(world.ministry), c, world.ministry.id, approve=False, reason="Đổi ý sau khi duyệt")

    own = commendations.propose(scope(world.lead_a), world.lead_a.id, world.commune_team, None,
                                "Tổ hoàn thành 100% chỉ tiêu quý")
    with pytest.raises(ValidationError):  # the proposer never reviews their own proposal
        commendations.review(scope(world.lead_a), own, world.lead_a.id)
    commendations.decide(scope(world.ministry), own, world.ministry.id, approve=False, reason="Thiếu minh chứng ca trực")
    assert own.status == "rejected" and own.decision_reason == "Thiếu minh chứng ca trực"


def test_evidence_is_gathered_from_the_data(world):
    now = utcnow()
    shift = Shift(team_id=world.commune_team.id, province_code=HANOI, starts_at=now - timedelta(days=3),
                  ends_at=now - timedelta(days=3) + timedelta(hours=8), required=1)
    db.session.add(shift)
    db.session.flush()
    db.session.add(DutySession(person_id=world.volunteer.person_id, team_id=world.commune_team.id,
                               province_code=HANOI, shift_id=shift.id, started_at=shift.starts_at,
                               ended_at=shift.starts_at + timedelta(hours=6)))
    db.session.flush()
    team = commendations.evidence(world.commune_team, None, now)
    assert (team["hours_on_duty"], team["shifts"], team["shifts_covered"]) == (6.0, 1, 1)


def test_public_recognition_page_shows_approved_names_never_phones(world, client):
    c = commendations.propose(scope(world.commune_lead), world.commune_lead.id, world.commune_team,
                              world.volunteer.person, "Hỗ trợ 500 người dân cài đặt ứng dụng")
    hidden = commendations.propose(scope(world.commune_lead), world.commune_lead.id, world.commune_team, None,
                                   "Đề xuất chưa được duyệt")
    commendations.review(scope(world.lead_a), c, world.lead_a.id)
    commendations.decide(scope(world.lead_a), c, world.lead_a.id, approve=True)
    db.session.commit()
    html = client.get("/recognition").get_data(as_text=True)  # no login needed
    assert "Tình Nguyện Viên" in html and "Hỗ trợ 500 người dân" in html
    assert "Đề xuất chưa được duyệt" not in html and hidden.status == "proposed"
    assert "987654321" not in html and "+84" not in html


@pytest.mark.parametrize("role,status", [("ministry", 200), ("lead_a", 200), ("commune_lead", 200),
                                         ("volunteer", 200)])
def test_the_leaderboard_is_open_to_every_member(october, auth, role, status):
    auth.as_user(october.users()[role])
    response = auth.client.get("/thi-dua?province=01&period=2026-10-01_2026-10-31")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "75\u00a0%" in html and "52,5\u00a0%" in html and "Cách xếp hạng" in html  # scores the Vietnamese way


@pytest.mark.browser
def test_propose_then_approve_a_commendation_in_chromium(world, live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, world.commune_lead.person.phone)
    page.goto(live_server + f"/thi-dua/commendations/new?team={world.commune_team.id}")
    page.select_option("#person", str(world.volunteer.person_id))
    page.select_option("#form_code", "bang_khen_tinh")  # decided by the province
    page.fill("#reason", "Trực đủ ca đêm suốt mùa mưa bão")
    page.click("#propose")
    page.wait_for_selector("#evidence")
    assert "Đã gửi đề xuất" in page.locator(".flash.success").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, "hn@example.vn")
    page.goto(live_server + "/thi-dua/commendations")
    page.click("text=Tình Nguyện Viên")
    page.click("#review")
    page.click("#approve")
    page.wait_for_selector(".badge.s-approved")
    page.goto(live_server + "/recognition")
    assert "Trực đủ ca đêm suốt mùa mưa bão" in page.locator("#recognised").inner_text()
    context.close()
    assert db.session.scalar(sa.select(Commendation.status)) == "approved"


def test_setting_targets_through_the_form(world, auth):
    auth.as_user(world.lead_a)
    assert auth.client.get("/thi-dua/targets?province=01").status_code == 200
    assert auth.client.get("/thi-dua/targets?province=79").status_code == 404  # not their province
    bad = auth.client.post("/thi-dua/targets?province=01", data={"team": "all", "period_start": "2026-10-31",
                                                                 "period_end": "2026-10-01", "residents_helped": "50"})
    assert bad.status_code == 400 and "Ngày cuối kỳ trước ngày đầu kỳ" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Target)) == 0
    good = auth.client.post("/thi-dua/targets?province=01", data={
        "team": str(world.commune_team.id), "period_start": "2026-10-01", "period_end": "2026-10-31",
        "residents_helped": "50", "shift_coverage": "90"})
    assert good.status_code == 302
    assert sorted(db.session.execute(sa.select(Target.metric, Target.value)).all()) == [
        ("residents_helped", 50.0), ("shift_coverage", 90.0)]

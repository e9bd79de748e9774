"""Coverage figures for the map and dashboards, on a small dataset whose numbers are counted by hand."""
from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from coordination.tasks import assignment, rules as tasks
from coordination.reports import coverage
from coordination.org import teams
from coordination.clock import local_to_utc, local_today, utcnow
from models import AdminUnit, CheckIn, DutySession, Shift, ShiftAssignment, Task, db
from tests.factories import HANOI, HCM, make_person

SPEC = dict(kind="support_qr_checkin", title="Đăng ký mã QR", target_count=10, target_unit="điểm")


@pytest.fixture
def data(world):
    """Hà Nội's commune team: 2 members, 1 on duty now, 3 tasks (1 done, 1 overdue, 1 cancelled),
    1 understaffed shift tomorrow; 3 check-ins (2 today in Vietnam — one of them still 'yesterday' in UTC —
    and 1 a day earlier). TP. HCM's commune team: 1 member, nothing else."""
    team = world.commune_team
    for _ in range(3):
        assignment.assign(tasks.TaskSpec(**SPEC, due_date=local_today() + timedelta(days=3)),
                          assignment.Targeting(HANOI, assignment.ONE, [team.admin_unit_code]), world.lead_a.id)
    done, overdue, cancelled = db.session.scalars(sa.select(Task).where(Task.team_id == team.id).order_by(Task.id))
    tasks.change_status(done, "in_progress", world.lead_a.id, None)
    tasks.change_status(done, "done", world.lead_a.id, None)
    overdue.due_date = local_today() - timedelta(days=1)
    tasks.cancel(cancelled, world.lead_a.id, None)

    start = local_to_utc(local_today() + timedelta(days=1), time(8, 0))
    shift = Shift(team_id=team.id, province_code=HANOI, starts_at=start, ends_at=start + timedelta(hours=8), required=2)
    db.session.add(shift)
    db.session.flush()
    db.session.add(ShiftAssignment(shift_id=shift.id, person_id=world.volunteer.person_id))

    now = utcnow()
    early = local_to_utc(local_today(), time(0, 30))  # 00:30 in Vietnam = 17:30 UTC the day before
    if early > now - timedelta(minutes=5):
        early -= timedelta(days=1)
    early_day = (early + timedelta(hours=7)).date()
    moments = [early, now - timedelta(minutes=1), early - timedelta(days=1)]
    for at in moments:
        db.session.add(CheckIn(client_uuid=str(uuid.uuid4()), person_id=world.volunteer.person_id, team_id=team.id,
                               kind="in", occurred_at=at, received_at=now))
    db.session.add(DutySession(person_id=world.volunteer.person_id, team_id=team.id, province_code=HANOI,
                               started_at=now - timedelta(minutes=1)))
    db.session.commit()
    return dict(team=team, early_day=early_day, moments=moments)


def test_each_commune_of_a_province_with_its_counts(world, data):
    rows = coverage.communes(HANOI)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AdminUnit).where(
        AdminUnit.level == "commune", AdminUnit.province_code == HANOI))
    assert len(rows) == total == 126
    mine = next(r for r in rows if r.code == data["team"].admin_unit_code)
    assert (mine.members, mine.on_duty, mine.tasks, mine.tasks_done, mine.gaps) == (2, 1, 2, 1, 1)
    assert mine.status == coverage.ON_DUTY
    others = [r for r in rows if r.code != mine.code]
    assert {r.status for r in others} == {coverage.NO_TEAM}
    assert all(r.lat and r.lon for r in rows)


def test_provinces_coverage_is_communes_with_a_team_over_all_communes(world, data):
    rows = {p.code: p for p in coverage.provinces()}
    assert len(rows) == 34
    hn, hcm = rows[HANOI], rows[HCM]
    assert (hn.communes, hn.covered, hn.members, hn.on_duty, hn.tasks, hn.tasks_done, hn.gaps) == (126, 1, 2, 1, 2, 1, 1)
    assert hn.coverage_pct == round(100 / 126, 1) == 0.8
    assert hn.tasks_done_pct == 50.0
    assert (hcm.covered, hcm.members, hcm.on_duty, hcm.tasks_done_pct) == (1, 1, 0, None)
    assert sum(p.communes for p in rows.values()) == 3321
    assert sum(p.covered for p in rows.values()) == 2


def test_dashboard_counts_and_thirty_local_days(world, data):
    hn = coverage.dashboard(HANOI)
    assert (hn.teams, hn.volunteers, hn.on_duty) == (1, 2, 1)
    assert (hn.tasks_done, hn.tasks_open, hn.tasks_overdue) == (1, 1, 1)
    in_24h = sum(1 for m in data["moments"] if m >= utcnow() - timedelta(hours=24))
    assert hn.checkins_24h == in_24h
    assert len(hn.days) == 30 and hn.days[-1] == local_today()
    by_day = dict(zip(hn.days, hn.checkins_per_day))
    # Grouped by the day in Vietnam: 00:30 local counts for that day although UTC says the day before.
    assert by_day[data["early_day"]] >= 1
    assert sum(hn.checkins_per_day) == 3
    assert by_day[local_today()] == sum(1 for m in data["moments"] if (m + timedelta(hours=7)).date() == local_today())
    assert sum(hn.tasks_done_per_day) == 1 and hn.tasks_done_per_day[-1] == 1
    hcm = coverage.dashboard(HCM)
    assert (hcm.teams, hcm.volunteers, hcm.on_duty, hcm.checkins_24h, sum(hcm.checkins_per_day)) == (1, 1, 0, 0, 0)
    national = coverage.dashboard(None)
    assert (national.teams, national.volunteers, sum(national.checkins_per_day)) == (2, 3, 3)


def test_figures_are_cached_for_at_most_the_configured_seconds(app, world, data):
    app.config["LIVE_CACHE_SECONDS"] = 60
    try:
        coverage.clear_cache()
        before = coverage.dashboard(HCM).volunteers
        teams.add_member(world.commune_team_b, make_person(), "member")
        db.session.commit()
        assert coverage.dashboard(HCM).volunteers == before  # served from the cache
        coverage.clear_cache()
        assert coverage.dashboard(HCM).volunteers == before + 1
    finally:
        app.config["LIVE_CACHE_SECONDS"] = 0
        coverage.clear_cache()

"""Movements (issue 22 §1–2): weights, floors, the cap, the registration workflow, who may do what,
reminders through the outbox (once per team and day), weekly progress — counted by hand."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.permissions import scope_for_person
from coordination.emulation import movements, standings
from coordination.org import teams
from models import AuditEvent, DutySession, Message, MovementTeam, Shift, Task, TaskUpdate, db
from tests.factories import HANOI, communes_of, make_person, make_user

VN = timezone(timedelta(hours=7))
FIRST, LAST = date(2026, 10, 1), date(2026, 12, 31)
NOW = datetime(2026, 10, 20, 5, 0, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)


def vn(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=VN).astimezone(timezone.utc)


def scope(user):
    return scope_for_person(user.person_id)


def launch(world, by=None, province=HANOI, weights=None, floors=None, team_ids=None):
    by = by or world.lead_a
    return movements.launch(scope(by), by.id, name="Chiến dịch 90 ngày", theme="Mỗi người dân một tài khoản VNeID",
                            first=FIRST, last=LAST, province_code=province,
                            weights=weights or {"residents_helped": 3, "shift_coverage": 1},
                            floors=floors or {}, team_ids=team_ids)


def register(world, movement, team, values, proposer, approver):
    entry = movements.entry_for(movement, team.id)
    by_metric = {c.metric: c.id for c in movement.criteria}
    movements.propose(scope(proposer), proposer.id, movement, entry, {by_metric[m]: v for m, v in values.items()})
    movements.decide(scope(approver), approver.id, movement, entry, approve=True)
    return entry


@pytest.fixture
def hanoi(world):
    """Team A (the world's): 30 + 20 residents helped in October (10 in September, not counted);
    2 shifts, 1 covered → 50 %. Team B: 12 residents helped, 1 shift covered → 100 %."""
    a = world.commune_team
    b = teams.create_commune_team(communes_of(HANOI, 2)[1].code)
    lead_b_commune = make_person(full_name="Tổ Trưởng B")
    teams.add_member(b, lead_b_commune, "lead")
    world.team_b, world.commune_lead_b = b, make_user(lead_b_commune)

    def helped(team, *reports):
        t = Task(kind="support_qr_checkin", title="Hỗ trợ", team_id=team.id, province_code=HANOI,
                 status="in_progress", created_at=vn("2026-09-01", "08:00"), updated_at=vn("2026-09-01", "08:00"))
        db.session.add(t)
        db.session.flush()
        for delta, at in reports:
            db.session.add(TaskUpdate(task_id=t.id, delta=delta, at=at))

    def shift(team, day, came):
        s = Shift(team_id=team.id, province_code=HANOI, starts_at=vn(day, "08:00"), ends_at=vn(day, "16:00"),
                  required=1)
        db.session.add(s)
        db.session.flush()
        if came:
            db.session.add(DutySession(person_id=world.volunteer.person_id, team_id=team.id, province_code=HANOI,
                                       shift_id=s.id, started_at=vn(day, "08:00"), ended_at=vn(day, "16:00")))

    helped(a, (30, vn("2026-10-02", "09:00")), (20, vn("2026-10-09", "09:00")), (10, vn("2026-09-30", "23:00")))
    helped(b, (12, vn("2026-10-03", "09:00")))
    shift(a, "2026-10-01", True)
    shift(a, "2026-10-08", False)
    shift(b, "2026-10-02", True)
    db.session.commit()
    return world


def test_weights_cap_and_floor_counted_by_hand(hanoi):
    """A commits 100 residents, 100 % coverage: (3 × 0.5 + 1 × 0.5) ÷ 4 = 50.0.
    B commits 10 residents (12 done, capped at 1) and 50 % (100 %, capped): 100.0 — until the organiser's
    floor of 40 residents: B is measured against 40 → (3 × 0.3 + 1) ÷ 4 = 47.5, below A."""
    m = launch(hanoi)
    register(hanoi, m, hanoi.commune_team, {"residents_helped": 100, "shift_coverage": 100}, hanoi.commune_lead,
             hanoi.lead_a)
    register(hanoi, m, hanoi.team_b, {"residents_helped": 10, "shift_coverage": 50}, hanoi.commune_lead_b,
             hanoi.lead_a)
    db.session.commit()
    board = standings.ranking(m, now=NOW)
    assert [(s.rank, s.team_id, s.score) for s in board] == [(1, hanoi.team_b.id, 100.0),
                                                             (2, hanoi.commune_team.id, 50.0)]
    assert [(c.metric, got, committed) for c, got, committed, _m in board[1].rows] == [
        ("residents_helped", 50.0, 100.0), ("shift_coverage", 50.0, 100.0)]
    helped, coverage = (c.id for c in m.criteria)
    assert standings.team_figures(m, hanoi.commune_team.id, now=NOW) == {helped: 50.0, coverage: 50.0}
    floored = launch(hanoi, floors={"residents_helped": 40})
    register(hanoi, floored, hanoi.commune_team, {"residents_helped": 100, "shift_coverage": 100},
             hanoi.commune_lead, hanoi.lead_a)
    register(hanoi, floored, hanoi.team_b, {"residents_helped": 10, "shift_coverage": 50}, hanoi.commune_lead_b,
             hanoi.lead_a)
    board = standings.ranking(floored, now=NOW)
    assert [(s.team_id, s.score) for s in board] == [(hanoi.commune_team.id, 50.0), (hanoi.team_b.id, 47.5)]
    assert board[1].rows[0][3] == 40.0  # measured against the floor, shown on the page


def test_only_approved_teams_rank_and_equal_scores_share_a_rank(hanoi):
    m = launch(hanoi)
    register(hanoi, m, hanoi.commune_team, {"residents_helped": 50, "shift_coverage": 50}, hanoi.commune_lead,
             hanoi.lead_a)
    entry = movements.entry_for(m, hanoi.team_b.id)
    movements.propose(scope(hanoi.commune_lead_b), hanoi.commune_lead_b.id, m, entry,
                      {c.id: 1 for c in m.criteria})
    assert [s.team_id for s in standings.ranking(m, now=NOW)] == [hanoi.commune_team.id]  # B only proposed
    movements.decide(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry, approve=True)
    assert [(s.rank, s.score) for s in standings.ranking(m, now=NOW)] == [(1, 100.0), (1, 100.0)]


def test_weekly_progress(hanoi):
    m = launch(hanoi)
    weeks = standings.weekly(m, now=NOW)
    helped, coverage = (c.id for c in m.criteria)
    assert [w["first"] for w in weeks] == [date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15)]
    assert [w["figures"][helped] for w in weeks] == [42.0, 20.0, 0.0]  # 30 + 12, then 20
    assert [w["figures"][coverage] for w in weeks] == [100.0, 0.0, None]  # 2 of 2, 0 of 1, no shifts


def test_registration_workflow_and_who_may_do_what(hanoi):
    m = launch(hanoi, team_ids=[hanoi.commune_team.id])  # chosen teams only
    entry = movements.entry_for(m, hanoi.commune_team.id)
    assert movements.entry_for(m, hanoi.team_b.id) is None
    values = {c.id: 10 for c in m.criteria}
    for outsider in (hanoi.volunteer, hanoi.lead_b, hanoi.commune_lead_b):
        with pytest.raises(NotFound):
            movements.propose(scope(outsider), outsider.id, m, entry, values)
    with pytest.raises(NotFound):  # a team not taking part
        movements.propose(scope(hanoi.commune_lead_b), hanoi.commune_lead_b.id, m, None, values)
    with pytest.raises(ValidationError) as err:
        movements.propose(scope(hanoi.commune_lead), hanoi.commune_lead.id, m, entry, {m.criteria[0].id: 10})
    assert err.value.field == f"c{m.criteria[1].id}"
    with pytest.raises(ValidationError):  # coverage above 100 %
        movements.propose(scope(hanoi.commune_lead), hanoi.commune_lead.id, m, entry,
                          {m.criteria[0].id: 10, m.criteria[1].id: 120})
    movements.propose(scope(hanoi.commune_lead), hanoi.commune_lead.id, m, entry, values)
    with pytest.raises(NotFound):  # the commune lead is not the level above
        movements.decide(scope(hanoi.commune_lead), hanoi.commune_lead.id, m, entry, approve=True)
    with pytest.raises(NotFound):  # another province's lead
        movements.decide(scope(hanoi.lead_b), hanoi.lead_b.id, m, entry, approve=True)
    with pytest.raises(ValidationError):  # sent back needs a reason
        movements.decide(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry, approve=False, reason=" ")
    movements.decide(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry, approve=False, reason="Chỉ tiêu quá thấp")
    assert (entry.state, entry.return_reason) == ("returned", "Chỉ tiêu quá thấp")
    with pytest.raises(Conflict):
        movements.decide(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry, approve=True)
    movements.propose(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry, {c.id: 30 for c in m.criteria})
    with pytest.raises(ValidationError):  # the proposer does not approve their own
        movements.decide(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry, approve=True)
    movements.decide(scope(hanoi.ministry), hanoi.ministry.id, m, entry, approve=True)
    assert entry.state == "approved" and set(movements.commitments(entry).values()) == {30.0}
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "movement")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["launch", "register", "return_registration", "register", "approve_registration"]


def test_who_launches_and_sees(hanoi):
    with pytest.raises(NotFound):  # a province lead cannot launch a national movement
        launch(hanoi, by=hanoi.lead_a, province=None)
    with pytest.raises(NotFound):  # nor one in another province
        launch(hanoi, by=hanoi.lead_b, province=HANOI)
    with pytest.raises(NotFound):
        launch(hanoi, by=hanoi.commune_lead)
    national = launch(hanoi, by=hanoi.ministry, province=None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MovementTeam).where(
        MovementTeam.movement_id == national.id)) == 3  # every commune team of the country
    province = launch(hanoi)
    assert movements.can_view(scope(hanoi.volunteer), province)  # a member of a participating team
    assert not movements.can_view(scope(hanoi.lead_b), province)
    assert movements.can_view(scope(hanoi.lead_b), national)
    assert [m.id for m, *_r in movements.visible(scope(hanoi.lead_b))] == [national.id]


@pytest.mark.parametrize("weights,floors,field", [
    ({}, {}, "weight_residents_helped"),
    ({"residents_helped": 101}, {}, "weight_residents_helped"),
    ({"residents_helped": 1.5}, {}, "weight_residents_helped"),
    ({"shift_coverage": 1}, {"shift_coverage": 120}, "floor_shift_coverage"),
    ({"shift_coverage": 1}, {"residents_helped": 5}, "floor_residents_helped"),
])
def test_bad_criteria_are_refused_with_their_field(world, weights, floors, field):
    with pytest.raises(ValidationError) as err:
        movements.clean_criteria(weights, floors)
    assert err.value.field == field


def test_a_reminder_goes_once_a_day_through_the_outbox(hanoi, ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "PUBLIC_BASE_URL", "https://tcn.example.vn")
    m = launch(hanoi)
    entry = movements.entry_for(m, hanoi.commune_team.id)
    with pytest.raises(NotFound):
        movements.remind(scope(hanoi.lead_b), hanoi.lead_b.id, m, entry)
    with pytest.raises(NotFound):
        movements.remind(scope(hanoi.commune_lead_b), hanoi.commune_lead_b.id, m, entry)
    assert movements.remind(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry) == 1
    assert movements.remind(scope(hanoi.lead_a), hanoi.lead_a.id, m, entry) == 0  # the double tap
    db.session.commit()
    sms = db.session.scalars(sa.select(Message)).all()
    assert len(sms) == 1 and sms[0].person_id == hanoi.commune_lead.person_id
    assert f"/thi-dua/movements/{m.id}/teams/{hanoi.commune_team.id}" in sms[0].body
    assert "chưa đăng ký" in sms[0].body


def test_the_page_board_keeps_the_first_teams_and_the_viewers_own(hanoi):
    """The movement page asks for the first N teams and the viewer's own, ranked in SQL; the total counts
    every ranked team. A second check-in on a covered shift does not count that shift twice."""
    m = launch(hanoi)
    register(hanoi, m, hanoi.commune_team, {"residents_helped": 100, "shift_coverage": 100}, hanoi.commune_lead,
             hanoi.lead_a)
    register(hanoi, m, hanoi.team_b, {"residents_helped": 10, "shift_coverage": 50}, hanoi.commune_lead_b,
             hanoi.lead_a)
    covered = db.session.scalar(sa.select(Shift).where(Shift.team_id == hanoi.commune_team.id).order_by(Shift.starts_at))
    db.session.add(DutySession(person_id=hanoi.commune_lead.person_id, team_id=covered.team_id, province_code=HANOI,
                               shift_id=covered.id, started_at=covered.starts_at, ended_at=covered.ends_at))
    db.session.commit()
    first, total = standings.board(m, limit=1, now=NOW)
    assert total == 2 and [(s.rank, s.team_id, s.score) for s in first] == [(1, hanoi.team_b.id, 100.0)]
    both, total = standings.board(m, limit=1, also={hanoi.commune_team.id}, now=NOW)
    assert total == 2 and [(s.rank, s.team_id, s.score) for s in both] == [(1, hanoi.team_b.id, 100.0),
                                                                          (2, hanoi.commune_team.id, 50.0)]
    assert [(c.metric, got) for c, got, _c, _m in both[1].rows] == [("residents_helped", 50.0),
                                                                   ("shift_coverage", 50.0)]  # 1 of 2, not 2 of 3
    assert standings.board(m, HANOI, limit=5, now=NOW)[1] == 2 and standings.board(m, "01x", now=NOW) == ([], 0)


def _alert(team, day, sent, acked=None, shift=None):
    """An escalation alert on the team's shift of that Vietnam day (made if needed), sent at `sent`
    (HH:MM), acknowledged at `acked`."""
    if shift is None:
        shift = db.session.scalar(sa.select(Shift).where(Shift.team_id == team.id, Shift.starts_at == vn(day, "08:00")))
    if shift is None:
        shift = Shift(team_id=team.id, province_code=HANOI, starts_at=vn(day, "08:00"), ends_at=vn(day, "16:00"),
                      required=1)
        db.session.add(shift)
        db.session.flush()
    db.session.add(Message(to_phone="+84912000000", body="x", purpose="escalation", status="sent", shift_id=shift.id,
                           province_code=HANOI, sent_at=vn(day, sent), created_at=vn(day, sent),
                           acknowledged_at=vn(day, acked) if acked else None))
    return shift


def test_median_minutes_to_acknowledge_lower_is_better_counted_by_hand(hanoi):
    """A: shift 1/10 first alert 08:10 (unanswered), a second 08:20 answered 08:26 → 16 min; shift 8/10 4 min
    → median 10. B: 30, 5 and 12 min and one shift nobody answered → median 12 (the unanswered one is not a
    time). C: no alert needed → full marks, until one nobody answers → no marks.
    Weights 1 + 1 with residents helped: A commits 100 residents (50 done) and 8 min → (0.5 + 8/10) ÷ 2 = 65.0;
    B 10 residents (12) and 15 min (12 ≤ 15) → 100.0; C 10 residents (0) and 5 min → 50.0, then 0.0.
    With the organiser's limit of 10 min, B's 15 is measured against 10 → (1 + 10/12) ÷ 2 = 91.7."""
    a, b = hanoi.commune_team, hanoi.team_b
    c = teams.create_commune_team(communes_of(HANOI, 3)[2].code)
    lead_c = make_person(full_name="Tổ Trưởng C")
    teams.add_member(c, lead_c, "lead")
    lead_c = make_user(lead_c)
    shift = _alert(a, "2026-10-01", "08:10")
    _alert(a, "2026-10-01", "08:20", "08:26", shift=shift)
    _alert(a, "2026-10-08", "08:10", "08:14")
    _alert(b, "2026-10-02", "08:10", "08:40")
    _alert(b, "2026-10-03", "08:10")
    _alert(b, "2026-10-04", "08:10", "08:15")
    _alert(b, "2026-10-05", "08:10", "08:22")
    db.session.commit()
    weights = {"residents_helped": 1, "alerts_ack_minutes": 1}
    m = launch(hanoi, weights=weights)
    register(hanoi, m, a, {"residents_helped": 100, "alerts_ack_minutes": 8}, hanoi.commune_lead, hanoi.lead_a)
    register(hanoi, m, b, {"residents_helped": 10, "alerts_ack_minutes": 15}, hanoi.commune_lead_b, hanoi.lead_a)
    register(hanoi, m, c, {"residents_helped": 10, "alerts_ack_minutes": 5}, lead_c, hanoi.lead_a)
    db.session.commit()
    board = standings.ranking(m, now=NOW)
    assert [(s.rank, s.team_id, s.score) for s in board] == [(1, b.id, 100.0), (2, a.id, 65.0), (3, c.id, 50.0)]
    assert [(cr.metric, got) for cr, got, _c, _m in board[1].rows] == [("residents_helped", 50.0),
                                                                       ("alerts_ack_minutes", 10.0)]
    assert board[0].rows[1][1] == 12.0 and board[2].rows[1][1] is None  # C: no alert, no time
    helped, minutes = (cr.id for cr in m.criteria)
    assert standings.team_figures(m, a.id, now=NOW) == {helped: 50.0, minutes: 10.0}
    assert standings.team_figures(m, c.id, now=NOW) == {helped: 0.0, minutes: None}
    # per week, every team's answered shifts: week 1 {16, 30, 5, 12} → 14; week 2 {4}; week 3 none
    assert [w["figures"][minutes] for w in standings.weekly(m, now=NOW)] == [14.0, 4.0, None]
    _alert(c, "2026-10-15", "08:10")  # C's people did not answer
    db.session.commit()
    assert [(s.team_id, s.score) for s in standings.ranking(m, now=NOW)][2] == (c.id, 0.0)
    limited = launch(hanoi, weights=weights, floors={"alerts_ack_minutes": 10})
    register(hanoi, limited, a, {"residents_helped": 100, "alerts_ack_minutes": 8}, hanoi.commune_lead, hanoi.lead_a)
    register(hanoi, limited, b, {"residents_helped": 10, "alerts_ack_minutes": 15}, hanoi.commune_lead_b,
             hanoi.lead_a)
    board = standings.ranking(limited, now=NOW)
    assert [(s.team_id, s.score) for s in board] == [(b.id, 91.7), (a.id, 65.0)]
    assert board[0].rows[1][3] == 10.0 and board[1].rows[1][3] == 8.0  # measured against: the limit, or less


def test_the_movement_page_draws_the_weekly_progress(hanoi, client, auth):
    """A bar per week and criterion, its value in the bar's title: 42, 20, 0 residents helped; coverage
    100 %, 0 %, and no bar for the week without shifts."""
    m = launch(hanoi)
    db.session.commit()
    auth.as_user(hanoi.lead_a)
    page = client.get(f"/thi-dua/movements/{m.id}").get_data(as_text=True)
    charts = page.split('id="weekly-charts"')[1].split("</div>")[0].split("<figure")[1:]
    assert len(charts) == 2 and "Lượt người dân được hỗ trợ" in charts[0]
    bars = lambda chart: re.findall(r"<title>([^<]+)</title></rect>", chart)  # noqa: E731
    assert bars(charts[0]) == ["01/10: 42", "08/10: 20", "15/10: 0"]
    assert bars(charts[1]) == ["01/10: 100\u00a0%", "08/10: 0\u00a0%"]
    assert 'aria-label="Tỷ lệ ca có người trực (%): 01/10 100\u00a0%; 08/10 0\u00a0%; 15/10 —"' in charts[1]

"""The monthly report's emulation section (issue 22 §5) on a small dataset counted by hand below:
November 2026, read on 10 December (so the month is closed: its end, 1 Dec 00:00 Vietnam time, is the cut-off)."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest

from coordination.core.permissions import scope_for_person
from coordination.emulation import monthly as emulation_month, movements
from coordination.org import teams
from coordination.reports import completeness
from models import Commendation, Commitment, Practice, PracticeApplication, Task, TaskUpdate, db
from tests.factories import HANOI, HCM, communes_of

VN = timezone(timedelta(hours=7))
NOV = date(2026, 11, 1)
NOW = datetime(2026, 12, 10, 3, 0, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)


def vn(day: str, hhmm: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=VN).astimezone(timezone.utc)


def utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


@pytest.fixture
def november(world):
    """Teams: A (the world's commune team), B and C in Hà Nội, D (the world's HCM team).

    Movements (one criterion each, residents helped, weight 1, so score = min(helped ÷ commitment, 1) × 100):
    - M1, Hà Nội, 22 Oct – 10 Dec (50 days; 40 gone on 1 Dec → expected 80 %): A, B, C take part; A approved
      25 Oct, B approved 20 Nov, C proposed only → 2 of 3 registered. Commitments 100.
      A helped 30 (25 Oct) + 60 (10 Nov) = 90 → on track, +60 in the month; B 10 (28 Oct) + 40 (25 Nov) = 50 →
      behind, +40. A's 50 on 5 Dec is after the month.
    - M2, national, 1 Nov – 31 Jan (92 days; 30 gone → 32.6 %): A, B, C, D; A approved 3 Nov (commitment
      1.000: 60 → 6 → behind), D approved 5 Nov (commitment 10: 5 → 50 → on track).
    - M3, Hà Nội, September only: not in the report.
    Reporting (weeks 1–7, 8–14, 15–21, 22–30 Nov): A's task open all month, reports in week 2 only →
    reported, not on time; B's reports in weeks 1, 2, 3 (status changes) and 4 → on time; C's task created
    20 Nov (weeks 3, 4) with only an assignment update → did not report (C's cancelled task of October does
    not count); D's task done 9 Nov (weeks 1, 2), reports in both → on time.
    Commendations (allowed waits: ad hoc 7 days, regular 30): Hà Nội K1 regular 10 Oct → approved 4 Nov
    (25 days), K2 ad hoc 2 → 5 Nov (3), K3 ad hoc 10 → 12 Nov rejected (2), K4 ad hoc 20 Nov open (10 days:
    overdue), K5 regular 25 Nov decided 3 Dec (open at the month's end, 5 days), K6 regular 1 Sep open
    (90 days: overdue, the longest); HCM K7 ad hoc 15 → 16 Nov (1).
    Practices: P1 (A, 12 Nov), P2 (B, 5 Oct: not this month), P3 (D, 20 Nov, national); applied: B → P1
    15 Nov, A → P3 28 Nov, D → P1 2 Dec (not this month)."""
    a, d = world.commune_team, world.commune_team_b
    b, c = (teams.create_commune_team(unit.code) for unit in communes_of(HANOI, 3)[1:3])
    world.b, world.c = b, c
    ministry, lead = scope_for_person(world.ministry.person_id), scope_for_person(world.lead_a.person_id)

    def movement(scope, by, first, last, province, entries):
        m = movements.launch(scope, by.id, name=f"Phong trào {first:%d/%m}", theme="Chuyển đổi số", first=first,
                             last=last, province_code=province, weights={"residents_helped": 1}, floors={})
        criterion = m.criteria[0].id
        for team, state, decided, value in entries:
            entry = movements.entry_for(m, team.id)
            entry.state, entry.decided_at = state, decided
            db.session.add(Commitment(movement_team_id=entry.id, criterion_id=criterion, value=value))
        return m

    world.m1 = movement(lead, world.lead_a, date(2026, 10, 22), date(2026, 12, 10), HANOI,
                        [(a, "approved", vn("2026-10-25"), 100), (b, "approved", vn("2026-11-20"), 100),
                         (c, "proposed", None, 100)])
    world.m2 = movement(ministry, world.ministry, date(2026, 11, 1), date(2027, 1, 31), None,
                        [(a, "approved", vn("2026-11-03"), 1000), (d, "approved", vn("2026-11-05"), 10)])
    movement(lead, world.lead_a, date(2026, 9, 1), date(2026, 9, 30), HANOI, [(a, "approved", vn("2026-09-02"), 5)])

    def task(team, kind, created, status="in_progress", completed=None, updated=None, reports=()):
        t = Task(kind=kind, title=kind, team_id=team.id, province_code=team.province_code, status=status,
                 created_at=created, updated_at=updated or created, completed_at=completed)
        db.session.add(t)
        db.session.flush()
        for at, fields in reports:
            db.session.add(TaskUpdate(task_id=t.id, at=at, **fields))

    helped = "support_qr_checkin"
    task(a, helped, vn("2026-10-20"), reports=[(vn("2026-10-25"), {"delta": 30}), (vn("2026-11-10"), {"delta": 60}),
                                               (vn("2026-12-05"), {"delta": 50})])
    task(b, helped, vn("2026-10-20"), reports=[
        (vn("2026-10-28"), {"delta": 10}), (vn("2026-11-03"), {"from_status": "open", "to_status": "in_progress"}),
        (vn("2026-11-12"), {"from_status": "in_progress", "to_status": "blocked"}),
        (vn("2026-11-16"), {"from_status": "blocked", "to_status": "in_progress"}),
        (vn("2026-11-25"), {"delta": 40})])
    task(c, "data_verification", vn("2026-11-20"), "open",
         reports=[(vn("2026-11-22"), {"assignee_person_id": world.volunteer.person_id})])
    task(c, "data_verification", vn("2026-10-01"), "cancelled", updated=vn("2026-10-15"))
    task(d, helped, vn("2026-10-01"), "done", completed=vn("2026-11-09"),
         reports=[(vn("2026-11-05"), {"delta": 5}),
                  (vn("2026-11-09"), {"from_status": "in_progress", "to_status": "done"})])

    def commend(team, created, status="proposed", decided=None, ad_hoc=False):
        db.session.add(Commendation(province_code=team.province_code, team_id=team.id, reason="Làm việc rất tốt",
                                    evidence={}, status=status, created_at=created,
                                    decided_at=decided, ad_hoc=ad_hoc, act_on=created.date() if ad_hoc else None))

    commend(a, utc("2026-10-10"), "approved", utc("2026-11-04"))
    commend(a, utc("2026-11-02"), "approved", utc("2026-11-05"), ad_hoc=True)
    commend(b, utc("2026-11-10"), "rejected", utc("2026-11-12"), ad_hoc=True)
    commend(a, utc("2026-11-20"), ad_hoc=True)
    commend(b, utc("2026-11-25"), "approved", utc("2026-12-03"))
    commend(a, utc("2026-09-01"), "reviewed")
    commend(d, utc("2026-11-15"), "approved", utc("2026-11-16"), ad_hoc=True)

    def practice(team, title, published, reach="province"):
        p = Practice(team_id=team.id, province_code=team.province_code, title=title, problem="x", action="y",
                     result="z", work_kind="data_verification", search_text=title.lower(), state="published",
                     reach=reach, published_at=published)
        db.session.add(p)
        db.session.flush()
        return p

    p1 = practice(a, "Tổ hỗ trợ lưu động", vn("2026-11-12"))
    practice(b, "Bàn hướng dẫn ở chợ", vn("2026-10-05"))
    p3 = practice(d, "Nhóm Zalo khu phố", vn("2026-11-20"), "national")
    for p, team, day in ((p1, b, date(2026, 11, 15)), (p3, a, date(2026, 11, 28)), (p1, d, date(2026, 12, 2))):
        db.session.add(PracticeApplication(practice_id=p.id, team_id=team.id, province_code=team.province_code,
                                           applied_on=day, note="Đã áp dụng"))
    db.session.commit()
    return world


def test_movements_registration_on_track_and_movers_counted_by_hand(november):
    em = emulation_month.build(NOV, None, now=NOW)
    assert [line.movement.id for line in em.movements] == [november.m2.id, november.m1.id]  # national first
    m2, m1 = em.movements
    assert (m1.participating, m1.registered, m1.registration_rate) == (3, 2, 66.7)
    assert (m1.expected, m1.on_track, m1.behind) == (80.0, 1, 1)
    assert [(m.team_id, m.before, m.after, m.gain) for m in m1.movers] == [
        (november.commune_team.id, 30.0, 90.0, 60.0), (november.b.id, 10.0, 50.0, 40.0)]
    assert (m2.participating, m2.registered, m2.registration_rate) == (4, 2, 50.0)
    assert (m2.expected, m2.on_track, m2.behind) == (32.6, 1, 1)
    assert [(m.team_id, m.gain) for m in m2.movers] == [(november.commune_team_b.id, 50.0),
                                                        (november.commune_team.id, 6.0)]
    hanoi = emulation_month.build(NOV, HANOI, now=NOW)
    m2, m1 = hanoi.movements
    assert (m2.participating, m2.registered, m2.on_track, m2.behind) == (3, 1, 0, 1)
    assert [m.team_id for m in m2.movers] == [november.commune_team.id]
    hcm = emulation_month.build(NOV, HCM, now=NOW)
    assert [(m.movement.id, m.participating, m.registered, m.on_track) for m in hcm.movements] == [
        (november.m2.id, 1, 1, 1)]


def test_registration_counts_as_it_stood_at_the_months_end(november):
    """In October only A had registered for M1 (B was approved on 20 Nov); M2 had not started."""
    em = emulation_month.build(date(2026, 10, 1), HANOI, now=NOW)
    assert [(m.movement.id, m.registered, m.participating) for m in em.movements] == [(november.m1.id, 1, 3)]


def test_commendation_waits_and_practices_counted_by_hand(november):
    w = emulation_month.build(NOV, HANOI, now=NOW).commendations
    assert (w.proposed, w.approved, w.rejected) == (4, 2, 1)
    assert (w.median_days, w.longest_days) == (3.0, 25.0)
    assert (w.open_at_end, w.overdue, w.longest_open_days) == (3, 2, 90)
    nation = emulation_month.build(NOV, None, now=NOW)
    w = nation.commendations
    assert (w.proposed, w.approved, w.rejected, w.median_days, w.longest_days, w.open_at_end, w.overdue) == (
        5, 3, 1, 2.5, 25.0, 3, 2)
    assert (nation.practices_published, nation.practices_applied) == (2, 2)
    assert [(title, applied) for title, _team, _p, _at, applied in nation.practices] == [
        ("Tổ hỗ trợ lưu động", 2), ("Nhóm Zalo khu phố", 1)]  # times applied so far
    hanoi = emulation_month.build(NOV, HANOI, now=NOW)
    assert (hanoi.practices_published, hanoi.practices_applied) == (1, 2)
    hcm = emulation_month.build(NOV, HCM, now=NOW)
    assert (hcm.commendations.proposed, hcm.commendations.median_days, hcm.commendations.open_at_end) == (1, 1.0, 0)


def test_reporting_completeness_counted_by_hand(november):
    rates = completeness.build(NOV, None, now=NOW)
    lines = {line.code: line for line in rates.lines}
    assert (lines[HANOI].expected, lines[HANOI].reported, lines[HANOI].on_time) == (3, 2, 1)
    assert (lines[HANOI].reporting_rate, lines[HANOI].on_time_rate) == (66.7, 33.3)
    assert (lines[HCM].expected, lines[HCM].reported, lines[HCM].on_time) == (1, 1, 1)
    assert (rates.total.expected, rates.total.reported, rates.total.on_time) == (4, 3, 2)
    assert rates.missing_count == 1 and len(rates.missing) == 1 and rates.missing[0][1].endswith("Hà Nội")
    assert rates.missing[0][0] in november.c.name
    assert [w[0].day for w in rates.weeks] == [1, 8, 15, 22] and rates.weeks[-1][1] == date(2026, 11, 30)
    hanoi = completeness.build(NOV, HANOI, now=NOW)
    assert [line.code for line in hanoi.lines] == [HANOI] and hanoi.total.expected == 3


def test_this_month_counts_the_weeks_begun_so_far(november):
    """On 10 Dec only weeks 1 (1–7) and 2 (8–14, begun) count. Hà Nội's open tasks: A's, B's and C's; A
    reported on 5 Dec (week 1, not yet in week 2: not on time), B and C not at all."""
    rates = completeness.build(date(2026, 12, 1), HANOI, now=NOW)
    assert [(w[0].day, w[1].day) for w in rates.weeks] == [(1, 7), (8, 14)]
    assert (rates.total.expected, rates.total.reported, rates.total.on_time) == (3, 1, 0)


def test_the_page_and_the_thi_dua_sheet(november, auth):
    from openpyxl import load_workbook

    auth.as_user(november.ministry)
    html = auth.client.get("/reports/monthly?month=2026-11").get_data(as_text=True)
    assert 'id="emulation"' in html and "Thi đua" in html and "66,7" in html and "Tổ hỗ trợ lưu động" in html
    assert "1–7, 8–14, 15–21" in html  # the definition of "on time" is on the page
    book = load_workbook(io.BytesIO(auth.client.get("/reports/monthly.xlsx?month=2026-11").get_data()))
    assert "Thi đua" in book.sheetnames
    rows = [row for row in book["Thi đua"].iter_rows(values_only=True)]
    by_name = {}
    for row in rows:
        if row and row[0]:
            by_name.setdefault(row[0], row)  # the first block with that name: movements before top movers
    assert by_name["Phong trào 22/10"][3:9] == (3, 2, 66.7, 1, 1, 80.0)
    assert by_name["Phong trào 22/10"][2] == "22/10/2026 – 10/12/2026"
    assert by_name["Phong trào 22/10"][1].endswith("Hà Nội") and by_name["Phong trào 01/11"][1] == "Toàn quốc"
    assert by_name["Trung vị số ngày từ đề xuất đến quyết định"][1] == 2.5
    header = next(row for row in rows if row and row[0] == "Mức độ đầy đủ báo cáo")
    assert header[1:6] == ("Tổ có nhiệm vụ mở", "Đã báo cáo", "Tỷ lệ báo cáo (%)", "Đúng hạn",
                           "Tỷ lệ đúng hạn (%)")
    hanoi = next(row for row in rows[rows.index(header):] if row and row[0] and "Hà Nội" in row[0])
    assert hanoi[1:6] == (3, 2, 66.7, 1, 33.3)
    assert by_name["Tổng"][1:4] == (4, 3, 75.0)
    missing = rows[rows.index(next(row for row in rows if row and row[0] == "Tổ chưa báo cáo")) + 1]
    assert missing[0] in november.c.name


def test_a_province_lead_sees_their_province_only(november, auth):
    auth.as_user(november.lead_b)
    html = auth.client.get("/reports/monthly?province=79&month=2026-11").get_data(as_text=True)
    assert "Nhóm Zalo khu phố" in html and "Tổ hỗ trợ lưu động" not in html  # Hà Nội's practice
    assert "Phong trào 22/10" not in html  # Hà Nội's movement
    assert auth.client.get("/reports/monthly.xlsx?province=01&month=2026-11").status_code == 404
    assert auth.client.get("/reports/monthly.xlsx?month=2026-11").status_code == 404
    book = load_book(auth.client.get("/reports/monthly.xlsx?province=79&month=2026-11").get_data())
    text = " ".join(str(v) for row in book["Thi đua"].iter_rows(values_only=True) for v in row if v is not None)
    assert "Nhóm Zalo khu phố" in text and "Phong trào 22/10" not in text and "Hà Nội" not in text


def load_book(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))

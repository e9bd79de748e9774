"""The monthly report on a small dataset whose figures are counted by hand below."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.reports import monthly as monthly_report
from coordination.org import teams
from models import DutySession, Membership, Message, Shift, Task, Team, db
from tests.factories import HANOI, communes_of, make_person

VN = timezone(timedelta(hours=7))
OCT = date(2026, 10, 1)
NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)


def vn(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=VN).astimezone(timezone.utc)


@pytest.fixture
def october(world):
    """Hà Nội, October 2026 (previous month: September). Counted by hand:
    teams: the world's commune team (formed 10 Sep) and a second one formed 20 Oct whose only
    member left on 25 Oct; members at 31 Oct: lead + volunteer (youth union, since 10 Sep),
    an enterprise and a health-station member (since 5 Oct) = 4, so the first team is complete
    in October (a lead + 3 or more) but not in September (2 members)."""
    ct = world.commune_team
    db.session.execute(sa.update(Team).where(Team.id == ct.id).values(created_at=vn("2026-09-10", "09:00")))
    db.session.execute(sa.update(Membership).where(Membership.team_id == ct.id).values(start_date=date(2026, 9, 10)))
    for affiliation, org in (("enterprise", "Viettel"), ("health_station", None)):
        teams.add_member(ct, make_person(affiliation=affiliation, organisation=org), start=date(2026, 10, 5))
    second = teams.create_commune_team(communes_of(HANOI, 2)[1].code)
    second.created_at = vn("2026-10-20", "10:00")
    leaver = teams.add_member(second, make_person(), start=date(2026, 10, 20))
    leaver.end_date = date(2026, 10, 25)

    # Shifts: 1 Oct (checked in 08:05–16:00, 7 h 55), 2 Oct (nobody came), 31 Oct 20:00 – 1 Nov 04:00
    # (4 h fall in October: the month ends at midnight Vietnam time), and 30 Sep 22:00 – 1 Oct 06:00
    # (a September shift: 2 h in September, 6 h in October).
    def shift(start, end, session=None):
        s = Shift(team_id=ct.id, province_code=HANOI, starts_at=start, ends_at=end, required=1)
        db.session.add(s)
        db.session.flush()
        if session:
            db.session.add(DutySession(person_id=world.volunteer.person_id, team_id=ct.id, province_code=HANOI,
                                       shift_id=s.id, started_at=session[0], ended_at=session[1]))
        db.session.flush()

    shift(vn("2026-10-01", "08:00"), vn("2026-10-01", "16:00"), (vn("2026-10-01", "08:05"), vn("2026-10-01", "16:00")))
    shift(vn("2026-10-02", "08:00"), vn("2026-10-02", "16:00"))
    shift(vn("2026-10-31", "20:00"), vn("2026-11-01", "04:00"), (vn("2026-10-31", "20:00"), vn("2026-11-01", "04:00")))
    shift(vn("2026-09-30", "22:00"), vn("2026-10-01", "06:00"), (vn("2026-09-30", "22:00"), vn("2026-10-01", "06:00")))

    # Tasks: created in October 3 (one open, one cancelled); done in October 2 of different kinds.
    def task(kind, created, status="open", completed=None):
        db.session.add(Task(kind=kind, title=kind, team_id=ct.id, province_code=HANOI, status=status,
                            created_at=created, updated_at=created, completed_at=completed))

    task("venue_qr_registration", vn("2026-10-03", "09:00"), "done", vn("2026-10-10", "09:00"))
    task("data_verification", vn("2026-10-05", "09:00"))
    task("data_verification", vn("2026-09-20", "09:00"), "done", vn("2026-10-01", "09:00"))
    task("other", vn("2026-10-30", "09:00"), "cancelled")

    # SMS: October delivered+acknowledged, failed, sent, undelivered; September delivered.
    def sms(status, at, acked=False):
        db.session.add(Message(to_phone="+84912000000", body="x", purpose="escalation", status=status,
                               province_code=HANOI, created_at=at, updated_at=at, next_attempt_at=at,
                               acknowledged_at=at if acked else None))

    sms("delivered", vn("2026-10-02", "08:10"), acked=True)
    sms("failed", vn("2026-10-02", "08:20"))
    sms("sent", vn("2026-10-15", "08:20"))
    sms("undelivered", vn("2026-10-31", "23:59"))
    sms("delivered", vn("2026-09-30", "23:59"))
    db.session.commit()
    return world


def test_province_report_matches_the_hand_count(october):
    r = monthly_report.build(OCT, HANOI, now=NOW)
    t, p = r.total, r.previous
    assert (t.commune_teams, t.teams_formed, t.teams_complete, t.members) == (2, 1, 1, 4)
    assert t.members_by_affiliation == {"youth_union": 2, "enterprise": 1, "health_station": 1}
    assert (p.commune_teams, p.teams_formed, p.teams_complete, p.members) == (1, 1, 0, 2)
    assert (t.shifts, t.shifts_covered, t.coverage) == (3, 2, 66.7)
    assert t.hours == pytest.approx(7 + 55 / 60 + 4 + 6, abs=0.1)
    assert (p.shifts, p.coverage, p.hours) == (1, 100.0, 2.0)
    assert (t.tasks_created, t.tasks_done, t.tasks_done_by_kind) == (
        3, 2, {"venue_qr_registration": 1, "data_verification": 1})
    assert (p.tasks_created, p.tasks_done) == (1, 0)
    assert (t.alerts, t.alerts_sent, t.alerts_delivered, t.alerts_failed, t.alerts_acknowledged) == (4, 2, 1, 2, 1)
    assert (p.alerts, p.alerts_delivered) == (1, 1)
    assert r.change("members") == 2 and r.change("coverage") == -33.3 and r.change("tasks_done") == 2
    first = next(line for line in r.lines if line.key == october.commune_team.id)
    assert (first.figures.members, first.figures.shifts_covered) == (4, 2)
    assert len(r.lines) == 2  # both commune teams of Hà Nội that existed in October


def test_national_report_has_every_province_and_the_same_totals(october):
    r = monthly_report.build(OCT, None, now=NOW)
    assert len(r.lines) == 34
    hanoi = next(line for line in r.lines if line.key == HANOI)
    assert (hanoi.figures.members, hanoi.figures.alerts_failed) == (4, 2)
    assert (r.total.members, r.total.tasks_done, r.total.alerts) == (4, 2, 4)  # Hồ Chí Minh City's team is newer


def test_month_helpers():
    assert monthly_report.month_start("2026-01") == date(2026, 1, 1)
    assert monthly_report.previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert monthly_report.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    with pytest.raises(ValueError):
        monthly_report.month_start("tháng mười")


def test_the_page_and_the_workbook_show_the_figures(october, auth):
    from openpyxl import load_workbook

    auth.as_user(october.lead_a)
    page = auth.client.get("/reports/monthly?province=01&month=2026-10")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Báo cáo tháng 10/2026" in html and "66,7" in html and "▲ 2" in html
    # the month is picked from a list written mm/yyyy (a browser's month picker speaks the phone's language)
    months = re.findall(r'<option value="(\d{4}-\d\d)"( selected)?>(\d\d/\d{4})</option>', html)
    assert months[0][0] == NOW.strftime("%Y-%m") and months[-1] == ("2020-01", "", "01/2020")
    assert [(v, label) for v, chosen, label in months if chosen] == [("2026-10", "10/2026")]
    assert 'type="month"' not in html
    book = load_workbook(io.BytesIO(auth.client.get("/reports/monthly.xlsx?province=01&month=2026-10").get_data()))
    summary = {row[0]: row[1:] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["Thành viên"] == (4, 2, 2)
    assert summary["Tỷ lệ ca có người trực (%)"] == (66.7, 100.0, -33.3)
    assert book.sheetnames[1] == "Theo xã, phường"


@pytest.mark.parametrize("role,path,status", [
    ("lead_a", "/reports/monthly?province=01", 200),
    ("lead_a", "/reports/monthly?province=79", 404),
    ("lead_b", "/reports/monthly?province=01", 404),
    ("lead_a", "/reports/monthly", 302),  # to their own province
    ("ministry", "/reports/monthly", 200),
    ("commune_lead", "/reports/monthly?province=01", 404),
    ("volunteer", "/reports/monthly", 404),
    ("ministry", "/reports/monthly?month=2026-13", 400),
    ("ministry", "/reports/monthly?month=2019-12", 400),
    ("ministry", "/reports/monthly.xlsx?month=abc", 400),
])
def test_who_sees_which_report_and_bad_months(world, auth, role, path, status):
    auth.as_user(world.users()[role])
    response = auth.client.get(path)
    assert response.status_code == status
    if status == 400:
        assert "2026-11" in response.get_data(as_text=True) or "01/2020" in response.get_data(as_text=True)

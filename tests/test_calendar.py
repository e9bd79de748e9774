"""Shifts in the phone's calendar (issue 20 §4): secret feeds read back with `icalendar`, their
revocation, swaps and removals on the next refresh, the team feed's scope, one shift's file."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from coordination.clock import local_to_utc
from coordination.duty import rota
from coordination.org import teams
from models import CalendarFeed, Membership, Shift, db
from models.shifts import BACKUP, MEMBER, PRIMARY
from models.teams import MEMBER as TEAM_MEMBER
from tests.factories import make_person, make_user

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc)  # 10:00 on 03/12 in Vietnam
pytestmark = pytest.mark.clock_at(NOW)
TZ = "Asia/Ho_Chi_Minh"


def _shift(team, day: date, start: str, hours: int = 6, required: int = 2) -> Shift:
    h, m = map(int, start.split(":"))
    starts = local_to_utc(day, time(h, m))
    s = rota.add_shift(team, starts, starts + timedelta(hours=hours), required)
    db.session.flush()
    return s


@pytest.fixture
def duty(world):
    """The volunteer's night shift (00:30 Vietnam on 04/12 — still 03/12 in UTC) with the commune
    lead as backup and a third member; a shift in two months; one four months ahead (beyond the feed)."""
    third = make_person(full_name="Ba Thành Viên")
    teams.add_member(world.commune_team, third, TEAM_MEMBER)
    volunteer, lead = world.volunteer.person, world.commune_lead.person
    night = _shift(world.commune_team, date(2026, 12, 4), "00:30", required=3)
    rota.assign(night, volunteer, PRIMARY)
    rota.assign(night, lead, BACKUP)
    rota.assign(night, third, MEMBER)
    later = _shift(world.commune_team, date(2027, 2, 1), "08:00")
    rota.assign(later, volunteer, PRIMARY)
    beyond = _shift(world.commune_team, date(2027, 4, 10), "08:00")
    rota.assign(beyond, volunteer, PRIMARY)
    empty = _shift(world.commune_team, date(2026, 12, 5), "14:00")  # nobody on it yet
    elsewhere = _shift(world.commune_team_b, date(2026, 12, 4), "08:00")
    db.session.commit()
    return {"night": night, "later": later, "beyond": beyond, "empty": empty, "elsewhere": elsewhere, "third": third}


def _subscribe(client, auth, user, team=None) -> str:
    """Tap "Thêm vào lịch" as `user`; the feed's path from the webcal:// address."""
    auth.as_user(user)
    response = client.get("/duty/calendar/add" + (f"?team={team}" if team else ""))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("webcal://127.0.0.1:5000/calendar/") and location.endswith(".ics")
    auth.logout()
    return location.removeprefix("webcal://127.0.0.1:5000")


def _read(client, path) -> Calendar:
    response = client.get(path)  # as a calendar app: no session
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def _events(cal) -> dict[str, object]:
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_my_feed_has_my_shifts_in_vietnam_time_with_a_reminder_and_my_teammates(world, duty, client, auth):
    cal = _read(client, _subscribe(client, auth, world.volunteer))
    events = _events(cal)
    ids = {duty["night"].id, duty["later"].id}
    assert set(events) == {f"shift-{i}@127.0.0.1" for i in ids}  # not beyond 3 months, not the empty one
    night = events[f"shift-{duty['night'].id}@127.0.0.1"]
    assert night["dtstart"].params["TZID"] == TZ
    start = night.decoded("dtstart")
    assert (start.date(), start.hour, start.minute) == (date(2026, 12, 4), 0, 30)  # the Vietnam date, not 03/12
    assert start.utcoffset() == timedelta(hours=7)
    assert night.decoded("dtend") - start == timedelta(hours=6)
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == [TZ]
    alarms = night.walk("VALARM")
    assert [a.decoded("trigger") for a in alarms] == [timedelta(minutes=-60)]
    description = str(night["description"])
    assert "Vai trò của bạn: trực chính" in description
    assert "Dự phòng: Tổ Trưởng Xã" in description and "Trực: Ba Thành Viên" in description
    assert "0987" not in description  # names only: the calendar may live on someone else's server
    assert "trực chính" in str(night["summary"])
    assert str(cal["x-wr-timezone"]) == TZ


def test_a_swap_and_a_removal_show_up_at_the_next_refresh(world, duty, client, auth):
    path = _subscribe(client, auth, world.volunteer)
    night_uid = f"shift-{duty['night'].id}@127.0.0.1"
    assert night_uid in _events(_read(client, path))
    fourth = make_person(full_name="Bốn Thành Viên")
    teams.add_member(world.commune_team, fourth, TEAM_MEMBER)
    other = _shift(world.commune_team, date(2026, 12, 6), "08:00")
    theirs = rota.assign(other, fourth, PRIMARY)
    mine = db.session.scalar(sa.select(rota.ShiftAssignment).where(
        rota.ShiftAssignment.shift_id == duty["night"].id, rota.ShiftAssignment.person_id == world.volunteer.person_id))
    rota.swap(mine, theirs)
    db.session.commit()
    events = _events(_read(client, path))
    assert night_uid not in events and f"shift-{other.id}@127.0.0.1" in events
    later = db.session.scalar(sa.select(rota.ShiftAssignment).where(
        rota.ShiftAssignment.shift_id == duty["later"].id))
    rota.unassign(later)
    db.session.commit()
    assert set(_events(_read(client, path))) == {f"shift-{other.id}@127.0.0.1"}
    # the teammate's feed now has the night shift, under the same UID, naming the volunteer
    theirs_path = _subscribe(client, auth, make_user(fourth))
    night = str(_events(_read(client, theirs_path))[night_uid]["description"])
    assert "Vai trò của bạn: trực chính" in night and "Dự phòng: Tổ Trưởng Xã" in night
    assert "Bốn Thành Viên" not in night and "Tình Nguyện Viên" not in night


def test_a_new_address_revokes_the_old_one_and_wrong_secrets_are_404(world, duty, client, auth):
    old = _subscribe(client, auth, world.volunteer)
    assert client.get(old).status_code == 200
    feed_id = int(old.split("/")[2])
    assert client.get(f"/calendar/{feed_id}/wrong-secret.ics").status_code == 404
    assert client.get(f"/calendar/{feed_id + 1}/{old.split('/')[3]}").status_code == 404
    assert client.get(f"/calendar/{feed_id}/{'x' * 500}.ics").status_code == 404
    assert client.get(f"/calendar/{2**40}/{old.split('/')[3]}").status_code == 404  # beyond an INTEGER id
    assert client.get(f"/calendar/{feed_id}/é.ics").status_code == 404
    auth.as_user(world.volunteer)
    assert client.get("/duty/calendar/regenerate").status_code == 200  # the confirmation step
    response = client.post("/duty/calendar/regenerate", data={"team": ""})
    assert response.status_code == 302
    page = client.get("/duty/calendar").get_data(as_text=True)
    auth.logout()
    assert client.get(old).status_code == 404
    new = _subscribe(client, auth, world.volunteer)
    assert new != old and new in page
    assert client.get(new).status_code == 200
    # the database holds neither address's secret
    for row in db.session.scalars(sa.select(CalendarFeed)):
        values = " ".join(str(v) for v in (row.salt, row.token_hash))
        assert old.split("/")[3].removesuffix(".ics") not in values
        assert new.split("/")[3].removesuffix(".ics") not in values
    # an account switched off: its address stops answering
    world.volunteer.is_active_account = False
    db.session.commit()
    assert client.get(new).status_code == 404


def test_the_team_feed_shows_the_whole_team_to_its_leads_only(world, duty, client, auth):
    ct = world.commune_team.id
    for user in (world.volunteer, world.lead_b):
        auth.as_user(user)
        assert client.get(f"/duty/calendar/add?team={ct}").status_code == 404
        assert client.get(f"/duty/calendar?team={ct}").status_code == 404
        auth.logout()
    assert _subscribe(client, auth, world.lead_a, team=ct)  # the province lead may, from the rota page
    path = _subscribe(client, auth, world.commune_lead, team=ct)
    cal = _read(client, path)
    events = _events(cal)
    uids = {f"team-shift-{duty[k].id}@127.0.0.1" for k in ("night", "later", "empty")}
    assert set(events) == uids  # not the other province's shift, nothing beyond three months
    empty = events[f"team-shift-{duty['empty'].id}@127.0.0.1"]
    assert "Thiếu người (0/2)" in str(empty["summary"])
    night = events[f"team-shift-{duty['night'].id}@127.0.0.1"]
    assert "Tình Nguyện Viên" in str(night["description"]) and "Tổ Trưởng Xã" in str(night["description"])
    assert not night.walk("VALARM")  # a lead is not woken for every shift of the team
    # the lead steps down: the address stops answering
    membership = db.session.scalar(sa.select(Membership).where(
        Membership.person_id == world.commune_lead.person_id, Membership.team_id == ct))
    teams.end_membership(membership)
    db.session.commit()
    assert client.get(path).status_code == 404


def test_one_shift_as_a_file(world, duty, client, auth):
    night = duty["night"].id
    assert client.get(f"/duty/shifts/{night}.ics").status_code == 302  # a signed-in page
    auth.as_user(world.volunteer)
    response = client.get(f"/duty/shifts/{night}.ics")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert "ca-truc-2026-12-04-0030.ics" in response.headers["Content-Disposition"]
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["uid"]) == f"shift-{night}@127.0.0.1"
    assert event.walk("VALARM")
    assert client.get(f"/duty/shifts/{duty['elsewhere'].id}.ics").status_code == 404
    assert client.get("/duty/shifts/99999999.ics").status_code == 404


def test_the_duty_app_and_the_account_page_lead_to_the_calendar(world, client, auth):
    auth.as_user(world.volunteer)
    assert 'href="/duty/calendar/add"' in client.get("/duty/").get_data(as_text=True)
    assert 'href="/duty/calendar"' in client.get("/account").get_data(as_text=True)
    page = client.get("/duty/calendar").get_data(as_text=True)
    assert "webcal://127.0.0.1:5000/calendar/" in page and "Thêm vào lịch" in page
    auth.as_user(world.commune_lead)
    page = client.get("/duty/calendar").get_data(as_text=True)
    assert world.commune_team.name in page  # the team they lead, ready to add


def test_the_feed_costs_the_same_queries_for_3_shifts_as_for_40(world, client, auth, app):
    lead = world.commune_lead.person
    members = [make_person(full_name=f"Người {i}") for i in range(3)]
    for p in members:
        teams.add_member(world.commune_team, p, TEAM_MEMBER)

    def add(n, first):
        for i in range(n):
            s = _shift(world.commune_team, first + timedelta(days=i), "08:00", required=4)
            for p in [lead] + members:
                rota.assign(s, p, MEMBER)
        db.session.commit()

    path = _subscribe(client, auth, world.commune_lead)
    statements = []

    def count(*_args):
        statements.append(1)

    add(3, date(2026, 12, 5))
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert len(_events(_read(client, path))) == 3
        few = len(statements)
        add(37, date(2026, 12, 8))
        statements.clear()
        assert len(_events(_read(client, path))) == 40
        assert len(statements) == few
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

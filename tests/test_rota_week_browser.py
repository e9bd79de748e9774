"""Issue 19 §1's goal in Chromium: a commune lead staffs next week's 3×8 h rota, two people a
shift, for a ten-member team in at most 20 clicks from the team page (it used to take ~170)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import local_to_utc, local_today
from coordination.org import teams
from models import Shift, ShiftAssignment, db
from tests.factories import browser_login, make_person

pytestmark = pytest.mark.browser
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang",
         "Đặng Văn Hải", "Bùi Thị Khánh", "Đỗ Văn Long"]


def test_a_week_of_three_shifts_a_day_two_people_each_is_staffed_in_at_most_20_clicks(world, live_server, browser):
    team = world.commune_team
    for name in NAMES:  # with the volunteer already in it: ten members
        teams.add_member(team, make_person(full_name=name))
    db.session.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, world.commune_lead.person.phone)
    page.wait_for_url(f"{live_server}/teams/{team.id}")
    clicks = 0

    def click(selector):
        nonlocal clicks
        clicks += 1
        page.click(selector)

    click("#week-link")
    click("a[rel=next]")  # next week: every shift is still ahead
    page.wait_for_url("**start=*")
    if page.locator("#pattern").get_attribute("open") is None:  # open already when the week is empty
        click("#pattern summary")
    click("#pattern input[name=name]")
    page.keyboard.type("Ba ca mỗi ngày")
    click("#pattern textarea")
    page.keyboard.type("hằng ngày 06:00-14:00: Nguyễn Văn An chính, Trần Thị Bình dự phòng\n"
                       "hằng ngày 14:00-22:00: Lê Văn Chi chính, Phạm Thị Dung dự phòng\n"
                       "hằng ngày 22:00-06:00: Hoàng Văn Em chính, Vũ Thị Giang dự phòng")
    click("#save-pattern")
    page.wait_for_load_state()
    assert clicks <= 20, clicks
    print(f"staffed a week in {clicks} clicks")

    monday = local_today() + timedelta(days=7 - local_today().weekday())
    start, end = local_to_utc(monday, time(0)), local_to_utc(monday + timedelta(days=7), time(0))
    db.session.commit()
    shifts = db.session.scalars(sa.select(Shift).where(Shift.team_id == team.id, Shift.starts_at >= start,
                                                       Shift.starts_at < end)).all()
    assert len(shifts) == 21
    people = dict(db.session.execute(sa.select(ShiftAssignment.shift_id, sa.func.count()).where(
        ShiftAssignment.shift_id.in_([s.id for s in shifts])).group_by(ShiftAssignment.shift_id)).all())
    assert sorted(people.values()) == [2] * 21
    assert page.locator(".cell.gap").count() == 0  # the grid shows no gap in that week
    page.context.close()

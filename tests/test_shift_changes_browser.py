"""On a 360 px phone in Chromium (issue 19 §2): a volunteer taps "Không thể trực" on their next
shift, a teammate sees it among the open shifts on /duty/ and takes it with one tap."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.duty import rota
from coordination.org import teams
from models import ShiftAssignment, ShiftChange, db
from models.shifts import PRIMARY
from tests.factories import browser_login, make_person, make_user

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")  # a folder: save what the phones showed, to look at


def _phone(browser, live_server, identifier):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  service_workers="block")
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, identifier)
    page.wait_for_url(live_server + "/duty/")
    page.wait_for_function("() => document.getElementById('updated').textContent")
    return context, page


def _tap(page, locator):
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb's size
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_volunteer_gives_back_and_a_teammate_takes_it(world, live_server, browser):
    chi = make_person(full_name="Lê Văn Chi", phone="0912 345 678")
    teams.add_member(world.commune_team, chi)
    make_user(chi)
    start = utcnow().replace(microsecond=0) + timedelta(hours=20)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 1)
    rota.assign(shift, world.volunteer.person, PRIMARY)
    db.session.commit()

    context, page = _phone(browser, live_server, "0987654321")
    give_back = page.locator("#upcoming button", has_text="Không thể trực")
    _tap(page, give_back)
    page.locator("#upcoming .change-note", has_text="Đã trả ca").wait_for()
    assert page.locator("#upcoming button", has_text="Rút lại").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/give-back-360.png", full_page=True)
    context.close()

    context, page = _phone(browser, live_server, "0912345678")
    item = page.locator("#open li", has_text="Tình Nguyện Viên trả ca")
    item.wait_for()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/open-given-back-360.png", full_page=True)
    _tap(page, item.locator("button", has_text="Nhận ca này"))
    page.locator("#upcoming li", has_text="Bạn: trực chính").wait_for()
    page.locator("#open li", has_text="Không có").wait_for()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/taken-360.png", full_page=True)
    context.close()

    db.session.commit()
    assert db.session.scalar(sa.select(ShiftAssignment.person_id).where(ShiftAssignment.shift_id == shift.id)) == chi.id
    assert db.session.scalar(sa.select(ShiftChange.state)) == "accepted"


def test_a_volunteer_asks_a_teammate_who_accepts_with_one_tap(world, live_server, browser):
    chi = make_person(full_name="Lê Văn Chi", phone="0912 345 678")
    teams.add_member(world.commune_team, chi)
    make_user(chi)
    start = utcnow().replace(microsecond=0) + timedelta(hours=30)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, PRIMARY)
    db.session.commit()

    context, page = _phone(browser, live_server, "0987654321")
    _tap(page, page.locator("#upcoming summary", has_text="Đổi ca"))
    page.locator("#upcoming select").select_option(label="Lê Văn Chi")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/swap-pick-360.png", full_page=True)
    _tap(page, page.locator("#upcoming button", has_text="Gửi lời nhờ"))
    page.locator("#upcoming .change-note", has_text="Bạn đã nhờ Lê Văn Chi").wait_for()
    context.close()

    context, page = _phone(browser, live_server, "0912345678")
    card = page.locator("#asked-card")
    card.locator("li", has_text="Tình Nguyện Viên nhờ bạn trực thay").wait_for()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/asked-360.png", full_page=True)
    _tap(page, card.locator("button", has_text="Nhận ca này"))
    page.locator("#upcoming li", has_text="Bạn: trực chính").wait_for()
    assert card.is_hidden()
    context.close()
    db.session.commit()
    assert db.session.scalar(sa.select(ShiftAssignment.person_id).where(ShiftAssignment.shift_id == shift.id)) == chi.id

"""Shifts in the phone's calendar in Chromium at 360 and 1280 px: the duty app's one tap and its
.ics links, the calendar page's address, and a new address after the confirmation step."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from coordination.clock import local_to_utc
from coordination.duty import rota
from models import db
from tests.factories import browser_login
from tests.test_alerts_browser import AXE, _look

T = datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc)
pytestmark = [pytest.mark.browser, pytest.mark.clock_at(T)]


@pytest.mark.parametrize("width", [360, 1280])
def test_add_to_calendar_and_make_a_new_address(world, live_server, browser, width):
    starts = local_to_utc(date(2026, 12, 4), time(22, 0))
    shift = rota.add_shift(world.commune_team, starts, starts + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 500,
                                  has_touch=width < 500, bypass_csp=bool(AXE))  # axe-core is injected inline
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, "0987 654 321")
        page.wait_for_url("**/duty/")
        add = page.locator("#calendar-add")
        assert add.inner_text() == "Thêm vào lịch" and add.get_attribute("href") == "/duty/calendar/add"
        assert add.bounding_box()["height"] >= 44
        ics = page.locator("#upcoming a.ics")
        ics.wait_for()
        assert ics.get_attribute("href") == f"/duty/shifts/{shift.id}.ics"
        assert ics.bounding_box()["height"] >= 44
        _look(page, "duty-calendar-card")
        page.click("text=Địa chỉ lịch, tạo địa chỉ mới")
        old = page.locator("#mine-url").input_value()
        assert old.startswith("http://127.0.0.1:5000/calendar/")
        assert page.locator("#mine a.button.primary").get_attribute("href") == "webcal://" + old.split("://")[1]
        path = old.removeprefix("http://127.0.0.1:5000")
        assert page.request.get(live_server + path).status == 200
        _look(page, "calendar-page")
        page.click("#mine >> text=Tạo địa chỉ mới")
        assert "Địa chỉ cũ ngừng hoạt động ngay" in page.inner_text("#confirm-step")
        page.click("#confirm-step button.primary")
        page.wait_for_selector("text=Đã có địa chỉ lịch mới")
        new = page.locator("#mine-url").input_value()
        assert new != old
        assert page.request.get(live_server + path).status == 404
        assert page.request.get(live_server + new.removeprefix("http://127.0.0.1:5000")).status == 200
    finally:
        context.close()

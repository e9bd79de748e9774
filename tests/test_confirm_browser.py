"""A confirm-broadcast in Chromium at 360 px (issue 18 §5): the volunteer opens the link from their
SMS (as the fake Twilio server received it), taps once, sees the confirmation; the lead's
broadcasts page then counts one more confirmation. Screenshots at 360 and 1280 px with SCREENSHOT_DIR."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest
from flask import current_app

from coordination.messaging import broadcasts, outbox, sms
from models import db
from tests.factories import HANOI, browser_login

T = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội
pytestmark = [pytest.mark.browser, pytest.mark.clock_at(T)]
SHOTS = os.environ.get("SCREENSHOT_DIR")
TEXT = "Đề nghị xác nhận: họp trực tuyến 14:00 về Bình dân học vụ số."


def _look(page, name: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"notices-{name}-{width}.png"), full_page=True)


def _confirmed(page) -> int:
    return int(page.locator("#broadcasts li.broadcast").first.locator("li.confirmed b").inner_text())


@pytest.mark.parametrize("width", [360, 1280])
def test_tap_the_link_from_the_sms_and_the_lead_sees_one_more(world, live_server, browser, twilio, width):
    broadcasts.send(world.lead_a.id, HANOI, "province", None, TEXT, urgent=True, confirm=True)
    db.session.commit()
    outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config))
    body = next(m["body"] for m in twilio.sent if m["to"] == world.volunteer.person.phone)
    link = re.search(r"https://tcn\.example\.vn(/x/\S+)$", body).group(1)
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 500,
                                  has_touch=width < 500)
    lead = browser.new_context(viewport={"width": width, "height": 800})
    phone, desk = context.new_page(), lead.new_page()
    try:
        browser_login(desk, live_server, "hn@example.vn")
        desk.goto(live_server + "/messages/broadcasts")
        before = _confirmed(desk)
        _look(desk, "broadcasts-before")
        phone.goto(live_server + link)
        button = phone.locator("button.tap")
        assert button.inner_text() == "Tôi xác nhận" and button.bounding_box()["height"] >= 44
        assert TEXT in phone.locator(".card").inner_text()
        _look(phone, "confirm-open")
        button.click()
        phone.wait_for_selector("#confirmed")
        assert phone.locator("#confirmed").inner_text() == "Đã xác nhận. Cảm ơn bạn!"
        assert phone.locator("button.tap").count() == 0
        _look(phone, "confirm-done")
        desk.reload()
        assert _confirmed(desk) == before + 1
        desk.locator("details.unconfirmed summary").first.click()  # who has not confirmed, and "Nhắc lại"
        assert "Tình Nguyện Viên" not in desk.locator("details.unconfirmed").first.inner_text()
        assert desk.locator("details.unconfirmed form.remind button").first.is_visible()
        _look(desk, "broadcasts")
        desk.locator("#broadcasts li.broadcast a").first.click()
        desk.wait_for_selector("#not-confirmed")
        desk.wait_for_load_state()  # its stylesheet too: measured before it, the button is 21 px high
        assert "Tình Nguyện Viên" not in desk.locator("#not-confirmed").inner_text()
        assert desk.locator("#not-confirmed form.remind button").bounding_box()["height"] >= 44
        _look(desk, "broadcast-show")
    finally:
        context.close()
        lead.close()

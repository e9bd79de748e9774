"""The contact chain's pages in Chromium at 360 and 1280 px (issue 20 §3): a volunteer changes the
chain on /account with the selects; a province lead reads the members' channels on the team page
and the messages page filtered by channel. With SCREENSHOT_DIR/AXE_JS: pictures and axe-core."""
from __future__ import annotations

from datetime import timedelta

import pytest

from coordination.clock import utcnow
from coordination.duty import alerts, rota
from coordination.messaging import contacts
from coordination.messaging.contacts import Step
from models import db
from tests.factories import browser_login
from tests.test_alerts_browser import AXE, _look


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_a_volunteer_sets_the_chain_and_a_lead_reads_the_channels(ctx, world, live_server, browser, width):
    saved = ctx.config.get("ALERT_CALL_STEPS")
    ctx.config["ALERT_CALL_STEPS"] = (1, 2)
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 500,
                                  has_touch=width < 500, bypass_csp=bool(AXE))  # axe-core is injected inline
    try:
        page = context.new_page()
        browser_login(page, live_server, "0987654321")
        page.goto(f"{live_server}/account#contacts")
        assert "Đây là chuỗi mặc định." in page.inner_text("#contacts")
        page.select_option("#delay_push", "off")
        page.select_option("#delay_sms", "0")
        page.select_option("#delay_voice", "3")
        page.click("#contacts button.primary")
        page.wait_for_url("**/account#contacts")
        assert "Đã lưu chuỗi liên lạc của bạn." in page.inner_text("body")
        assert page.inner_text("#chain").split("\n") == ["SMS · ngay", "Cuộc gọi · sau 3 phút"]
        _look(page, "account-contacts")
        assert contacts.chain_of(world.volunteer.person_id) == [Step("sms", 0), Step("voice", 3)]
        context.clear_cookies()

        now = utcnow()
        shift = rota.add_shift(world.commune_team, now - timedelta(minutes=21), now + timedelta(hours=2), 1)
        rota.assign(shift, world.volunteer.person, "primary")
        db.session.commit()
        alerts.tick(now)  # the commune lead's step: SMS now, the call 5 minutes later
        browser_login(page, live_server, "hn@example.vn")
        page.goto(f"{live_server}/teams/{world.commune_team.id}")
        reach = page.inner_text(f'[data-person="{world.volunteer.person_id}"]')
        assert "SMS: có" in reach and "Thông báo đẩy: không" in reach
        _look(page, "team-reach")
        page.goto(f"{live_server}/messages")
        page.click("#channels >> text=Cuộc gọi")
        page.wait_for_url("**channel=voice")
        assert "Đến hạn lúc" in page.inner_text("#messages")
        _look(page, "messages-voice")
    finally:
        context.close()
        ctx.config["ALERT_CALL_STEPS"] = saved

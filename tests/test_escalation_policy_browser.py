"""A commune lead edits the team's escalation policy in Chromium at 360 px (issue 20 §3): from the
team page's link, a wait out of range is refused beside its field, then fixed; a named member and
the channels chosen; saved, the timetable shows the new steps. With SCREENSHOT_DIR/AXE_JS:
pictures and axe-core."""
from __future__ import annotations

import pytest

from coordination.duty import escalation_policy as policy
from coordination.duty.escalation_policy import Step
from coordination.org import teams
from models import db
from tests.factories import HANOI, browser_login, make_person
from tests.test_alerts_browser import AXE, _look


@pytest.mark.browser
def test_a_commune_lead_edits_the_policy_on_a_phone(ctx, world, live_server, browser):
    named = make_person(full_name="Chị Trực Thay")
    teams.add_member(world.commune_team, named, "member")
    db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  bypass_csp=bool(AXE))  # axe-core is injected inline
    try:
        page = context.new_page()
        browser_login(page, live_server, world.commune_lead.person.phone)
        page.goto(f"{live_server}/teams/{world.commune_team.id}")
        page.click("#policy-link")
        page.wait_for_url(f"**/teams/{world.commune_team.id}/escalation-policy")
        assert "Chính sách mặc định của hệ thống" in page.inner_text("#in-effect")
        box = page.locator("#step-1-wait").bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 360
        page.fill("#step-1-wait", "500")
        page.click("#save-policy")
        page.wait_for_selector("#step-1-wait-error")
        assert page.inner_text("#step-1-wait-error") == "Bước 1, thời gian chờ: chọn từ 0 đến 120 phút."
        _look(page, "policy-error")
        page.fill("#step-1-wait", "5")
        page.select_option("#step-1-channels", "sms")
        page.fill("#step-2-wait", "15")
        page.locator("#step-2 input[value=commune_lead]").uncheck()
        page.locator("#step-2 details summary").click()
        page.locator(f"#step-2 input[value='{named.id}']").check()
        page.select_option("#step-2-channels", "sms_voice")
        page.select_option("#repeats", "1")
        page.click("#save-policy")
        page.wait_for_selector(".flash")
        assert "Đã lưu chính sách báo động." in page.inner_text("body")
        assert page.inner_text("#timetable").split("\n")[:3] == [
            "Phút 5: Người trực dự phòng của ca · Chỉ SMS",
            "Phút 20: Chị Trực Thay · SMS và gọi điện ngay",
            "Phút 30: Lãnh đạo tổ tỉnh · Chuỗi liên lạc của mỗi người"]
        _look(page, "policy-saved")
        page.set_viewport_size({"width": 1280, "height": 800})
        _look(page, "policy-saved")
        followed = policy.effective(world.commune_team.id, HANOI)
        assert followed.source == "team" and followed.repeats == 1
        assert followed.steps[:2] == (Step(5, ("backup",), (), "sms"), Step(15, (), (named.id,), "sms_voice"))
    finally:
        context.close()

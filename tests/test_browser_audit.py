"""The audit trail and the monthly report on a 360-px phone and a 1280-px screen: sentences with
names, changes in words, nothing wider than the screen (issue 18 §6)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import HANOI, browser_login
from tests.test_audit_sentences import _a_day_of_everything

SHOTS = Path("/tmp/shots")


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_audit_and_report_pages_fit_and_read_in_vietnamese(world, live_server, browser, width):
    _a_day_of_everything(world)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        browser_login(page, live_server, "hn@example.vn")
        for name, path in (("audit", "/audit"), ("report", f"/reports/monthly?province={HANOI}")):
            page.goto(live_server + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if SHOTS.is_dir():
                page.screenshot(path=str(SHOTS / f"viet-{name}-{width}.png"), full_page=True)
        page.goto(live_server + "/audit")
        events = page.inner_text("#events")
        assert "Trưởng Hà Nội đã chuyển việc “Xác minh hộ khẩu” sang “Đang làm”" in events
        assert "Trạng thái" in events and "status" not in events
    finally:
        context.close()

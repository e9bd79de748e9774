"""In Chromium at 360 px and 1280 px: a province lead opens the board collapsed by campaign, opens the
campaign's row without JavaScript's help (<details>), then its page with the map and the table."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from tests.factories import HANOI, browser_login
from tests.test_campaigns import SPEC, campaign  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.clock_at(datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc))]
SHOTS, AXE = os.environ.get("SCREENSHOT_DIR"), os.environ.get("AXE_JS")  # optional: pictures, axe-core


def _look(page, name: str) -> None:
    """No sideways scrolling at this width; with SCREENSHOT_DIR/AXE_JS set, a picture and axe-core."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"campaigns-{name}-{width}.png"), full_page=True)
    if AXE:
        page.add_script_tag(path=AXE)
        result = page.evaluate("axe.run({runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
        assert [v["id"] for v in result["violations"]] == [], result["violations"]


@pytest.mark.parametrize("width", [360, 1280])
def test_lead_follows_a_campaign_from_the_board_to_its_page(world, campaign, live_server, browser, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 500,
                                  has_touch=width < 500, bypass_csp=bool(AXE))  # axe-core is injected inline
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, "hn@example.vn")
        page.goto(f"{live_server}/provinces/{HANOI}/tasks")
        row = page.locator("details.campaign-row")
        assert row.count() == 1 and "130 / 500" in row.inner_text()
        row.locator("summary").click()
        assert row.locator("ul.tasks li").count() == 5
        _look(page, "board")
        row.get_by_text("Mở trang đợt").click()
        page.wait_for_selector("#campaign-communes")
        assert page.locator("#campaign-communes tbody tr").count() == 5
        drawn = page.evaluate("""() => { const map = Object.values(window).find(v => v instanceof L.Map);
            let n = 0; map.eachLayer(l => { if (l instanceof L.CircleMarker) n++; }); return n; }""")
        assert drawn == 5  # the map drew its five communes
        page.locator("#campaign-communes th a[href*='sort=done']").click()
        page.wait_for_selector("th[aria-sort]")
        _look(page, "page")
    finally:
        context.close()

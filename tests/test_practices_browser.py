"""Sharing a good practice in Chromium (issue 22 §3): a volunteer at 360 px writes one with a photo taken by a
phone (an error beside the field first), sends it; the province lead publishes it at 1280 px; another
Hà Nội team's lead marks "Chúng tôi đã áp dụng" at 360 px and finds the team on the list. With
SCREENSHOT_DIR / AXE_JS set: pictures at 360 and 1280 px, and axe-core (WCAG 2 A/AA)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from models import Practice, db
from tests import photo_samples as samples
from tests.factories import browser_login
from tests.test_movements_browser import _look, _page
from tests.test_practices import more  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.clock_at(datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc))]


@pytest.fixture
def photo_dir(ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(ctx.config, "TASK_PHOTO_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def test_a_volunteer_shares_a_practice_with_a_photo_at_360px_and_another_team_applies_it(
        more, live_server, browser, photo_dir, tmp_path):
    w = more
    shot = tmp_path / "IMG_2041.jpg"
    shot.write_bytes(samples.jpeg(4000, 3000))
    context, page = _page(browser, 360)
    try:
        browser_login(page, live_server, w.volunteer.person.phone)
        page.goto(f"{live_server}/thi-dua/practices")
        page.click("text=Chia sẻ cách làm hay")
        page.fill("#title", "Chủ nhật số ở nhà văn hoá")
        page.fill("#action", "Hai thành viên ngồi ở nhà văn hoá mỗi sáng Chủ nhật.")
        page.fill("#result", "Các cụ tự rủ nhau đến.")
        page.select_option("#work_kind", "support_vneid_level2")
        page.set_input_files("#photos", str(shot))
        page.click("button[value=submit]")
        assert "Hãy nhập vấn đề." == page.locator("#problem-error").inner_text()  # beside the field, in Vietnamese
        assert page.input_value("#title") == "Chủ nhật số ở nhà văn hoá"  # what was typed stays
        page.fill("#problem", "Nhiều cụ không tự kích hoạt được VNeID.")
        page.set_input_files("#photos", str(shot))  # a browser never keeps a file across a page
        page.click("button[value=submit]")
        page.wait_for_selector("#state:has-text('Chờ duyệt')")
        img = page.locator(".practice-photos img")
        img.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.practice-photos img').naturalWidth > 0")
        assert page.evaluate("document.querySelector('.practice-photos img').naturalWidth") == 1600
        assert img.bounding_box()["width"] <= 360
        _look(page, "practice-submitted")
    finally:
        context.close()
    practice = db.session.scalar(sa.select(Practice))
    assert (practice.state, len(practice.photos)) == ("submitted", 1)

    context, page = _page(browser, 1280)
    try:
        browser_login(page, live_server, w.lead_a.person.email)
        page.goto(f"{live_server}/thi-dua/practices/{practice.id}")
        page.check("#review input[value=province]")
        page.click("#review button.primary")
        page.wait_for_selector("#state:has-text('Đã công bố')")
        _look(page, "practice-published")
    finally:
        context.close()

    context, page = _page(browser, 360)
    errors = []  # the map's script runs under the strict CSP (its nonce): no violation, no JavaScript error
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        browser_login(page, live_server, w.lead_c.person.phone)
        page.goto(f"{live_server}/thi-dua/practices?q=chu+nhat+so")
        page.click(".practice-title")
        page.fill("#note", "Làm theo ở khu dân cư số 3")
        page.click("#apply button.primary")
        page.wait_for_selector("#applied-teams")
        assert "Làm theo ở khu dân cư số 3" in page.locator("#applied-teams").inner_text()
        assert page.locator("#apply").count() == 0  # once per team
        assert page.locator("#applied .folium-map").count() == 1
        html = page.content()  # the points, drawn on a canvas: the writing team and the one that applied it
        assert f'"started","{w.commune_team.name}",-1]' in html and f'"done","{w.team_c.name}",-1]' in html
        assert page.locator("#applied canvas").count() == 1
        assert errors == []
        _look(page, "practice-applied")
    finally:
        context.close()

"""Registering commitments in Chromium (issue 22 §2): a commune lead at 360 px fills in the targets and
sends them; the province lead approves at desktop width; the movement page ranks the team. With
SCREENSHOT_DIR / AXE_JS set: pictures of the movement page at 360 and 1280 px, and axe-core (WCAG 2 A/AA)."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest

from coordination.core.permissions import scope_for_person
from coordination.emulation import movements
from models import Task, TaskUpdate, db
from tests.factories import HANOI, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.clock_at(datetime(2026, 10, 20, 3, 0, tzinfo=timezone.utc))]
SHOTS, AXE = os.environ.get("SCREENSHOT_DIR"), os.environ.get("AXE_JS")


def _look(page, name: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
    if AXE:
        page.add_script_tag(path=AXE)
        result = page.evaluate("axe.run({runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
        assert [v["id"] for v in result["violations"]] == [], result["violations"]


def _page(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 500,
                                  has_touch=width < 500, bypass_csp=bool(AXE))  # axe goes in as an inline script
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_commune_lead_registers_at_360px_and_the_province_approves(world, live_server, browser):
    m = movements.launch(scope_for_person(world.lead_a.person_id), world.lead_a.id, name="Thi đua Hà Nội 2026",
                         theme="Đi từng ngõ, gõ từng nhà", first=date(2026, 10, 1), last=date(2026, 12, 31),
                         province_code=HANOI, weights={"residents_helped": 3, "shift_coverage": 1, "alerts_ack_minutes": 1},
                         floors={"residents_helped": 40, "alerts_ack_minutes": 10})
    task = Task(kind="support_qr_checkin", title="Hỗ trợ", team_id=world.commune_team.id, province_code=HANOI,
                target_count=100)
    db.session.add(task)
    db.session.flush()
    for day, delta in ((1, 30), (9, 45), (16, 20)):  # three weeks of residents helped, for the chart
        db.session.add(TaskUpdate(task_id=task.id, delta=delta, at=datetime(2026, 10, day, 3, 0, tzinfo=timezone.utc)))
    db.session.commit()
    team_url = f"{live_server}/thi-dua/movements/{m.id}/teams/{world.commune_team.id}"
    context, page = _page(browser, 360)
    try:
        browser_login(page, live_server, world.commune_lead.person.phone)
        page.goto(team_url)
        helped, coverage, minutes = (f"#c{c.id}" for c in m.criteria)
        assert "(tối đa 10)" in page.locator(f"label[for='{minutes[1:]}']").inner_text()  # lower is better
        page.fill(minutes, "15")
        page.fill(helped, "120")
        page.fill(coverage, "150")  # a percentage above 100: refused beside the field
        page.click("#register button.primary")
        assert "tối đa 100" in page.locator(f"{coverage}-error").inner_text()
        assert page.input_value(helped) == "120"  # what was typed stays
        page.fill(coverage, "90")
        page.click("#register button.primary")
        page.wait_for_selector("#state:has-text('Chờ duyệt')")
        assert page.locator("#register button.primary").bounding_box()["height"] >= 44
        _look(page, "movement-team")
    finally:
        context.close()
    context, page = _page(browser, 1280)
    try:
        browser_login(page, live_server, "hn@example.vn")
        page.goto(team_url)
        page.click("#decide button.primary")
        page.wait_for_selector("#state:has-text('Đã đăng ký')")
        page.goto(f"{live_server}/thi-dua/movements/{m.id}")
        assert world.commune_team.admin_unit.name in page.locator("#ranking").inner_text()
        assert "1 trên 1 tổ đã đăng ký" in page.locator("#registration").inner_text()
        assert page.locator("#weekly-charts rect").count() == 3  # 3 weeks of residents; no shifts, no bars
        _look(page, "movement")
    finally:
        context.close()
    context, page = _page(browser, 360)
    try:
        browser_login(page, live_server, world.commune_lead.person.phone)
        page.goto(f"{live_server}/thi-dua/movements/{m.id}")
        page.locator("#ranking summary").first.click()
        _look(page, "movement")
    finally:
        context.close()


def test_the_province_lead_assesses_a_team_at_360px(world, live_server, browser):
    m = movements.launch(scope_for_person(world.lead_a.person_id), world.lead_a.id, name="Thi đua Hà Nội 2026",
                         theme="Đi từng ngõ, gõ từng nhà", first=date(2026, 10, 1), last=date(2026, 12, 31),
                         province_code=HANOI, weights={"residents_helped": 1, "lead_assessed": 2}, floors={})
    db.session.commit()
    for width in (360, 1280):
        context, page = _page(browser, width)
        try:
            browser_login(page, live_server, "hn@example.vn")
            page.goto(f"{live_server}/thi-dua/movements/{m.id}/teams/{world.commune_team.id}")
            page.fill("#score", "85")
            page.fill("#note", "Đi từng nhà hướng dẫn VNeID, có ảnh")
            page.fill("#evidence_url", "https://zalo.me/album/ba-dinh")
            page.click("#assessment button.primary")
            page.wait_for_selector("#assessed:has-text('85/100')")
            assert page.locator("#assessment button.primary").bounding_box()["height"] >= 44
            _look(page, "movement-assessment")
        finally:
            context.close()

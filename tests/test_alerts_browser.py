"""The acknowledgement link page and the broadcast composer in Chromium at 360 px: one tap takes
the alert, every other link then says who took it and when, and the call buttons are big enough."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import alerts, rota
from coordination import clock
from coordination.org import teams
from models import Message, db
from tests.factories import HANOI, browser_login, make_person

T = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
pytestmark = [pytest.mark.browser, pytest.mark.clock_at(T)]
SHOTS, AXE = os.environ.get("SCREENSHOT_DIR"), os.environ.get("AXE_JS")  # optional: pictures, axe-core


def _look(page, name: str) -> None:
    """No sideways scrolling at this width; with SCREENSHOT_DIR/AXE_JS set, a picture and axe-core."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)
    if AXE:
        page.add_script_tag(path=AXE)
        result = page.evaluate("axe.run({runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
        assert [v["id"] for v in result["violations"]] == [], result["violations"]


@pytest.mark.parametrize("width", [360, 1280])
def test_one_tap_takes_the_alert_and_the_other_links_say_who(world, live_server, browser, width):
    backup = make_person(full_name="Lê Thị Hương")
    teams.add_member(world.commune_team, backup, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    clock.set_now(T + timedelta(minutes=20))
    alerts.tick()
    links = {pid: f"{live_server}/a/{alerts.ack_token(mid)}" for mid, pid in db.session.execute(
        sa.select(Message.id, Message.person_id).where(Message.purpose == "escalation"))}
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 500,
                                  has_touch=width < 500)
    page = context.new_page()
    try:
        page.goto(links[backup.id])
        button = page.locator("button.tap")
        assert button.inner_text() == "Tôi nhận xử lý"
        calls = page.locator("#calls a.call")
        assert calls.count() == 2
        assert calls.nth(0).get_attribute("href") == f"tel:{world.volunteer.person.phone}"
        assert all(calls.nth(i).bounding_box()["height"] >= 44 for i in range(2))
        _look(page, "ack-open")
        button.click()
        page.wait_for_selector("text=Đã xác nhận. Cảm ơn bạn!")
        page.goto(links[world.commune_lead.person_id])
        assert page.locator("#taken").inner_text() == "Lê Thị Hương đã nhận xử lý lúc 08:20"
        assert page.locator("button.tap").count() == 0
        assert page.locator("#calls a.call").get_attribute("href") == f"tel:{world.volunteer.person.phone}"
        _look(page, "ack-taken")
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_composer_counts_fixed_lines_apart(world, live_server, browser, width):
    landline = make_person(full_name="Bác Máy Bàn", phone="024 3825 1234")
    teams.add_member(world.commune_team, landline, "member")
    world.volunteer.person.sms_ascii = True
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        browser_login(page, live_server, "hn@example.vn")
        page.wait_for_url(f"{live_server}/provinces/{HANOI}")
        page.goto(f"{live_server}/provinces/{HANOI}/broadcast")
        page.fill("#body", "Khẩn – họp “giao ban” lúc 14:00… • mang theo máy tính — ‘gấp’.")
        page.click("button[value=preview]")
        preview = page.locator("#preview").inner_text()
        assert "3 người sẽ nhận." in preview and "Thêm 1 người" in preview and "(GSM-7, 1 tin)" in preview
        _look(page, "composer")
        page.goto(f"{live_server}/people/{landline.id}")
        assert page.locator("#no-sms").inner_text() == "không nhận được SMS"
        _look(page, "person-no-sms")
        page.goto(f"{live_server}/messages")
        assert "1 người bạn quản lý dùng số máy bàn" in page.locator("#no-sms").inner_text()
        _look(page, "messages-no-sms")
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_import_preview_lists_fixed_lines(world, live_server, browser, width, tmp_path):
    from tests.test_member_import import ROWS, csv_bytes

    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes(ROWS + ["Bác Máy Bàn,024 3825 1234,Phường Hoàn Kiếm,,Đoàn thanh niên,,Thành viên"]))
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        browser_login(page, live_server, "hn@example.vn")
        page.wait_for_url(f"{live_server}/provinces/{HANOI}")
        page.goto(f"{live_server}/imports")
        page.set_input_files("#file", str(path))
        page.click("button.primary")
        page.wait_for_selector("#no-sms")
        assert "Số máy bàn: không nhận được SMS (1)" in page.locator("#no-sms summary").inner_text()
        _look(page, "import-preview")
    finally:
        context.close()

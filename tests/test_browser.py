"""In a real headless Chromium (Debian's package, driven by Playwright): the province lead's flow."""
from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from models import Person, db
from tests.factories import HANOI, browser_login

pytestmark = pytest.mark.browser


def test_province_lead_adds_a_member_after_fixing_a_bad_phone(world, live_server, phone_page):
    page = phone_page
    browser_login(page, live_server, "hn@example.vn")
    page.wait_for_url(f"{live_server}/provinces/{HANOI}")
    assert page.locator("h1").inner_text() == "Thành phố Hà Nội"

    page.click("#add-member summary")
    page.fill("#new-full_name", "Phạm Thị Lan")
    page.fill("#new-phone", "0912 345")
    page.select_option("#new-affiliation", "enterprise")
    page.fill("#new-organisation", "VNPT")
    page.click("#add-member button.primary")

    error = page.locator("#new-phone-error")
    assert error.inner_text() == "“0912 345” không phải là số điện thoại hợp lệ."
    # The message sits right under the phone field, which points to it, and nothing typed is lost.
    assert page.locator("#new-phone").get_attribute("aria-describedby") == "new-phone-error"
    phone_box, error_box = page.locator("#new-phone").bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (phone_box["y"] + phone_box["height"]) < 40
    assert page.locator("#new-full_name").input_value() == "Phạm Thị Lan"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The form far down the page is where the page opens: a summary on screen, the bad field focused.
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "Số điện thoại" in summary.inner_text()
    assert -1 < summary.bounding_box()["y"] < 740  # scrolled to its top (less a subpixel of rounding)
    assert page.evaluate("document.activeElement.id") == "new-phone"

    page.fill("#new-phone", "0912 345 678")
    page.click("#add-member button.primary")
    page.wait_for_url(f"{live_server}/provinces/{HANOI}*")
    member = page.locator("#province-team li", has_text="Phạm Thị Lan")
    assert "+84912345678" in member.inner_text() and "VNPT" in member.inner_text()
    db.session.commit()
    assert db.session.scalar(sa.select(Person.phone).where(Person.full_name == "Phạm Thị Lan")) == "+84912345678"


def test_bulk_assign_then_a_volunteer_reports_progress_and_the_board_moves(world, live_server, browser):
    from coordination.org import teams
    from tests.factories import communes_of

    extra = [teams.create_commune_team(u.code) for u in communes_of(HANOI, 3)[1:]]
    db.session.commit()
    names = [world.commune_team.admin_unit.name] + [t.admin_unit.name for t in extra]

    lead = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    lead.set_default_timeout(10_000)
    browser_login(lead, live_server, "hn@example.vn")
    lead.goto(f"{live_server}/provinces/{HANOI}/tasks/new")
    lead.select_option("#kind", "support_vaccination_registration")
    lead.fill("#title", "Hỗ trợ đăng ký tiêm mũi nhắc")
    lead.fill("#target_count", "100")
    lead.fill("#target_unit", "người dân")
    lead.check("input[name=mode][value=selected]")
    lead.click("#task-form details summary")
    for name in names:
        lead.get_by_label(name, exact=True).check()
    lead.click("button[value=preview]")
    assert "3 tổ xã/phường sẽ nhận nhiệm vụ này." in lead.locator("#preview").inner_text()
    lead.click("button[value=confirm]")
    lead.wait_for_url(f"{live_server}/tasks/campaigns/*")  # one assignment, one thing to watch
    assert lead.locator("#campaign-communes tbody tr").count() == 3

    volunteer = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()
    volunteer.set_default_timeout(10_000)
    browser_login(volunteer, live_server, "0987 654 321")
    volunteer.goto(live_server + "/my/tasks")
    volunteer.click("text=Hỗ trợ đăng ký tiêm mũi nhắc")
    volunteer.fill("#delta", "30")
    volunteer.fill("#note", "Tổ dân phố 3")
    volunteer.click("#progress-form button.primary")
    volunteer.wait_for_function("() => document.getElementById('progress').innerText.includes('30 / 100 người dân (30\u00a0%)')")
    assert volunteer.evaluate("document.documentElement.scrollWidth") <= 360

    lead.reload()
    assert "30 / 300" in lead.locator("main").inner_text()
    lead.goto(f"{live_server}/provinces/{HANOI}/tasks?view=tasks")
    assert lead.locator("#board li.task").count() == 3
    card = lead.locator("#board li.task", has_text=world.commune_team.admin_unit.name)
    assert card.locator(".progress").get_attribute("data-percent") == "30"
    bar = card.locator(".progress .bar rect").bounding_box()["width"]
    track = card.locator(".progress .bar").bounding_box()["width"]
    assert abs(bar / track - 0.30) < 0.02
    others = lead.locator("#board li.task", has_text=extra[0].admin_unit.name)
    assert others.locator(".progress").get_attribute("data-percent") == "0"


def test_offline_check_in_is_queued_survives_a_reload_and_is_stored_once_with_its_time(world, live_server, browser):
    from datetime import datetime

    from models import AdminUnit, CheckIn

    unit = db.session.get(AdminUnit, world.commune_team.admin_unit_code)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  permissions=["geolocation"],
                                  geolocation={"latitude": unit.lat, "longitude": unit.lon, "accuracy": 25})
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, "0987654321")
    page.goto(live_server + "/duty/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function("() => document.getElementById('state').textContent === 'Chưa vào ca'")
    assert page.locator("#tap").inner_text() == "Vào ca"

    context.set_offline(True)
    before = datetime.now(UTC)
    page.click("#tap")
    page.wait_for_function("() => !document.getElementById('queue').hidden")
    after = datetime.now(UTC)
    assert page.locator("#queue").inner_text() == "Đang chờ gửi (1)"
    assert page.locator("#tap").inner_text() == "Kết thúc ca"  # the next tap would check out

    page.reload()  # offline: the service worker serves the app, IndexedDB still holds the tap
    page.wait_for_function("() => !document.getElementById('queue').hidden")
    assert page.locator("#queue").inner_text() == "Đang chờ gửi (1)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.wait_for_timeout(1500)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0

    context.set_offline(False)  # the page notices and sends the queue by itself
    page.wait_for_function("() => document.getElementById('queue').hidden")
    page.wait_for_function("() => document.getElementById('state').textContent.startsWith('Đang trực từ')")
    db.session.commit()
    rows = db.session.scalars(sa.select(CheckIn)).all()
    assert len(rows) == 1
    row = rows[0]
    assert before.replace(microsecond=0) - timedelta(seconds=1) <= row.occurred_at <= after
    assert (row.received_at - row.occurred_at).total_seconds() >= 1.5  # sent later, original time kept
    assert row.kind == "in" and row.distance_km is not None and row.distance_km < 1 and not row.far
    context.close()


def test_duty_page_is_light_for_a_cheap_phone(world, live_server, browser):
    """First load of the check-in app (cache off): everything it transfers, API call included. No
    service worker: a first visit has none yet (once installed it would serve the page from its cache,
    sooner or later after the login's page registers it — a race that measured 1.8 kB)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, service_workers="block")
    page = context.new_page()
    browser_login(page, live_server, "0987654321")
    page.wait_for_url(live_server + "/**")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(live_server + "/duty/")
    page.wait_for_function("() => document.getElementById('state').textContent === 'Chưa vào ca'")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    assert 5_000 < total <= 150 * 1024, total
    context.close()


def test_a_volunteer_picks_the_phone_keypad_logs_in_with_a_phone_and_lands_on_duty(world, live_server, phone_page):
    """The login field opens a phone keypad unless Email is chosen (remembered on the phone), and a
    volunteer lands on the check-in app; a province lead lands on the province page."""
    page = phone_page
    page.goto(live_server + "/login")
    field, email = page.locator("#identifier"), page.get_by_role("button", name="Email")
    assert field.get_attribute("inputmode") == "tel"
    email.tap()
    assert field.get_attribute("inputmode") == "email" and email.get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.activeElement.id") == "identifier"
    assert email.bounding_box()["height"] >= 44
    page.reload()
    assert page.locator("#identifier").get_attribute("inputmode") == "email"  # remembered on this phone
    page.get_by_role("button", name="Số điện thoại").tap()
    assert page.locator("#identifier").get_attribute("inputmode") == "tel"
    browser_login(page, live_server, "0987 654 321")
    page.wait_for_url(f"{live_server}/duty/")
    page.context.clear_cookies()  # another person on the same phone
    browser_login(page, live_server, "hn@example.vn")
    page.wait_for_url(f"{live_server}/provinces/{HANOI}")


def test_the_header_on_a_phone_is_two_rows_with_a_menu_and_thumb_sized_links(world, live_server, phone_page, browser):
    """At 360 px a province lead sees Home, Tasks and Duty and a Menu button (not 4–5 rows of
    links); Menu opens every destination; every visible header target is at least 44 px tall. On a
    desktop there is no Menu: every link is in the header."""
    page = phone_page
    browser_login(page, live_server, "hn@example.vn")
    page.wait_for_url(f"{live_server}/provinces/{HANOI}")
    header = page.locator("header.top")
    visible = "[...document.querySelectorAll('header.top a, header.top button')].filter(e => e.offsetParent)"
    assert header.bounding_box()["height"] <= 120
    assert page.evaluate(f"{visible}.map(e => e.textContent.trim())") == [
        "Tổ Công nghệ cộng đồng", "Menu", "Trang chủ", "Trực", "Nhiệm vụ"]
    assert page.get_by_role("link", name="Nhật ký").is_hidden()
    page.get_by_role("button", name="Menu").tap()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Nhật ký").is_visible() and page.get_by_role("button", name="Đăng xuất").is_visible()
    assert page.evaluate(f"{visible}.filter(e => e.getBoundingClientRect().height < 44).length") == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    desk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    browser_login(desk, live_server, "hn@example.vn")
    desk.wait_for_url(f"{live_server}/provinces/{HANOI}")
    assert desk.get_by_role("button", name="Menu").is_hidden() and desk.get_by_role("link", name="Nhật ký").is_visible()
    desk.context.close()


def test_a_due_date_is_typed_dd_mm_yyyy_even_on_a_phone_set_to_english(world, live_server, browser):
    """A browser's date input follows the phone's locale (mm/dd/yyyy in English): the task form's
    due date is a dd/mm/yyyy field with the number keypad; 24/12 is stored as the 24th of December,
    and a date that cannot be read is named, keeping what was typed."""
    from datetime import date

    from coordination.clock import local_today
    from models import Task

    year = local_today().year + 1
    page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                               locale="en-US").new_page()
    browser_login(page, live_server, "hn@example.vn")
    page.goto(f"{live_server}/provinces/{HANOI}/tasks/new")
    due = page.locator("#due_date")
    assert due.get_attribute("type") == "text" and due.get_attribute("inputmode") == "numeric"
    assert due.get_attribute("placeholder") == "dd/mm/yyyy"
    page.fill("#title", "Hướng dẫn kích hoạt VNeID mức 2")
    page.fill("#due_date", f"31/02/{year}")
    page.click("button[value=preview]")
    assert "ngày/tháng/năm" in page.locator("#due_date-error").inner_text()
    assert page.locator("#due_date").input_value() == f"31/02/{year}"
    page.fill("#due_date", f"24/12/{year}")
    page.click("button[value=preview]")
    with page.expect_navigation():
        page.click("button[value=confirm]")
    db.session.commit()
    assert set(db.session.scalars(sa.select(Task.due_date))) == {date(year, 12, 24)}
    page.context.close()


def test_the_province_table_is_a_card_per_commune_on_a_phone(world, live_server, phone_page):
    """At 360 px the communes table does not scroll sideways inside a 310 px box: each commune is a
    card whose values carry their column's name."""
    page = phone_page
    browser_login(page, live_server, "hn@example.vn")
    page.wait_for_url(f"{live_server}/provinces/{HANOI}")
    table = page.locator("table.stack")
    row = table.locator("tbody tr").first
    assert row.locator("td").nth(2).get_attribute("data-label") == "Thành viên"
    assert table.locator("thead").bounding_box()["height"] <= 1
    assert table.bounding_box()["width"] <= 340 and row.bounding_box()["height"] > 100  # stacked, not a line
    assert page.evaluate("[...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)")

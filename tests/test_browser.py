"""In a real headless Chromium (Debian's package, driven by Playwright): the province lead's flow."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from models import Person, db
from tests.factories import HANOI, PASSWORD

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(ctx):
    server = make_server("127.0.0.1", 0, ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_province_lead_adds_a_member_after_fixing_a_bad_phone(world, live_server, phone_page):
    page = phone_page
    page.goto(live_server + "/login")
    page.fill("#identifier", "hn@example.vn")
    page.fill("#password", PASSWORD)
    page.click("button.primary")
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

    page.fill("#new-phone", "0912 345 678")
    page.click("#add-member button.primary")
    page.wait_for_url(f"{live_server}/provinces/{HANOI}*")
    member = page.locator("#province-team li", has_text="Phạm Thị Lan")
    assert "+84912345678" in member.inner_text() and "VNPT" in member.inner_text()
    db.session.commit()
    assert db.session.scalar(sa.select(Person.phone).where(Person.full_name == "Phạm Thị Lan")) == "+84912345678"

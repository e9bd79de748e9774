"""The Content-Security-Policy in Chromium: every kind of page runs with no violation and still works
(the map draws and switches layers, the duty app checks in, the moved inline handlers behave as before)."""
from __future__ import annotations

import http.server
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from coordination.tasks import assignment, rules as tasks
from coordination.org import teams
from models import Membership, Task, db
from models.teams import MEMBER
from tests.factories import HANOI, browser_login, make_person

pytestmark = pytest.mark.browser

# Collects what the policy blocked, before any of the page's own scripts run.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""


class Watched:
    """A Chromium page that records CSP violations (events and console), console errors and script errors."""

    def __init__(self, browser, width: int = 1280, **context_options):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, **context_options)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"script error: {e}"))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if "Failed to load resource" in message.text and (where == self.page.url or where.endswith("/favicon.ico")):
            return  # the error page answers 404 on purpose; the site has no favicon
        self.errors.append(f"console: {message.text} ({where})")

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.assert_clean(url)

    def assert_clean(self, where: str = "") -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [] and self.errors == [], (where or self.page.url, violations, self.errors)


def _task(world) -> Task:
    spec = tasks.TaskSpec(kind="venue_qr_registration", title="Đăng ký QR chợ", target_count=10,
                          target_unit="địa điểm")
    batch, _n = assignment.assign(spec, assignment.Targeting(HANOI), world.lead_a.id)
    db.session.commit()
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch))
    tasks.report_progress(task, 4, world.lead_a.id, world.lead_a.person_id)
    db.session.commit()
    return task


def test_every_kind_of_page_runs_under_the_policy_without_a_violation(world, live_server, browser):
    task = _task(world)
    ct, lead = world.commune_team, world.lead_a.person_id
    watched = Watched(browser)
    watched.visit(live_server + "/login")
    browser_login(watched.page, live_server, "bo@example.vn")
    watched.page.wait_for_load_state()
    pages = ["/", "/account", "/audit", "/imports", "/map?all=1", f"/map/{HANOI}", "/messages", "/my/tasks",
             "/people", f"/people/{lead}", f"/people/{lead}/edit", f"/provinces/{HANOI}",
             f"/provinces/{HANOI}/tasks", f"/provinces/{HANOI}/tasks/new", f"/provinces/{HANOI}/broadcast",
             f"/tasks/{task.id}", "/tasks/new", f"/teams/{ct.id}", f"/teams/{ct.id}/rota", "/reports/monthly",
             "/search?q=Ba+Đình", "/thi-dua", "/thi-dua/targets", "/thi-dua/commendations",
             "/thi-dua/commendations/new", "/recognition", "/no-such-page"]
    for path in pages:
        watched.visit(live_server + path)
    # the task's progress bar is drawn at its share (an SVG rect now, not a style="width")
    watched.page.goto(f"{live_server}/tasks/{task.id}")
    bar = watched.page.locator(".progress svg.bar")
    share = bar.locator("rect").bounding_box()["width"] / bar.bounding_box()["width"]
    assert abs(share - 0.40) < 0.02
    watched.context.close()


def test_the_maps_draw_and_switch_layers_under_the_policy(world, live_server, browser):
    watched = Watched(browser)
    browser_login(watched.page, live_server, "bo@example.vn")
    watched.page.wait_for_load_state()
    page = watched.page
    watched.visit(live_server + "/map?all=1")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path.tcn-province').length === 34")
    assert page.locator(".leaflet-container .leaflet-map-pane").count() == 1
    assert page.locator(".tcn-label").count() == 34 and page.locator("path.tcn-neighbour").count() >= 5
    # static/js/coverage-map.js (allowed by the policy) switches the provinces' colours and the legend
    layers = page.locator("#legend .lg")
    assert layers.nth(0).is_visible() and not layers.nth(1).is_visible()
    page.locator("form[data-map-layers] input[value='3']").check()
    page.wait_for_function("() => !document.querySelectorAll('#legend .lg')[3].hidden")
    assert not layers.nth(0).is_visible()
    swatches = layers.nth(3).locator("svg.swatch rect")
    fills = {swatches.nth(i).get_attribute("fill") for i in range(swatches.count())}
    drawn = set(page.eval_on_selector_all("path.tcn-province", "els => els.map(e => e.getAttribute('fill'))"))
    assert drawn <= fills and drawn  # the world has no gaps: one class, 0
    assert swatches.first.bounding_box()["width"] >= 12
    watched.assert_clean("national map")
    watched.visit(f"{live_server}/map/{HANOI}")
    page.wait_for_function("() => document.querySelectorAll('path.tcn-commune').length === 126")
    assert page.locator("path.tcn-province").count() == 1
    page.wait_for_function("""() => { const m = window[document.querySelector('.folium-map').id], c = m.getContainer();
        return m.getSize().x === c.clientWidth; }""")  # Leaflet re-centres when a scroll bar appears
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.locator("path.tcn-commune").first.hover()  # scrolled into view (the taller map reaches below 900 px)
    tooltip = page.locator(".leaflet-tooltip.tcn-tooltip")
    assert "Thành phố Hà Nội" in tooltip.inner_text()
    assert tooltip.evaluate("e => getComputedStyle(e).fontSize") == "14px"
    watched.assert_clean("province map")
    watched.context.close()


class _Tiles(http.server.BaseHTTPRequestHandler):
    """A tile server on another origin: every tile is the same 1×1 PNG."""
    PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201ff7e2e6b0000000049454e44ae426082")

    def do_GET(self):  # noqa: N802 - the http.server name
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.PNG)))
        self.end_headers()
        self.wfile.write(self.PNG)

    def log_message(self, *args):
        pass


def test_tiles_from_the_configured_server_load_under_the_policy(world, ctx, browser):
    from app import create_app

    tiles = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    settings = {k: ctx.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED",
                                           "PASSWORD_HASH_METHOD", "SECRET_KEY", "LIVE_CACHE_SECONDS")}
    app = create_app(dict(settings, MAP_TILES_URL=f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        watched = Watched(browser)
        browser_login(watched.page, base, "bo@example.vn")
        watched.page.wait_for_load_state()
        watched.visit(f"{base}/map/{HANOI}")
        watched.page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
        watched.assert_clean("map with tiles")
        watched.context.close()
    finally:
        server.shutdown()
        tiles.shutdown()


def test_the_duty_app_checks_in_under_the_policy(world, live_server, browser):
    from models import AdminUnit, CheckIn

    unit = db.session.get(AdminUnit, world.commune_team.admin_unit_code)
    watched = Watched(browser, width=360, is_mobile=True, has_touch=True, permissions=["geolocation"],
                      geolocation={"latitude": unit.lat, "longitude": unit.lon, "accuracy": 25})
    page = watched.page
    browser_login(page, live_server, "0987654321")
    watched.visit(live_server + "/duty/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function("() => document.getElementById('state').textContent === 'Chưa vào ca'")
    page.click("#tap")
    page.wait_for_function("() => document.getElementById('state').textContent.startsWith('Đang trực từ')")
    watched.assert_clean("duty app")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1
    watched.context.close()


def test_the_moved_handlers_behave_as_before(world, live_server, browser):
    newcomer = make_person(full_name="Người Mới", phone="0912 000 111")
    teams.add_member(world.commune_team, newcomer, MEMBER)
    db.session.commit()
    watched = Watched(browser, permissions=["clipboard-read", "clipboard-write"])
    page = watched.page
    browser_login(page, live_server, "hn@example.vn")
    page.wait_for_load_state()

    # invitation: the link selects itself when tapped, "Chép" copies it and says so
    watched.visit(f"{live_server}/people/{newcomer.id}")
    page.click("text=Tạo liên kết mời")
    link = page.locator("#invite-link")
    page.wait_for_load_state()
    value = link.input_value()
    link.click()
    assert page.evaluate("[document.activeElement.selectionStart, document.activeElement.selectionEnd]") == [
        0, len(value)]
    page.click("button[data-copy]")
    assert page.locator("button[data-copy]").inner_text() == "Đã chép"
    assert page.evaluate("navigator.clipboard.readText()") == value
    watched.assert_clean("invited")

    # a new API token: it selects itself too
    watched.visit(live_server + "/account")
    page.fill("#name", "Zalo bot")
    page.click("text=Tạo mã")
    token = page.locator("input.copy[data-select]")
    token.click()
    assert page.evaluate("document.activeElement.selectionEnd") == len(token.input_value()) > 20
    watched.assert_clean("account")

    # ending a membership asks first; "cancel" keeps it, "OK" ends it
    membership = world.volunteer_membership
    questions = []
    watched.visit(f"{live_server}/teams/{world.commune_team.id}")
    end = page.locator("#members li", has_text="Tình Nguyện Viên").locator("button", has_text="Kết thúc")
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    end.click()
    page.wait_for_timeout(300)
    db.session.expire_all()
    assert questions == ["Kết thúc vai trò này? Vẫn được lưu trong lịch sử."]
    assert db.session.get(Membership, membership.id).end_date is None
    page.once("dialog", lambda d: d.accept())
    end.click()
    page.wait_for_selector(".flash.success")
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).end_date is not None
    watched.assert_clean("team")
    watched.context.close()

    # the monthly report prints from its button
    watched = Watched(browser)
    browser_login(watched.page, live_server, "bo@example.vn")
    watched.page.wait_for_load_state()
    watched.visit(live_server + "/reports/monthly")
    watched.page.click("button[data-print]")
    assert watched.page.evaluate("window.__printed") == 1
    watched.assert_clean("monthly report")
    watched.context.close()


def test_the_import_preview_under_the_policy(world, live_server, browser, tmp_path):
    from tests.test_member_import import ROWS, csv_bytes

    path = tmp_path / "thanh-vien.csv"
    path.write_bytes(csv_bytes(ROWS))
    watched = Watched(browser)
    page = watched.page
    browser_login(page, live_server, "hn@example.vn")
    watched.visit(live_server + "/imports")
    page.set_input_files("#file", str(path))
    page.click("#send")  # static/js/upload.js sends it, then opens the preview
    page.wait_for_url(f"{live_server}/imports/*")
    page.wait_for_selector("#do-import")
    watched.assert_clean("preview")
    page.click("#do-import")
    page.wait_for_selector("#result")
    watched.assert_clean("imported")
    watched.context.close()

"""The duty app on a 360 px phone in Chromium: one tap is one tap, and the page tells the truth
after a dropped network (issue 16, parts 3 and 4)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError

from coordination.duty import checkins
from coordination.clock import to_local, utcnow
from models import AdminUnit, CheckIn, DutySession, db
from tests.factories import HANOI, browser_login

pytestmark = pytest.mark.browser
STATE = "document.getElementById('state').textContent"


@pytest.fixture
def phone(request, world, live_server, browser):
    """A signed-in 360 px phone. Tests that cut the network with page.route block the service
    worker: Playwright does not see requests that pass through one."""
    unit = db.session.get(AdminUnit, world.commune_team.admin_unit_code)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  permissions=["geolocation"],
                                  geolocation={"latitude": unit.lat, "longitude": unit.lon, "accuracy": 25},
                                  service_workers="block" if request.node.get_closest_marker("routes") else "allow")
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_login(page, live_server, "0987654321")
    page.wait_for_url(live_server + "/duty/")  # a volunteer lands on the app: let its first read finish,
    page.wait_for_function("() => document.getElementById('updated').textContent")
    page.evaluate("localStorage.clear()")  # then forget it, so that each test's _open waits for a fresh one
    yield page
    context.close()


def _open(page, live_server, state_starts: str):
    page.goto(live_server + "/duty/")
    page.wait_for_function(f"() => {STATE}.startsWith({state_starts!r}) && document.getElementById('updated').textContent")


def _tap(page, selector="#tap"):
    """A finger on the middle of the element, whatever state it is in (a disabled button ignores it)."""
    box = page.locator(selector).bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _rows():
    db.session.commit()
    return db.session.scalars(sa.select(CheckIn).order_by(CheckIn.occurred_at)).all()


def _check_in_elsewhere(world, minutes_ago: float) -> datetime:
    at = (utcnow() - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    item = {"client_uuid": str(uuid.uuid4()), "kind": "in", "occurred_at": at.isoformat()}
    assert checkins.record_checkins(world.volunteer.id, [item])[0].status == "accepted"
    db.session.commit()
    return at


@pytest.mark.cpu_throttled
@pytest.mark.parametrize("gap_ms", [80, 250])
def test_a_double_tap_on_check_in_checks_in_once(world, live_server, phone, gap_ms):
    page = phone
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})  # a cheap phone's CPU
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150,  # a 3G link
                                                  "downloadThroughput": 200_000, "uploadThroughput": 90_000})
    _open(page, live_server, "Chưa vào ca")
    _tap(page)
    page.wait_for_timeout(gap_ms)
    _tap(page)
    assert page.locator("#tap").is_disabled()  # visibly ignoring taps for a moment
    page.wait_for_function(f"() => {STATE}.startsWith('Đang trực từ')")
    page.wait_for_timeout(2_300)
    assert not page.locator("#tap").is_disabled()
    assert page.locator("#confirm").is_hidden() and page.locator("#tap").inner_text() == "Kết thúc ca"
    assert page.locator("#rejected li").count() == 0  # the second tap was never a check-out, not even a refused one
    assert [r.kind for r in _rows()] == ["in"]
    assert db.session.scalar(sa.select(DutySession.ended_at)) is None


def test_check_out_asks_first_with_the_session_length(world, live_server, phone):
    page = phone
    _check_in_elsewhere(world, 3 * 60 + 12.2)
    _open(page, live_server, "Đang trực từ")
    _tap(page)
    page.wait_for_selector("#confirm:not([hidden])")
    assert page.locator("#confirm-text").inner_text() == "Đã trực 3 giờ 12 phút — Ra ca?"
    assert page.locator("#tap").is_hidden()
    _tap(page, "#confirm-out")  # the second tap of a double tap, at once: the confirm is not armed yet
    for button in ("#confirm-out", "#cancel-out"):
        box = page.locator(button).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44 and box["x"] + box["width"] <= 360
    page.wait_for_timeout(1_200)
    page.click("#cancel-out")  # changed their mind: still on duty, nothing sent
    page.wait_for_selector("#confirm", state="hidden")
    assert page.locator("#tap").inner_text() == "Kết thúc ca"
    assert [r.kind for r in _rows()] == ["in"]

    page.wait_for_timeout(2_100)
    _tap(page)
    page.wait_for_selector("#confirm:not([hidden])")
    page.click("#confirm-out")  # waits until it is armed, like a thumb that read the question
    page.wait_for_function(f"() => {STATE} === 'Chưa vào ca' && document.getElementById('queue').hidden")
    rows = _rows()
    assert [r.kind for r in rows] == ["in", "out"]
    assert db.session.scalar(sa.select(DutySession.ended_at)) == rows[1].occurred_at


def test_rapid_taps_offline_are_sent_later_as_confirmed_once_each_with_their_times(world, live_server, phone):
    page = phone
    _open(page, live_server, "Chưa vào ca")
    page.context.set_offline(True)
    moments = []

    def waiting(n):
        page.wait_for_function(f"() => document.getElementById('queue').textContent === 'Đang chờ gửi ({n})'")

    before = datetime.now(UTC)
    _tap(page)
    page.wait_for_timeout(100)
    _tap(page)  # ignored
    waiting(1)
    moments.append((before, datetime.now(UTC)))
    page.wait_for_timeout(2_100)
    _tap(page)
    page.wait_for_selector("#confirm:not([hidden])")
    page.wait_for_timeout(1_100)
    before = datetime.now(UTC)
    _tap(page, "#confirm-out")
    page.wait_for_timeout(150)
    _tap(page)  # ignored: the check-in button is back under the thumb, but locked
    waiting(2)
    moments.append((before, datetime.now(UTC)))
    page.wait_for_timeout(2_100)
    before = datetime.now(UTC)
    _tap(page)
    waiting(3)
    moments.append((before, datetime.now(UTC)))
    page.wait_for_timeout(500)
    assert page.locator("#queue").inner_text() == "Đang chờ gửi (3)"
    assert _rows() == []

    page.context.set_offline(False)
    page.wait_for_function(f"() => document.getElementById('queue').hidden && {STATE}.startsWith('Đang trực từ')")
    rows = _rows()
    assert [r.kind for r in rows] == ["in", "out", "in"]  # the check-out 2 s after its check-in: confirmed
    for row, (first, last) in zip(rows, moments):
        assert first - timedelta(milliseconds=5) <= row.occurred_at <= last
    assert page.locator("#rejected li").count() == 0


@pytest.mark.routes
def test_a_dropped_answer_converges_to_what_the_server_stored(world, live_server, phone):
    """The check-in reaches the server, then the network drops before the answer, and the re-read
    fails too; when the network returns, the page shows what the server holds, with no error."""
    page = phone
    _open(page, live_server, "Chưa vào ca")
    dropped = []

    def store_then_drop(route):
        try:
            route.fetch()  # the server stores the check-in …
            route.abort("internetdisconnected")  # … and the phone never hears back
        except PlaywrightError:  # the page itself let go of the request meanwhile
            return
        dropped.append(route.request.url)

    page.route("**/api/v1/checkins", store_then_drop)
    page.route("**/api/v1/duty/me", lambda route: route.abort("internetdisconnected"))
    _tap(page)
    for _ in range(50):
        if dropped:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)  # the re-read fails too
    assert dropped and [r.kind for r in _rows()] == ["in"]
    assert page.locator("#state").inner_text() == "Đã vào ca trên điện thoại này (chưa gửi)"  # not "Chưa vào ca"
    assert page.locator("#rejected li").count() == 0

    page.unroute("**/api/v1/checkins")
    page.unroute("**/api/v1/duty/me")
    page.context.set_offline(True)
    page.context.set_offline(False)  # the network returns: the page re-reads the server
    started = to_local(_rows()[0].occurred_at)
    page.wait_for_function(f"() => {STATE} === 'Đang trực từ {started:%d/%m %H:%M}'")
    assert page.locator("#queue").is_hidden() and page.locator("#rejected li").count() == 0
    assert page.locator("#updated").inner_text().startswith("Cập nhật lúc ")
    assert [r.kind for r in _rows()] == ["in"]


@pytest.mark.routes
def test_an_answer_whose_re_read_fails_still_shows_the_new_state(world, live_server, phone):
    """The issue's case: the server answers "accepted", then the state read fails. The page must not
    fall back to "Chưa vào ca" (a second tap would then check out); it re-reads when it can."""
    page = phone
    _open(page, live_server, "Chưa vào ca")
    page.route("**/api/v1/duty/me", lambda route: route.abort("internetdisconnected"))
    _tap(page)
    page.wait_for_function(f"() => {STATE}.startsWith('Đang trực từ')")
    assert page.locator("#tap").inner_text() == "Kết thúc ca"
    page.unroute("**/api/v1/duty/me")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the phone is picked up again
    started = to_local(_rows()[0].occurred_at)
    page.wait_for_function(f"() => {STATE} === 'Đang trực từ {started:%d/%m %H:%M}'")


def test_a_tap_made_while_unsure_is_reconciled_silently_and_stale_errors_go(world, live_server, phone):
    page = phone
    _open(page, live_server, "Chưa vào ca")
    page.evaluate("""localStorage.setItem('duty-rejected', JSON.stringify([
        {id: 'a', when: '01/12 07:00', error: 'Đã vào ca từ 01/12 06:58: hãy kết thúc ca trước.'},
        {id: 'b', when: '01/12 07:05', error: 'Kết thúc ca khi chưa vào ca.'}]))""")
    page.reload()
    page.wait_for_load_state("networkidle")  # the page has re-read the server
    page.wait_for_function("() => document.querySelectorAll('#rejected li').length === 2")
    dismiss = page.locator("#rejected li").nth(0).locator("button.dismiss")
    box = dismiss.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44 and dismiss.get_attribute("aria-label") == "Bỏ qua"
    dismiss.click()
    page.wait_for_function("() => document.querySelectorAll('#rejected li').length === 1")
    assert "Kết thúc ca khi chưa vào ca." in page.locator("#rejected").inner_text()

    page.context.set_offline(True)
    elsewhere = _check_in_elsewhere(world, 2)  # from another phone, while this one is offline
    _tap(page)  # made while unsure: the page still believes "Chưa vào ca"
    page.wait_for_function("() => !document.getElementById('queue').hidden")
    page.context.set_offline(False)
    page.wait_for_function(f"() => {STATE} === 'Đang trực từ {to_local(elsewhere):%d/%m %H:%M}'")
    assert page.locator("#rejected li").count() == 0  # no red "already checked in"; the old error is gone
    assert [r.kind for r in _rows()] == ["in"]


@pytest.mark.routes
def test_an_offline_progress_report_waits_survives_a_reload_and_counts_once(world, live_server, phone):
    from coordination.tasks import assignment, rules as tasks
    from models import Task, TaskUpdate

    batch, _n = assignment.assign(tasks.TaskSpec(
        kind="support_vaccination_registration", title="Hỗ trợ đăng ký tiêm", target_count=100,
        target_unit="người dân"), assignment.Targeting(HANOI, assignment.ONE, [world.commune_team.admin_unit_code]),
        world.lead_a.id)
    db.session.commit()
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch))
    page = phone
    page.goto(f"{live_server}/tasks/{task.id}")
    page.context.set_offline(True)
    before = datetime.now(UTC)
    page.fill("#delta", "30")
    page.fill("#note", "Tổ dân phố 3")
    page.click("#progress-form button.primary")
    page.wait_for_selector("#pending li")
    after = datetime.now(UTC)
    assert page.url == f"{live_server}/tasks/{task.id}"  # no "no internet" page: the report waits
    assert page.locator("#pending").inner_text().startswith("+30 · Tổ dân phố 3 — đang chờ gửi (")
    assert page.locator("#delta").input_value() == ""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    lost = []

    def store_then_drop(route):  # the network is back but flaky: stored, the answer lost
        try:
            route.fetch()
            route.abort("internetdisconnected")
        except PlaywrightError:  # a resend the reload cancelled while it was on its way
            return
        lost.append(1)

    page.route("**/api/v1/tasks/*/progress", store_then_drop)
    page.context.set_offline(False)
    for _ in range(50):
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost
    page.reload()  # the page comes from the server; the report still waits on the phone
    page.wait_for_selector("#pending li")
    assert "đang chờ gửi" in page.locator("#pending").inner_text()
    page.unroute("**/api/v1/tasks/*/progress")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#pending", state="hidden")
    page.wait_for_function("() => document.getElementById('progress').innerText.includes('30 / 100 người dân (30\u00a0%)')")
    db.session.commit()
    assert db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id)) == 30  # sent twice, counted once
    update = db.session.scalar(sa.select(TaskUpdate).where(TaskUpdate.delta.is_not(None)))
    assert before - timedelta(seconds=1) <= update.at <= after and update.note == "Tổ dân phố 3"


def test_a_shift_about_to_start_says_when_it_starts(world, live_server, phone):
    """At 02:50 a shift starting at 02:56 is under "Hiện tại" (a check-in counts for it from an hour
    before), but it says it has not started: "… · bắt đầu lúc 02:56" (issue 19 §3)."""
    from coordination.duty import rota

    soon = (utcnow() + timedelta(minutes=6)).replace(second=0, microsecond=0)
    rota.assign(rota.add_shift(world.commune_team, soon, soon + timedelta(hours=4), 1), world.volunteer.person, "primary")
    running = utcnow() - timedelta(hours=1)
    rota.assign(rota.add_shift(world.commune_team, running, soon - timedelta(minutes=1), 1),
                world.volunteer.person, "primary")
    db.session.commit()
    _open(phone, live_server, "")
    items = phone.locator("#current li").all_text_contents()
    assert len(items) == 2
    assert sum(f"bắt đầu lúc {to_local(soon):%H:%M}" in text for text in items) == 1
    assert sum("bắt đầu lúc" in text for text in items) == 1  # the running shift says nothing of the kind


def test_my_shift_says_my_role_and_offers_a_call_to_whoever_else_is_on_it_and_the_lead(world, live_server, phone):
    """Issue 19 §3: /duty/ answers "am I primary, who is with me, whom do I call" on one screen, with
    thumb-sized (≥ 44 px) call buttons that open the dialler."""
    from coordination.duty import rota
    from coordination.org import teams
    from tests.factories import make_person

    backup = make_person(full_name="Người Dự Phòng", phone="0912000777")
    teams.add_member(world.commune_team, backup, "member")
    start = utcnow() - timedelta(minutes=30)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    _open(phone, live_server, "")
    item = phone.locator("#current li").first
    assert "Bạn: trực chính" in item.inner_text()
    calls = item.locator("a.call")
    hrefs = [calls.nth(i).get_attribute("href") for i in range(calls.count())]
    assert hrefs == ["tel:" + backup.phone, "tel:" + world.commune_lead.person.phone]
    assert "Người Dự Phòng (dự phòng)" in calls.nth(0).inner_text()
    assert all(calls.nth(i).bounding_box()["height"] >= 44 for i in range(calls.count()))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_open_shift_is_taken_with_one_tap_from_the_duty_page(world, live_server, phone):
    """Issue 19 §3: no more four taps through the team page — one thumb-sized button on /duty/."""
    from coordination.duty import rota
    from models import ShiftAssignment

    start = (utcnow() + timedelta(hours=5)).replace(microsecond=0)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=4), 1)
    db.session.commit()
    _open(phone, live_server, "")
    button = phone.locator("#open li button.take").first
    assert button.bounding_box()["height"] >= 44
    button.click()
    phone.wait_for_function("() => document.querySelectorAll('#upcoming li').length"
                            " && document.getElementById('upcoming').textContent.includes('Bạn: trực chính')")
    db.session.commit()
    assert db.session.scalars(sa.select(ShiftAssignment.person_id).where(
        ShiftAssignment.shift_id == shift.id)).all() == [world.volunteer.person_id]

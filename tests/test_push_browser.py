"""The duty app's notifications in Chromium (issue 20 §2).

Headless Chromium has no push service: PushManager.subscribe() rejects ("Registration failed"),
so the first test checks the page says so. The others replace only that browser call with the
local fake push service's subscription (dev/fake_push.py plays the browser's push service); the rest
is real: the button, the subscription API, the server's send through pywebpush (signed, encrypted,
decrypted by the fake), the push delivered into the real service worker through the DevTools
protocol (ServiceWorker.deliverPushMessage), the notification it shows with its actions, and the
"Nhận xử lý" action's acknowledgement, run by the service worker's own click handler."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.duty import alerts, rota
from coordination.messaging import push, push_devices
from coordination.org import teams
from models import Message, db
from tests.factories import browser_login, make_person
from tests.test_push import fake_push  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser
NOTIFICATIONS = "async () => (await (await navigator.serviceWorker.ready).getNotifications()).map(" \
                "(n) => ({title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.title)}))"
PUSH_TEXT = "document.getElementById('push-state').textContent"

# Chromium's PushManager without a push service, replaced by the fake push service's subscription.
STUB = """(() => {
  const fake = %s;
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.subscribedWith = btoa(String.fromCharCode(...key)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    current = { endpoint: fake.endpoint, toJSON: () => fake, unsubscribe: async () => { current = null; return true; } };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();"""


@pytest.fixture
def phone(world, live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  permissions=["notifications"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _notifications(page, ready, seconds: float = 10) -> list[dict]:
    """The service worker's notifications once `ready(notifications)` holds (or as they are after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        shown = page.evaluate(NOTIFICATIONS)
        if ready(shown) or time.monotonic() > deadline:
            return shown
        page.wait_for_timeout(100)


def _open_app(page, live_server):
    browser_login(page, live_server, "0987654321")
    page.wait_for_url(live_server + "/duty/")
    page.wait_for_function(f"() => {PUSH_TEXT}")


def test_without_a_push_service_the_button_says_alerts_still_come_by_sms(phone, live_server, fake_push):
    _open_app(phone, live_server)
    assert phone.locator("#push").inner_text() == "Bật thông báo"
    phone.click("#push")
    phone.wait_for_function(f"() => {PUSH_TEXT}.includes('SMS')")
    assert "không đăng ký được thông báo" in phone.evaluate(PUSH_TEXT)
    assert push_devices.device_count(1) == 0 and not db.session.scalar(sa.text("SELECT count(*) FROM push_subscriptions"))


def test_a_push_reaches_the_service_worker_and_its_action_acknowledges(world, phone, live_server, fake_push, ctx):
    ctx.config["PUBLIC_BASE_URL"] = live_server  # the links in the push name this server (the fixture restores it)
    volunteer = world.volunteer.person
    sub = fake_push.subscribe(fake_push.app_key)
    phone.context.add_init_script(STUB % json.dumps(sub))
    _open_app(phone, live_server)
    phone.click("#push")  # "Bật thông báo": permission, subscribe, and the subscription goes to the server
    phone.wait_for_function(f"() => {PUSH_TEXT}.includes('thông báo') && document.getElementById('push').textContent"
                            " === 'Tắt thông báo'")
    assert phone.evaluate("window.subscribedWith") == push.public_key()
    db.session.commit()
    assert [d.endpoint for d in push_devices.devices(volunteer.id)] == [sub["endpoint"]]

    # A no-show shift, the volunteer its backup: the escalation is pushed through the fake push service.
    primary = make_person(full_name="Người Vắng Mặt")
    teams.add_member(world.commune_team, primary, "member")
    start = utcnow() - timedelta(minutes=11)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 2)
    rota.assign(shift, primary, "primary")
    rota.assign(shift, volunteer, "backup")
    db.session.commit()
    alerts.tick(utcnow())
    message = db.session.scalar(sa.select(Message).where(Message.person_id == volunteer.id,
                                                         Message.purpose == "escalation"))
    assert push.send_push_message(message).status == "sent"
    [received] = fake_push.received  # decrypted by the push service with the device's key

    phone.evaluate("() => navigator.serviceWorker.ready.then(() => true)")  # active before the push comes
    cdp = phone.context.new_cdp_session(phone)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    phone.wait_for_timeout(300)
    [registration] = {r["registrationId"]: r for r in registrations
                      if r["scopeURL"] == live_server + "/duty/" and not r["isDeleted"]}.values()
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId": registration["registrationId"],
                                                  "data": received["payload"].decode()})
    [shown] = _notifications(phone, lambda ns: len(ns) == 1)
    assert shown["title"] == "Tổ Công nghệ cộng đồng" and shown["tag"] == f"shift-{shift.id}"
    assert shown["body"].startswith("[TCN] Người Vắng Mặt (") and "chưa vào ca trực" in shown["body"]
    assert shown["actions"] == ["Nhận xử lý", "Mở"]

    # "Nhận xử lý": the service worker's click handler POSTs the signed acknowledgement.
    [worker] = [w for w in phone.context.service_workers if w.url.endswith("/duty/sw.js")]
    done = worker.evaluate("async () => { const [n] = await self.registration.getNotifications();"
                           " return handleClick(n, 'ack'); }")
    assert done == "acknowledged"
    db.session.commit()
    assert db.session.get(Message, message.id).acknowledged_at is not None
    [after] = _notifications(phone, lambda ns: len(ns) == 1 and not ns[0]["actions"])  # the answer, in its place
    assert after["body"] == "Đã xác nhận. Cảm ơn bạn!" and after["actions"] == []
    assert alerts.tick(utcnow() + timedelta(minutes=10))["escalations"] == 0  # nobody else is alerted

    # "Tắt thông báo": unsubscribed on the phone and forgotten by the server.
    phone.click("#push")
    phone.wait_for_function("() => document.getElementById('push').textContent === 'Bật thông báo'")
    db.session.commit()
    assert push_devices.device_count(volunteer.id) == 0


# The service worker's side of a rotation: Chromium's PushManager cannot subscribe without a push
# service, so the worker's subscribe() hands out the fake service's new subscription; the event is a
# real one dispatched in the worker (its listener, its fetch, the server's renewal are not replaced).
ROTATE = """async ([old, fresh, key]) => {
  const raw = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - key.length %% 4) %% 4)),
                              (c) => c.charCodeAt(0));
  PushManager.prototype.subscribe = async function (options) {
    self.resubscribedWith = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    return { endpoint: fresh.endpoint, toJSON: () => fresh };
  };
  const event = new ExtendableEvent("pushsubscriptionchange");
  Object.defineProperty(event, "oldSubscription", { value: { endpoint: old.endpoint, options: {
    applicationServerKey: raw.buffer }, toJSON: () => old } });
  Object.defineProperty(event, "newSubscription", { value: null });
  self.dispatchEvent(event);
  return %s;
}"""


def test_a_rotated_subscription_is_renewed_by_the_service_worker_and_pushes_follow(world, phone, live_server,
                                                                                    fake_push):
    volunteer = world.volunteer.person
    old = fake_push.subscribe(fake_push.app_key)
    phone.context.add_init_script(STUB % json.dumps(old))
    _open_app(phone, live_server)
    phone.click("#push")
    phone.wait_for_function("() => document.getElementById('push').textContent === 'Tắt thông báo'")
    db.session.commit()
    assert [d.endpoint for d in push_devices.devices(volunteer.id)] == [old["endpoint"]]
    phone.context.clear_cookies()  # the worker needs no session: the old subscription is its credential

    fresh = fake_push.subscribe(fake_push.app_key)
    [worker] = [w for w in phone.context.service_workers if w.url.endswith("/duty/sw.js")]
    assert worker.evaluate(ROTATE % "caches.keys()", [old, fresh, fake_push.app_key]) == ["tcn-duty-v10"]
    deadline = time.monotonic() + 10
    while True:
        db.session.rollback()
        endpoints = [d.endpoint for d in push_devices.devices(volunteer.id)]
        if endpoints != [old["endpoint"]] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert endpoints == [fresh["endpoint"]]
    assert worker.evaluate("self.resubscribedWith") == push.public_key()  # the same VAPID key

    message = Message(person_id=volunteer.id, to_phone=volunteer.phone, body="[TCN] Họp Tổ lúc 19:00",
                      purpose="broadcast", status="queued", attempts=0, next_attempt_at=utcnow())
    db.session.add(message)
    db.session.commit()
    assert push.send_push_message(message).status == "sent"
    assert [r["device"] for r in fake_push.received] == [fresh["endpoint"].rsplit("/", 1)[1]]

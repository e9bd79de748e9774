"""The SMS sandbox of `make run`: the real twilio client sends to it, it reports delivery with signed
callbacks like Twilio, and its inbox page's acknowledgement link works in Chromium."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.duty import alerts, rota
from coordination.messaging import outbox
from coordination.org import teams
from coordination.clock import utcnow
from coordination.messaging.sms import gateway_from_config
from dev.sms_sandbox import FakeTwilio
from models import Message, db
from tests.factories import make_person


@pytest.mark.browser
def test_escalation_reaches_the_sandbox_inbox_is_delivered_and_acknowledged(world, live_server, browser, ctx):
    sandbox = FakeTwilio(deliver=True).start()
    saved = {k: ctx.config.get(k) for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM",
                                             "TWILIO_API_BASE", "PUBLIC_BASE_URL")}
    ctx.config.update(TWILIO_ACCOUNT_SID=sandbox.account_sid, TWILIO_AUTH_TOKEN=sandbox.auth_token,
                      TWILIO_FROM="+15005550006", TWILIO_API_BASE=sandbox.url, PUBLIC_BASE_URL=live_server)
    try:
        backup = make_person(full_name="Người Dự Phòng", phone="0912 000 111")
        teams.add_member(world.commune_team, backup, "member")
        now = utcnow()
        shift = rota.add_shift(world.commune_team, now - timedelta(minutes=11), now + timedelta(hours=2), 2)
        rota.assign(shift, world.volunteer.person, "primary")
        rota.assign(shift, backup, "backup")
        db.session.commit()
        counts = alerts.tick(now)
        # the primary's own nudge and the backup's alert; the primary's digest
        assert (counts["escalations"], counts["handoffs"]) == (2, 1)
        assert outbox.dispatch_due(lambda: gateway_from_config(ctx.config))["sent"] == 3
        message = db.session.scalar(sa.select(Message).where(Message.purpose == "escalation"))
        for _ in range(50):  # the sandbox posts "sent" then "delivered" to /sms/status, signed
            db.session.rollback()
            if db.session.get(Message, message.id).status == "delivered":
                break
            time.sleep(0.1)
        assert db.session.get(Message, message.id).status == "delivered"

        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(sandbox.url + "/")
        inbox = page.locator("section", has_text="+84912000111")
        assert "chưa vào ca trực" in inbox.inner_text()
        inbox.locator("a").first.click()
        page.wait_for_url(f"{live_server}/a/*")
        page.get_by_role("button", name="Tôi nhận xử lý").click()
        assert "Đã xác nhận" in page.locator("main").inner_text()
        page.close()
        db.session.rollback()
        assert db.session.get(Message, message.id).acknowledged_at is not None
        assert alerts.tick(now + timedelta(minutes=30))["escalations"] == 0
    finally:
        ctx.config.update(saved)
        sandbox.stop()


def test_another_process_can_change_the_faults_and_read_the_log():
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    from twilio.rest import Client

    fake = FakeTwilio().start()
    try:
        client = Client(fake.account_sid, fake.auth_token)
        client.api.base_url = fake.url
        sid = client.messages.create(to="+84912000111", from_="+15005550006", body="A").sid
        faults = urllib.parse.urlencode({"transient_rate": "1", "callback_mode": "chaos", "callback_seed": "5"})
        urllib.request.urlopen(fake.url + "/_faults", data=faults.encode()).read()
        with pytest.raises(Exception, match="503|Service unavailable"):
            client.messages.create(to="+84912000112", from_="+15005550006", body="B")
        log = json.load(urllib.request.urlopen(fake.url + "/_faults"))
        assert (log["callback_mode"], log["transient_rate"], log["requests"]) == ("chaos", 1.0, 2)
        assert log["sent"] == [[sid, "+84912000111"]] and log["callbacks"] == []
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(fake.url + "/_faults", data=b"callback_mode=sometimes")
    finally:
        fake.stop()

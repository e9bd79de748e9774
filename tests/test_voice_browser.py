"""The sandbox of `make run` rings: a no-show shift's backup gets a call on the sandbox page
(Chromium), and pressing 1 there acknowledges the escalation — through the real twilio client,
real HTTP to our TwiML and signed callbacks."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.duty import alerts, rota
from coordination.messaging import outbox
from coordination.messaging.sms import gateway_from_config
from coordination.org import teams
from dev.sms_sandbox import FakeTwilio
from models import Message, db
from tests.factories import make_person


def _until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.browser
def test_the_backup_answers_the_sandbox_call_and_presses_1(world, live_server, browser, ctx, tmp_path):
    sandbox = FakeTwilio(deliver=True).start()
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_API_BASE", "PUBLIC_BASE_URL",
            "ALERT_CALL_STEPS", "CONTACT_DEFAULT_CHAIN")
    saved = {k: ctx.config.get(k) for k in keys}
    ctx.config.update(TWILIO_ACCOUNT_SID=sandbox.account_sid, TWILIO_AUTH_TOKEN=sandbox.auth_token,
                      TWILIO_FROM="+15005550006", TWILIO_API_BASE=sandbox.url, PUBLIC_BASE_URL=live_server,
                      ALERT_CALL_STEPS=(1,), CONTACT_DEFAULT_CHAIN={"sms": 0, "voice": 0})  # every channel at once
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        backup = make_person(full_name="Người Dự Phòng", phone="0912 000 111")
        teams.add_member(world.commune_team, backup, "member")
        now = utcnow()
        shift = rota.add_shift(world.commune_team, now - timedelta(minutes=11), now + timedelta(hours=2), 2)
        rota.assign(shift, world.volunteer.person, "primary")
        rota.assign(shift, backup, "backup")
        db.session.commit()
        alerts.tick(now)
        outbox.dispatch_due(lambda: gateway_from_config(ctx.config))
        [call] = sandbox.voice.calls
        _until(lambda: call["gather"] is not None)  # rang, answered, our TwiML fetched over HTTP
        page = context.new_page()
        page.goto(sandbox.url + "/")
        section = page.locator("section.call")
        assert "Bấm phím 1 để nhận xử lý" in section.inner_text()
        button = section.get_by_role("button", name="Bấm 1")
        box = button.bounding_box()
        assert box["height"] >= 44
        page.screenshot(path=str(tmp_path / "sandbox-call.png"), full_page=True)
        button.click()
        page.wait_for_load_state()
        assert "completed" in page.locator("section.call .status").inner_text()
        assert "Đã ghi nhận: bạn nhận xử lý" in section.inner_text()
        db.session.expire_all()
        row = db.session.scalar(sa.select(Message).where(Message.channel == "voice"))
        assert row.acknowledged_at is not None and row.person_id == backup.id
        _until(lambda: db.session.scalar(sa.select(Message.status).where(Message.id == row.id)
                                         .execution_options(populate_existing=True)) == "delivered")
        assert alerts.taken_by(shift.id)[0] == backup.id
    finally:
        context.close()
        ctx.config.update(saved)
        sandbox.stop()

"""Issue 21 §2: health an operator can see — /metrics for Prometheus, /ops for people, request ids
and JSON logs."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from coordination import clock
from coordination.clock import utcnow
from coordination.core import heartbeat
from coordination.messaging.outbox import Outgoing, put
from coordination.ops.status import ops_status
from models import Message, db
from models.messages import BROADCAST, FAILED, UNDELIVERED



def _queue(n: int, urgent: bool, due_in: timedelta = timedelta(0)) -> None:
    now = utcnow()
    for i in range(n):
        put(Outgoing(None, f"+8498765{i:04d}", "thử", BROADCAST, urgent), now=now - timedelta(minutes=7),
            due=now + due_in - timedelta(minutes=7) if due_in else now - timedelta(minutes=7))
    db.session.commit()


def _sample(text: str, name: str, **labels) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_taps_requests_and_read_the_outbox(world, client, auth):
    auth.as_user(world.volunteer)
    tap = {"client_uuid": str(uuid.uuid4()), "kind": "in", "occurred_at": utcnow().isoformat(), "confirmed": True}
    before = client.get("/metrics").get_data(as_text=True)
    assert client.post("/api/v1/checkins", json={"items": [tap]}).get_json()["accepted"] == 1
    client.post("/api/v1/checkins", json={"items": [tap]})  # the phone sends it again: a duplicate
    _queue(3, urgent=True)
    _queue(2, urgent=False, due_in=timedelta(hours=2))
    text = client.get("/metrics").get_data(as_text=True)
    for result, more in (("accepted", 1), ("duplicate", 1)):
        assert (_sample(text, "tcn_checkins_total", result=result) or 0) - (
            _sample(before, "tcn_checkins_total", result=result) or 0) == more
    assert _sample(text, "tcn_outbox_messages", channel="sms", state="due", urgency="urgent") == 3
    assert _sample(text, "tcn_outbox_messages", channel="sms", state="later", urgency="normal") == 2
    assert _sample(text, "tcn_outbox_oldest_due_seconds", channel="sms", urgency="urgent") == pytest.approx(420, abs=2)
    assert _sample(text, "tcn_http_request_duration_seconds_count", route="/api/v1/checkins", method="POST",
                   status="200") >= 2


def test_metrics_want_the_token_or_this_machine(app, client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    try:
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert ok.status_code == 200 and "tcn_outbox_messages" in ok.get_data(as_text=True)
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_ops_names_a_silent_scheduler_a_stuck_outbox_and_the_failures_of_the_last_hour(ctx):
    now = utcnow()
    heartbeat.beat("scheduler", "duty-alerts", now=now - timedelta(minutes=3), force=True)
    heartbeat.beat("dispatcher", "sent=4", now=now - timedelta(seconds=5), force=True)
    _queue(1, urgent=True)
    for code, status, n in (("30003", UNDELIVERED, 3), ("21211", FAILED, 1)):
        for i in range(n):
            row = put(Outgoing(None, f"+8491234{code[-2:]}{i:02d}", "x", BROADCAST))
            row.status, row.error_code, row.error_message = status, code, f"Twilio {code}"
    old = put(Outgoing(None, "+84912340000", "x", BROADCAST))
    old.status, old.error_code = FAILED, "30008"
    db.session.flush()
    db.session.execute(sa.update(Message).where(Message.id == old.id).values(updated_at=now - timedelta(hours=2)))
    db.session.commit()
    status = ops_status(now)
    assert status.problems == ["scheduler_down", "outbox_stuck"]
    assert [(f.code, f.count) for f in status.failures] == [("30003", 3), ("21211", 1)]  # not the one 2 h ago
    heartbeat.beat("scheduler", "duty-alerts", now=now - timedelta(seconds=20), force=True)
    assert ops_status(now).problems == ["outbox_stuck"]


def test_the_ops_page_is_the_ministrys(world, client, auth):
    heartbeat.beat("scheduler", "duty-alerts", force=True)
    auth.as_user(world.ministry)
    page = client.get("/ops")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bộ lập lịch" in html and "đang chạy" in html
    assert "Không có bộ gửi tin nào" in html  # no dispatcher has reported
    for role in ("lead_a", "commune_lead", "volunteer"):
        auth.as_user(getattr(world, role))
        assert client.get("/ops").status_code == 404, role


def test_every_response_carries_a_request_id_and_a_failure_page_shows_it(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}",
                      "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    mine = client.get("/healthz", headers={"X-Request-Id": "nginx-req-1234abcd"})
    assert mine.headers["X-Request-Id"] == "nginx-req-1234abcd"
    made = client.get("/healthz", headers={"X-Request-Id": "<script>"}).headers["X-Request-Id"]
    assert made != "<script>" and len(made) == 16
    failed = client.get("/boom")
    assert failed.status_code == 500
    assert failed.headers["X-Request-Id"] in failed.get_data(as_text=True)
    assert "X-Request-Id" in client.get("/no-such-page").headers


def test_json_logs_one_line_per_request(tmp_path, caplog):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.db'}",
                      "LOG_FORMAT": "json"})
    with caplog.at_level(logging.INFO, logger="tcn.request"):
        answer = app.test_client().get("/healthz")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "tcn.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == answer.headers["X-Request-Id"] and line["route"] == "/healthz"
    assert line["status"] == 200 and line["duration_ms"] >= 0 and line["user_id"] is None

"""After PostgreSQL restarts, the processes carry on without a restart of their own: every pooled
connection is dead then, and a tap, a page, the scheduler's tick and the dispatcher must each get a
fresh one instead of failing. Simulated here by terminating every other backend of the test
database (what a restart does to them), so the shared server keeps running. PostgreSQL only."""
from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa
from flask import current_app

from coordination.duty import alerts
from coordination import jobs
from coordination.messaging import outbox, sms
from coordination.clock import utcnow
from models import CheckIn, Message, db
from tests.factories import HANOI, make_person


@pytest.fixture(autouse=True)
def _postgresql_only(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections: SQLite has no server to restart")


def _restart_seen_by_clients() -> int:
    """Every other connection to this database ends as in a restart ("terminating connection due
    to administrator command"); waits until they are gone. Returns how many were ended."""
    db.session.close()  # the test's own session, like every request's at its end, hands its connection back
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]


def _tap(kind: str) -> dict:
    # a check-out right after the check-in is a double tap unless the person confirmed it
    return {"client_uuid": str(uuid.uuid4()), "kind": kind, "occurred_at": utcnow().isoformat(), "confirmed": True}


def test_taps_and_pages_work_right_after_the_database_restarted(world, client):
    volunteer, lead = world.volunteer.get_id(), world.lead_a.get_id()

    def as_user(user_id: str) -> None:
        with client.session_transaction() as session:
            session["_user_id"] = user_id

    as_user(volunteer)
    assert client.post("/api/v1/checkins", json={"items": [_tap("in")]}).get_json()["accepted"] == 1
    as_user(lead)
    assert client.get(f"/provinces/{HANOI}").status_code == 200
    assert _restart_seen_by_clients() >= 2  # the tap's connection and the pages' connection
    as_user(volunteer)
    response = client.post("/api/v1/checkins", json={"items": [_tap("out")]})
    assert response.status_code == 200 and response.get_json()["accepted"] == 1
    as_user(lead)
    assert client.get(f"/provinces/{HANOI}").status_code == 200
    assert client.get("/healthz").get_json()["database"] == "ok"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 2


def test_the_dispatcher_and_the_scheduler_go_on_after_the_database_restarted(ctx, twilio):
    person = make_person(phone="+84912000001")
    outbox.enqueue(person, "Trước khi khởi động lại", "reminder")
    db.session.commit()
    assert outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config))["sent"] == 1
    outbox.enqueue(person, "Sau khi khởi động lại", "reminder")
    db.session.commit()
    _restart_seen_by_clients()
    assert outbox.dispatch_due(lambda: sms.gateway_from_config(current_app.config))["sent"] == 1
    assert [m["body"] for m in twilio.sent] == ["Trước khi khởi động lại", "Sau khi khởi động lại"]
    _restart_seen_by_clients()
    assert isinstance(alerts.Ticker()(), dict)  # the scheduler's job runs, no OperationalError


def test_the_dispatcher_waits_out_a_database_that_is_down(ctx, twilio):
    """While PostgreSQL is restarting, connecting is refused: the loop logs it and polls again
    instead of ending the process; once the database answers it sends what is due."""
    person = make_person(phone="+84912000002")
    outbox.enqueue(person, "Khẩn", "escalation", urgent=True)
    db.session.commit()
    down = dict(current_app.config, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://tcn:tcn@127.0.0.1:1/none")
    from app import create_app

    unreachable = create_app(dict(down, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}}))
    assert jobs.dispatch_forever(unreachable, interval=0.01, polls=3) == 3  # logged, waited, not raised
    assert jobs.dispatch_forever(current_app._get_current_object(), interval=0.01, polls=1) == 0
    assert db.session.scalar(sa.select(Message.status)) == "sent" and len(twilio.sent) == 1
    assert utcnow() - timedelta(minutes=1) < db.session.scalar(sa.select(Message.sent_at))

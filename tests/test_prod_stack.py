"""Issue 21 §1: `make prod`'s stack (tools/prod.py) from this checkout on a fresh PostgreSQL database:
it refuses to start without what production needs; started, a volunteer taps a check-in, a lead's
urgent message reaches the fake Twilio server through a supervised dispatcher, a killed dispatcher
comes back, and SIGTERM stops every process."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coordination.ops.settings import production_problems
from dev.demo import DEMO_PASSWORD
from dev.sms_sandbox import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
SECRET = "prod-stack-test-" + "x" * 40


def test_production_refuses_to_start_naming_each_missing_setting():
    problems = production_problems({"SECRET_KEY": "dev-only-change-me", "DATABASE_URL": "sqlite:///x.db",
                                    "PUBLIC_BASE_URL": "http://tcn.example.vn"})
    assert [p.split(" ")[0] for p in problems] == ["SECRET_KEY", "PUBLIC_BASE_URL", "DATABASE_URL"]
    assert "https://" in problems[1] and "PostgreSQL" in problems[2]
    assert production_problems({"SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "https://tcn.example.vn",
                                "DATABASE_URL": "postgresql://u:p@db/tcn"}) == []
    done = subprocess.run([sys.executable, "tools/prod.py"], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"]}, timeout=60)
    assert done.returncode == 2
    for name in ("SECRET_KEY", "PUBLIC_BASE_URL", "DATABASE_URL"):
        assert f"- {name} is not set" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _login(base: str, identifier: str) -> requests.Session:
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login").text).group(1)
    answer = s.post(f"{base}/login", data={"csrf_token": token, "identifier": identifier, "password": DEMO_PASSWORD},
                    allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return s


def _csrf(session: requests.Session, base: str) -> str:
    return session.get(f"{base}/api/v1/duty/me").json()["csrf_token"]  # as the duty app gets it


@pytest.fixture
def fresh_postgres():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or "postgresql" not in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(","):
        pytest.skip("the production stack runs on PostgreSQL only (TEST_DATABASE_URL)")
    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_prod_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pid(ctl: Path, name: str) -> int:
    out = subprocess.run([str(ctl), "pid", name], capture_output=True, text=True, timeout=20).stdout.strip()
    return int(out) if out.isdigit() else 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_the_stack_serves_sends_restarts_a_dead_dispatcher_and_stops_together(fresh_postgres, tmp_path):
    fake = FakeTwilio().start()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=fresh_postgres, SECRET_KEY=SECRET, PUBLIC_BASE_URL=base,
               PROD_BIND=f"127.0.0.1:{port}", WEB_WORKERS="2", DISPATCHERS="2", PROD_INSTANCE_DIR=str(tmp_path),
               TWILIO_ACCOUNT_SID=fake.account_sid, TWILIO_AUTH_TOKEN=fake.auth_token, TWILIO_FROM="+15005550006",
               TWILIO_API_BASE=fake.url, TASK_PHOTO_DIR=str(tmp_path / "uploads"), LOG_FORMAT="json")
    env.pop("TEST_DATABASE_URL", None)
    log = open(tmp_path / "stack.log", "w")
    stack = subprocess.Popen([sys.executable, "tools/prod.py"], cwd=ROOT, env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    ctl = tmp_path / "supervisorctl"
    names = ["web", "scheduler", "dispatcher:dispatcher-0", "dispatcher:dispatcher-1"]
    pids: list[int] = []
    try:
        _wait(lambda: requests.get(f"{base}/readyz", timeout=10).status_code == 200, 120, "/readyz")
        pids = [_wait(lambda n=n: _pid(ctl, n), 30, n) for n in names]
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "app", "demo", "load"], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)

        volunteer = _login(base, "0987 654 321")
        tap = {"client_uuid": str(uuid.uuid4()), "kind": "in", "confirmed": True,
               "occurred_at": datetime.now(timezone.utc).isoformat()}
        answer = volunteer.post(f"{base}/api/v1/checkins", json={"items": [tap]},
                                headers={"X-CSRFToken": _csrf(volunteer, base)})
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text

        lead = _login(base, "hanoi@tocongnghe.vn")
        page = lead.get(f"{base}/provinces/01/broadcast").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = "Khẩn: kiểm tra hệ thống sản xuất " + uuid.uuid4().hex[:6]
        sent = lead.post(f"{base}/provinces/01/broadcast", data={"csrf_token": token, "audience": "province",
                                                                 "body": body, "urgent": "y", "action": "send"})
        assert sent.status_code == 200, sent.text[:500]
        _wait(lambda: any(m["body"] == body for m in fake.sent), 60, "the message at the fake Twilio")

        # /metrics adds up every process (multiprocess mode): the tap counted by whichever web worker
        # took it, claims by the dispatchers, job runs by the scheduler.
        def scraped():
            text = requests.get(f"{base}/metrics", timeout=10).text
            return text if ('tcn_checkins_total{result="accepted"} 1.0' in text
                            and 'tcn_scheduler_job_last_run_timestamp_seconds{job="duty-alerts"}' in text
                            and re.search(r"^tcn_dispatcher_claimed_total [1-9]", text, re.M)) else None
        _wait(scraped, 60, "the stack's metrics")
        ops = _login(base, "bo@tocongnghe.vn").get(f"{base}/ops").text
        assert ops.count('<span class="badge ok">đang chạy</span>') == 3 and "Cần xử lý" not in ops  # the scheduler and both dispatchers

        # A dispatcher killed outright comes back under a new pid; the others keep theirs.
        os.kill(pids[2], signal.SIGKILL)
        new = _wait(lambda: (p := _pid(ctl, names[2])) not in (0, pids[2]) and p, 30, "the dispatcher's restart")
        assert _alive(new) and _pid(ctl, "web") == pids[0]
        pids.append(new)
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(60)
        finally:
            if stack.poll() is None:
                stack.kill()
            log.close()
            fake.stop()
    assert stack.returncode == 0, (tmp_path / "stack.log").read_text()[-3000:]
    assert [p for p in pids if _alive(p)] == []
    logged = [json.loads(line) for line in (tmp_path / "stack.log").read_text().splitlines() if line.startswith('{"request_id"')]
    assert any(line["route"] == "/api/v1/checkins" and line["user_id"] for line in logged)

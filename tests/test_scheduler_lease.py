"""Issue 21 §4: two `scheduler run` processes on one PostgreSQL database. Only the holder of the
lease (coordination/core/lease.py) runs the jobs; killed with SIGKILL, the standby takes over
within the lease, and no reminder or escalation is queued twice."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coordination.clock import utcnow
from coordination.core.lease import KEY, LEASE_SECONDS, Lease
from coordination.duty import rota
from coordination.org import teams
from models import Message, db
from models.ops import Heartbeat
from tests.factories import build_world, make_person

ROOT = Path(__file__).resolve().parent.parent


def test_on_sqlite_the_one_scheduler_always_holds_the_lease():
    lease = Lease(make_url("sqlite://"))
    assert lease.renew() and lease.held


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each poll
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _beat(kind: str, pid: int):
    return db.session.scalar(sa.select(Heartbeat).where(Heartbeat.kind == kind,
                                                        Heartbeat.instance.like(f"%:{pid}")))


def _lock_holders() -> int:
    return db.session.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                     "AND objid = :key"), {"key": KEY})


def test_the_standby_takes_over_a_killed_scheduler_and_queues_nothing_twice(ctx, database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the lease is a PostgreSQL advisory lock; SQLite runs one scheduler")
    world = build_world()
    team = world.commune_team
    people = [make_person(full_name=f"Trực Thử {n}") for n in range(6)]  # no one on two overlapping shifts
    for person in people:
        teams.add_member(team, person, "member")
    absent, backup = people[:2]
    now = utcnow()
    no_show = rota.add_shift(team, now - timedelta(minutes=12), now + timedelta(hours=3), 2)  # escalation due
    rota.assign(no_show, absent, "primary")
    rota.assign(no_show, backup, "backup")
    soon = rota.add_shift(team, now + timedelta(minutes=30), now + timedelta(hours=4), 2)  # the 60-min reminder due
    rota.assign(soon, people[2], "primary")
    rota.assign(soon, people[3], "backup")
    db.session.commit()

    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=database_url, SECRET_KEY="lease-test-" + "x" * 40)
    procs = []

    def start(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")
        procs.append(subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "app", "scheduler", "run"],
                                      cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        return procs[-1]

    try:
        first = start("first")
        _wait(lambda: _lock_holders() == 1, 30, "the first scheduler to take the lease")
        second = start("second")
        _wait(lambda: _beat("scheduler", first.pid), 40, "the first scheduler's first run")
        _wait(lambda: _beat("scheduler-standby", second.pid), 40, "the second scheduler to stand by")
        assert _beat("scheduler", second.pid) is None  # it ran no job
        assert _lock_holders() == 1
        queued = db.session.scalars(sa.select(Message.dedupe_key).where(Message.dedupe_key.isnot(None))).all()
        assert any(k.startswith("escalation/") for k in queued) and any(k.startswith("reminder/") for k in queued)

        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = utcnow()
        later = rota.add_shift(team, now + timedelta(minutes=40), now + timedelta(hours=5), 2)  # only the standby can
        rota.assign(later, people[4], "primary")
        rota.assign(later, people[5], "backup")
        db.session.commit()
        beat = _wait(lambda: (b := _beat("scheduler", second.pid)) and b.last_seen >= killed and b, LEASE_SECONDS,
                     "the standby to run the jobs")
        takeover = (beat.last_seen - killed).total_seconds()
        print(f"standby ran its first job {takeover:.1f} s after the active scheduler was killed")
        assert takeover < LEASE_SECONDS
        _wait(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.shift_id == later.id, Message.purpose == "reminder")), 20, "the later shift's reminders")
        time.sleep(2)  # the standby's catch-up run has scanned everything by now

        keys = db.session.scalars(sa.select(Message.dedupe_key).where(Message.dedupe_key.isnot(None))).all()
        assert len(keys) == len(set(keys))
        assert set(queued) <= set(keys)
        per_shift = dict(db.session.execute(sa.select(Message.shift_id, sa.func.count()).where(
            Message.purpose == "reminder").group_by(Message.shift_id)).all())
        assert per_shift[soon.id] == per_shift[later.id] == 2  # primary and backup, once each
        by_person = db.session.execute(sa.select(Message.person_id, Message.purpose, Message.shift_id,
                                                 sa.func.count()).group_by(Message.person_id, Message.purpose,
                                                                           Message.shift_id)).all()
        assert all(n == 1 for *_key, n in by_person if _key[1] == "reminder"), by_person
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

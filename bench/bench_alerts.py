"""Alerting figures on national data (after seed_national.py):
- queue a broadcast to ~100,000 recipients;
- an escalation/reminder tick with 20,000 shifts a day;
- dispatch through the official twilio client against the fake Twilio server with 4 dispatchers.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_alerts.py"""
from __future__ import annotations

import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench import cpu  # noqa: E402
from coordination.clock import utcnow  # noqa: E402
from coordination.duty import alerts, rota  # noqa: E402
from coordination.messaging import broadcasts, outbox, sms  # noqa: E402
from coordination.org.people import PersonInput, create_person  # noqa: E402
from coordination.org.teams import add_member  # noqa: E402
from dev.sms_sandbox import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402
from models import Membership, Message, Person, ShiftAssignment, Team, db  # noqa: E402


def _seed_shifts(app) -> int:
    """~20,000 shifts today: six 4-hour shifts per commune team, staggered, primary + backup."""
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM messages; DELETE FROM broadcasts; DELETE FROM shift_assignments; "
                                   "DELETE FROM shifts"))
        db.session.execute(sa.text("""
            INSERT INTO shifts (team_id, province_code, starts_at, ends_at, required, created_at)
            SELECT t.id, t.province_code,
                   date_trunc('hour', now()) - interval '12 hours' + (j * 4 + t.id % 4) * interval '1 hour'
                     + (t.id % 3) * interval '10 minutes',
                   date_trunc('hour', now()) - interval '8 hours' + (j * 4 + t.id % 4) * interval '1 hour'
                     + (t.id % 3) * interval '10 minutes', 2, now()
            FROM teams t CROSS JOIN generate_series(0, 5) AS j WHERE t.level = 'commune'"""))
        db.session.execute(sa.text("""
            INSERT INTO shift_assignments (shift_id, person_id, role, created_at)
            SELECT s.id, m.person_id, CASE WHEN m.r = 1 THEN 'primary' ELSE 'backup' END, now()
            FROM shifts s JOIN (SELECT team_id, person_id, row_number() OVER (PARTITION BY team_id ORDER BY person_id) AS r
                                FROM memberships WHERE role = 'member' AND end_date IS NULL) m
              ON m.team_id = s.team_id AND m.r <= 2"""))
        db.session.commit()
        db.session.execute(sa.text("ANALYZE shifts; ANALYZE shift_assignments"))
        db.session.commit()
        return db.session.scalar(sa.text("SELECT count(*) FROM shifts"))


def _ticks(app) -> dict:
    with app.app_context():
        ticker = alerts.Ticker()  # as in the scheduler process
        t = time.perf_counter()
        first = ticker()  # the first run after a start scans everything
        first_ms = (time.perf_counter() - t) * 1000
        samples = []
        for _ in range(5):
            ticker.last = utcnow() - timedelta(seconds=15)  # the previous run, one interval ago
            t = time.perf_counter()
            ticker()
            samples.append((time.perf_counter() - t) * 1000)
        full = []
        for _ in range(3):  # a full scan in steady state, for comparison
            t = time.perf_counter()
            alerts.tick()
            full.append((time.perf_counter() - t) * 1000)
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    return {"first_ms": first_ms, "first": first, "steady_ms": statistics.median(samples), "queued": queued,
            "full_scan_ms": statistics.median(full)}


def _broadcast(app) -> dict:
    with app.app_context():
        team_ids = db.session.scalars(sa.select(Team.id).where(Team.level == "commune").order_by(Team.id)
                                      .limit(667)).all()
        t = time.perf_counter()
        sent = broadcasts.send(None, None, "communes", team_ids, "Khẩn: diễn tập ứng phó, tập trung lúc 14:00.",
                               urgent=True)
        db.session.commit()
        return {"recipients": sent.recipients, "seconds": time.perf_counter() - t}


def _dispatch_process(database_url: str, api_base: str, totals, done, may_exit) -> None:
    """One dispatcher process: a fresh app, sending until nothing is due. Adds to `totals`: wall and
    CPU seconds inside dispatch_due, and inside the twilio client's call. Then it says `done` and
    keeps its database connections until `may_exit`, so their CPU time can still be read."""
    os.environ["DATABASE_URL"] = database_url

    app = create_app({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": api_base})
    mine = [0.0, 0.0, 0.0, 0.0]  # loop wall, loop CPU, client wall, client CPU

    class Timed:
        def __init__(self):
            self.inner = sms.gateway_from_config(app.config)

        def send(self, to, body, message_id=None):
            t, c = time.perf_counter(), time.process_time()
            try:
                return self.inner.send(to, body, message_id)
            finally:
                mine[2] += time.perf_counter() - t
                mine[3] += time.process_time() - c

    with app.app_context():
        while True:
            t, c = time.perf_counter(), time.process_time()
            n = outbox.dispatch_due(Timed, limit=50)["sent"]  # `dispatcher run`'s default batch
            mine[0] += time.perf_counter() - t
            mine[1] += time.process_time() - c
            if not n:
                break
    with totals.get_lock():
        for i, v in enumerate(mine):
            totals[i] += v
    done.release()
    may_exit.wait()


def _dispatch(app, messages: int = 2000, dispatchers: int = 4) -> dict:
    """Separate processes, as in production: a fake Twilio server and 4 dispatchers."""
    with app.app_context():  # exactly `messages` queued rows (from the tick and the broadcast), the rest aside
        db.session.execute(sa.update(Message).where(Message.status == "queued").values(status="not_sent"))
        pick = (sa.select(Message.id).where(Message.status == "not_sent", Message.provider_sid.is_(None))
                .order_by(Message.id).limit(messages))
        db.session.execute(sa.update(Message).where(Message.id.in_(pick)).values(status="queued", attempts=0))
        db.session.commit()
        with db.engine.connect() as conn:  # the set-up above rewrote ~100k rows: measure on a clean table
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE messages")
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.status == "queued"))
        sent_before = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.status == "sent"))
    root = Path(__file__).resolve().parent.parent
    fake = subprocess.Popen([sys.executable, "-m", "dev.sms_sandbox", "8199"], cwd=root, stdout=subprocess.PIPE)
    fake.stdout.readline()
    ctx = mp.get_context("fork")
    totals, done, may_exit = ctx.Array("d", 4), ctx.Semaphore(0), ctx.Event()  # see _dispatch_process
    try:
        before, t = cpu.snapshot(), time.perf_counter()
        procs = [ctx.Process(target=_dispatch_process, args=(
            os.environ["DATABASE_URL"], "http://127.0.0.1:8199", totals, done, may_exit)) for _ in range(dispatchers)]
        for p in procs:
            p.start()
        for _ in procs:
            done.acquire()
        wall = time.perf_counter() - t
        database_cpu = cpu.spent(before, cpu.snapshot()).get("postgres", 0.0)
        may_exit.set()
        for p in procs:
            p.join()
    finally:
        fake.terminate()
        fake.wait()
    with app.app_context():
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.status == "sent")) - sent_before
        twice = db.session.scalar(sa.text("SELECT count(*) FROM (SELECT provider_sid FROM messages WHERE "
                                          "provider_sid IS NOT NULL GROUP BY provider_sid HAVING count(*) > 1) d"))
    per = 1000 / max(sent, 1)
    loop_wall, loop_cpu, client_wall, client_cpu = totals[:]
    # Our overhead, per message, two ways. Wall: time inside dispatch_due that is not the twilio
    # client's request (with 4 processes on 2 cores, waiting for a core counts too). CPU: what our
    # code and PostgreSQL actually spent: the dispatchers' CPU outside the client, plus the database's.
    return {"queued": queued, "sent": sent, "twice": twice, "per_s": sent / wall,
            "overhead_ms": (loop_wall - client_wall) * per, "send_ms": client_wall * per,
            "cpu_ms": (loop_cpu - client_cpu) * per, "database_cpu_ms": database_cpu * per}


def run(app, log=print) -> dict:
    shifts = _seed_shifts(app)
    r = _ticks(app)
    log(f"  {shifts:,} shifts today: first tick {r['first_ms']:.0f} ms ({r['first']}), "
        f"then {r['steady_ms']:.0f} ms a tick (median of 5; a full scan in steady state: {r['full_scan_ms']:.0f} ms)")
    b = _broadcast(app)
    log(f"  broadcast to {b['recipients']:,} recipients queued in {b['seconds']:.2f} s")
    out = {"tick": r, "broadcast": b}
    for n in (1, 4):
        out[f"dispatch_{n}"] = d = _dispatch(app, 1000 * n, n)
        log(f"  dispatch, {n} dispatcher process(es), fake Twilio process: {d['sent']:,} of {d['queued']:,} sent "
            f"(sent twice: {d['twice']}), {d['per_s']:.0f} msg/s; our overhead per message: "
            f"{d['overhead_ms']:.1f} ms wall, {d['cpu_ms'] + d['database_cpu_ms']:.2f} ms CPU "
            f"({d['cpu_ms']:.2f} dispatcher + {d['database_cpu_ms']:.2f} PostgreSQL), "
            f"beside {d['send_ms']:.1f} ms in the twilio client + fake server")
    out["due_to_request_s"] = lat = due_to_request(app)
    log("  due time -> SMS request at the fake Twilio, real scheduler + dispatcher processes: "
        + ", ".join(f"{x:.1f} s" for x in lat) + " (bound: 15 s tick + 2 s poll + the send)")
    return out


def main() -> None:
    run(create_app())


if __name__ == "__main__":
    main()


def due_to_request(app, samples: int = 3, channel: str = "sms", port: int = 8197) -> list[float]:
    """Seconds from an escalation's due time to the SMS request (or, with channel="voice" and
    ALERT_CALL_STEPS=1, the call request: the sandbox page's "☎ <phone>") reaching the (fake)
    Twilio server, with the real processes: `scheduler run` (15 s ticks), `dispatcher run` (2 s
    polls), the sandbox."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_FROM="+15005550006",
               TWILIO_API_BASE=f"http://127.0.0.1:{port}")
    if channel == "voice":
        env["ALERT_CALL_STEPS"] = "1"
    sandbox = subprocess.Popen([sys.executable, "-m", "dev.sms_sandbox", str(port)], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sandbox.stdout.readline()
    flask = [str(root / ".venv/bin/flask"), "--app", "app"]
    procs = [subprocess.Popen(flask + [cmd, "run"], cwd=root, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for cmd in ("scheduler", "dispatcher")]
    out = []
    try:
        with app.app_context():
            team = db.session.scalar(sa.select(Team).where(Team.level == "commune").order_by(Team.id.desc()))
            people = []
            for n in range(2 * samples):  # people with no other shift, made once
                phone = f"+8490{n:07d}"
                person = db.session.scalar(sa.select(Person).where(Person.phone == phone))
                if person is None:
                    person = create_person(PersonInput(full_name=f"Bench Trực {n}", phone=phone))
                if not db.session.scalar(sa.select(Membership.id).where(
                        Membership.team_id == team.id, Membership.person_id == person.id, Membership.end_date.is_(None))):
                    add_member(team, person, "member")
                people.append(person)
            db.session.execute(sa.delete(ShiftAssignment).where(ShiftAssignment.person_id.in_([p.id for p in people])))
            for i in range(samples):
                due = utcnow() + timedelta(seconds=7 + 5 * i)  # primary absent: the backup's SMS is due then
                start = due - timedelta(minutes=10)
                shift = rota.add_shift(team, start, start + timedelta(hours=1), 2)
                rota.assign(shift, people[2 * i], "primary")
                rota.assign(shift, people[2 * i + 1], "backup")
                db.session.commit()
                phone = people[2 * i + 1].phone
                while True:
                    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
                    if re.search(("☎ " if channel == "voice" else "") + re.escape(phone), page):
                        out.append((utcnow() - due).total_seconds())
                        break
                    if (utcnow() - due).total_seconds() > 60:
                        out.append(float("inf"))
                        break
                    time.sleep(0.1)
    finally:
        for p in procs + [sandbox]:
            p.terminate()
            p.wait()
    return out

"""Alerting figures on national data (after seed_national.py):
- queue a broadcast to ~100,000 recipients;
- an escalation/reminder tick with 20,000 shifts a day;
- dispatch through the official twilio client against the fake Twilio server with 4 dispatchers.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_alerts.py"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402


def _seed_shifts(app) -> int:
    """~20,000 shifts today: six 4-hour shifts per commune team, staggered, primary + backup."""
    from models import db

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
    from coordination import alerts
    from models import Message, db

    with app.app_context():
        t = time.perf_counter()
        first = alerts.tick()
        first_ms = (time.perf_counter() - t) * 1000
        samples = []
        for _ in range(5):
            t = time.perf_counter()
            alerts.tick()
            samples.append((time.perf_counter() - t) * 1000)
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    return {"first_ms": first_ms, "first": first, "steady_ms": statistics.median(samples), "queued": queued}


def _broadcast(app) -> dict:
    from coordination import broadcasts
    from models import Team, db

    with app.app_context():
        team_ids = db.session.scalars(sa.select(Team.id).where(Team.level == "commune").order_by(Team.id)
                                      .limit(667)).all()
        t = time.perf_counter()
        sent = broadcasts.send(None, None, "communes", team_ids, "Khẩn: diễn tập ứng phó, tập trung lúc 14:00.",
                               urgent=True)
        db.session.commit()
        return {"recipients": sent.recipients, "seconds": time.perf_counter() - t}


def _dispatch_process(database_url: str, api_base: str, counter) -> None:
    """One dispatcher process: a fresh app, sending until nothing is due."""
    import os
    import time as _time

    os.environ["DATABASE_URL"] = database_url
    from app import create_app
    from coordination import outbox, sms
    from coordination.sms_sandbox import ACCOUNT_SID, AUTH_TOKEN

    app = create_app({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": api_base})
    spent = 0.0

    class Timed:
        def __init__(self):
            self.inner = sms.gateway_from_config(app.config)

        def send(self, to, body):
            nonlocal spent
            t = _time.perf_counter()
            try:
                return self.inner.send(to, body)
            finally:
                spent += _time.perf_counter() - t

    with app.app_context():
        sent = 0
        while True:
            n = outbox.dispatch_due(Timed, limit=25)["sent"]
            if not n:
                break
            sent += n
    with counter.get_lock():
        counter.value += spent


def _dispatch(app, messages: int = 2000, dispatchers: int = 4) -> dict:
    """Separate processes, as in production: a fake Twilio server and 4 dispatchers."""
    import multiprocessing as mp
    import os
    import subprocess

    from models import Message, db

    with app.app_context():  # keep `messages` queued rows, set the rest aside
        keep = sa.select(Message.id).where(Message.status == "queued").order_by(Message.id).limit(messages)
        db.session.execute(sa.update(Message).where(Message.status == "queued", Message.id.not_in(keep))
                           .values(status="not_sent"))
        db.session.commit()
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.status == "queued"))
    root = Path(__file__).resolve().parent.parent
    fake = subprocess.Popen([sys.executable, "-m", "coordination.sms_sandbox", "8199"], cwd=root, stdout=subprocess.PIPE)
    fake.stdout.readline()
    spent = mp.get_context("fork").Value("d", 0.0)
    try:
        t = time.perf_counter()
        procs = [mp.get_context("fork").Process(target=_dispatch_process, args=(
            os.environ["DATABASE_URL"], "http://127.0.0.1:8199", spent)) for _ in range(dispatchers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        wall = time.perf_counter() - t
    finally:
        fake.terminate()
        fake.wait()
    with app.app_context():
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.status == "sent"))
        twice = db.session.scalar(sa.text("SELECT count(*) FROM (SELECT provider_sid FROM messages WHERE "
                                          "provider_sid IS NOT NULL GROUP BY provider_sid HAVING count(*) > 1) d"))
    per_message = wall * dispatchers / max(sent, 1)
    return {"queued": queued, "sent": sent, "twice": twice, "per_s": sent / wall,
            "overhead_ms": (per_message - spent.value / max(sent, 1)) * 1000,
            "send_ms": spent.value / max(sent, 1) * 1000}


def run(app, log=print) -> dict:
    shifts = _seed_shifts(app)
    r = _ticks(app)
    log(f"  {shifts:,} shifts today: first tick {r['first_ms']:.0f} ms ({r['first']}), "
        f"then {r['steady_ms']:.0f} ms a tick (median of 5)")
    b = _broadcast(app)
    log(f"  broadcast to {b['recipients']:,} recipients queued in {b['seconds']:.2f} s")
    d = _dispatch(app)
    log(f"  dispatch, 4 dispatcher processes, fake Twilio process: {d['sent']:,} of {d['queued']:,} sent "
        f"(sent twice: {d['twice']}), "
        f"{d['per_s']:.0f} msg/s; our overhead {d['overhead_ms']:.1f} ms/message beside {d['send_ms']:.1f} ms in the "
        f"twilio client + fake server")
    return {"tick": r, "broadcast": b, "dispatch": d}


def main() -> None:
    from app import create_app

    run(create_app())


if __name__ == "__main__":
    main()

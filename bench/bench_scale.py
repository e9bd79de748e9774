"""How the outbox's throughput grows with dispatchers (docs/scaling.md): 1, 2 and 4 dispatcher
processes (`outbox.dispatch_due`, 50 rows a claim, FOR UPDATE SKIP LOCKED on PostgreSQL) against
the fake Twilio server as its own process, twice:
- `--latency-ms 0`: the fake answers at once, so the figure is what this machine's 2 cores can do
  (dispatchers, the fake server and PostgreSQL share them);
- `--latency-ms 150`: each Messages request waits 150 ms before its answer (an assumed round trip
  to Twilio's API from Vietnam), so a dispatcher mostly waits on the network — the case more dispatchers help.
The sizes run interleaved (1 2 4, then 4 2 1, …) so that the machine's other load falls on all of
them; the report gives each run and the medians, and checks that no message was sent twice.

    DATABASE_URL=postgresql://…/tocongnghe_bench .venv/bin/python bench/bench_scale.py [--rounds 2]"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench import bench_alerts  # noqa: E402
from models import Message, db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PORT = 8189


def _available(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.provider_sid.is_(None), Message.status.in_(("queued", "not_sent"))))


def _queue(app, messages: int) -> None:
    """Exactly `messages` rows due now, never sent before; the other unsent rows set aside."""
    with app.app_context():
        db.session.execute(sa.update(Message).where(Message.status == "queued").values(status="not_sent"))
        pick = (sa.select(Message.id).where(Message.status == "not_sent", Message.provider_sid.is_(None))
                .order_by(Message.id).limit(messages))
        db.session.execute(sa.update(Message).where(Message.id.in_(pick)).values(
            status="queued", attempts=0))
        db.session.commit()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE messages")


def run_once(app, dispatchers: int, messages: int) -> dict:
    _queue(app, messages)
    with app.app_context():
        sent_before = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(Message.status == "sent"))
    ctx = mp.get_context("fork")
    totals, done, may_exit = ctx.Array("d", 4), ctx.Semaphore(0), ctx.Event()
    t = time.perf_counter()
    procs = [ctx.Process(target=bench_alerts._dispatch_process, args=(
        os.environ["DATABASE_URL"], f"http://127.0.0.1:{PORT}", totals, done, may_exit)) for _ in range(dispatchers)]
    for p in procs:
        p.start()
    for _ in procs:
        done.acquire()
    wall = time.perf_counter() - t  # includes each process's start (a fresh app): ~0.3 s
    may_exit.set()
    for p in procs:
        p.join()
    with app.app_context():
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.status == "sent")) - sent_before
        twice = db.session.scalar(sa.text("SELECT count(*) FROM (SELECT provider_sid FROM messages WHERE "
                                          "provider_sid IS NOT NULL GROUP BY provider_sid HAVING count(*) > 1) d"))
    return {"sent": sent, "per_s": sent / wall, "twice": twice, "seconds": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latencies", default="0,150", help="fake Twilio's answer delays to try, ms")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        sys.exit("set DATABASE_URL to the PostgreSQL database seeded by bench/seed_national.py")
    app = create_app({"TWILIO_ACCOUNT_SID": bench_alerts.ACCOUNT_SID, "TWILIO_AUTH_TOKEN": bench_alerts.AUTH_TOKEN,
                      "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": f"http://127.0.0.1:{PORT}"})
    if _available(app) < 20_000:  # a broadcast to ~100,000 people gives rows for many runs
        print("queueing a broadcast to have unsent rows …", flush=True)
        bench_alerts._seed_shifts(app)
        bench_alerts._broadcast(app)
    sizes = (1, 2, 4)
    for latency in (int(x) for x in args.latencies.split(",")):
        messages = 1200 if latency == 0 else max(120, 30_000 // latency)  # ~30 s for one dispatcher
        fake = subprocess.Popen([sys.executable, "-m", "dev.sms_sandbox", str(PORT), "--latency-ms", str(latency)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        fake.stdout.readline()
        runs: dict[int, list[dict]] = {n: [] for n in sizes}
        try:
            for i in range(args.rounds):
                for n in (sizes if i % 2 == 0 else sizes[::-1]):
                    r = run_once(app, n, messages)
                    runs[n].append(r)
                    print(f"latency {latency} ms, round {i + 1}, {n} dispatcher(s): {r['sent']} sent in "
                          f"{r['seconds']:.1f} s = {r['per_s']:.0f} msg/s, sent twice {r['twice']}", flush=True)
        finally:
            fake.terminate()
            fake.wait()
        one = statistics.median(r["per_s"] for r in runs[1])
        print(f"latency {latency} ms, {messages} messages a run, medians of {args.rounds}: " + ", ".join(
            f"{n}: {statistics.median(r['per_s'] for r in runs[n]):.0f} msg/s "
            f"(x{statistics.median(r['per_s'] for r in runs[n]) / one:.2f})" for n in sizes), flush=True)


if __name__ == "__main__":
    main()

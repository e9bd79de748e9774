"""Soak: a national shift change under faults (issue 16 §7), on PostgreSQL with the national data.

All at once, for --seconds (default 300), everything on 127.0.0.1:
- the web app under gunicorn (4 sync workers) for people, and 2 more workers for Twilio's status
  callbacks (their own port: a broadcast's receipts never queue ahead of a tap), the scheduler,
  4 dispatchers (`flask dispatcher run`);
- the fake Twilio server in its own process (coordination/sms_sandbox.FakeTwilio): 30 % of requests
  answered 503, status callbacks early, late, twice and reordered (callback_mode "chaos");
- load (bench/soak_load.py, aiohttp): check-in taps at --rate (700/s), 200 leads on province boards
  and team pages, the national map every 5 s, a 100,000-recipient broadcast being dispatched;
- faults: at 1/4 of the run one dispatcher is killed (SIGKILL) and restarted 5 s later; at 1/2
  PostgreSQL is restarted (`pg_ctlcluster 15 main restart`, --no-pg-restart to skip).
Then, from the database and the fake server's log: taps offered vs stored, messages queued, sent,
delivered, failed; exits 1 if a tap was lost or doubled, or a message lost or sent twice.
Last, single taps against the platform's floor (bench/floor_app.py) with wrk, in the same run.

    DATABASE_URL=postgresql://tcn:tcn@127.0.0.1:5432/tocongnghe_bench .venv/bin/python bench/soak.py --seconds 90
Why an own asyncio client beside wrk: the soak must know, per tap, whether it was answered and
stored, and retry it with its UUID like a phone; wrk counts responses only. wrk measures the
single-tap throughput, where it costs the machine far less CPU than a Python client."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench import cpu, soak_load  # noqa: E402
from dev.sms_sandbox import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio  # noqa: E402

WEB, TWILIO, FLOOR, OURS, HOOKS, TAPS = 5106, 5107, 5108, 5109, 5110, 5111
PG_CLUSTER = os.environ.get("PG_CLUSTER", "15 main")
# Bulk SMS is background work: dispatchers, the callback workers and the stand-in for Twilio run
# niced, so on a machine this small taps and pages get the CPU first (as one would deploy it).
BACKGROUND = ["nice", "-n", "10"]


# --- the fake Twilio server's own process: `python -m bench.soak twilio PORT LOG …` -------------
def serve_twilio(port: int, log_path: str, mode: str, transient: float, seed: int) -> None:
    """FakeTwilio with the soak's faults; on SIGTERM it writes what it accepted and every callback
    it posted (with our app's answer) to `log_path`, the ground truth the soak checks against."""
    fake = FakeTwilio(callback_mode=mode, transient_rate=transient, callback_seed=seed)
    server = make_server("127.0.0.1", port, fake._app, threaded=True)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    try:
        server.serve_forever()
    finally:
        fake.wait_callbacks(10)
        Path(log_path).write_text(json.dumps({
            "requests": fake.requests, "sent": [{"sid": m["sid"], "to": m["to"], "body": m["body"]} for m in fake.sent],
            "callbacks": fake.callback_log}, default=str))


# --- set-up ---------------------------------------------------------------------------------
def _logins(app, person_sql: str, limit: int) -> list[tuple[int, int, int]]:
    """(user id, session version, person id) for people chosen by `person_sql`, accounts made in one statement."""
    from models import db  # lazy: as in prepare()

    with app.app_context():
        chosen = f"SELECT id FROM ({person_sql}) chosen LIMIT {int(limit)}"
        db.session.execute(sa.text(f"INSERT INTO users (person_id, locale, is_active_account, session_version, created_at) "
                                   f"SELECT id, 'vi', true, 1, now() FROM ({chosen}) c "
                                   f"ON CONFLICT (person_id) DO UPDATE SET is_active_account = true"))
        rows = db.session.execute(sa.text(f"SELECT u.id, u.session_version, u.person_id FROM users u "
                                          f"WHERE u.person_id IN ({chosen}) ORDER BY u.id")).all()
        db.session.commit()
        return [tuple(r) for r in rows]


def prepare(app, volunteers: int, leads: int, log=print) -> dict:
    """National data (seeded if empty), shifts for the scheduler, the broadcast, the logins."""
    # lazy: the fake Twilio process (`python -m bench.soak twilio`) imports this module without the app
    from flask_migrate import upgrade

    from bench import bench_alerts, seed_national
    from bench.bench_pages import ministry_user
    from bench.soak_report import signed_in
    from coordination.messaging import broadcasts
    from coordination.geography.units import load_geography
    from models import Person, Team, User, db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("the soak runs on PostgreSQL: set DATABASE_URL=postgresql://…")
        upgrade()
        if not db.session.scalar(sa.select(sa.func.count()).select_from(Person)):
            load_geography()
            seed_national.seed(db.engine, 500_000, 1_000_000, log)
    shifts = bench_alerts._seed_shifts(app)  # also empties the outbox: the run's messages are all there is
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM early_receipts"))
        team_ids = db.session.scalars(sa.select(Team.id).where(Team.level == "commune").order_by(Team.id)
                                      .limit(667)).all()
        t = time.perf_counter()
        sent = broadcasts.send(None, None, "communes", team_ids, "Khẩn: diễn tập ca trực toàn quốc, "
                               "tập trung lúc 14:00.", urgent=True)
        db.session.commit()
        log(f"  {shifts:,} shifts today; broadcast to {sent.recipients:,} recipients queued in "
            f"{time.perf_counter() - t:.1f} s")
    members = ("SELECT m.person_id AS id FROM memberships m JOIN teams t ON t.id = m.team_id "
               "WHERE m.role = 'member' AND t.level = 'commune' ORDER BY m.person_id DESC")
    taps = _logins(app, members, volunteers)
    with app.app_context():  # everyone starts off duty: their first tap is a check-in
        db.session.execute(sa.text("UPDATE duty_sessions SET ended_at = now() WHERE ended_at IS NULL AND person_id "
                                   "= ANY(:ids)"), {"ids": [p for _u, _v, p in taps]})
        db.session.commit()
    half = leads // 2
    boards = _logins(app, "SELECT m.person_id AS id FROM memberships m JOIN teams t ON t.id = m.team_id WHERE "
                          "t.level = 'province' AND m.role <> 'member' ORDER BY m.person_id", half)
    commune_leads = _logins(app, "SELECT m.person_id AS id FROM memberships m JOIN teams t ON t.id = m.team_id "
                                 "WHERE t.level = 'commune' AND m.role = 'lead' ORDER BY t.id", leads - len(boards))
    with app.app_context():
        where = dict(db.session.execute(sa.text(
            "SELECT m.person_id, CASE WHEN t.level = 'province' THEN '/provinces/' || t.province_code "
            "ELSE '/teams/' || t.id END FROM memberships m JOIN teams t ON t.id = m.team_id "
            "WHERE m.person_id = ANY(:ids) AND m.end_date IS NULL"),
            {"ids": [p for _u, _v, p in boards + commune_leads]}).all())
        minister = db.session.get(User, ministry_user(app))
        minister_id, minister_version = minister.id, minister.session_version
    return {
        "volunteers": [signed_in(app, u, v) for u, v, _p in taps],
        "leads": [dict(signed_in(app, u, v), path=where[p], route="province board" if "/provinces/" in where[p]
                       else "team page") for u, v, p in boards + commune_leads],
        "ministry": signed_in(app, minister_id, minister_version), "recipients": sent.recipients}


# --- processes -------------------------------------------------------------------------------
class Processes:
    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.procs, self.dispatchers = env, log_dir, {}, []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def dispatcher(self, n: int) -> subprocess.Popen:
        return self.start(f"dispatcher{n}", BACKGROUND + [str(ROOT / ".venv/bin/flask"), "--app", "app", "dispatcher",
                                                          "run"])

    def stop(self, name: str, sig=signal.SIGTERM, wait: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def _wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer")
            time.sleep(0.2)


def faults(procs: Processes, seconds: float, restart_pg: bool, events: list):
    """The fault timeline, run beside the load: returns the coroutine soak_load.run awaits."""
    async def timeline(record):
        async def at(moment):
            await asyncio.sleep(max(moment - record.now(), 0))

        await at(seconds / 4)
        events.append(("dispatcher killed", record.now()))
        if "dispatcher1" in procs.procs:
            procs.procs["dispatcher1"].send_signal(signal.SIGKILL)
            procs.procs.pop("dispatcher1").wait()
            await asyncio.sleep(5)
            procs.dispatcher(1)
        events.append(("dispatcher restarted", record.now()))
        if restart_pg:
            await at(seconds / 2)
            events.append(("PostgreSQL restart", record.now()))
            await asyncio.to_thread(subprocess.run, ["pg_ctlcluster", *PG_CLUSTER.split(), "restart"], check=True)
            events.append(("PostgreSQL up", record.now()))
    return timeline


def phases(events: list, seconds: float) -> list[tuple[str, float, float]]:
    """(label, start, end) windows: before, during each fault (plus 10 s to settle), between, after."""
    t = dict(events)
    marks = [("before any fault", 0.0)]
    marks.append(("dispatcher SIGKILL (+10 s)", t["dispatcher killed"]))
    marks.append(("between", t["dispatcher restarted"] + 10))
    if "PostgreSQL restart" in t:
        marks.append(("PostgreSQL restart (+10 s)", t["PostgreSQL restart"]))
        marks.append(("after the restart", t["PostgreSQL up"] + 10))
    ends = [m[1] for m in marks[1:]] + [seconds + 120]
    return [(label, start, end) for (label, start), end in zip(marks, ends) if end > start]


def route_table(record, windows, seconds: float) -> list[dict]:
    rows = []
    for label, start, end in windows:
        by: dict[str, list] = {}
        for s in record.samples:
            if start <= s.t < end:
                by.setdefault(s.route, []).append(s)
        for route, samples in sorted(by.items()):
            ms = sorted(x.ms for x in samples)
            rows.append({"phase": label, "route": route, "requests": len(ms), "per_s": len(ms) / max(
                min(end, seconds) - start, 1), "p50_ms": ms[len(ms) // 2], "p99_ms": ms[min(int(0.99 * len(ms)), len(ms) - 1)],
                         "errors": sum(not x.ok for x in samples)})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=700, help="check-in taps offered per second")
    parser.add_argument("--volunteers", type=int, default=3000)
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--think", type=float, default=30, help="mean seconds a lead reads a page before the next")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--tap-workers", type=int, default=0,
                        help="N > 0: the check-in API on N workers of its own (a location block in nginx), "
                             "taken from --workers, so no page ever holds a tap up; 0: taps share the web workers")
    parser.add_argument("--dispatchers", type=int, default=4, help="0: no SMS load (to see what the rest costs)")
    parser.add_argument("--no-pg-restart", dest="restart_pg", action="store_false")
    parser.add_argument("--no-floor", dest="floor", action="store_false")
    parser.add_argument("--floor-rounds", type=int, default=1, help="floor/ours pairs, interleaved")
    parser.add_argument("--floor-only", action="store_true", help="only the single-tap comparison, no soak")
    parser.add_argument("--json", default=str(ROOT / "bench" / ".soak-result.json"))
    args = parser.parse_args(argv)

    # lazy: the fake Twilio process (`python -m bench.soak twilio`) imports this module without the app
    import config
    from app import create_app
    from bench import soak_report

    config.ensure_secret_key_file()
    app = create_app()
    if args.floor_only:
        soak_report.show_floor(soak_report.floor_vs_ours(app, FLOOR, OURS, args.floor_rounds))
        return 0
    print(f"soak: {args.seconds:.0f} s, taps offered at {args.rate:.0f}/s, {args.leads} leads, 4 dispatchers")
    data = prepare(app, args.volunteers, args.leads)
    log_dir = ROOT / "bench" / ".soak-logs"
    log_dir.mkdir(exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    twilio_log = log_dir / "twilio.json"
    env = dict(os.environ, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_FROM="+15005550006",
               TWILIO_API_BASE=f"http://127.0.0.1:{TWILIO}", PUBLIC_BASE_URL=f"http://127.0.0.1:{HOOKS}")
    procs = Processes(env, log_dir)
    events: list = []
    try:
        procs.start("twilio", BACKGROUND + [sys.executable, "-m", "bench.soak", "twilio", str(TWILIO), str(twilio_log), "chaos",
                               "0.3", "16"])
        procs.start("web", [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers - args.tap_workers), "-b",
                            f"127.0.0.1:{WEB}", "--log-level", "warning", "app:create_app()"])
        if args.tap_workers:
            procs.start("taps", [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.tap_workers), "-b",
                                 f"127.0.0.1:{TAPS}", "--log-level", "warning", "app:create_app()"])
            _wait_http(f"http://127.0.0.1:{TAPS}/healthz")
        procs.start("hooks", BACKGROUND + [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{HOOKS}",
                              "--log-level", "warning", "app:create_app()"])
        _wait_http(f"http://127.0.0.1:{WEB}/healthz")
        _wait_http(f"http://127.0.0.1:{HOOKS}/healthz")
        procs.start("scheduler", [str(ROOT / ".venv/bin/flask"), "--app", "app", "scheduler", "run"])
        for n in range(1, args.dispatchers + 1):
            procs.dispatcher(n)
        load_before, cpu_before, machine_before = os.getloadavg()[0], cpu.snapshot(), cpu.machine()
        record = asyncio.run(soak_load.run(f"http://127.0.0.1:{WEB}", data["volunteers"], data["leads"],
                                           data["ministry"], args.seconds, args.rate, think=args.think,
                                           events=faults(procs, args.seconds, args.restart_pg, events),
                                           tap_base=f"http://127.0.0.1:{TAPS}" if args.tap_workers else None))
        used = cpu.spent(cpu_before, cpu.snapshot())
        machine = [after - before for after, before in zip(cpu.machine(), machine_before)]
        load_end = os.getloadavg()[0]
        for n in range(1, args.dispatchers + 1):  # SIGTERM: each finishes the batch in hand
            procs.stop(f"dispatcher{n}")
        time.sleep(3)  # the last delayed callbacks
        procs.stop("twilio")
        procs.stop("scheduler")
        procs.stop("web")
        if args.tap_workers:
            procs.stop("taps")
        procs.stop("hooks")
    finally:
        procs.stop_all()
    result = soak_report.account(app, record, json.loads(twilio_log.read_text()), data["recipients"])
    result["routes"] = route_table(record, phases(events, args.seconds), args.seconds)
    result["events"] = events
    result["cpu"] = {"load_average_at_start": load_before, "load_average_at_end": load_end,
                     "machine_busy": machine[0], "machine_all": machine[1], "seconds_by_kind": dict(sorted(
        ((k, v) for k, v in used.items() if v >= 1), key=lambda kv: -kv[1]))}
    result["args"] = vars(args)
    Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    status = soak_report.show(result)
    if args.floor:
        result["floor"] = soak_report.floor_vs_ours(app, FLOOR, OURS, args.floor_rounds)
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
        soak_report.show_floor(result["floor"])
    return status


if __name__ == "__main__":
    if sys.argv[1:2] == ["twilio"]:
        port, log_path, mode, transient, seed = sys.argv[2:7]
        serve_twilio(int(port), log_path, mode, float(transient), int(seed))
    else:
        sys.exit(main())

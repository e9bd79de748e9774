"""Duty figures on national data (after seed_national.py: 500,000 people, 1,000,000 check-ins):
- single check-ins through gunicorn (4 sync workers) with wrk, beside a bare psycopg INSERT endpoint
  measured in the same run;
- a batch of 500 check-ins: server time;
- "on duty now" for all 34 provinces.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_duty.py"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench import bare_app, cpu  # noqa: E402
from bench.bench_pages import login_id  # noqa: E402
from coordination.duty import checkin_store, checkins, queries as duty  # noqa: E402
from coordination.org.accounts import ensure_user, set_password  # noqa: E402
from models import CheckIn, DutySession, Membership, Person, User, db  # noqa: E402
from models.driver import autocommit_statements  # noqa: E402

USERS = 400
NTHREADS = 2
WRK = ["wrk", f"-t{NTHREADS}", "-c32", "-d15s", "--latency"]


def _volunteers(app, n: int) -> list[int]:
    """n commune members who are not on duty now, with logins."""
    with app.app_context():
        on_duty = sa.select(DutySession.person_id).where(DutySession.ended_at.is_(None))
        people = db.session.scalars(sa.select(Person).join(Membership).where(
            Membership.role == "member", Person.id.not_in(on_duty)).order_by(Person.id.desc()).limit(n)).all()
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
        ids = []
        for p in people:
            user = ensure_user(p)
            set_password(user, "bench-password")
            ids.append(user.id)
        db.session.commit()
        return ids


def _sessions(app, user_ids: list[int]) -> list[tuple[str, str]]:
    """(cookie header, csrf token) for each user, from real logged-in sessions."""
    out = []
    for uid in user_ids:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = login_id(app, uid)
            session["_fresh"] = True
        token = client.get("/api/v1/duty/me").get_json()["csrf_token"]
        cookie = client.get_cookie("session")
        out.append((f"session={cookie.value}", token))
    return out


def batch_of_500(app, user_id: int, runs: int = 10) -> dict[str, float]:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(app, user_id)
    headers = {"X-CSRFToken": client.get("/api/v1/duty/me").get_json()["csrf_token"]}
    samples = []
    for r in range(runs):  # a phone's day of taps, one run after the other: a person is on duty once at a
        # time, so runs never overlap (nor the seed's sessions, which end a day ago)
        start = datetime.now(timezone.utc) - timedelta(hours=4) + timedelta(minutes=18 * r)
        items = [{"client_uuid": str(uuid.uuid4()), "kind": "in" if i % 2 == 0 else "out",
                  "occurred_at": (start + timedelta(seconds=2 * i)).isoformat(), "confirmed": True}
                 for i in range(500)]
        t = time.perf_counter()
        body = client.post("/api/v1/checkins", json={"items": items}, headers=headers).get_json()
        samples.append((time.perf_counter() - t) * 1000)
        assert body["accepted"] == 500, body["rejected"]
    return {"median_ms": statistics.median(samples), "max_ms": max(samples)}


def on_duty(app, runs: int = 30) -> dict[str, float]:
    with app.app_context():
        duty.on_duty_by_province()
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            result = duty.on_duty_by_province()
            samples.append((time.perf_counter() - t) * 1000)
    return {"median_ms": statistics.median(samples), "provinces": len(result), "on_duty": sum(result.values())}


def _warm_up(url: str, script: Path) -> None:
    """Three seconds for every worker to import, configure and prepare its statements."""
    subprocess.run(WRK[:3] + ["-d3s", "-s", str(script), url], capture_output=True, check=True)


def _wrk(url: str, script: Path) -> dict[str, float]:
    """The run's rate, p99 and errors, and the CPU the web workers and PostgreSQL spent per request."""
    before = cpu.snapshot()
    out = subprocess.run(WRK + ["-s", str(script), url], capture_output=True, text=True, check=True).stdout
    used = cpu.spent(before, cpu.snapshot())
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p99_ms": p99_ms, "errors": int(non2xx.group(1)) if non2xx else 0, "requests": requests,
            "cpu_ms": {k: used.get(k, 0.0) * 1000 / requests for k in ("gunicorn", "postgres")}}


def _serve(target: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}", "--log-level",
                             "warning", target], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{target} did not start")


def _off_duty(app, user_ids: list[int]) -> None:
    """End the bench volunteers' open sessions, so the measured run starts from the state the
    script expects (its first tap for each person is a check-in)."""
    with app.app_context():
        db.session.execute(sa.update(DutySession).where(
            DutySession.ended_at.is_(None),
            DutySession.person_id.in_(sa.select(User.person_id).where(User.id.in_(user_ids))))
            .values(ended_at=sa.func.now()))
        db.session.commit()


def single_checkins(app, user_ids: list[int], log=print) -> dict[str, dict]:
    if shutil.which("wrk") is None:
        log("  wrk is missing: apt-get install wrk")
        return {}

    script = ROOT / "bench" / ".checkin-run.lua"
    users = ",\n".join(f'{{cookie="{c}", csrf="{t}"}}' for c, t in _sessions(app, user_ids))
    script.write_text(f"USERS = {{{users}}}\nNTHREADS = {NTHREADS}\n" + (ROOT / "bench/checkin.lua").read_text())
    env, results, counted = dict(os.environ), {}, {}

    def measure(label: str, target: str, port: int, before_run=None) -> None:
        server = _serve(target, port, env)
        try:
            _warm_up(f"http://127.0.0.1:{port}/", script)
            if before_run:
                before_run()
            results[label] = _wrk(f"http://127.0.0.1:{port}/", script)
        finally:
            server.terminate()
            server.wait()

    def count_check_ins() -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn))

    def start_ours() -> None:  # the warm-up checked people in: start from the state the script expects
        _off_duty(app, user_ids)
        counted["before"] = count_check_ins()

    try:
        measure("bare psycopg INSERT", "bench.bare_app:app", 8102)
        measure("our app + 1 INSERT (no rules)", "bench.floor_app:app", 8103)
        measure("POST /api/v1/checkins (1 item)", "app:create_app()", 8101, start_ours)
        results["POST /api/v1/checkins (1 item)"]["stored"] = count_check_ins() - counted["before"]
    finally:
        script.unlink(missing_ok=True)
    return results


def statement_costs(app, user_ids: list[int], runs: int = 3000) -> dict[str, dict[str, float]]:
    """PostgreSQL's own CPU per statement on one connection, no HTTP and no other load: the bare
    endpoint's INSERT beside a tap's context read and a whole tap (read + the check-in/session
    write). Read from the backend's /proc entry, so only that connection's work is counted."""
    def backend_cpu(pid: int) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    _off_duty(app, user_ids)
    out = {}
    with app.app_context(), autocommit_statements() as driver:
        pid = driver.connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        bare_app.ensure_table(driver.connection)

        def now():
            return datetime.now(timezone.utc)

        def bare(k):
            driver.connection.execute("INSERT INTO bench_bare (client_uuid, kind, occurred_at) VALUES (%s, %s, %s) "
                                      "RETURNING id", (str(uuid.uuid4()), "in", now()), prepare=True).fetchone()

        def read(k):
            at = now()
            checkin_store.load_context(driver, user_ids[k % len(user_ids)], [str(uuid.uuid4())], [at], at)

        def tap(k):  # each volunteer checks in, then (a round later) out
            kind = "in" if (k // len(user_ids)) % 2 == 0 else "out"
            item = {"client_uuid": str(uuid.uuid4()), "kind": kind, "occurred_at": now().isoformat(),
                    "confirmed": True}  # a check-out seconds after its check-in, as the app sends it
            assert checkins.record_checkins(user_ids[k % len(user_ids)], [item], conn=driver)[0].status == "accepted"

        bare_app._conn = driver.connection
        bare_app._connection()  # creates the bare endpoint's table if missing, on this connection
        for label, work in (("bare INSERT", bare), ("tap: context read", read), ("tap: read + write", tap)):
            for k in range(2 * len(user_ids)):  # warm up; prepared statements; an even number of rounds
                work(k)
            pg, py, wall = backend_cpu(pid), time.process_time(), time.perf_counter()
            for k in range(runs):
                work(k)
            out[label] = {"postgres_ms": (backend_cpu(pid) - pg) * 1000 / runs,
                          "python_ms": (time.process_time() - py) * 1000 / runs,
                          "wall_ms": (time.perf_counter() - wall) * 1000 / runs}
        bare_app._conn = None
    _off_duty(app, user_ids)
    return out


def _vacuum(app) -> None:
    """What autovacuum does in time: earlier runs leave dead rows and stale statistics behind."""
    with app.app_context(), db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("checkins", "duty_sessions"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def run(app, log=print) -> dict:
    results = {}
    users = _volunteers(app, USERS + 1)
    _vacuum(app)
    results["on_duty"] = r = on_duty(app)
    log(f"  on duty now, all {r['provinces']} provinces ({r['on_duty']:,} people): median {r['median_ms']:.1f} ms")
    results["batch"] = r = batch_of_500(app, users[-1])
    log(f"  batch of 500 check-ins: median {r['median_ms']:.0f} ms (max {r['max_ms']:.0f} ms)")
    results["statements"] = costs = statement_costs(app, users[:200])
    for label, r in costs.items():
        log(f"  {label:<20} on one connection: PostgreSQL {r['postgres_ms']:.3f} ms, Python {r['python_ms']:.3f} ms, "
            f"wall {r['wall_ms']:.3f} ms")
    results["single"] = single = single_checkins(app, users[:USERS], log)
    _off_duty(app, users)  # leave the data as national as it was: the next run picks the same people
    for label, r in single.items():
        extra = f", {r['stored']:,} of {r['requests']:,} stored" if "stored" in r else ""
        log(f"  {label:<32} {r['rps']:7.0f} req/s  p99 {r['p99_ms']:5.1f} ms  non-2xx {r['errors']}{extra}; "
            f"CPU per request: web worker {r['cpu_ms']['gunicorn']:.2f} ms, PostgreSQL {r['cpu_ms']['postgres']:.2f} ms")
    if len(single) == 3:
        bare, floor, ours = single.values()
        log(f"  ratio: {100 * ours['rps'] / bare['rps']:.0f}% of the bare endpoint "
            f"(the platform's app with one INSERT and no rules: {100 * floor['rps'] / bare['rps']:.0f}%)")
    return results


def main() -> None:
    run(create_app())


if __name__ == "__main__":
    main()

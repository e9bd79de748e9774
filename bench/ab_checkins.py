"""Interleaved A/B of the check-in hot path: `checkins.submit` server time (no HTTP) for one tap and
for a batch of 500, on another branch's code (A, a `git archive` of --base, default main) and on
this worktree's (B).

One worker process per side, each on its own fresh database, set up once; the parent then asks
them in turn (A B, B A, A B, …) for a round: 100 taps (check-in, check-out, … by one volunteer) and
one batch of 500 (by a volunteer of its own), so both sides see the same load from whatever else
runs on the machine. A round's figure is the median of its taps, or its batch; the result is the
median over rounds and B/A. `_ms` is wall time, `_cpu_ms` the worker's CPU time (on SQLite the
whole server side, and much less disturbed by other work on a shared machine than the wall
clock; on PostgreSQL without the server's share).

    .venv/bin/python bench/ab_checkins.py [--rounds 5] [--base main] [--database-url postgresql://…]
(with --database-url, B uses that database and A one of the same name with the suffix _a, which must
exist: `createdb -O tcn NAME_a`; both are wiped)"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAPS, BATCH = 100, 500
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def worker(database_url: str, rounds: int) -> None:
    """In a child whose sys.path starts with the tree under test: build the schema and a team, then
    answer each line on stdin ("round") with one round's figures on stdout, as JSON."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from coordination import clock
    from coordination.duty import checkins
    from coordination.geography.units import load_geography
    from coordination.org import teams
    from models import db
    from models.teams import MEMBER
    from tests.factories import communes_of, make_person, make_user

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SERVER_NAME": None})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        load_geography()
        team = teams.create_commune_team(communes_of("01", 1)[0].code)
        users = []
        for _ in range(2 + rounds):  # a tapper, then one per batch (the first batch is a warm-up)
            person = make_person()
            teams.add_member(team, person, MEMBER)
            users.append(make_user(person).id)
        db.session.commit()
        db.session.remove()

        def item(kind, at):
            return {"client_uuid": str(uuid.uuid4()), "kind": kind, "occurred_at": at.isoformat(),
                    "confirmed": True, "lat": 21.03, "lon": 105.85}

        def timed(user_id, raw):
            start, cpu = time.perf_counter(), time.process_time()
            results = checkins.submit(user_id, raw)
            took = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
            assert all(r.status == "accepted" for r in results), results[0].as_dict()
            db.session.remove()
            return took

        taps = 0
        for n in range(rounds + 1):  # round 0: warm-up
            sys.stdin.readline()
            tap_times = []
            for _ in range(TAPS):
                now = NOW + timedelta(hours=4 * taps)  # 4-hour sessions: a few around each tap, as in life
                clock.set_now(now)
                tap_times.append(timed(users[0], [item("in" if taps % 2 == 0 else "out", now)]))
                taps += 1
            first = now - timedelta(days=6)
            batch = [item("in" if k % 2 == 0 else "out", first + timedelta(minutes=10 * k)) for k in range(BATCH)]
            batch_time = timed(users[1 + n], batch)
            print(json.dumps({"tap_ms": statistics.median(t[0] for t in tap_times),
                              "tap_cpu_ms": statistics.median(t[1] for t in tap_times),
                              "batch500_ms": batch_time[0], "batch500_cpu_ms": batch_time[1]}), flush=True)
        clock.set_now(None)


def _start(tree: Path, url: str, rounds: int) -> subprocess.Popen:
    code = (f"import sys; sys.path.insert(0, {str(tree)!r}); "
            f"from bench.ab_checkins import worker; worker({url!r}, {rounds})")
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-c", code], cwd=tree, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _round(process: subprocess.Popen) -> dict:
    process.stdin.write("round\n")
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"worker failed (exit {process.wait()})")
    return json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", default="main")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        (base / "bench" / "ab_checkins.py").write_bytes(Path(__file__).read_bytes())  # the same harness
        if args.database_url:
            url_b = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            url_a = url_b + "_a"
        else:
            url_a, url_b = f"sqlite:///{tmp}/a.db", f"sqlite:///{tmp}/b.db"
        sides = {"A": _start(base, url_a, args.rounds), "B": _start(ROOT, url_b, args.rounds)}
        figures: dict[str, list[dict]] = {"A": [], "B": []}
        for r in range(args.rounds + 1):
            for side in ("AB" if r % 2 == 0 else "BA"):
                figure = _round(sides[side])
                if r:  # round 0 warms both up
                    figures[side].append(figure)
                    print(f"round {r} {side}: " + ", ".join(f"{k} {v:.3f}" for k, v in figure.items()), flush=True)
        for process in sides.values():
            process.stdin.close()
            process.wait()
    for key in figures["A"][0]:
        a = statistics.median(f[key] for f in figures["A"])
        b = statistics.median(f[key] for f in figures["B"])
        print(f"{key}: A ({args.base}) {a:.3f}  B (this tree) {b:.3f}  B/A {b / a:.3f}")


if __name__ == "__main__":
    main()

"""Interleaved A/B of the check-in hot path: `checkins.submit` server time (no HTTP) for one tap and
for a batch of 500, on main's code (A, a `git archive` of the branch named by --base) and on this
worktree's (B). Each round runs one fresh process per side, in alternating order, on a fresh
database; the figures are per-round medians, then the median over rounds and B/A. `_ms` is wall
time, `_cpu_ms` this process's CPU time (on SQLite the whole server side, and much less
disturbed by other work on a shared machine than the wall clock; on PostgreSQL without the
server's share).

    .venv/bin/python bench/ab_checkins.py [--rounds 5] [--base main] [--database-url postgresql://…]"""
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
TAPS, BATCHES, BATCH = 300, 12, 500
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def measure(database_url: str) -> dict:
    """In a child whose sys.path starts with the tree under test: build the schema and a team, then
    time taps (check-in, check-out, …) by one volunteer and batches of 500 by others (the first of
    each is a warm-up, not counted)."""
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
        for _ in range(1 + BATCHES):
            person = make_person()
            teams.add_member(team, person, MEMBER)
            users.append(make_user(person).id)
        db.session.commit()
        db.session.remove()

        def item(kind, at):
            return {"client_uuid": str(uuid.uuid4()), "kind": kind, "occurred_at": at.isoformat(),
                    "confirmed": True, "lat": 21.03, "lon": 105.85}

        taps = []
        for k in range(TAPS):
            now = NOW + timedelta(seconds=30 * k)
            clock.set_now(now)
            raw = [item("in" if k % 2 == 0 else "out", now)]
            start, cpu = time.perf_counter(), time.process_time()
            result = checkins.submit(users[0], raw)
            taps.append((time.perf_counter() - start, time.process_time() - cpu))
            assert result[0].status == "accepted", result[0].as_dict()
            db.session.remove()
        batches = []
        clock.set_now(NOW + timedelta(seconds=30 * TAPS))
        for b in range(BATCHES):
            first = NOW - timedelta(days=6)
            raw = [item("in" if k % 2 == 0 else "out", first + timedelta(minutes=10 * k)) for k in range(BATCH)]
            start, cpu = time.perf_counter(), time.process_time()
            results = checkins.submit(users[1 + b], raw)
            batches.append((time.perf_counter() - start, time.process_time() - cpu))
            assert all(r.status == "accepted" for r in results), results[0].as_dict()
            db.session.remove()
        clock.set_now(None)
    def ms(samples, k):
        return round(statistics.median(s[k] for s in samples) * 1000, 3)

    return {"tap_ms": ms(taps[20:], 0), "tap_cpu_ms": ms(taps[20:], 1),
            "batch500_ms": ms(batches[1:], 0), "batch500_cpu_ms": ms(batches[1:], 1)}


def _child(tree: Path, database_url: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/ab.db"
        code = (f"import sys; sys.path.insert(0, {str(tree)!r}); sys.path.insert(1, {str(ROOT)!r}); "
                f"from bench.ab_checkins import measure; import json; print(json.dumps(measure({url!r})))")
        out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", default="main")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url and args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        (base / "bench" / "ab_checkins.py").write_bytes(Path(__file__).read_bytes())  # the same harness
        figures: dict[str, list[dict]] = {"A": [], "B": []}
        for r in range(args.rounds):
            order = [("A", base), ("B", ROOT)] if r % 2 == 0 else [("B", ROOT), ("A", base)]
            for side, tree in order:
                figures[side].append(_child(tree, url))
                print(f"round {r + 1} {side}: {figures[side][-1]}", flush=True)
    for key in figures["A"][0]:
        a = statistics.median(f[key] for f in figures["A"])
        b = statistics.median(f[key] for f in figures["B"])
        print(f"{key}: A ({args.base}) {a:.3f}  B (this tree) {b:.3f}  B/A {b / a:.3f}")


if __name__ == "__main__":
    main()

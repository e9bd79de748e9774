"""A national movement's ranking on national data (issue 22): 3,321 commune teams, 5 criteria, every
team registered; per team a residents-helped task with 10 reports, a venue task with 5, 28 shifts (2 of 3
with a check-in), 6 tasks done around their due date. Medians of standings.board as the movement page
calls it (the first 300 teams), standings.ranking (every team with its rows), standings.weekly and the
whole page GET as the ministry, server side (after seed_national.py, which makes the teams). The data is
seeded once per database; statistics are gathered and committed (an ANALYZE in a transaction that is
rolled back leaves the planner guessing one row per movement).

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_movements.py [--ab REV] [--runs N]

--ab REV times coordination/emulation/standings.py as it was at git revision REV against the working
tree's, interleaved (A, B, A, B …) in the same process, so load on the machine hits both alike."""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.bench_pages import login_id, ministry_user  # noqa: E402
from coordination.clock import local_today  # noqa: E402
from coordination.core.permissions import Scope  # noqa: E402
from coordination.emulation import movements, standings  # noqa: E402
from coordination.tasks import kinds  # noqa: E402
from models import Movement, db  # noqa: E402
from models.movements import CRITERIA  # noqa: E402

FIVE = CRITERIA[:5]  # residents helped, venues, shift coverage, tasks on time, alerts acknowledged
NAME = "Bench: 5 criteria"


def _seed() -> None:
    kinds.ensure_catalogue()  # a test run may have emptied it
    db.session.execute(sa.text("""
        INSERT INTO tasks (kind, title, team_id, province_code, priority, status, target_count, done_count,
                           created_at, updated_at, due_date, completed_at)
        SELECT k.kind, 'bench', t.id, t.province_code, 'normal', k.status, 100, 0, now() - interval '40 days',
               now(), current_date - (k.i % 20), CASE WHEN k.status = 'done' THEN now() - ((k.i % 21) || ' days')::interval END
        FROM teams t, (SELECT i, CASE WHEN i = 1 THEN 'support_vneid_level2' WHEN i = 2 THEN 'venue_qr_registration'
                                      ELSE 'data_verification' END AS kind,
                              CASE WHEN i <= 2 THEN 'in_progress' ELSE 'done' END AS status
                       FROM generate_series(1, 8) i) k
        WHERE t.level = 'commune'"""))
    db.session.execute(sa.text("""
        INSERT INTO task_updates (task_id, delta, at)
        SELECT tk.id, 1 + (g % 7), now() - ((g * 3) || ' days')::interval
        FROM tasks tk, generate_series(1, 10) g WHERE tk.title = 'bench' AND tk.status = 'in_progress'"""))
    db.session.execute(sa.text("""
        INSERT INTO shifts (team_id, province_code, starts_at, ends_at, required, created_at)
        SELECT t.id, t.province_code, date_trunc('hour', now()) - (g || ' hours')::interval * 24,
               date_trunc('hour', now()) - (g || ' hours')::interval * 24 + interval '8 hours', 1, now()
        FROM teams t, generate_series(1, 28) g WHERE t.level = 'commune'"""))
    db.session.execute(sa.text("""
        INSERT INTO duty_sessions (person_id, team_id, province_code, shift_id, started_at, ended_at, automatic, far)
        SELECT (SELECT min(id) FROM people), s.team_id, s.province_code, s.id, s.starts_at, s.ends_at, false, false
        FROM shifts s WHERE s.id % 3 <> 0"""))
    db.session.commit()


def _movement() -> Movement:
    m = db.session.scalar(sa.select(Movement).where(Movement.name == NAME))
    if m is not None:
        return m
    if not db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("tasks")).where(sa.text("title = 'bench'"))):
        _seed()
    m = movements.launch(Scope(person_id=1, national=True), None, name=NAME, theme="Bench",
                         first=local_today() - timedelta(days=60), last=local_today() + timedelta(days=30),
                         province_code=None, weights={c: 1 + i for i, c in enumerate(FIVE)},
                         floors={"residents_helped": 50})
    db.session.execute(sa.text("""
        INSERT INTO commitments (movement_team_id, criterion_id, value)
        SELECT mt.id, c.id, CASE WHEN c.metric IN ('shift_coverage', 'alerts_acknowledged') THEN 80 ELSE 30 + mt.id % 50 END
        FROM movement_teams mt JOIN movement_criteria c ON c.movement_id = mt.movement_id
        WHERE mt.movement_id = :m"""), {"m": m.id})
    db.session.execute(sa.text("UPDATE movement_teams SET state = 'approved' WHERE movement_id = :m"), {"m": m.id})
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return m


def _at(rev: str):
    """coordination/emulation/standings.py as it was at `rev`, as a module of its own."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:coordination/emulation/standings.py"],
                            check=True, capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"standings_{rev}", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    exec(compile(source, f"{rev}:standings.py", "exec"), module.__dict__)
    return module


def _ms(work) -> float:
    t = time.perf_counter()
    work()
    return (time.perf_counter() - t) * 1000


def _report(label: str, samples: list[float]) -> None:
    print(f"{label}: median {statistics.median(samples):.0f} ms (runs {', '.join(f'{s:.0f}' for s in samples)})")


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--ab", metavar="REV")
    args.add_argument("--runs", type=int, default=5)
    opts = args.parse_args()
    app = create_app()
    user = ministry_user(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = login_id(app, user), True
    with app.app_context():
        m = _movement()
        mid = m.id
        print(f"movement {mid}: {len(m.criteria)} criteria, {len(standings.ranking(m))} teams ranked")
        before = _at(opts.ab) if opts.ab else None
        work = {"page board (300 shown)": lambda: standings.board(m, limit=300),
                "ranking (every team)": lambda: standings.ranking(m),
                "weekly": lambda: standings.weekly(m)}
        if before:
            work = {"ranking before (every team, as the page called it)": lambda: before.ranking(m),
                    "weekly before": lambda: before.weekly(m), **work}
        samples: dict[str, list[float]] = {k: [] for k in work}
        for _ in range(opts.runs):
            for label, fn in work.items():
                samples[label].append(_ms(fn))
                db.session.rollback()
        for label, got in samples.items():
            _report(label, got)
    pages = {"movement page GET, ministry": []}
    if before:
        pages = {"movement page GET before": [], **pages}
    for _ in range(opts.runs):
        for label, got in pages.items():
            with _as_before(before if label.endswith("before") else None):
                t = time.perf_counter()
                assert client.get(f"/thi-dua/movements/{mid}").status_code == 200
                got.append((time.perf_counter() - t) * 1000)
    for label, got in pages.items():
        _report(label, got)


@contextlib.contextmanager
def _as_before(before):
    """The page as it was before: the old ranking (every team with its rows, then the first 300 and the
    viewer's own kept in Python), the old weekly figures, and babel's number formatting uncached."""
    if before is None:
        yield
        return
    import flask_babel

    from coordination.core import text

    def old_board(movement, code=None, now=None, limit=None, also=()):
        every = before.ranking(movement, code, now)
        return [s for i, s in enumerate(every) if i < limit or s.team_id in also], len(every)
    saved = standings.board, standings.weekly, text.format_decimal
    standings.board, standings.weekly, text.format_decimal = old_board, before.weekly, flask_babel.format_decimal
    try:
        yield
    finally:
        standings.board, standings.weekly, text.format_decimal = saved

if __name__ == "__main__":
    main()

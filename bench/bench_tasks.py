"""Task figures on national data (after seed_national.py):
- bulk-assign one task to every commune team of the largest province, and nationwide (3,321);
- the province board with 50,000 tasks in the province: median server time.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_tasks.py"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.bench_pages import login_id, timed  # noqa: E402
from coordination.tasks import assignment, rules as tasks  # noqa: E402
from models import Task, db  # noqa: E402

BOARD_TASKS = 50_000


def _assign_times(app, province: str, runs: int = 3) -> dict[str, float]:
    spec = tasks.TaskSpec(kind="vaccination_drive", title="Chiến dịch tiêm chủng (bench)", target_count=100,
                          target_unit="người dân")
    out = {}
    for label, targeting in (("province", assignment.Targeting(province)), ("national", assignment.Targeting(None))):
        samples, n = [], 0
        for _ in range(runs):
            with app.app_context():
                t = time.perf_counter()
                batch, n = assignment.assign(spec, targeting, None)
                db.session.commit()
                samples.append(time.perf_counter() - t)
                db.session.execute(sa.delete(Task).where(Task.batch == batch))
                db.session.commit()
        out[label] = statistics.median(samples)
        out[f"{label}_tasks"] = n
    return out


def _seed_board(app, province: str, n: int) -> None:
    """n tasks in the province: all kinds and statuses, due dates around today, some progress."""
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM task_updates; DELETE FROM tasks"))
        db.session.execute(sa.text("""
            WITH teams_p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM teams
                             WHERE level = 'commune' AND province_code = :p),
                 n_teams AS (SELECT count(*) AS c FROM teams_p)
            INSERT INTO tasks (kind, title, team_id, province_code, due_date, priority, status, target_count,
                               target_unit, done_count, created_at, updated_at)
            SELECT (ARRAY['support_health_declaration','support_qr_checkin','support_vaccination_registration',
                          'venue_qr_registration','data_verification','vaccination_drive','other'])[1 + i % 7],
                   'Nhiệm vụ ' || i, t.id, :p, current_date + (i % 90) - 30,
                   (ARRAY['low','normal','normal','high','urgent'])[1 + i % 5],
                   (ARRAY['open','in_progress','in_progress','done','blocked','cancelled'])[1 + (i / 7) % 6],
                   100, 'người dân', (i * 37) % 100, now(), now()
            FROM generate_series(1, :n) AS i, n_teams JOIN teams_p t ON true
            WHERE t.k = i % n_teams.c"""), {"p": province, "n": n})
        db.session.commit()
        db.session.execute(sa.text("ANALYZE tasks"))
        db.session.commit()


def run(app, log=print) -> dict:
    with app.app_context():
        province, communes = db.session.execute(sa.text(
            "SELECT province_code, count(*) FROM admin_units WHERE level = 'commune' "
            "GROUP BY province_code ORDER BY 2 DESC LIMIT 1")).one()
        lead_user = db.session.scalar(sa.text(
            "SELECT u.id FROM users u JOIN memberships m ON m.person_id = u.person_id JOIN teams t ON t.id = m.team_id "
            "WHERE t.level = 'province' AND t.province_code = :p LIMIT 1"), {"p": province})
    results = {"assign": _assign_times(app, province)}
    a = results["assign"]
    log(f"  bulk assign, largest province ({a['province_tasks']} teams): median {a['province'] * 1000:.0f} ms")
    log(f"  bulk assign, nationwide ({a['national_tasks']} teams):        median {a['national'] * 1000:.0f} ms")
    t = time.perf_counter()
    _seed_board(app, province, BOARD_TASKS)
    log(f"  seeded {BOARD_TASKS:,} tasks in province {province} in {time.perf_counter() - t:.1f} s")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(app, lead_user)
    for label, path in [
        ("board, first page", f"/provinces/{province}/tasks"),
        ("board, overdue only", f"/provinces/{province}/tasks?overdue=1"),
        ("board, one kind, not finished, page 20", f"/provinces/{province}/tasks?kind=other&status=active&page=20"),
        ("API board, 200 per page", f"/api/v1/tasks?province={province}&per_page=200"),
    ]:
        results[label] = r = timed(client, path)
        log(f"  {label:<40} median {r['median_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms")
    t = time.perf_counter()
    size = len(client.get(f"/provinces/{province}/tasks.csv").data)
    log(f"  CSV export of {BOARD_TASKS:,} tasks: {time.perf_counter() - t:.2f} s, {size / 1e6:.1f} MB")
    return results


def main() -> None:
    run(create_app())


if __name__ == "__main__":
    main()

"""A national movement's ranking on national data (issue 22): 3,321 commune teams, 5 criteria, every
team registered; per team a residents-helped task with 10 reports, a venue task with 5, 28 shifts (2 of 3
with a check-in), 6 tasks done around their due date. Median of 3 runs of standings.ranking and of
standings.weekly, server side (after seed_national.py, which makes the teams).

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_movements.py"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from coordination.clock import local_today  # noqa: E402
from coordination.core.permissions import Scope  # noqa: E402
from coordination.emulation import movements, standings  # noqa: E402
from coordination.tasks import kinds  # noqa: E402
from models import db  # noqa: E402
from models.movements import CRITERIA  # noqa: E402


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


def main() -> None:
    app = create_app()
    with app.app_context():
        _seed()
        ministry = Scope(person_id=1, national=True)
        m = movements.launch(ministry, None, name="Bench", theme="Bench", first=local_today() - timedelta(days=60),
                             last=local_today() + timedelta(days=30), province_code=None,
                             weights={c: 1 + i for i, c in enumerate(CRITERIA)}, floors={"residents_helped": 50})
        db.session.execute(sa.text("""
            INSERT INTO commitments (movement_team_id, criterion_id, value)
            SELECT mt.id, c.id, CASE WHEN c.metric IN ('shift_coverage', 'alerts_acknowledged') THEN 80 ELSE 30 + mt.id % 50 END
            FROM movement_teams mt JOIN movement_criteria c ON c.movement_id = mt.movement_id
            WHERE mt.movement_id = :m"""), {"m": m.id})
        db.session.execute(sa.text("UPDATE movement_teams SET state = 'approved' WHERE movement_id = :m"), {"m": m.id})
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        for label, work in (("ranking", lambda: standings.ranking(m)), ("weekly", lambda: standings.weekly(m))):
            samples = []
            for _ in range(3):
                t = time.perf_counter()
                out = work()
                samples.append(time.perf_counter() - t)
            print(f"{label}: {len(out)} rows, median {statistics.median(samples) * 1000:.0f} ms "
                  f"(runs {', '.join(f'{s * 1000:.0f}' for s in samples)})")


if __name__ == "__main__":
    main()

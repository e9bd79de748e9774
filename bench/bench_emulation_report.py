"""The monthly report's emulation section on national data (issue 22 §5): this month's figures for the
whole country — a national movement of 3,321 commune teams with 6 criteria, every team registered (the data
of bench_movements.py: tasks with progress reports, shifts with check-ins), plus reporting completeness over
every team's tasks. Median of 3 runs, server side, of coordination.emulation.monthly.build (two rankings:
the month's start and now) and coordination.reports.completeness.build.

Run on a copy of the national data set (it writes):
    su postgres -c "createdb -T tocongnghe_bench -O tcn tcn_report_bench"
    DATABASE_URL=postgresql://tcn:tcn@127.0.0.1:5432/tcn_report_bench .venv/bin/flask --app app db upgrade
    DATABASE_URL=… .venv/bin/python bench/bench_emulation_report.py"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.bench_movements import _seed  # noqa: E402
from coordination.clock import local_today  # noqa: E402
from coordination.core.permissions import Scope  # noqa: E402
from coordination.emulation import monthly as emulation_month, movements  # noqa: E402
from coordination.reports import completeness  # noqa: E402
from models import db  # noqa: E402
from models.movements import CRITERIA  # noqa: E402


def main() -> None:
    app = create_app()
    with app.app_context():
        if not db.session.scalar(sa.text("SELECT count(*) FROM tasks WHERE title = 'bench'")):
            _seed()
        if not db.session.scalar(sa.text("SELECT count(*) FROM movements WHERE name = 'Bench report'")):
            m = movements.launch(Scope(person_id=1, national=True), None, name="Bench report", theme="Bench",
                                 first=local_today() - timedelta(days=60), last=local_today() + timedelta(days=30),
                                 province_code=None, weights={c: 1 + i for i, c in enumerate(CRITERIA)},
                                 floors={"residents_helped": 50})
            db.session.execute(sa.text("""
                INSERT INTO commitments (movement_team_id, criterion_id, value)
                SELECT mt.id, c.id, CASE WHEN c.metric IN ('shift_coverage', 'alerts_acknowledged') THEN 80
                                         ELSE 30 + mt.id % 50 END
                FROM movement_teams mt JOIN movement_criteria c ON c.movement_id = mt.movement_id
                WHERE mt.movement_id = :m"""), {"m": m.id})
            db.session.execute(sa.text("UPDATE movement_teams SET state = 'approved', decided_at = now() - "
                                       "interval '50 days' WHERE movement_id = :m"), {"m": m.id})
            db.session.commit()
            db.session.execute(sa.text("ANALYZE"))
        first = local_today().replace(day=1)
        before = (first - timedelta(days=1)).replace(day=1)  # last month: four whole weeks
        for label, work in (("emulation (movements, practices, commendations)",
                             lambda: emulation_month.build(first, None)),
                            ("reporting completeness", lambda: completeness.build(first, None)),
                            ("reporting completeness, last month", lambda: completeness.build(before, None))):
            samples = []
            for _ in range(3):
                t = time.perf_counter()
                out = work()
                samples.append(time.perf_counter() - t)
            print(f"{label}: median {statistics.median(samples) * 1000:.0f} ms "
                  f"(runs {', '.join(f'{s * 1000:.0f}' for s in samples)})")
            if label.startswith("emulation"):
                for line in out.movements:
                    print(f"  {line.movement.name}: {line.participating} teams, {line.registered} registered, "
                          f"{line.on_track} on track, {line.behind} behind")
            else:
                print(f"  {out.total.expected} teams with open tasks, {out.total.reported} reported, "
                      f"{out.total.on_time} on time")


if __name__ == "__main__":
    main()

"""Good practices on national data (issue 22 §3): one published practice per commune team (3,321; a third
national, the rest for their province), each applied by 5 other teams of its province (16,605 rows), a
VNeID task per team with 10 progress reports. Medians of 3 runs, server side, of: the library as the
ministry and as a province lead (no filter, and a two-word search), one practice's figures (its own
before/after and those of the 5 teams that applied it, one statement), the honour board's section, and a
national movement's ranking of 3,321 teams with 5 criteria vs the same plus "practices applied".

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_practices.py   (after seed_national.py)"""
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
from coordination.emulation import movements, practice_figures, practices, standings  # noqa: E402
from coordination.tasks import kinds  # noqa: E402
from models import Practice, db  # noqa: E402

FIVE = ("residents_helped", "venues_registered", "shift_coverage", "tasks_on_time", "alerts_acknowledged")


def _seed() -> None:
    kinds.ensure_catalogue()
    db.session.execute(sa.text("""
        INSERT INTO practices (team_id, province_code, title, problem, action, result, work_kind, started_on,
                               search_text, state, reach, submitted_at, published_at, created_at)
        SELECT t.id, t.province_code, 'Chủ nhật số ' || t.id, 'Vấn đề', 'Cách làm', 'Kết quả', 'support_vneid_level2',
               current_date - 30, 'chu nhat so ' || t.id || ' van de cach lam ket qua', 'published',
               CASE WHEN t.id % 3 = 0 THEN 'national' ELSE 'province' END, now() - interval '20 days',
               now() - ((t.id % 40) || ' days')::interval, now()
        FROM teams t WHERE t.level = 'commune'"""))
    db.session.execute(sa.text("""
        INSERT INTO practice_applications (practice_id, team_id, province_code, applied_on, note, created_at)
        SELECT p.id, o.id, o.province_code, current_date - 14, 'Áp dụng', now() - interval '14 days'
        FROM practices p CROSS JOIN LATERAL (
            SELECT t.id, t.province_code FROM teams t WHERE t.level = 'commune' AND t.province_code = p.province_code
              AND t.id <> p.team_id ORDER BY (t.id * 7919 + p.id) % 1009 LIMIT 5) o"""))
    db.session.execute(sa.text("""
        INSERT INTO tasks (kind, title, team_id, province_code, priority, status, target_count, done_count,
                           created_at, updated_at)
        SELECT 'support_vneid_level2', 'bench-practices', t.id, t.province_code, 'normal', 'in_progress', 100, 0,
               now() - interval '70 days', now() FROM teams t WHERE t.level = 'commune'"""))
    db.session.execute(sa.text("""
        INSERT INTO task_updates (task_id, delta, at)
        SELECT tk.id, 1 + (g % 7), now() - ((g * 5) || ' days')::interval
        FROM tasks tk, generate_series(1, 10) g WHERE tk.title = 'bench-practices'"""))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))


def _median(label: str, work) -> None:
    samples = []
    for _ in range(3):
        t = time.perf_counter()
        out = work()
        samples.append(time.perf_counter() - t)
        db.session.rollback()
    n = len(out) if hasattr(out, "__len__") else out
    print(f"{label}: {n} rows, median {statistics.median(samples) * 1000:.1f} ms "
          f"(runs {', '.join(f'{s * 1000:.1f}' for s in samples)})")


def main() -> None:
    app = create_app()
    with app.app_context():
        if not db.session.scalar(sa.select(sa.func.count()).select_from(Practice)):
            _seed()
        ministry = Scope(person_id=1, national=True)
        lead = Scope(person_id=1, provinces=frozenset({"01"}))
        _median("library, ministry", lambda: practices.library(ministry, None))
        _median("library, ministry, 'chu nhat'", lambda: practices.library(ministry, None, "chủ nhật"))
        _median("library, Hà Nội lead", lambda: practices.library(lead, None))
        _median("library, Hà Nội lead, kind", lambda: practices.library(lead, None, kind="support_vneid_level2"))
        p = db.session.scalar(sa.select(Practice).order_by(Practice.id).limit(1))

        def figures():
            applied = practices.applications(p)
            own = practice_figures.before_after(p.work_kind, {p.team_id: p.started_on})
            return {**own, **practice_figures.before_after(p.work_kind, {a.team_id: a.applied_on for a in applied})}
        _median("one practice's figures (6 teams)", figures)
        _median("one practice's map points", lambda: practice_figures.map_points(
            p, [a.team_id for a in practices.applications(p)]))
        _median("honour board section", practices.public_board)
        for name, weights in (("5 criteria", {c: 1 for c in FIVE}),
                              ("5 criteria + practices applied", {**{c: 1 for c in FIVE}, "practices_applied": 1})):
            m = movements.launch(ministry, None, name="Bench", theme="Bench", first=local_today() - timedelta(days=60),
                                 last=local_today() + timedelta(days=30), province_code=None, weights=weights,
                                 floors={})
            db.session.execute(sa.text("""
                INSERT INTO commitments (movement_team_id, criterion_id, value)
                SELECT mt.id, c.id, CASE WHEN c.metric IN ('shift_coverage', 'alerts_acknowledged') THEN 80 ELSE 5 END
                FROM movement_teams mt JOIN movement_criteria c ON c.movement_id = mt.movement_id
                WHERE mt.movement_id = :m"""), {"m": m.id})
            db.session.execute(sa.text("UPDATE movement_teams SET state = 'approved' WHERE movement_id = :m"),
                               {"m": m.id})
            db.session.commit()
            _median(f"national ranking, {name}", lambda: standings.ranking(m))


if __name__ == "__main__":
    main()

"""Campaign figures on national data (after seed_national.py), issue 18 §2:
- a nationwide campaign of every commune team (3,321), made with assignment.assign, in progress;
- the largest province's board with 50,000 other tasks (bench_tasks._seed_board) and 10 province campaigns;
- median/p95 server time of the campaign page (nationwide, and one province of it), its CSV, and the
  board collapsed by campaign beside the flat board (the baseline, same run).

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_campaigns.py"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from bench.bench_pages import login_id, ministry_user, timed  # noqa: E402
from bench.bench_tasks import BOARD_TASKS, _seed_board  # noqa: E402
from coordination.clock import local_today  # noqa: E402
from coordination.tasks import assignment, rules as tasks  # noqa: E402
from coordination.tasks.kinds import ensure_catalogue  # noqa: E402
from models import Campaign, Task, db  # noqa: E402


def _campaigns(app, province: str) -> int:
    """The nationwide campaign (its id) with a spread of progress, and 10 province campaigns."""
    from datetime import timedelta

    with app.app_context():
        db.session.execute(sa.text("DELETE FROM campaigns"))
        spec = tasks.TaskSpec(kind="support_vneid_level2", title="Hướng dẫn kích hoạt VNeID mức 2 (bench)",
                              target_count=500, target_unit="người dân", due_date=local_today() + timedelta(days=30))
        t = time.perf_counter()
        batch, n = assignment.assign(spec, assignment.Targeting(None), None)
        db.session.commit()
        print(f"  nationwide campaign: {n:,} teams assigned in {time.perf_counter() - t:.2f} s")
        db.session.execute(sa.text("""
            UPDATE tasks SET done_count = CASE WHEN id % 5 = 0 THEN 500 ELSE (id * 37) % 400 END,
                   status = CASE WHEN id % 5 = 0 THEN 'done' WHEN id % 17 = 0 THEN 'blocked'
                                 WHEN id % 3 = 0 THEN 'open' ELSE 'in_progress' END,
                   due_date = CASE WHEN id % 11 = 0 THEN current_date - 2 ELSE due_date END
            WHERE batch = :b"""), {"b": batch})
        db.session.execute(sa.text("UPDATE tasks SET done_count = 0 WHERE batch = :b AND status = 'open'"), {"b": batch})
        for i in range(10):
            assignment.assign(tasks.TaskSpec(kind="support_online_public_services", title=f"Đợt tỉnh {i}",
                                             target_count=100, target_unit="người dân"),
                              assignment.Targeting(province), None)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE tasks"))
        db.session.commit()
        return db.session.scalar(sa.select(Campaign.id).where(Campaign.batch == batch))


def run(app, log=print) -> dict:
    with app.app_context():
        ensure_catalogue()  # the kinds (seed_national leaves the catalogue to the app)
        db.session.commit()
        province = db.session.execute(sa.text(
            "SELECT province_code FROM admin_units WHERE level = 'commune' "
            "GROUP BY province_code ORDER BY count(*) DESC LIMIT 1")).scalar()
        lead_user = db.session.scalar(sa.text(
            "SELECT u.id FROM users u JOIN memberships m ON m.person_id = u.person_id JOIN teams t ON t.id = m.team_id "
            "WHERE t.level = 'province' AND t.province_code = :p LIMIT 1"), {"p": province})
    _seed_board(app, province, BOARD_TASKS)  # deletes every task: campaigns come after
    campaign_id = _campaigns(app, province)
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Task))
    log(f"  {total:,} tasks; province {province}: {BOARD_TASKS:,} outside campaigns + 11 campaigns")
    results = {}
    lead, ministry = app.test_client(), app.test_client()
    with lead.session_transaction() as session:
        session["_user_id"] = login_id(app, lead_user)
    with ministry.session_transaction() as session:
        session["_user_id"] = login_id(app, ministry_user(app))
    for label, client, path in [
        ("board, every task (baseline)", lead, f"/provinces/{province}/tasks?view=tasks"),
        ("board, collapsed by campaign", lead, f"/provinces/{province}/tasks"),
        ("campaign page, nationwide (ministry)", ministry, f"/tasks/campaigns/{campaign_id}"),
        ("campaign page, nationwide, sorted by done", ministry, f"/tasks/campaigns/{campaign_id}?sort=done&desc=1"),
        ("campaign page, the province's part (lead)", lead, f"/tasks/campaigns/{campaign_id}"),
    ]:
        results[label] = r = timed(client, path)
        log(f"  {label:<44} median {r['median_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  {r['bytes'] / 1e3:6.0f} kB")
    samples = []
    for _ in range(10):  # a streamed response: read whole inside the timing
        t = time.perf_counter()
        size = len(ministry.get(f"/tasks/campaigns/{campaign_id}.csv").get_data())
        samples.append((time.perf_counter() - t) * 1000)
    results["csv"] = statistics.median(samples)
    log(f"  campaign CSV, nationwide (3,321 rows)        median {results['csv']:6.1f} ms  {size / 1e3:6.0f} kB")
    return results


if __name__ == "__main__":
    run(create_app())

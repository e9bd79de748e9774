"""The public honour board and a commendation's card on national data (issue 22 §4): 10 commendations
per commune team (3,321 teams: 33,210 in all), 6 in 10 approved over the last two years, the rest
proposed or rejected, most of a member. Server time of GET /recognition (whole country; one province;
one month), of a commendation's page, and of its card: drawn (an empty cache) and read from the cache.
Median of 7 runs each, through the Flask test client (the whole request, no network).

    DATABASE_URL=postgresql://…/copy_of_tocongnghe_bench .venv/bin/python bench/bench_honour.py"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from models import db  # noqa: E402

RUNS = 7


def _seed() -> None:
    db.session.execute(sa.text("DELETE FROM commendations"))
    db.session.execute(sa.text("""
        INSERT INTO commendations (province_code, team_id, person_id, reason, evidence, status, decided_at, created_at)
        SELECT t.province_code, t.id,
               CASE WHEN i % 4 = 0 THEN NULL ELSE (SELECT m.person_id FROM memberships m WHERE m.team_id = t.id
                                                   ORDER BY m.person_id LIMIT 1) END,
               'Hỗ trợ ' || (100 + i * 37) || ' người dân cài đặt và xác thực tài khoản định danh điện tử mức 2, '
                 || 'trực đủ ca đêm suốt mùa mưa bão tại xã',
               '{}', CASE WHEN i <= 6 THEN 'approved' WHEN i <= 8 THEN 'proposed' ELSE 'rejected' END,
               CASE WHEN i <> 7 AND i <> 8 THEN now() - ((t.id * 7 + i * 53) % 720 || ' days')::interval END,
               now() - interval '730 days'
        FROM teams t CROSS JOIN generate_series(1, 10) i WHERE t.level = 'commune'"""))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE commendations"))
    db.session.commit()


def _median(client, path: str, before=None) -> tuple[float, int]:
    times = []
    for _ in range(RUNS):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), len(response.data)


def main() -> None:
    app = create_app()
    instance = Path(tempfile.mkdtemp(prefix="bench-honour-"))
    app.instance_path = str(instance)
    with app.app_context():
        _seed()
        counts = dict(db.session.execute(sa.text("SELECT status, count(*) FROM commendations GROUP BY 1")).all())
        one = db.session.scalar(sa.text("SELECT min(id) FROM commendations WHERE status = 'approved'"))
        month = db.session.scalar(sa.text("SELECT to_char(max(decided_at) AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM')"
                                          " FROM commendations WHERE status = 'approved'"))
    print(f"commendations: {counts}")
    client = app.test_client()
    client.get("/recognition")  # warm: templates compiled, fonts loaded
    cards = instance / "cards"
    for label, path, before in (
            ("board, whole country", "/recognition", None),
            ("board, Hà Nội", "/recognition?province=01", None),
            (f"board, month {month}", f"/recognition?month={month}", None),
            ("board, page 50", "/recognition?page=50", None),
            ("a commendation's page", f"/recognition/{one}", None),
            ("card, drawn (empty cache)", f"/recognition/{one}/card.png",
             lambda: shutil.rmtree(cards, ignore_errors=True)),
            ("card, from the cache", f"/recognition/{one}/card.png", None)):
        ms, size = _median(client, path, before)
        print(f"{label:32} {ms:7.1f} ms  ({size:,} bytes)")
    shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()

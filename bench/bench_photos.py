"""A task comment's photo: a 4 MB phone JPEG (12 megapixels of noise, so it weighs what a camera's
photo weighs, with EXIF and GPS) checked, turned upright, resized to 1600 px and re-encoded without
metadata — `photos.process`, the whole server-side cost of an upload but the network — and the whole
POST /api/v1/tasks/<id>/comments through Flask (multipart parse, rules, file write, commit).
Goal (issue 18): ≤ 1 s. Median and p95 of RUNS runs after a warm-up.

    .venv/bin/python bench/bench_photos.py            (the API call on SQLite in a temporary directory)
    PHOTO_BENCH_DATABASE_URL=postgresql://…/scratch .venv/bin/python bench/bench_photos.py
(that database's schema is DROPPED and rebuilt: never point it at data you keep; `make bench`'s
national database is not used)."""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RUNS = int(os.environ.get("RUNS", "20"))


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def bench_process(data: bytes) -> list[float]:
    from coordination.tasks import photos

    photos.process(io.BytesIO(data))  # warm-up
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        photos.process(io.BytesIO(data))
        samples.append(time.perf_counter() - t)
    return samples


def bench_upload(data: bytes, folder: str) -> list[float]:
    """The API call, in-process, as the volunteer of a Hà Nội commune team (a fresh demo-like world)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from coordination.geography.units import load_geography
    from coordination.org import accounts
    from coordination.tasks import assignment, rules as tasks
    from models import Task, db
    from tests.factories import HANOI, build_world

    url = os.environ.get("PHOTO_BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.db")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "TASK_PHOTO_DIR": f"{folder}/uploads", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        load_geography()
        world = build_world()
        batch, _n = assignment.assign(tasks.TaskSpec(kind="other", title="Ảnh buổi hướng dẫn"),
                                      assignment.Targeting(HANOI), world.lead_a.id)
        db.session.commit()
        task_id = db.session.scalar(sa.select(Task.id).where(Task.batch == batch))
        _token, raw = accounts.issue_api_token(world.volunteer, "bench")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    samples = []
    for k in range(RUNS + 1):
        t = time.perf_counter()
        answer = client.post(f"/api/v1/tasks/{task_id}/comments", headers=headers, content_type="multipart/form-data",
                             data={"body": f"Ảnh {k}", "photo": (io.BytesIO(data), "IMG_2041.jpg")})
        elapsed = time.perf_counter() - t
        assert answer.status_code == 201, answer.get_data(as_text=True)
        if k:
            samples.append(elapsed)
    return samples


def run() -> None:
    from dev.sample_photos import four_mb_jpeg

    data = four_mb_jpeg()
    print(f"photo: {len(data) / 1024 / 1024:.1f} MB JPEG, 4000 × 3000, EXIF with GPS; {RUNS} runs")
    print(f"photos.process (check, upright, 1600 px, re-encode): {_summary(bench_process(data))}")
    with tempfile.TemporaryDirectory() as folder:
        print(f"POST /api/v1/tasks/<id>/comments with the photo, in-process: {_summary(bench_upload(data, folder))}")


if __name__ == "__main__":
    run()

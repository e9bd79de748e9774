"""Run every benchmark on the PostgreSQL database in DATABASE_URL (`make bench`) and print the figures."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

import config  # noqa: E402
from app import create_app  # noqa: E402
from bench import (bench_alerts, bench_duty, bench_duty_page, bench_map, bench_onboarding, bench_pages,  # noqa: E402
    bench_photos, bench_tasks, seed_national, soak)
from coordination.geography.units import load_geography  # noqa: E402
from models import db  # noqa: E402


def main() -> None:
    config.ensure_secret_key_file()  # production refuses to start without a key; `make bench` writes it too
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("benchmarks run on PostgreSQL: set DATABASE_URL=postgresql://…")
        upgrade()
        t = time.perf_counter()
        load_geography()
        print(f"geo load (PostgreSQL): {time.perf_counter() - t:.2f} s")
        print("seed_national: 34 province teams, 3,321 commune teams, 500,000 people, 1,000,000 check-ins")
        seed_national.seed(db.engine, 500_000, 1_000_000)
    print(f"server time, median of {bench_pages.RUNS} requests:")
    bench_pages.run(app)
    print("tasks:")
    bench_tasks.run(app)
    print("duty:")
    bench_duty.run(app)
    print("alerts:")
    bench_alerts.run(app)
    print("coverage map:")
    bench_map.run(app)
    bench_duty_page.main()
    print("import, monthly report, audit trail:")
    bench_onboarding.run(app)
    print("task comment photo (4 MB JPEG):")
    bench_photos.run()

    print("soak: a national shift change under faults")
    argv = ["--seconds", os.environ.get("SOAK_SECONDS", "300")]
    if os.environ.get("SOAK_PG_RESTART", "1") == "0":
        argv.append("--no-pg-restart")
    if soak.main(argv):
        sys.exit("soak: a tap or a message was lost or doubled")


if __name__ == "__main__":
    main()

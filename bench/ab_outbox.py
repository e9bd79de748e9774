"""Interleaved A/B of the outbox's hot paths between two checkouts of this repository (issue 17:
"the hot-path figures stay within noise"): the scheduler's first tick and a steady tick with
~20,000 shifts today, a ~100,000-recipient broadcast queued, and 1,000 messages dispatched by one
dispatcher against the fake Twilio server. The two run alternately (A B B A A B …) on the same
PostgreSQL database, so the machine's noise falls on both; the report gives medians and B/A.

    git worktree add /tmp/before <commit>   # the baseline
    DATABASE_URL=postgresql://…/tocongnghe_bench .venv/bin/python bench/ab_outbox.py /tmp/before . [--rounds 3]"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ONE_RUN = """
import json, sys
sys.path.insert(0, ".")
from app import create_app
from bench import bench_alerts as b
import sqlalchemy as sa
from models import db
app = create_app()
b._seed_shifts(app)
statements = [0]
with app.app_context():  # statements are the figure the machine's noise cannot move
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
tick = b._ticks(app)
tick_statements = statements[0]
broadcast = b._broadcast(app)
broadcast_statements = statements[0] - tick_statements
dispatch = b._dispatch(app, 1000, 1)
print(json.dumps({"first tick ms": tick["first_ms"], "steady tick ms": tick["steady_ms"],
                  "broadcast s": broadcast["seconds"], "dispatch overhead ms/msg": dispatch["overhead_ms"],
                  "dispatch CPU ms/msg": dispatch["cpu_ms"] + dispatch["database_cpu_ms"],
                  "sent twice": dispatch["twice"], "tick statements (first + 5 + 3 full)": tick_statements,
                  "broadcast statements": broadcast_statements}))
"""


def run_once(tree: Path) -> dict:
    out = subprocess.run([str(Path(sys.executable)), "-c", ONE_RUN], cwd=tree, env=dict(os.environ),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path, help="the baseline checkout")
    parser.add_argument("b", type=Path, help="the changed checkout")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        sys.exit("set DATABASE_URL to the PostgreSQL database seeded by bench/seed_national.py")
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    for i in range(args.rounds):
        for name in ("AB" if i % 2 == 0 else "BA"):
            runs[name].append(run_once(args.a if name == "A" else args.b))
            print(f"round {i + 1} {name}: {runs[name][-1]}", flush=True)
    print(f"\nmedians of {args.rounds} interleaved runs each (A = {args.a}, B = {args.b}):")
    for key in runs["A"][0]:
        a, b = (statistics.median(r[key] for r in runs[n]) for n in "AB")
        ratio = f"{b / a:.2f}" if a else "–"
        print(f"  {key:28} A {a:10.2f}   B {b:10.2f}   B/A {ratio}")


if __name__ == "__main__":
    main()

"""The scheduler's lease (coordination/core/lease.py, docs/scaling.md §5): two `scheduler run`
processes on one PostgreSQL database; the holder is SIGKILLed (its socket closes) or SIGSTOPped
(frozen: its session goes idle until idle_session_timeout ends it); reports the seconds until the
other process holds the advisory lock. The stopped one is then resumed: it must stand by.

    DATABASE_URL=postgresql://…/scratch SECRET_KEY=… .venv/bin/python bench/bench_lease.py"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from coordination.core.lease import KEY  # noqa: E402

HOLDER = sa.text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key")


def _holder(engine) -> int | None:
    with engine.connect() as conn:
        return conn.scalar(HOLDER, {"key": KEY})


def _wait(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit("timed out")


def once(engine, how: signal.Signals) -> float:
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app", "scheduler", "run"]
    first = subprocess.Popen(flask, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        backend = _wait(lambda: _holder(engine), 30)
        second = subprocess.Popen(flask, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(6)  # the second is up and has tried the lock
            assert _holder(engine) == backend
            first.send_signal(how)
            t = time.monotonic()
            _wait(lambda: (h := _holder(engine)) and h != backend, 90)
            seconds = time.monotonic() - t
            if how == signal.SIGSTOP:
                first.send_signal(signal.SIGCONT)
                time.sleep(7)  # its renewal finds the session ended
                assert _holder(engine) not in (None, backend), "the resumed scheduler took the lease back"
            return seconds
        finally:
            second.terminate()
            second.wait()
    finally:
        if first.poll() is None:
            first.terminate()
            first.wait()


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("set DATABASE_URL to a PostgreSQL database at the newest migration")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    for how in (signal.SIGKILL, signal.SIGSTOP):
        print(f"holder {how.name}: the other scheduler holds the lease after {once(engine, how):.1f} s", flush=True)


if __name__ == "__main__":
    main()

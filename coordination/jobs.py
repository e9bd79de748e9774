"""The scheduler's job list (`flask --app app scheduler run`), APScheduler 3.11. Start one, or two
on different hosts: only the holder of the lease (coordination/core/lease.py) runs the jobs, the
other stands by and takes over when the holder dies (docs/scaling.md)."""
from __future__ import annotations

import logging
import time
from typing import Callable, Optional

import sqlalchemy as sa
from flask import Flask, current_app

from models import db

from coordination.clock import utcnow
from coordination.core import heartbeat, metrics
from coordination.core.lease import Lease
from coordination.clock import wall_utcnow
from coordination.duty import alerts
from coordination.org import login_throttle
from coordination.messaging import receipts
from coordination.messaging.outbox import dispatch_due
from coordination.messaging.sms import gateway_from_config

log = logging.getLogger(__name__)
# What a database that is down or restarting raises (refused connection, terminated session).
DATABASE_DOWN = (sa.exc.OperationalError, sa.exc.InterfaceError)


def reconcile_receipts() -> dict[str, int]:
    """Ask Twilio about SMS without a final receipt (receipts.reconcile), SMS_RECONCILE_LIMIT a run."""
    config = current_app.config
    return receipts.reconcile(lambda: gateway_from_config(config), limit=int(config.get("SMS_RECONCILE_LIMIT", 200)))


JOBS = [
    {"id": "duty-alerts", "func": alerts.Ticker(), "seconds": 15},  # reminders, escalation, handoffs, stale
    {"id": "early-receipts", "func": receipts.sweep, "seconds": 60},  # kept SMS receipts: apply, forget old
    {"id": "reconcile-receipts", "func": reconcile_receipts, "seconds": 300},  # SMS still "sent": ask Twilio
    {"id": "prune-login-throttles", "func": login_throttle.prune, "seconds": 3600},  # counters a day past expiry
]


def run_forever(app: Flask) -> None:
    """Block and run JOBS; each run in its own app context. A slow run is skipped, not stacked."""
    # lazy: only `scheduler run` needs APScheduler; web workers and the dispatcher skip its ~20 ms import
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")

    def run_all_now():  # the lease just came to this process: catch up at once, not at the next interval
        if scheduler.running:
            for job in scheduler.get_jobs():
                job.modify(next_run_time=wall_utcnow())  # APScheduler runs on the machine clock

    with app.app_context():
        lease = Lease(db.engine.url, on_acquire=run_all_now)
    if not lease.renew():
        log.info("scheduler: another scheduler holds the lease; standing by")

    def wrap(func, job_name):
        def run():
            if not lease.held:
                with app.app_context():
                    heartbeat.beat("scheduler-standby")
                return
            started = time.perf_counter()
            with app.app_context():
                try:
                    result = func()
                    if result and any(result.values()):
                        log.info("%s: %s", job_name, result)
                except DATABASE_DOWN as err:  # PostgreSQL restarting: the next run reconnects
                    db.session.rollback()
                    metrics.JOB_FAILURES.labels(job_name).inc()
                    log.warning("job %s: database unavailable: %s", job_name, str(err).splitlines()[0][:200])
                except Exception:  # noqa: BLE001 - a failing run must not stop the scheduler
                    metrics.JOB_FAILURES.labels(job_name).inc()
                    log.exception("job %s failed", job_name)
                finally:
                    metrics.JOB_SECONDS.labels(job_name).observe(time.perf_counter() - started)
                    metrics.JOB_LAST_RUN.labels(job_name).set(utcnow().timestamp())
                    heartbeat.beat("scheduler", job_name)
        return run

    for job in JOBS:
        scheduler.add_job(wrap(job["func"], job["id"]), "interval", seconds=job["seconds"], id=job["id"],
                          max_instances=1, coalesce=True)
    lease.keep()
    try:
        scheduler.start()
    finally:
        lease.release()


def dispatch_forever(app: Flask, interval: float = 2.0, batch: int = 50, polls: Optional[int] = None,
                     echo: Callable[[str], None] = lambda _line: None, stop: Callable[[], bool] = lambda: False) -> int:
    """`dispatcher run`: send what is due, then poll again (at once while there is more, else after
    `interval` s). A database that is down or restarting is logged and waited out, never the end of
    the process; `polls` bounds the loop (tests, `--once`), `stop()` ends it between batches.
    Returns how many polls found the database unavailable."""
    done = unavailable = 0
    while (polls is None or done < polls) and not stop():
        done += 1
        with app.app_context():
            try:
                counts = dispatch_due(lambda: gateway_from_config(app.config), limit=batch)
            except DATABASE_DOWN as err:
                db.session.rollback()
                unavailable += 1
                log.warning("dispatcher: database unavailable, trying again in %.0f s: %s", interval,
                            str(err).splitlines()[0][:200])
                time.sleep(interval)
                continue
            heartbeat.beat("dispatcher", " ".join(f"{k}={v}" for k, v in counts.items() if v) or None)
        if any(counts.values()):
            echo(" ".join(f"{k}={v}" for k, v in counts.items()))
        elif polls is None or done < polls:
            time.sleep(interval)
    return unavailable

"""The scheduler's job list (`flask --app app scheduler run`): one process, APScheduler 3.11."""
from __future__ import annotations

from flask import Flask

from . import alerts, login_throttle, receipts

JOBS = [
    {"id": "duty-alerts", "func": alerts.Ticker(), "seconds": 15},  # reminders, escalation, handoffs, stale
    {"id": "early-receipts", "func": receipts.sweep, "seconds": 60},  # kept SMS receipts: apply, forget old
    {"id": "prune-login-throttles", "func": login_throttle.prune, "seconds": 3600},  # counters a day past expiry
]


def run_forever(app: Flask) -> None:
    """Block and run JOBS; each run in its own app context. A slow run is skipped, not stacked."""
    import logging

    from apscheduler.schedulers.blocking import BlockingScheduler

    log = logging.getLogger(__name__)
    scheduler = BlockingScheduler(timezone="UTC")

    def wrap(func, job_name):
        def run():
            with app.app_context():
                try:
                    result = func()
                    if result and any(result.values()):
                        log.info("%s: %s", job_name, result)
                except Exception:  # noqa: BLE001 - a failing run must not stop the scheduler
                    log.exception("job %s failed", job_name)
        return run

    for job in JOBS:
        scheduler.add_job(wrap(job["func"], job["id"]), "interval", seconds=job["seconds"], id=job["id"],
                          max_instances=1, coalesce=True)
    scheduler.start()

"""Prometheus metrics (the `prometheus_client` library), counted where things happen.

Under gunicorn every worker is its own process: with PROMETHEUS_MULTIPROC_DIR set (`make prod` sets
it to an emptied `instance/metrics/`), each process writes its samples to files there and `/metrics`
adds them up (the library's multiprocess mode), so a scrape sees the whole node — web workers,
dispatchers and the scheduler — whichever worker answers. Without it (`make run`, tests) the
numbers are this process's. What the database knows (the outbox's depth and age) is read at
scrape time by `coordination/ops/metrics.py`, not counted here.

Labels have few values: a route is its URL rule (`/teams/<int:team_id>`), never the URL."""
from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram

# Seconds; a tap should answer well under 0.1 s, a page under 0.3 s, an export in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram("tcn_http_request_duration_seconds", "Time to answer a request, by route",
                            ["route", "method", "status"], buckets=LATENCY_BUCKETS)
CHECKINS = Counter("tcn_checkins_total", "Check-in and check-out taps received, by result", ["result"])
MESSAGES = Counter("tcn_messages_total", "Outbox messages by outcome at the provider and error code",
                   ["channel", "outcome", "code"])
RECEIPTS = Counter("tcn_sms_receipts_total", "Signed delivery receipts received from Twilio (2–4 a message), by status",
                   ["status", "code"])
CLAIMED = Counter("tcn_dispatcher_claimed_total", "Outbox rows claimed by dispatchers")
LEASES_EXPIRED = Counter("tcn_dispatcher_lease_expired_total",
                         "Claimed rows whose dispatcher's lease ran out (put back in the queue)")
OUTCOMES_UNKNOWN = Counter("tcn_dispatcher_outcome_unknown_total",
                           "Rows in flight when their dispatcher died: failed visibly, never resent")
JOB_SECONDS = Histogram("tcn_scheduler_job_duration_seconds", "Time one run of a scheduler job took", ["job"],
                        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0))
JOB_LAST_RUN = Gauge("tcn_scheduler_job_last_run_timestamp_seconds", "When a scheduler job last finished (Unix time)",
                     ["job"], multiprocess_mode="mostrecent")
JOB_FAILURES = Counter("tcn_scheduler_job_failures_total", "Scheduler job runs that raised", ["job"])


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"))

"""The figures of `/metrics`, for a person: is the scheduler alive, are dispatchers running, is
anything stuck in the outbox, how many messages failed in the last hour and why (`/ops`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from coordination.clock import utcnow
from coordination.core import heartbeat
from coordination.ops.metrics import outbox_depth
from models import db
from models.messages import FAILED, SENDING, UNDELIVERED, Message

SCHEDULER_SILENT = timedelta(seconds=60)  # it ticks every 15 s: four missed ticks
DISPATCHER_SILENT = timedelta(seconds=30)  # it polls every 2 s and beats every 10 s
STUCK_AFTER = timedelta(minutes=5)  # a due message this old has waited too long


@dataclass
class Process:
    kind: str
    instance: str
    last_seen: datetime
    started_at: datetime
    detail: Optional[str]
    alive: bool
    silent_for: float  # seconds


@dataclass
class Failure:
    code: str
    count: int
    example: str


@dataclass
class OpsStatus:
    now: datetime
    scheduler: list[Process]
    dispatchers: list[Process]
    outbox: list[dict]
    failures: list[Failure]
    sending_too_long: int
    problems: list[str] = field(default_factory=list)  # keys the page turns into sentences

    @property
    def failed_last_hour(self) -> int:
        return sum(f.count for f in self.failures)


def _process(row, now: datetime, silent: timedelta) -> Process:
    gap = now - row.last_seen
    return Process(row.kind, row.instance, row.last_seen, row.started_at, row.detail, gap <= silent,
                   max(0.0, gap.total_seconds()))


def failures_since(since: datetime) -> list[Failure]:
    """Messages failed or undelivered since `since`, by error code, most frequent first (over the
    partial index of failed rows: migration 0030)."""
    code = sa.func.coalesce(Message.error_code, sa.literal_column("''")).label("code")
    rows = db.session.execute(
        sa.select(code, sa.func.count(), sa.func.min(Message.error_message))
        .where(Message.status.in_((FAILED, UNDELIVERED)), Message.updated_at >= since)
        .group_by(code).order_by(sa.func.count().desc(), code)).all()
    return [Failure(code, count, example or "") for code, count, example in rows]


def ops_status(now: Optional[datetime] = None, lease: timedelta = timedelta(seconds=60)) -> OpsStatus:
    now = now or utcnow()
    beats = heartbeat.latest()
    scheduler = [_process(b, now, SCHEDULER_SILENT) for b in beats if b.kind == "scheduler"]
    dispatchers = [_process(b, now, DISPATCHER_SILENT) for b in beats if b.kind == "dispatcher"]
    sending_too_long = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.status == SENDING, Message.updated_at < now - lease)) or 0
    status = OpsStatus(now, scheduler, dispatchers, outbox_depth(now), failures_since(now - timedelta(hours=1)),
                       sending_too_long)
    if not any(p.alive for p in scheduler):
        status.problems.append("scheduler_down")
    if not any(p.alive for p in dispatchers):
        status.problems.append("no_dispatcher")
    if any(row["oldest_wait"] > STUCK_AFTER.total_seconds() for row in status.outbox):
        status.problems.append("outbox_stuck")
    if sending_too_long:
        status.problems.append("sending_too_long")
    return status

"""`/metrics`: what the processes counted (coordination/core/metrics.py) plus what the database
knows at scrape time — the outbox's depth and the wait of its oldest due message, per urgency."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from coordination.clock import utcnow
from coordination.core.metrics import multiprocess
from models import db
from models.messages import QUEUED, SENDING, SMS, Message


def outbox_depth(now: datetime | None = None) -> list[dict]:
    """Rows waiting (queued and due, queued for later, being sent) and the oldest due row's wait in
    seconds, per channel and urgency (SMS urgent and normal always listed): one query over the
    queue's rows only (status queued or sending: partial indexes)."""
    now = now or utcnow()
    due = sa.and_(Message.status == QUEUED, Message.next_attempt_at <= now)
    rows = db.session.execute(
        sa.select(Message.channel, Message.urgent,
                  sa.func.count().filter(due).label("due"),
                  sa.func.count().filter(sa.and_(Message.status == QUEUED, Message.next_attempt_at > now)).label("later"),
                  sa.func.count().filter(Message.status == SENDING).label("sending"),
                  sa.func.min(Message.next_attempt_at).filter(due).label("oldest"))
        .where(Message.status.in_((QUEUED, SENDING))).group_by(Message.channel, Message.urgent)).all()
    out = {(SMS, urgent): dict(channel=SMS, urgent=urgent, due=0, later=0, sending=0, oldest_wait=0.0)
           for urgent in (True, False)}
    for r in rows:
        oldest = r.oldest
        if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=now.tzinfo)
        out[(r.channel, bool(r.urgent))] = dict(channel=r.channel, urgent=bool(r.urgent), due=r.due, later=r.later,
                                                sending=r.sending,
                                                oldest_wait=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    return [out[key] for key in sorted(out, key=lambda k: (k[0] != SMS, k[0], not k[1]))]


class OutboxCollector:
    def collect(self):
        depth = GaugeMetricFamily("tcn_outbox_messages", "Outbox rows waiting, by channel, state and urgency",
                                  labels=["channel", "state", "urgency"])
        age = GaugeMetricFamily("tcn_outbox_oldest_due_seconds",
                                "How long the oldest due, unsent outbox row has waited", labels=["channel", "urgency"])
        for row in outbox_depth():
            urgency = "urgent" if row["urgent"] else "normal"
            for state in ("due", "later", "sending"):
                depth.add_metric([row["channel"], state, urgency], row[state])
            age.add_metric([row["channel"], urgency], row["oldest_wait"])
        yield depth
        yield age


def exposition() -> bytes:
    """The text a Prometheus server scrapes: every process's counters (multiprocess mode when
    PROMETHEUS_MULTIPROC_DIR is set) and the outbox read now."""
    registry = CollectorRegistry()
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return body + generate_latest(outbox)

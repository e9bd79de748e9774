"""A process's sign of life in the database (models/ops.py): the scheduler after each job run, a
dispatcher after each poll, at most every BEAT seconds per process, so that /ops can say "the
scheduler last ran 12 s ago" for the whole deployment, across hosts."""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from coordination.clock import utcnow
from models import db
from models.ops import Heartbeat

BEAT = 10.0  # seconds between two writes of one process
FORGET = timedelta(days=1)  # a process silent this long is gone: its row is pruned
_last: dict[str, float] = {}
_started = utcnow()


def instance() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def beat(kind: str, detail: Optional[str] = None, now: Optional[datetime] = None, force: bool = False) -> bool:
    """Write this process's heartbeat (an upsert, committed) unless it wrote one in the last BEAT
    seconds. A database that is down is not this function's problem: the caller's next run tries again."""
    if not force and time.monotonic() - _last.get(kind, -BEAT) < BEAT:
        return False
    now = now or utcnow()
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(Heartbeat)
    try:
        db.session.execute(insert.values(kind=kind, instance=instance(), started_at=_started, last_seen=now,
                                         detail=(detail or "")[:200]).on_conflict_do_update(
            index_elements=[Heartbeat.kind, Heartbeat.instance],
            set_={"last_seen": insert.excluded.last_seen, "detail": insert.excluded.detail}))
        db.session.execute(sa.delete(Heartbeat).where(Heartbeat.last_seen < now - FORGET))
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    _last[kind] = time.monotonic()
    return True


def latest() -> list[Heartbeat]:
    """Every process's last sign of life, by kind, the most recent first."""
    return list(db.session.scalars(sa.select(Heartbeat).order_by(Heartbeat.kind, Heartbeat.last_seen.desc())))

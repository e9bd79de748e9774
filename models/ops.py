"""What the running processes say about themselves: a heartbeat row per scheduler and dispatcher."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db


class Heartbeat(db.Model):
    """One row per process (kind + host:pid), its last sign of life. /ops reads it: "is the
    scheduler alive", "how many dispatchers". Rows of processes long gone are pruned."""

    __tablename__ = "process_heartbeats"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)  # scheduler, dispatcher
    instance: Mapped[str] = mapped_column(sa.String(120), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    detail: Mapped[Optional[str]] = mapped_column(sa.String(200))  # the last job run, the last batch

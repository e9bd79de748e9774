"""Secret calendar feeds: a person's shifts, or a team's, at an address a calendar app subscribes to.

The address is the capability (calendar apps send no session): it carries the feed's id and a
secret. The database keeps only a SHA-256 hash of that secret and a random salt; the secret itself
is an HMAC of the salt under the app's SECRET_KEY (coordination/duty/calendar_feeds.py), so the
owner's page can show the address again while a copy of the database alone cannot rebuild it.
Making a new address revokes the old row (`revoked_at`)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TimestampMixin, UTCDateTime, db


class CalendarFeed(TimestampMixin, db.Model):
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))  # NULL: my shifts
    salt: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_calendar_feeds_person_team", "person_id", "team_id"),
    )

"""Web Push subscriptions: one row per device (browser) that asked the duty app for notifications."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordination.clock import utcnow
from models.base import UTCDateTime, db

MAX_ENDPOINT = 1000  # push services' URLs are 150-500 characters; a unique index must stay well under 2.7 KB


class PushSubscription(db.Model):
    """A browser's push subscription (PushSubscription.toJSON()): where to POST, and the keys the
    payload is encrypted to (RFC 8291). Removed when the push service answers 404/410 (gone)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(MAX_ENDPOINT), nullable=False, unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(100), nullable=False)  # base64url, 65 bytes: the device's ECDH key
    auth: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # base64url, 16 bytes: the auth secret
    user_agent: Mapped[Optional[str]] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_success_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

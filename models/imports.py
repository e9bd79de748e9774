"""Spreadsheet imports: the uploaded file is kept between the preview and the confirmation."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TimestampMixin, UTCDateTime, db

PREVIEWED = "previewed"
IMPORTED = "imported"
IMPORT_STATUSES = (PREVIEWED, IMPORTED)


class ImportBatch(TimestampMixin, db.Model):
    """One uploaded file. Nothing from it reaches people/memberships until `imported_at` is set,
    and then in one transaction with that change (so a batch is imported at most once)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=PREVIEWED)
    imported_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    summary: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    # The rows that passed the file's checks at preview, cleaned: the confirmation imports these
    # after checking again only what the database can change meanwhile.
    rows: Mapped[Optional[list]] = mapped_column(sa.JSON)

    __table_args__ = (sa.CheckConstraint(f"status IN {IMPORT_STATUSES}", name="status"),)

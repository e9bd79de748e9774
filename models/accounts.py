"""Logins, invitations, API tokens and login attempts."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, UTCDateTime, db
from models.teams import Person


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="RESTRICT"), unique=True, nullable=False)
    password_hash: Mapped[Optional[str]] = mapped_column(sa.String(255))
    locale: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="vi")
    is_active_account: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # In every session and remember cookie (get_id); bumping it ends them all (logout, password change).
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1, server_default="1")

    person: Mapped[Person] = relationship()  # loaded on use: most requests need only person_id

    def get_id(self) -> str:  # flask-login: what the session and the remember cookie hold
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login
        return self.is_active_account


class Invitation(TimestampMixin, db.Model):
    """A one-time, expiring link that lets a person set their own password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="invite", server_default="invite")

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ApiToken(TimestampMixin, db.Model):
    """A personal Bearer token; carries its owner's scope; can be revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    ip: Mapped[str] = mapped_column(sa.String(45), nullable=False)
    success: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_login_attempts_identifier_at", "identifier", "at"),
        sa.Index("ix_login_attempts_ip_at", "ip", "at"),
    )


class LoginThrottle(db.Model):
    """An atomic counter of login attempts per key ('pair:<identifier>|<ip>' or 'ip:<ip>').
    Times are epoch seconds so the one upsert does its arithmetic alike on SQLite and PostgreSQL."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(320), primary_key=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reset_at: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    penalty: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # seconds; doubles past the limit

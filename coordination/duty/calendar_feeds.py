"""Secret calendar addresses (issue 20 §4): create, show again, regenerate, and check one.

An address is /calendar/<id>/<secret>.ics. The secret is an HMAC of the row's random salt under
SECRET_KEY; the row keeps the salt and a SHA-256 hash of the secret, never the secret. Checking an
address reads the row by its id and compares the hash of what was presented with the stored hash
in constant time (`hmac.compare_digest`). A revoked row, a wrong secret, an owner without an active
account, or a team feed whose owner no longer leads that team: all answer None (the page says 404).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from models import CalendarFeed, Team, User, db
from models.base import MAX_ID

from coordination.clock import utcnow
from coordination.core import audit, permissions

SECRET_LENGTH = 32  # base64url characters: 192 bits


def _secret(feed_id: int, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"calendar/{feed_id}/{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SECRET_LENGTH]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def live_feed(person_id: int, team_id: Optional[int] = None) -> Optional[CalendarFeed]:
    """The person's current address for their shifts (team_id None) or a team's."""
    team = CalendarFeed.team_id.is_(None) if team_id is None else CalendarFeed.team_id == team_id
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.person_id == person_id, team,
                                                           CalendarFeed.revoked_at.is_(None))
                             .order_by(CalendarFeed.id.desc()).limit(1))


def _create(person_id: int, team_id: Optional[int]) -> CalendarFeed:
    feed = CalendarFeed(person_id=person_id, team_id=team_id, salt=secrets.token_hex(16),
                        token_hash=secrets.token_hex(32))  # a placeholder until the id is known
    db.session.add(feed)
    db.session.flush()
    feed.token_hash = _hash(_secret(feed.id, feed.salt))
    db.session.flush()
    return feed


def ensure_feed(person_id: int, team_id: Optional[int] = None) -> CalendarFeed:
    """The live address, made on first use (the caller commits)."""
    return live_feed(person_id, team_id) or _create(person_id, team_id)


def secret_of(feed: CalendarFeed) -> Optional[str]:
    """The address's secret, rebuilt from the salt; None if SECRET_KEY changed since it was made
    (the old address still works; the owner must make a new one to see one again)."""
    secret = _secret(feed.id, feed.salt)
    return secret if hmac.compare_digest(_hash(secret), feed.token_hash) else None


def regenerate(person_id: int, team_id: Optional[int], actor_user_id: Optional[int]) -> CalendarFeed:
    """A new address; every older one of the same calendar stops working at once."""
    team = CalendarFeed.team_id.is_(None) if team_id is None else CalendarFeed.team_id == team_id
    db.session.execute(sa.update(CalendarFeed).where(CalendarFeed.person_id == person_id, team,
                                                     CalendarFeed.revoked_at.is_(None)).values(revoked_at=utcnow()))
    feed = _create(person_id, team_id)
    audit.record(actor_user_id, "regenerate", "calendar_feed", feed.id, team_id=team_id)
    return feed


def may_read(feed: CalendarFeed) -> bool:
    """What the owner may see today: their own shifts while their account is active; a team's
    shifts while they manage that team's rota."""
    active = db.session.scalar(sa.select(User.is_active_account).where(User.person_id == feed.person_id))
    if not active:
        return False
    if feed.team_id is None:
        return True
    team = db.session.get(Team, feed.team_id)
    return team is not None and permissions.can_manage_rota(permissions.scope_for_person(feed.person_id), team)


def feed_for(feed_id: int, secret: str) -> Optional[CalendarFeed]:
    """The feed an address names, or None (wrong or revoked secret, owner no longer allowed)."""
    if not 0 < feed_id <= MAX_ID or not secret or len(secret) > 64 or not secret.isascii():
        return None
    feed = db.session.get(CalendarFeed, feed_id)
    presented = _hash(secret)
    if feed is None or not hmac.compare_digest(presented, feed.token_hash) or feed.revoked_at is not None:
        return None
    return feed if may_read(feed) else None

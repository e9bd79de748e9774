"""Login rate limits: one atomic counter per key in our own database (SQLite and PostgreSQL alike).

Flask-Limiter keeps its counters in memory, Redis, Memcached or MongoDB (the `limits` library), not in
our SQL database: in-memory counters are per worker (gunicorn runs several), and the platform has no
Redis. So the count is one INSERT ... ON CONFLICT DO UPDATE ... RETURNING: concurrent attempts each get
a distinct number and at most `limit` of them reach the password check.

Keys: 'pair:<identifier>|<ip>' (the tight limit, with exponential back-off: each lock lasts twice the
last, up to a day) and 'ip:<ip>' (a loose limit, high enough for an office behind one NAT). A stranger
guessing from elsewhere uses up only their own pair, never the owner's.

Rows are pruned by the scheduler (`prune`, in jobs.JOBS) a day after their window ended: by then the
back-off it remembers (penalty) has run its longest, and a quiet day forgets it.
"""
from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import LoginThrottle, db

from coordination.clock import utcnow

MAX_PENALTY = 24 * 3600


def _upsert(key: str, limit: int, window: int, now: int):
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(LoginThrottle)
    t = LoginThrottle.__table__.c
    expired = t.reset_at <= now
    crossing = sa.and_(sa.not_(expired), t.attempts + 1 == limit + 1)  # this attempt starts a lock
    doubled = sa.case((t.penalty * 2 > MAX_PENALTY, MAX_PENALTY), else_=t.penalty * 2)
    stmt = insert.values(key=key, attempts=1, reset_at=now + window, penalty=window).on_conflict_do_update(
        index_elements=["key"],
        set_={"attempts": sa.case((expired, 1), else_=t.attempts + 1),
              "reset_at": sa.case((expired, now + window), (crossing, now + t.penalty), else_=t.reset_at),
              "penalty": sa.case((crossing, doubled), else_=t.penalty)},
    ).returning(LoginThrottle.attempts, LoginThrottle.reset_at)
    return db.session.execute(stmt).one()


def take(identifier: str, ip: str, limit: int, ip_limit: int, window_minutes: int) -> int:
    """Count one attempt and commit it. Returns 0 when it may go on, else the minutes to wait."""
    now = int(utcnow().timestamp())
    window = window_minutes * 60
    waits = []
    for key, most in ((f"pair:{identifier}|{ip}", limit), (f"ip:{ip}", ip_limit)):
        attempts, reset_at = _upsert(key[:320], most, window, now)
        if attempts > most:
            waits.append(max(1, math.ceil((reset_at - now) / 60)))
    db.session.commit()  # visible to concurrent attempts before the (slow) password check
    return max(waits, default=0)


def succeeded(identifier: str, ip: str) -> None:
    """A right password: the pair starts afresh, and it does not count against the office's IP."""
    t = LoginThrottle.__table__.c
    db.session.execute(sa.delete(LoginThrottle).where(t.key == f"pair:{identifier}|{ip}"[:320]))
    db.session.execute(sa.update(LoginThrottle).where(t.key == f"ip:{ip}"[:320], t.attempts > 0)
                       .values(attempts=t.attempts - 1))


def prune() -> dict:
    """Delete the counters whose window ended more than MAX_PENALTY seconds ago, and commit.
    Returns {"pruned": n} for the scheduler's log."""
    now = int(utcnow().timestamp())
    t = LoginThrottle.__table__.c
    pruned = db.session.execute(sa.delete(LoginThrottle).where(t.reset_at < now - MAX_PENALTY)).rowcount
    db.session.commit()
    return {"pruned": pruned}

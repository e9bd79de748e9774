"""How long open commendation proposals have waited, and which wait too long.

A proposal is open while proposed or reviewed. It waits whole days since it was proposed ("chờ 5
ngày": 5 × 24 hours have passed, not yet 6). It waits too long when those days exceed the setting:
COMMENDATION_MAX_WAIT_DAYS for ad-hoc proposals (default 7: an act worth recognising now),
COMMENDATION_MAX_WAIT_DAYS_REGULAR for the others (default 30). Counts are per province, in SQL.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app, has_app_context

from config import Config
from models import AdminUnit, Commendation, Person, Team, db
from models.emulation import OPEN_STATUSES

from coordination.clock import utcnow


def max_wait_days(ad_hoc: bool) -> int:
    key = "COMMENDATION_MAX_WAIT_DAYS" if ad_hoc else "COMMENDATION_MAX_WAIT_DAYS_REGULAR"
    return int(current_app.config.get(key, getattr(Config, key)) if has_app_context() else getattr(Config, key))


def waiting_days(c: Commendation, now: Optional[datetime] = None) -> Optional[int]:
    """Whole days an open proposal has waited; None once decided."""
    if c.status not in OPEN_STATUSES:
        return None
    return max(0, ((now or utcnow()) - c.created_at) // timedelta(days=1))


def is_overdue(c: Commendation, now: Optional[datetime] = None) -> bool:
    days = waiting_days(c, now)
    return days is not None and days > max_wait_days(c.ad_hoc)


def overdue_clause(now: Optional[datetime] = None):
    """SQL: open and waiting more whole days than allowed (proposed at or before now − (max + 1) days)."""
    now = now or utcnow()

    def cutoff(ad_hoc: bool) -> datetime:
        return now - timedelta(days=max_wait_days(ad_hoc) + 1)
    return sa.and_(Commendation.status.in_(OPEN_STATUSES), sa.or_(
        sa.and_(Commendation.ad_hoc.is_(True), Commendation.created_at <= cutoff(True)),
        sa.and_(Commendation.ad_hoc.is_(False), Commendation.created_at <= cutoff(False))))


def overdue_counts(visible=None, now: Optional[datetime] = None) -> dict[str, dict[str, int]]:
    """{province_code: {"ad_hoc": n, "regular": n}} of proposals waiting too long; `visible` is an
    optional SQL clause restricting the commendations (a scope's)."""
    q = (sa.select(Commendation.province_code, Commendation.ad_hoc, sa.func.count())
         .where(overdue_clause(now)).group_by(Commendation.province_code, Commendation.ad_hoc))
    if visible is not None:
        q = q.where(visible)
    out: dict[str, dict[str, int]] = {}
    for province_code, ad_hoc, n in db.session.execute(q):
        out.setdefault(province_code, {"ad_hoc": 0, "regular": 0})["ad_hoc" if ad_hoc else "regular"] += n
    return out


def overdue_list(visible=None, now: Optional[datetime] = None, limit: int = 100) -> list:
    """(Commendation, commune name, person's name or None) waiting too long, longest wait first."""
    q = (sa.select(Commendation, AdminUnit.name, Person.full_name)
         .join(Team, Team.id == Commendation.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .outerjoin(Person, Person.id == Commendation.person_id)
         .where(overdue_clause(now)).order_by(Commendation.created_at, Commendation.id).limit(limit))
    if visible is not None:
        q = q.where(visible)
    return db.session.execute(q).all()

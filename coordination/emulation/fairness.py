"""Fairness figures on commendations, per province and nationally, counted in SQL.

Over the approved commendations (decided in [since, until) when given): how many went to direct
workers (members) and how many to leads (the recipient's role in the team when proposed), and how
many to whole teams; how many to remote communes and special zones (targets.is_remote_clause) and
how many to the others; for a person, by their affiliation (youth union, enterprise, health
station…). The median time from proposal to decision counts every decided proposal, approved or
rejected (a refusal is a decision too), and separately the ad-hoc ones; in days, one decimal.
The national figures add up the provinces; the national median is taken over the whole country.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from models import AdminUnit, Commendation, Person, Team, db
from models.emulation import APPROVED, REJECTED

from coordination.emulation.targets import is_remote_clause

NATION = ""  # the key of the national figures


@dataclass
class Fairness:
    total: int = 0  # approved commendations
    members: int = 0  # to a member (direct worker)
    leads: int = 0
    teams: int = 0  # to a whole team
    remote: int = 0  # to a team in a remote commune or special zone
    affiliations: dict[str, int] = field(default_factory=dict)  # {affiliation: commendations to a person}
    median_days: Optional[float] = None  # proposal to decision, every decided proposal
    median_days_ad_hoc: Optional[float] = None
    decided: int = 0
    decided_ad_hoc: int = 0

    @property
    def others(self) -> int:
        return self.total - self.remote

    def share(self, n: int) -> Optional[float]:
        """n as a percentage of the approved commendations, one decimal; None when there are none."""
        return round(100.0 * n / self.total, 1) if self.total else None

    def person_share(self, n: int) -> Optional[float]:
        """n as a percentage of the commendations to a person (for affiliations)."""
        people = self.members + self.leads
        return round(100.0 * n / people, 1) if people else None

    def add(self, other: "Fairness") -> None:
        for name in ("total", "members", "leads", "teams", "remote", "decided", "decided_ad_hoc"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, n in other.affiliations.items():
            self.affiliations[code] = self.affiliations.get(code, 0) + n


def _period(q, column, since: Optional[datetime], until: Optional[datetime]):
    if since is not None:
        q = q.where(column >= since)
    if until is not None:
        q = q.where(column < until)
    return q


def _seconds():
    if db.engine.dialect.name == "sqlite":
        return (sa.func.julianday(Commendation.decided_at) - sa.func.julianday(Commendation.created_at)) * 86400.0
    return sa.extract("epoch", Commendation.decided_at - Commendation.created_at)


def _medians(by_province: bool, ad_hoc_only: bool, where, since, until) -> dict[str, tuple[float, int]]:
    """{province or NATION: (median days, decided)}: the middle row(s) by row number, in SQL."""
    part = [Commendation.province_code] if by_province else []
    key = Commendation.province_code if by_province else sa.literal(NATION)
    seconds = _seconds()
    q = sa.select(key.label("k"), seconds.label("s"),
                  sa.func.row_number().over(partition_by=part, order_by=seconds).label("rn"),
                  sa.func.count().over(partition_by=part).label("n")).where(
        Commendation.status.in_((APPROVED, REJECTED)), Commendation.decided_at.is_not(None), where)
    if ad_hoc_only:
        q = q.where(Commendation.ad_hoc.is_(True))
    d = _period(q, Commendation.decided_at, since, until).subquery()
    middle = (sa.select(d.c.k, sa.func.avg(d.c.s), sa.func.max(d.c.n))
              .where(d.c.rn.in_([(d.c.n + 1) // 2, (d.c.n + 2) // 2])).group_by(d.c.k))
    return {k: (round(float(s) / 86400.0, 1), int(n)) for k, s, n in db.session.execute(middle)}


def figures(province_code: Optional[str] = None, since: Optional[datetime] = None,
            until: Optional[datetime] = None) -> dict[str, Fairness]:
    """{province_code: Fairness, …, NATION: Fairness} — every province with a commendation, and the
    nation (just one province and the nation's figures restricted to it when province_code is given)."""
    where = Commendation.province_code == province_code if province_code else sa.true()
    approved = sa.and_(Commendation.status == APPROVED, where)
    one = sa.literal(1)
    q = (sa.select(Commendation.province_code, sa.func.count(),
                   sa.func.sum(sa.case((Commendation.recipient_role == "member", one), else_=0)),
                   sa.func.sum(sa.case((Commendation.recipient_role == "lead", one), else_=0)),
                   sa.func.sum(sa.case((Commendation.person_id.is_(None), one), else_=0)),
                   sa.func.sum(sa.case((is_remote_clause(), one), else_=0)))
         .join(Team, Team.id == Commendation.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .where(approved).group_by(Commendation.province_code))
    out: dict[str, Fairness] = {}
    for code, total, members, leads, whole, remote in db.session.execute(_period(q, Commendation.decided_at,
                                                                                 since, until)):
        out[code] = Fairness(int(total), int(members or 0), int(leads or 0), int(whole or 0), int(remote or 0))
    q = (sa.select(Commendation.province_code, Person.affiliation, sa.func.count())
         .join(Person, Person.id == Commendation.person_id).where(approved)
         .group_by(Commendation.province_code, Person.affiliation))
    for code, affiliation, n in db.session.execute(_period(q, Commendation.decided_at, since, until)):
        out.setdefault(code, Fairness()).affiliations[affiliation] = int(n)
    for ad_hoc in (False, True):
        for code, (days, n) in _medians(True, ad_hoc, where, since, until).items():
            f = out.setdefault(code, Fairness())
            if ad_hoc:
                f.median_days_ad_hoc, f.decided_ad_hoc = days, n
            else:
                f.median_days, f.decided = days, n
    nation = Fairness()
    for f in out.values():
        nation.add(f)
    nation.median_days = _medians(False, False, where, since, until).get(NATION, (None, 0))[0]
    nation.median_days_ad_hoc = _medians(False, True, where, since, until).get(NATION, (None, 0))[0]
    out[NATION] = nation
    return out

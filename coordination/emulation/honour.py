"""The public honour board (bảng vinh danh, issue 22 §4): approved commendations, newest first, by
province and by month (the Vietnam month of the decision), a page at a time; and one approved
commendation for its own page and card. Names, team, commune and province — never a phone number,
never a proposal that is pending or was rejected."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import AdminUnit, Commendation, Person, Team, db
from models.emulation import APPROVED

from coordination.clock import local_to_utc, local_today
from coordination.emulation.targets import is_remote_clause

PAGE_SIZE = 20
MONTHS_OFFERED = 24


@dataclass(frozen=True)
class Honour:
    id: int
    decided_at: datetime
    reason: str
    person_name: Optional[str]
    team_name: str
    commune: str
    province_code: str
    province: str
    remote: bool

    @property
    def who(self) -> str:
        """The person's name, or the team's when the whole team is commended."""
        return self.person_name or self.team_name


def _select():
    province = aliased(AdminUnit)
    return (sa.select(Commendation.id, Commendation.decided_at, Commendation.reason, Person.full_name, Team.name,
                      AdminUnit.name, Commendation.province_code, province.name, is_remote_clause())
            .join(Team, Team.id == Commendation.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
            .join(province, province.code == Commendation.province_code)
            .outerjoin(Person, Person.id == Commendation.person_id)
            .where(Commendation.status == APPROVED))


def _honour(row) -> Honour:
    return Honour(*row[:8], remote=bool(row[8]))


def parse_month(raw: Optional[str]) -> Optional[date]:
    """'2026-11' -> 1 November 2026; anything else -> None (the whole history)."""
    try:
        year, month = (int(x) for x in (raw or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def months(today: Optional[date] = None) -> list[date]:
    """The months offered in the filter, this month first."""
    first = (today or local_today()).replace(day=1)
    out = [first]
    for _ in range(MONTHS_OFFERED - 1):
        out.append(date(out[-1].year - (out[-1].month == 1), (out[-1].month - 2) % 12 + 1, 1))
    return out


def _filtered(q, province_code: Optional[str], month: Optional[date], remote_only: bool):
    if province_code:
        q = q.where(Commendation.province_code == province_code)
    if month:  # the Vietnam month, as a range of UTC moments: the (status, decided_at) index serves it
        q = q.where(Commendation.decided_at >= local_to_utc(month, time()),
                    Commendation.decided_at < local_to_utc(_next_month(month), time()))
    if remote_only:
        q = q.where(is_remote_clause())
    return q


def board(province_code: Optional[str] = None, month: Optional[date] = None, remote_only: bool = False,
          page: int = 1, size: int = PAGE_SIZE) -> tuple[list[Honour], int]:
    """One page of the board, newest decision first, and how many there are in all."""
    page = max(page, 1)
    rows = db.session.execute(_filtered(_select(), province_code, month, remote_only)
                              .order_by(Commendation.decided_at.desc(), Commendation.id.desc())
                              .limit(size).offset((page - 1) * size)).all()
    count = sa.select(sa.func.count()).select_from(Commendation).where(Commendation.status == APPROVED)
    if remote_only:
        count = count.join(Team, Team.id == Commendation.team_id).join(AdminUnit,
                                                                       AdminUnit.code == Team.admin_unit_code)
    total = db.session.scalar(_filtered(count, province_code, month, remote_only))
    return [_honour(r) for r in rows], int(total or 0)


def approved(commendation_id: int) -> Optional[Honour]:
    """One approved commendation; None for a pending or rejected one, as for one that does not exist."""
    row = db.session.execute(_select().where(Commendation.id == commendation_id)).first()
    return _honour(row) if row else None

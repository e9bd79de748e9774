"""Read models for pages and the API: aggregates computed in SQL, never by loading every row."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa

from models import AdminUnit, Membership, Person, Team, db
from models.geography import COMMUNE as COMMUNE_UNIT
from models.geography import PROVINCE as PROVINCE_UNIT
from models.teams import COMMUNE, LEAD, LOCAL_TEAMS, PROVINCE, PROVINCE_REQUIRED_ROLES, VILLAGE

from coordination.core import permissions
from coordination.org.teams import Completeness, province_completeness, province_team


def member_counts(team_ids) -> dict[int, int]:
    """team id -> number of active memberships, counted in SQL for just these teams."""
    ids = list(team_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Membership.team_id, sa.func.count()).where(Membership.team_id.in_(ids),
                                                             Membership.end_date.is_(None))
        .group_by(Membership.team_id))
    return dict(rows.all())


@dataclass
class CommuneTeamRow:
    team_id: int
    unit_code: str
    unit_name: str
    unit_type: str
    members: int
    lead_name: Optional[str]


@dataclass
class ProvinceOverview:
    province: AdminUnit
    team: Optional[Team]
    completeness: Completeness
    province_members: list[Membership]
    commune_teams: list[CommuneTeamRow]
    communes_total: int
    communes_without_team: list[AdminUnit]
    people_total: int


def province_overview(province_code: str) -> Optional[ProvinceOverview]:
    province = db.session.get(AdminUnit, province_code)
    if province is None or province.level != PROVINCE_UNIT:
        return None
    team = province_team(province.code)
    members = []
    if team is not None:
        members = list(db.session.scalars(
            sa.select(Membership).join(Person).where(Membership.team_id == team.id, Membership.end_date.is_(None))
            .options(sa.orm.contains_eager(Membership.person)).order_by(Membership.role, Person.full_name)))
    lead = sa.orm.aliased(Membership)
    lead_person = sa.orm.aliased(Person)
    rows = db.session.execute(
        sa.select(Team.id, AdminUnit.code, AdminUnit.name, AdminUnit.unit_type, lead_person.full_name)
        .join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
        .outerjoin(lead, sa.and_(lead.team_id == Team.id, lead.role == LEAD, lead.end_date.is_(None)))
        .outerjoin(lead_person, lead_person.id == lead.person_id)
        .where(Team.level == COMMUNE, Team.province_code == province.code)
        .order_by(AdminUnit.name)).all()
    counts = member_counts(r[0] for r in rows)
    commune_teams = [CommuneTeamRow(tid, code, name, utype, counts.get(tid, 0), lead_name)
                     for tid, code, name, utype, lead_name in rows]
    has_team = sa.select(Team.id).where(Team.level == COMMUNE, Team.admin_unit_code == AdminUnit.code).exists()
    without = list(db.session.scalars(
        sa.select(AdminUnit).where(AdminUnit.level == COMMUNE_UNIT, AdminUnit.province_code == province.code, ~has_team)
        .order_by(AdminUnit.name)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AdminUnit).where(
        AdminUnit.level == COMMUNE_UNIT, AdminUnit.province_code == province.code))
    people = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Membership.person_id))).join(Team, Team.id == Membership.team_id)
        .where(Team.province_code == province.code, Team.level.in_(LOCAL_TEAMS), Membership.end_date.is_(None)))
    return ProvinceOverview(province, team, province_completeness(team), members, commune_teams, total, without,
                            people or 0)


@dataclass
class ProvinceSummary:
    code: str
    name: str
    communes: int
    commune_teams: int
    people: int
    missing: tuple[str, ...]  # the province team's required roles nobody holds (all three without a team)
    has_team: bool

    @property
    def complete(self) -> bool:
        return self.has_team and not self.missing


def national_summary() -> list[ProvinceSummary]:
    """One row per province: communes, commune teams, active people, province team completeness."""
    communes = (sa.select(AdminUnit.province_code.label("code"), sa.func.count().label("n"))
                .where(AdminUnit.level == COMMUNE_UNIT).group_by(AdminUnit.province_code).subquery())
    teams = (sa.select(Team.province_code.label("code"), sa.func.count().label("n"))
             .where(Team.level == COMMUNE).group_by(Team.province_code).subquery())
    people = (sa.select(Team.province_code.label("code"),
                        sa.func.count(sa.distinct(Membership.person_id)).label("n"))
              .join(Team, Team.id == Membership.team_id)
              .where(Team.level.in_(LOCAL_TEAMS), Membership.end_date.is_(None))
              .group_by(Team.province_code).subquery())
    held: dict[str, set[str]] = {}
    for code, role in db.session.execute(
            sa.select(Team.province_code, Membership.role).distinct().join(Team, Team.id == Membership.team_id)
            .where(Team.level == PROVINCE, Membership.end_date.is_(None), Membership.role.in_(PROVINCE_REQUIRED_ROLES))):
        held.setdefault(code, set()).add(role)
    pteam = (sa.select(Team.province_code.label("code")).where(Team.level == PROVINCE).subquery())
    rows = db.session.execute(
        sa.select(AdminUnit.code, AdminUnit.name, sa.func.coalesce(communes.c.n, 0), sa.func.coalesce(teams.c.n, 0),
                  sa.func.coalesce(people.c.n, 0), pteam.c.code)
        .outerjoin(communes, communes.c.code == AdminUnit.code)
        .outerjoin(teams, teams.c.code == AdminUnit.code)
        .outerjoin(people, people.c.code == AdminUnit.code)
        .outerjoin(pteam, pteam.c.code == AdminUnit.code)
        .where(AdminUnit.level == PROVINCE_UNIT).order_by(AdminUnit.name))
    return [ProvinceSummary(code, name, c, t, p, tuple(r for r in PROVINCE_REQUIRED_ROLES if r not in held.get(code, ())),
                            has is not None)
            for code, name, c, t, p, has in rows]


def team_members(team_id: int, include_ended: bool = False) -> list[Membership]:
    q = (sa.select(Membership).join(Person).where(Membership.team_id == team_id)
         .options(sa.orm.contains_eager(Membership.person)))
    if not include_ended:
        q = q.where(Membership.end_date.is_(None))
    return list(db.session.scalars(q.order_by(Membership.end_date.is_not(None), Membership.role, Person.full_name)))


def village_teams(commune_team_id: int) -> list[tuple[Team, int]]:
    """A commune team's village teams by name, each with its number of active members."""
    villages = db.session.scalars(sa.select(Team).where(Team.parent_id == commune_team_id, Team.level == VILLAGE)
                                  .order_by(Team.name)).all()
    counts = member_counts(v.id for v in villages)
    return [(v, counts.get(v.id, 0)) for v in villages]


def commune_teams(province_code: str) -> list:
    """(team id, commune name) of the province's commune teams, by name (filters, audiences)."""
    return db.session.execute(sa.select(Team.id, AdminUnit.name).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                              .where(Team.level == COMMUNE, Team.province_code == province_code)
                              .order_by(AdminUnit.name)).all()


def member_choices(team_id: int) -> list:
    """(person id, name) of the team's active members, by name (who a task or a commendation can name)."""
    return db.session.execute(sa.select(Person.id, Person.full_name).join(Membership).where(
        Membership.team_id == team_id, Membership.end_date.is_(None)).order_by(Person.full_name)).all()


def active_team_ids(person_id: int) -> list[int]:
    """The teams the person is an active member of."""
    return list(db.session.scalars(sa.select(Membership.team_id).where(
        Membership.person_id == person_id, Membership.end_date.is_(None))))


def person_memberships(person_id: int, current_first: bool = True) -> list[Membership]:
    """Every membership of the person, with its team loaded: current ones first, newest first (the
    pages), or simply in the order they started (current_first=False: the API)."""
    order = ((Membership.end_date.is_not(None), Membership.start_date.desc()) if current_first
             else (Membership.start_date, Membership.id))
    return list(db.session.scalars(
        sa.select(Membership).join(Team).where(Membership.person_id == person_id)
        .options(sa.orm.contains_eager(Membership.team)).order_by(*order)))


def visible_teams(scope, province_code: Optional[str] = None, level: Optional[str] = None, limit: int = 50,
                  offset: int = 0) -> list[Team]:
    """Teams the scope may see (of one province, of one level, if given), by province, level and name."""
    query = sa.select(Team).where(permissions.visible_teams_clause(scope))
    if province_code:
        query = query.where(Team.province_code == province_code)
    if level:
        query = query.where(Team.level == level)
    return list(db.session.scalars(query.order_by(Team.province_code, Team.level, Team.name, Team.id)
                                   .limit(limit).offset(offset)))


def home_province(scope) -> Optional[str]:
    """Where a non-ministry user lands: the province they lead, else their team's province."""
    if len(scope.provinces) == 1:
        return next(iter(scope.provinces))
    if scope.member_teams and not scope.provinces:
        return db.session.scalar(sa.select(Team.province_code).where(Team.id.in_(scope.member_teams),
                                                                     Team.province_code.is_not(None)).limit(1))
    return None

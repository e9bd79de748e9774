"""Team structure rules: province and commune teams, roles, completeness, history."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import AdminUnit, Membership, Person, Team, db
from models.geography import COMMUNE as COMMUNE_UNIT
from models.geography import PROVINCE as PROVINCE_UNIT
from models.teams import (COMMUNE, LEAD, LEADING_ROLES, MEMBER, NATIONAL, PROVINCE, PROVINCE_REQUIRED_ROLES,
    ROLES, VILLAGE)

from coordination.core import audit
from coordination.core.errors import Conflict, NotFound, Unprocessable, ValidationError
from coordination.core.text import clean_line
from coordination.org.people import PersonInput, create_person, find_by_phone
from coordination.clock import local_today, utcnow

SINGLE_HOLDER_ROLES = LEADING_ROLES  # one active holder each per team
ROLES_BY_LEVEL = {
    NATIONAL: (LEAD, MEMBER),
    PROVINCE: PROVINCE_REQUIRED_ROLES + (MEMBER,),
    COMMUNE: (LEAD, MEMBER),
    VILLAGE: (LEAD, MEMBER),
}


def get_unit(code: str, level: str) -> AdminUnit:
    """The unit with this code at this level, or a NotFound naming the code."""
    if not (code or "").strip():
        field = "province_code" if level == PROVINCE_UNIT else "commune_code"
        raise ValidationError(_l("Choose a province.") if level == PROVINCE_UNIT else _l("Choose a commune."),
                              field=field)
    unit = db.session.get(AdminUnit, (code or "").strip())
    if unit is None or unit.level != level:
        if level == PROVINCE_UNIT:
            raise NotFound(_l("Unknown province code “%(code)s”.", code=(code or "")[:20]), field="province_code")
        raise NotFound(_l("Unknown commune code “%(code)s”.", code=(code or "")[:20]), field="commune_code")
    return unit


def national_team() -> Optional[Team]:
    return db.session.scalar(sa.select(Team).where(Team.level == NATIONAL).limit(1))


def province_team(province_code: str) -> Optional[Team]:
    return db.session.scalar(sa.select(Team).where(Team.level == PROVINCE, Team.admin_unit_code == province_code))


def commune_team(commune_code: str) -> Optional[Team]:
    return db.session.scalar(sa.select(Team).where(Team.level == COMMUNE, Team.admin_unit_code == commune_code))


def create_national_team(name: str = "Tổ công tác Bộ", actor_id: Optional[int] = None) -> Team:
    team = national_team()
    if team:
        return team
    team = Team(level=NATIONAL, name=name)
    db.session.add(team)
    db.session.flush()
    audit.record(actor_id, "create", "team", team.id, after={"level": NATIONAL, "name": name})
    return team


def create_province_team(province_code: str, actor_id: Optional[int] = None) -> Team:
    """The province's technology team (Tổ công nghệ tỉnh). One per province."""
    unit = get_unit(province_code, PROVINCE_UNIT)
    if province_team(unit.code):
        raise Conflict(_l("%(unit)s already has a province team.", unit=unit.name), field="province_code")
    parent = national_team()
    team = Team(level=PROVINCE, name=f"Tổ công nghệ {unit.name}", admin_unit_code=unit.code,
                province_code=unit.code, parent_id=parent.id if parent else None)
    db.session.add(team)
    db.session.flush()
    audit.record(actor_id, "create", "team", team.id, province_code=unit.code, team_id=team.id,
                 after={"level": PROVINCE, "admin_unit_code": unit.code})
    return team


def create_commune_team(commune_code: str, parent_team_id: Optional[int] = None,
                        actor_id: Optional[int] = None, province_code: Optional[str] = None) -> Team:
    """A commune team (Tổ Công nghệ cộng đồng) under its province's team, created if missing.
    With `province_code`, the commune must lie in that province."""
    unit = get_unit(commune_code, COMMUNE_UNIT)
    if province_code is not None and unit.province_code != province_code:
        raise ValidationError(_l("%(unit)s is not in this province.", unit=unit.name), field="commune_code")
    if commune_team(unit.code):
        raise Conflict(_l("%(unit)s already has a team.", unit=unit.name), field="commune_code")
    if parent_team_id is not None:
        parent = db.session.get(Team, parent_team_id)
        if parent is None or parent.level != PROVINCE:
            raise ValidationError(_l("The parent must be a province team."), field="parent_team_id")
        if parent.province_code != unit.province_code:
            raise ValidationError(_l("%(unit)s is not in %(province)s: a commune team sits under its own "
                                     "province's team.", unit=unit.name, province=parent.admin_unit.name),
                                  field="parent_team_id")
    else:
        parent = province_team(unit.province_code) or create_province_team(unit.province_code, actor_id)
    team = Team(level=COMMUNE, name=f"Tổ Công nghệ cộng đồng {unit.name}", admin_unit_code=unit.code,
                province_code=unit.province_code, parent_id=parent.id)
    db.session.add(team)
    db.session.flush()
    audit.record(actor_id, "create", "team", team.id, province_code=unit.province_code, team_id=team.id,
                 after={"level": COMMUNE, "admin_unit_code": unit.code})
    return team


def create_village_team(commune: Team, name: str, actor_id: Optional[int] = None) -> Team:
    """A village / residential-group team (tổ thôn, tổ dân phố), named by the commune lead."""
    if commune.level != COMMUNE:
        raise ValidationError(_l("A village team sits under a commune team."), field="parent_team_id")
    name = clean_line(name, "name", _l("Name"))
    if not name:
        raise ValidationError(_l("Enter the village or residential group's name."), field="name")
    if len(name) > 200:
        raise ValidationError(_l("The name is too long (at most %(n)d characters).", n=200), field="name")
    team = Team(level=VILLAGE, name=name, admin_unit_code=commune.admin_unit_code,
                province_code=commune.province_code, parent_id=commune.id)
    db.session.add(team)
    db.session.flush()
    audit.record(actor_id, "create", "team", team.id, province_code=commune.province_code, team_id=team.id,
                 after={"level": VILLAGE, "name": name})
    return team


def active_holder(team_id: int, role: str) -> Optional[Membership]:
    return db.session.scalar(sa.select(Membership).where(
        Membership.team_id == team_id, Membership.role == role, Membership.end_date.is_(None)))


def add_member(team: Team, person: Person, role: str = MEMBER, start: Optional[date] = None,
               actor_id: Optional[int] = None) -> Membership:
    """Give `person` a role in `team`. Leading roles have one active holder each."""
    if role not in ROLES:
        raise ValidationError(_l("This role does not exist in this kind of team."), field="role")
    if role not in ROLES_BY_LEVEL[team.level]:  # a real role, of another level of team
        raise Unprocessable(_l("This role does not exist in this kind of team."), field="role")
    existing = db.session.scalar(sa.select(Membership).where(
        Membership.team_id == team.id, Membership.person_id == person.id, Membership.end_date.is_(None)))
    if existing and existing.role == role:
        raise Conflict(_l("%(name)s is already in this team with this role.", name=person.full_name), field="role")
    if role in SINGLE_HOLDER_ROLES:
        holder = active_holder(team.id, role)
        if holder:
            raise Conflict(_l("%(name)s already holds this role; end that membership first.",
                              name=holder.person.full_name), field="role")
    membership = Membership(person_id=person.id, team_id=team.id, role=role, start_date=start or local_today())
    db.session.add(membership)
    db.session.flush()
    audit.record(actor_id, "create", "membership", membership.id, province_code=team.province_code,
                 team_id=team.id,
                 after={"person_id": person.id, "team_id": team.id, "role": role})
    return membership


def add_new_person(team: Team, data: PersonInput, role: str = MEMBER, actor_id: Optional[int] = None) -> Person:
    """Register someone new and give them `role` in `team` (one transaction: both or neither)."""
    person = create_person(data, actor_id=actor_id)
    add_member(team, person, role, actor_id=actor_id)
    return person


def add_by_phone(team: Team, phone: str, role: str = MEMBER, actor_id: Optional[int] = None) -> Person:
    """Give `role` in `team` to the person already registered with this phone."""
    person = find_by_phone(phone)
    if person is None:
        raise NotFound(_l("Nobody is registered with this phone yet: add them as a new person."), field="phone")
    add_member(team, person, role, actor_id=actor_id)
    return person


def end_membership(membership: Membership, end: Optional[date] = None, actor_id: Optional[int] = None) -> Membership:
    """End a membership. The row stays: history is kept, never overwritten."""
    if membership.end_date is not None:
        raise Conflict(_l("This membership has already ended."))
    end = end or local_today()
    if end < membership.start_date:
        raise ValidationError(_l("A membership cannot end before it started."), field="end_date")
    membership.end_date = end
    membership.ended_at = utcnow()
    db.session.flush()
    team = membership.team
    audit.record(actor_id, "end", "membership", membership.id, province_code=team.province_code,
                 team_id=team.id,
                 before={"end_date": None}, after={"end_date": end})
    return membership


@dataclass
class Completeness:
    holders: dict[str, list[Person]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def province_completeness(team: Optional[Team]) -> Completeness:
    """A province team is complete only with a Sở Y tế co-chair, a Sở TT&TT co-chair and a
    provincial leader in charge. No team at all means all three are missing."""
    result = Completeness(holders={r: [] for r in PROVINCE_REQUIRED_ROLES})
    if team is not None:
        rows = db.session.execute(
            sa.select(Membership.role, Person).join(Person, Person.id == Membership.person_id)
            .where(Membership.team_id == team.id, Membership.end_date.is_(None),
                   Membership.role.in_(PROVINCE_REQUIRED_ROLES)))
        for role, person in rows:
            result.holders[role].append(person)
    result.missing = [r for r in PROVINCE_REQUIRED_ROLES if not result.holders[r]]
    return result

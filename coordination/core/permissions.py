"""Who may see and change what. Every access decision in the platform is made here.

Roles come from active memberships:
- a membership of the national team: ministry, national scope;
- a leading role (co-chair, leader in charge, lead) in a province team: province lead,
  everything inside that province;
- lead of a commune team: that team and its village teams;
- anyone else: themselves (and the teams they belong to, read-only).
Out-of-scope objects are reported as not found, so their existence does not leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa

from models import Membership, Person, Team, db
from models.teams import COMMUNE, LEADING_ROLES, NATIONAL, PROVINCE, VILLAGE

MINISTRY = "ministry"
PROVINCE_LEAD = "province_lead"
COMMUNE_LEAD = "commune_lead"
VOLUNTEER = "volunteer"


@dataclass(frozen=True)
class Scope:
    person_id: Optional[int] = None
    national: bool = False
    provinces: frozenset[str] = frozenset()  # provinces led
    led_teams: frozenset[int] = frozenset()  # commune/village teams led
    member_teams: frozenset[int] = frozenset()  # every team with an active membership

    @property
    def role(self) -> str:
        if self.national:
            return MINISTRY
        if self.provinces:
            return PROVINCE_LEAD
        if self.led_teams:
            return COMMUNE_LEAD
        return VOLUNTEER


ANONYMOUS = Scope()


def scope_for_person(person_id: Optional[int]) -> Scope:
    """Build a scope from the person's active memberships (one query)."""
    if person_id is None:
        return ANONYMOUS
    rows = db.session.execute(
        sa.select(Team.id, Team.level, Team.province_code, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.person_id == person_id, Membership.end_date.is_(None)))
    national, provinces, led, member = False, set(), set(), set()
    for team_id, level, province_code, role in rows:
        member.add(team_id)
        if level == NATIONAL:
            national = True
        elif level == PROVINCE and role in LEADING_ROLES:
            provinces.add(province_code)
        elif level in (COMMUNE, VILLAGE) and role in LEADING_ROLES:
            led.add(team_id)
    if led:  # a commune lead also leads the village teams under their commune team
        led |= set(db.session.scalars(sa.select(Team.id).where(Team.parent_id.in_(led), Team.level == VILLAGE)))
    return Scope(person_id, national, frozenset(provinces), frozenset(led), frozenset(member))


# --- provinces ---------------------------------------------------------------------------

def can_view_province(scope: Scope, province_code: str) -> bool:
    return scope.national or province_code in scope.provinces


def can_manage_province_team(scope: Scope, province_code: str) -> bool:
    """Ministry and the province's own leads manage the province team's membership."""
    return scope.national or province_code in scope.provinces


def can_create_province_team(scope: Scope) -> bool:
    return scope.national


def can_create_commune_team(scope: Scope, province_code: str) -> bool:
    return scope.national or province_code in scope.provinces


def can_search_units(scope: Scope) -> bool:
    return scope.person_id is not None


# --- teams -------------------------------------------------------------------------------

def can_view_team(scope: Scope, team: Team) -> bool:
    if scope.national:
        return True
    if team.level == NATIONAL:
        return team.id in scope.member_teams
    return (team.province_code in scope.provinces or team.id in scope.led_teams
            or team.id in scope.member_teams)


def can_manage_team(scope: Scope, team: Team) -> bool:
    if scope.national:
        return True
    if team.level == NATIONAL:
        return False
    return team.province_code in scope.provinces or team.id in scope.led_teams


def can_create_village_team(scope: Scope, commune_team: Team) -> bool:
    return commune_team.level == COMMUNE and can_manage_team(scope, commune_team)


def visible_teams_clause(scope: Scope):
    """A WHERE clause restricting `Team` rows to those the scope may see."""
    if scope.national:
        return sa.true()
    return sa.or_(Team.province_code.in_(scope.provinces), Team.id.in_(scope.led_teams | scope.member_teams),
                  sa.false())


def _managed_teams_clause(scope: Scope):
    if scope.national:
        return sa.true()
    return sa.or_(sa.and_(Team.province_code.in_(scope.provinces), Team.level != NATIONAL),
                  Team.id.in_(scope.led_teams), sa.false())


# --- people ------------------------------------------------------------------------------

def visible_people_clause(scope: Scope):
    """A WHERE clause restricting `Person` rows: themselves, and members (past or present)
    of teams the scope manages. Ministry sees everyone."""
    if scope.national:
        return sa.true()
    in_managed = (sa.select(Membership.id).join(Team, Team.id == Membership.team_id)
                  .where(Membership.person_id == Person.id, _managed_teams_clause(scope)).exists())
    return sa.or_(Person.id == (scope.person_id or -1), in_managed)


def can_view_person(scope: Scope, person: Person) -> bool:
    if scope.person_id is None:
        return False
    if scope.national or person.id == scope.person_id:
        return True
    return db.session.scalar(sa.select(sa.literal(True)).where(Person.id == person.id, visible_people_clause(scope))
                             .limit(1)) is True


def people_outside_authority(scope: Scope, person_ids) -> set[int]:
    """Of `person_ids`, those the scope has NO authority over (see `can_manage_person`); one query."""
    ids = {int(i) for i in person_ids}
    if scope.national or not ids:
        return set()
    if scope.person_id is None:
        return ids
    rows = db.session.execute(
        sa.select(Membership.person_id, Team.id, Team.level, Team.province_code)
        .join(Team, Team.id == Membership.team_id)
        .where(Membership.person_id.in_(ids), Membership.end_date.is_(None)))
    covered_any, outside = set(), set()
    for person_id, team_id, level, province_code in rows:
        if level != NATIONAL and (province_code in scope.provinces or team_id in scope.led_teams):
            covered_any.add(person_id)
        else:
            outside.add(person_id)
    # nobody gains reach over a person without an active role in their area: past memberships give none
    return outside | (ids - covered_any)


def can_manage_person(scope: Scope, person: Person) -> bool:
    """Authority over a person's identity (name, phone, affiliation), their login and their password:
    the scope must cover EVERY active membership of the person, and the person must have at least one.
    Only the national team covers national memberships; a province lead covers the teams of their
    province; a commune lead their commune team and its villages. Ended memberships count for nothing,
    so a person with no active role is managed by the ministry alone."""
    return person.id not in people_outside_authority(scope, [person.id])


def can_edit_person(scope: Scope, person: Person) -> bool:
    """Edit details: the person themselves, and whoever has authority over all their active roles."""
    return scope.person_id is not None and (person.id == scope.person_id or can_manage_person(scope, person))


def can_invite(scope: Scope, person: Person) -> bool:
    """Only a lead gives someone else a login (or resets it), and only with authority over the person."""
    return scope.role != VOLUNTEER and person.id != scope.person_id and can_manage_person(scope, person)


def can_manage_membership(scope: Scope, membership: Membership) -> bool:
    return can_manage_team(scope, membership.team)


# --- tasks -------------------------------------------------------------------------------

def can_see_operations(scope: Scope) -> bool:
    """/ops (processes, outbox, failures across the country) is for the ministry's operators."""
    return scope.national


def can_manage_work_kinds(scope: Scope) -> bool:
    """The catalogue of kinds of work is the ministry's: it adds and retires kinds for the country."""
    return scope.national


def can_create_tasks(scope: Scope, province_code: str) -> bool:
    """Province leads assign work to the communes of their province; the ministry anywhere."""
    return scope.national or province_code in scope.provinces


def can_create_national_tasks(scope: Scope) -> bool:
    return scope.national


def can_view_task(scope: Scope, task) -> bool:
    return can_view_team(scope, task.team)


def can_work_on_task(scope: Scope, task) -> bool:
    """Move it along and report progress: the team's members and everyone who manages the team."""
    return task.team_id in scope.member_teams or can_manage_team(scope, task.team)


def can_assign_task(scope: Scope, task) -> bool:
    """Hand a task to a member: the commune lead, and those above."""
    return can_manage_team(scope, task.team)


def can_correct_task(scope: Scope, task) -> bool:
    """Correct a task's done count (take a wrong report back): the team's lead, and those above."""
    return can_manage_team(scope, task.team)


def can_cancel_task(scope: Scope, task, user_id: Optional[int]) -> bool:
    return (user_id is not None and task.created_by_id == user_id) or scope.national \
        or task.province_code in scope.provinces


# --- duty --------------------------------------------------------------------------------

def can_manage_rota(scope: Scope, team: Team) -> bool:
    """Define rotas, add shifts, put people on them: whoever manages the team."""
    return can_manage_team(scope, team)


def can_claim_shift(scope: Scope, shift) -> bool:
    """A volunteer takes an open place on a shift of a team they belong to."""
    return shift.team_id in scope.member_teams


# --- messages ----------------------------------------------------------------------------

def visible_messages_clause(scope: Scope, message_model):
    """Ministry: all; province leads: their provinces' messages; everyone: messages sent to them."""
    if scope.national:
        return sa.true()
    return sa.or_(message_model.province_code.in_(scope.provinces), message_model.person_id == (scope.person_id or -1))


def can_resend(scope: Scope, message) -> bool:
    return scope.national or message.province_code in scope.provinces


def visible_broadcasts_clause(scope: Scope, broadcast_model):
    """The broadcasts whose counts and confirmations a scope reads: its author's scope (the ministry, the province's leads)."""
    return sa.true() if scope.national else broadcast_model.province_code.in_(scope.provinces)


def can_broadcast(scope: Scope, province_code: str) -> bool:
    """Urgent broadcasts to a province: its leads and the ministry."""
    return scope.national or province_code in scope.provinces

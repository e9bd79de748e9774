"""Team structure rules: one team per unit, roles, completeness, history."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import local_today
from coordination.org import teams
from coordination.core.errors import Conflict, NotFound, ValidationError
from models import Membership, Team, db
from models.teams import CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEAD, LEADER_IN_CHARGE, MEMBER
from tests.factories import HANOI, HCM, communes_of, make_person


def test_province_team_is_complete_only_with_both_co_chairs_and_the_leader(ctx):
    team = teams.create_province_team(HANOI)
    assert teams.province_completeness(team).missing == [CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEADER_IN_CHARGE]
    teams.add_member(team, make_person(), CO_CHAIR_HEALTH)
    teams.add_member(team, make_person(), CO_CHAIR_ICT)
    teams.add_member(team, make_person(), MEMBER)
    result = teams.province_completeness(team)
    assert not result.complete and result.missing == [LEADER_IN_CHARGE]
    leader = teams.add_member(team, make_person(), LEADER_IN_CHARGE)
    assert teams.province_completeness(team).complete
    teams.end_membership(leader)
    assert teams.province_completeness(team).missing == [LEADER_IN_CHARGE]


def test_no_team_at_all_is_missing_everything(ctx):
    assert not teams.province_completeness(None).complete


def test_one_team_per_commune_and_per_province(ctx):
    code = communes_of(HANOI, 1)[0].code
    teams.create_commune_team(code)
    with pytest.raises(Conflict):
        teams.create_commune_team(code)
    with pytest.raises(Conflict):
        teams.create_province_team(HANOI)


def test_the_database_itself_refuses_a_second_commune_team(ctx):
    unit = communes_of(HANOI, 1)[0]
    first = teams.create_commune_team(unit.code)
    db.session.add(Team(level="commune", name="dup", admin_unit_code=unit.code, province_code=HANOI,
                        parent_id=first.parent_id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_commune_team_sits_under_its_own_province_team(ctx):
    team = teams.create_commune_team(communes_of(HANOI, 1)[0].code)
    assert team.parent.level == "province" and team.parent.province_code == HANOI
    other_province = teams.create_province_team(HCM)
    with pytest.raises(ValidationError) as err:
        teams.create_commune_team(communes_of(HANOI, 2)[1].code, parent_team_id=other_province.id)
    assert err.value.field == "parent_team_id"


def test_unknown_codes_are_refused(ctx):
    with pytest.raises(NotFound):
        teams.create_commune_team("99999")
    with pytest.raises(NotFound):
        teams.create_commune_team(HANOI)  # a province code is not a commune
    with pytest.raises(ValidationError):
        teams.create_commune_team("")


def test_leading_roles_have_one_holder_and_roles_fit_the_level(ctx):
    team = teams.create_commune_team(communes_of(HANOI, 1)[0].code)
    first = make_person(full_name="Trưởng Một")
    teams.add_member(team, first, LEAD)
    with pytest.raises(Conflict) as err:
        teams.add_member(team, make_person(), LEAD)
    assert "Trưởng Một" in str(err.value)
    with pytest.raises(ValidationError):
        teams.add_member(team, make_person(), CO_CHAIR_HEALTH)  # a commune team has no co-chairs


def test_ending_a_membership_keeps_its_history(ctx):
    team = teams.create_commune_team(communes_of(HANOI, 1)[0].code)
    person = make_person()
    m = teams.add_member(team, person, MEMBER, start=local_today() - timedelta(days=10))
    with pytest.raises(ValidationError):
        teams.end_membership(m, end=local_today() - timedelta(days=20))
    teams.end_membership(m)
    db.session.commit()
    row = db.session.get(Membership, m.id)
    assert row.end_date == local_today() and not row.active
    with pytest.raises(Conflict):
        teams.end_membership(row)
    # The same person can join again; both rows remain.
    teams.add_member(team, person, MEMBER)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                             .where(Membership.person_id == person.id)) == 2


def test_village_teams_sit_under_a_commune_team(ctx):
    commune = teams.create_commune_team(communes_of(HANOI, 1)[0].code)
    village = teams.create_village_team(commune, "  Tổ dân phố   số 5 ")
    assert village.name == "Tổ dân phố số 5" and village.parent_id == commune.id
    teams.create_village_team(commune, "Tổ dân phố số 6")  # several per commune
    with pytest.raises(ValidationError):
        teams.create_village_team(commune.parent, "Thôn A")
    with pytest.raises(ValidationError):
        teams.create_village_team(commune, "   ")

"""Scope decisions as plain functions, and the permission matrix: every route x every role."""
from __future__ import annotations

import pytest

from coordination.core import permissions
from tests.factories import HANOI, HCM, ROLES, communes_of



def test_scopes_come_from_memberships(world):
    scope = lambda u: permissions.scope_for_person(u.person_id)  # noqa: E731
    assert scope(world.ministry).role == permissions.MINISTRY
    assert scope(world.lead_a).provinces == {HANOI}
    assert scope(world.lead_b).provinces == {HCM}
    assert scope(world.commune_lead).led_teams == {world.commune_team.id}
    assert scope(world.volunteer).role == permissions.VOLUNTEER


def test_ending_the_lead_membership_ends_the_scope(world):
    from coordination.org import teams
    from models import Membership, db

    m = db.session.query(Membership).filter_by(person_id=world.lead_a.person_id).one()
    teams.end_membership(m)
    assert permissions.scope_for_person(world.lead_a.person_id).provinces == frozenset()


def test_team_and_province_decisions(world):
    a = permissions.scope_for_person(world.lead_a.person_id)
    b = permissions.scope_for_person(world.lead_b.person_id)
    cl = permissions.scope_for_person(world.commune_lead.person_id)
    vol = permissions.scope_for_person(world.volunteer.person_id)
    assert permissions.can_view_province(a, HANOI) and not permissions.can_view_province(a, HCM)
    assert permissions.can_manage_team(a, world.commune_team) and not permissions.can_manage_team(b, world.commune_team)
    assert permissions.can_manage_team(cl, world.commune_team) and not permissions.can_manage_team(cl, world.province_team_a)
    assert permissions.can_view_team(vol, world.commune_team) and not permissions.can_manage_team(vol, world.commune_team)
    assert not permissions.can_view_team(vol, world.commune_team_b)
    assert not permissions.can_create_province_team(a)
    assert permissions.can_create_commune_team(a, HANOI) and not permissions.can_create_commune_team(a, HCM)


def _routes(w):
    """(method, path, data, expected status per role). 302 for anonymous means: sent to log in."""
    ct, vol = w.commune_team.id, w.volunteer.person_id
    other = w.lead_b.person_id
    new_member = {"new-full_name": "Người Mới", "new-phone": "0912 000 111", "new-role": "member",
                  "new-affiliation": "youth_union"}
    free_commune = communes_of(HANOI, 5)[4].code
    #                                             ministry lead_a lead_b c_lead volunteer anonymous
    return [
        ("GET", "/", None,                               (200, 302, 302, 302, 200, 302)),
        ("GET", "/search?q=ba+dinh", None,               (200, 200, 200, 200, 200, 302)),
        ("GET", "/people", None,                         (200, 200, 200, 200, 200, 302)),
        ("GET", "/account", None,                        (200, 200, 200, 200, 200, 302)),
        ("GET", f"/provinces/{HANOI}", None,             (200, 200, 404, 404, 404, 302)),
        ("GET", f"/provinces/{HCM}", None,               (200, 404, 200, 404, 404, 302)),
        ("GET", f"/teams/{ct}", None,                    (200, 200, 404, 200, 200, 302)),
        ("GET", f"/teams/{w.commune_team_b.id}", None,   (200, 404, 200, 404, 404, 302)),
        ("GET", f"/people/{vol}", None,                  (200, 200, 404, 200, 200, 302)),
        ("GET", f"/people/{other}", None,                (200, 404, 200, 404, 404, 302)),
        ("GET", f"/people/{vol}/edit", None,             (200, 200, 404, 200, 200, 302)),
        ("POST", f"/teams/{ct}/members", new_member,     (302, 302, 404, 302, 404, 302)),
        ("POST", f"/provinces/{HANOI}/communes", {"commune_code": free_commune},
                                                          (302, 302, 404, 404, 404, 302)),
        ("POST", f"/provinces/{HANOI}/team", {},          (302, 404, 404, 404, 404, 302)),
        ("POST", f"/memberships/{w.volunteer_membership.id}/end", {},
                                                          (302, 302, 404, 302, 404, 302)),
        # the volunteer already has a password: an invitation is refused (back to the page), a reset is the way
        ("POST", f"/people/{vol}/invite", {},             (302, 302, 404, 302, 404, 302)),
        ("POST", f"/people/{vol}/reset-password", {},     (200, 200, 404, 200, 404, 302)),
        ("POST", f"/teams/{ct}/villages", {"village-name": "Thôn 1"},
                                                          (302, 302, 404, 302, 404, 302)),
        ("GET", "/api/v1/me", None,                      (200, 200, 200, 200, 200, 401)),
        ("GET", f"/api/v1/teams/{ct}", None,             (200, 200, 404, 200, 200, 401)),
        ("GET", f"/api/v1/people/{vol}", None,           (200, 200, 404, 200, 200, 401)),
        ("GET", f"/api/v1/people/{other}", None,         (200, 404, 200, 404, 404, 401)),
        ("POST", f"/api/v1/teams/{ct}/members", {"full_name": "API Mới", "phone": "0912000222"},
                                                          (201, 201, 404, 201, 404, 401)),
    ]


ROUTE_COUNT = 23


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world, auth, role, index):
    routes = _routes(world)
    assert len(routes) == ROUTE_COUNT
    auth.check_route(world, role, routes[index])

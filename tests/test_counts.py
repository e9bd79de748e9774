"""The same count means the same thing everywhere (issue 18 §6): "members" are the people of the
commune and village teams, each counted once per commune — on the province header, the national
overview, the coverage map and the monthly report. The province team is its leadership, apart."""
from __future__ import annotations

from coordination.clock import local_today
from coordination.org import overview, teams
from coordination.reports import coverage, monthly
from models import db
from tests.factories import HANOI, make_person


def test_members_are_counted_alike_on_every_page(world):
    village = teams.create_village_team(world.commune_team, "Tổ dân phố 1")
    teams.add_member(village, world.volunteer.person, "member")  # in the commune team too: one person
    teams.add_member(village, make_person(full_name="Chỉ Ở Thôn"), "member")
    db.session.commit()
    coverage.clear_cache()
    header = overview.province_overview(HANOI).people_total
    national = next(p.people for p in overview.national_summary() if p.code == HANOI)
    on_map = next(p.members for p in coverage.provinces() if p.code == HANOI)
    report = monthly.build(monthly.month_start(local_today().strftime("%Y-%m")), HANOI).total.members
    assert header == national == on_map == report
    in_local_teams = {m.person_id for t in (world.commune_team, village) for m in overview.team_members(t.id)}
    assert header == len(in_local_teams)  # the province team's leads are not in it

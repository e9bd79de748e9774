"""Commendations (issue 22 §4): forms and their deciding level, the ad-hoc fast path, waiting times
flagged at the configured threshold, and fairness figures counted by hand."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination import clock
from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.permissions import scope_for_person
from coordination.emulation import commendation_waits, commendations, fairness
from coordination.emulation import targets as emulation
from coordination.org import teams
from models import Commendation, Membership, Person, db
from models.teams import MEMBER
from tests.factories import HANOI, HCM, communes_of, make_person

NOW = datetime(2026, 11, 15, 3, 0, tzinfo=timezone.utc)
YESTERDAY = date(2026, 11, 14)
pytestmark = pytest.mark.clock_at(NOW)
REASON = "Trực đủ 30 ca đêm trong mùa mưa bão"


def scope(user):
    return scope_for_person(user.person_id)


def propose(world, by, form_code, person=None, team=None, ad_hoc=False, act_on=None):
    c = commendations.propose(scope(by), by.id, team or world.commune_team, person, REASON, form_code=form_code,
                              ad_hoc=ad_hoc, act_on=act_on if act_on or not ad_hoc else YESTERDAY)
    db.session.commit()
    return c


def test_a_province_form_is_decided_by_the_province_only(world):
    c = propose(world, world.commune_lead, "bang_khen_tinh", world.volunteer.person)
    assert (c.form_name, c.deciding_level, c.recipient_role) == ("Bằng khen của Chủ tịch UBND tỉnh", "province",
                                                                 "member")
    with pytest.raises(NotFound):  # another province's lead
        commendations.review(scope(world.lead_b), c, world.lead_b.id)
    with pytest.raises(ValidationError):  # the ministry does not sign a province's bằng khen
        commendations.review(scope(world.ministry), c, world.ministry.id)
    commendations.review(scope(world.lead_a), c, world.lead_a.id)
    for attacker in (world.commune_lead, world.ministry):  # the proposer (below), a level above
        with pytest.raises(ValidationError):
            commendations.decide(scope(attacker), c, attacker.id, approve=True)
    with pytest.raises(NotFound):
        commendations.decide(scope(world.lead_b), c, world.lead_b.id, approve=True)
    assert c.status == "reviewed"
    commendations.decide(scope(world.lead_a), c, world.lead_a.id, approve=True)
    assert c.status == "approved" and c.decided_by_id == world.lead_a.id


def test_a_ministry_form_is_forwarded_by_the_province_and_decided_by_the_ministry(world):
    c = propose(world, world.commune_lead, "bang_khen_bo")
    commendations.review(scope(world.lead_a), c, world.lead_a.id)  # the province forwards it
    with pytest.raises(ValidationError):  # but may not approve above its level
        commendations.decide(scope(world.lead_a), c, world.lead_a.id, approve=True)
    commendations.decide(scope(world.ministry), c, world.ministry.id, approve=True)
    assert c.status == "approved"


def test_a_commune_form_is_decided_by_the_commune_lead_never_its_proposer(world):
    c = propose(world, world.lead_a, "giay_khen_xa", world.volunteer.person)
    for above in (world.lead_a, world.ministry):  # the proposer; the ministry is not the commune
        with pytest.raises(ValidationError):
            commendations.review(scope(above), c, above.id)
    commendations.review(scope(world.commune_lead), c, world.commune_lead.id)
    commendations.decide(scope(world.commune_lead), c, world.commune_lead.id, approve=True)
    assert c.status == "approved"
    own = propose(world, world.commune_lead, "giay_khen_xa", world.volunteer.person)
    with pytest.raises(ValidationError):  # approving one's own proposal
        commendations.review(scope(world.commune_lead), own, world.commune_lead.id)
    other_commune = propose(world, world.lead_b, "giay_khen_xa", team=world.commune_team_b)
    with pytest.raises(NotFound):  # a commune lead outside that commune
        commendations.review(scope(world.commune_lead), other_commune, world.commune_lead.id)


def test_an_unknown_form_is_refused_with_its_field(world):
    with pytest.raises(ValidationError) as err:
        propose(world, world.commune_lead, "huan_chuong_lao_dong")
    assert err.value.field == "form_code"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Commendation)) == 0


def test_ad_hoc_goes_straight_to_the_deciding_level(world):
    c = propose(world, world.commune_lead, "bang_khen_tinh", world.volunteer.person, ad_hoc=True)
    with pytest.raises(Conflict):  # no review step
        commendations.review(scope(world.lead_a), c, world.lead_a.id)
    with pytest.raises(ValidationError):  # still the deciding level only
        commendations.decide(scope(world.ministry), c, world.ministry.id, approve=True)
    commendations.decide(scope(world.lead_a), c, world.lead_a.id, approve=True)
    assert c.status == "approved" and c.reviewed_at is None and c.act_on == YESTERDAY
    regular = propose(world, world.commune_lead, "bang_khen_tinh")
    with pytest.raises(Conflict):  # a regular proposal is reviewed first
        commendations.decide(scope(world.lead_a), regular, world.lead_a.id, approve=True)


@pytest.mark.parametrize("act_on", [None, NOW.date() + timedelta(days=2), date(2026, 1, 1)])
def test_ad_hoc_needs_a_recent_day_it_happened(world, act_on):
    with pytest.raises(ValidationError) as err:
        commendations.propose(scope(world.commune_lead), world.commune_lead.id, world.commune_team, None, REASON,
                              form_code="bang_khen_tinh", ad_hoc=True, act_on=act_on)
    assert err.value.field == "act_on"


def test_waiting_is_flagged_past_the_configured_days(world, ctx):
    ad_hoc = propose(world, world.commune_lead, "bang_khen_tinh", ad_hoc=True)
    regular = propose(world, world.commune_lead, "bang_khen_tinh")

    def flagged(at):
        return {c.id for c, _commune, _person in commendation_waits.overdue_list(now=at)}
    almost = NOW + timedelta(days=8) - timedelta(minutes=1)
    assert commendation_waits.waiting_days(ad_hoc, almost) == 7 and flagged(almost) == set()
    assert commendation_waits.waiting_days(ad_hoc, NOW + timedelta(days=8)) == 8
    assert flagged(NOW + timedelta(days=8)) == {ad_hoc.id}  # more than 7 days
    assert flagged(NOW + timedelta(days=31)) == {ad_hoc.id, regular.id}  # regular: more than 30
    assert commendation_waits.overdue_counts(now=NOW + timedelta(days=31)) == {HANOI: {"ad_hoc": 1, "regular": 1}}
    ctx.config["COMMENDATION_MAX_WAIT_DAYS"] = 2
    try:
        assert flagged(NOW + timedelta(days=3)) == {ad_hoc.id}
        assert commendation_waits.is_overdue(ad_hoc, NOW + timedelta(days=3))
    finally:
        ctx.config["COMMENDATION_MAX_WAIT_DAYS"] = 7
    commendations.decide(scope(world.lead_a), ad_hoc, world.lead_a.id, approve=True)
    assert flagged(NOW + timedelta(days=31)) == {regular.id}  # decided: no longer waiting
    assert commendation_waits.waiting_days(ad_hoc) is None


def test_the_proposals_page_puts_long_waits_on_top(world, auth):
    propose(world, world.commune_lead, "bang_khen_tinh", world.volunteer.person, ad_hoc=True)
    clock.set_now(NOW + timedelta(days=9))
    propose(world, world.commune_lead, "bang_khen_tinh")
    auth.as_user(world.lead_a)
    html = auth.client.get("/thi-dua/commendations").get_data(as_text=True)
    top = html[html.index('id="overdue"'):html.index('id="proposals"')]
    assert "Tình Nguyện Viên" in top and "chờ 9 ngày" in top and "đột xuất" in top
    assert "chờ 0 ngày" in html[html.index('id="proposals"'):]  # the fresh one, not flagged
    auth.as_user(world.lead_b)
    assert 'id="overdue"' not in auth.client.get("/thi-dua/commendations").get_data(as_text=True)


@pytest.fixture
def decided(world):
    """Counted by hand. Hà Nội: team A (the world's) and team B (remote). Approved: the volunteer
    (member, youth union) after 2 days; the commune lead (lead, government) after 4; team B as a whole,
    ad-hoc, after 1. Rejected: a member of team B, ad-hoc, after 3. Still open: one. HCM: a member
    (enterprise), approved after 10 days.
    Hà Nội: 3 approved — member, lead, team 1 each; remote 1; median of 1, 2, 3, 4 = 2.5 days; ad-hoc 1, 3 → 2.0.
    HCM: 1 approved, a member; median 10.0. Nation: 4 approved, 50 % members, 25 % leads, 25 % teams,
    25 % remote; median of 1, 2, 3, 4, 10 = 3.0; ad-hoc 2.0; affiliations 1 each of 3 people."""
    a = world.commune_team
    b = teams.create_commune_team(communes_of(HANOI, 2)[1].code)
    emulation.set_remote(b, True, world.lead_a.id)
    youth = make_person(full_name="Đoàn Viên Bản B", affiliation="youth_union")
    teams.add_member(b, youth, MEMBER)
    world.volunteer.person.affiliation = "youth_union"
    world.commune_lead.person.affiliation = "government"
    hcm_member = db.session.scalar(sa.select(Person).join(Membership, Membership.person_id == Person.id)
                                   .where(Membership.team_id == world.commune_team_b.id))
    hcm_member.affiliation = "enterprise"
    db.session.commit()
    c1 = propose(world, world.commune_lead, "bang_khen_tinh", world.volunteer.person)
    c2 = propose(world, world.lead_a, "bang_khen_bo", world.commune_lead.person, team=a)
    c3 = propose(world, world.ministry, "bang_khen_tinh", team=b, ad_hoc=True)
    c4 = propose(world, world.ministry, "bang_khen_tinh", youth, team=b, ad_hoc=True)
    propose(world, world.commune_lead, "bang_khen_tinh")
    c6 = propose(world, world.lead_b, "bang_khen_bo", hcm_member, team=world.commune_team_b)
    for days, c, who, approve in ((1, c3, world.lead_a, True), (2, c1, world.lead_a, True),
                                  (3, c4, world.lead_a, False), (4, c2, world.ministry, True),
                                  (10, c6, world.ministry, True)):
        clock.set_now(NOW + timedelta(days=days))
        if not c.ad_hoc:
            commendations.review(scope(who), c, who.id)
        commendations.decide(scope(who), c, who.id, approve, None if approve else "Chưa đủ minh chứng")
        db.session.commit()
    return world


def test_fairness_figures_counted_by_hand(decided):
    f = fairness.figures()
    hn, hcm, nation = f[HANOI], f[HCM], f[fairness.NATION]
    assert (hn.total, hn.members, hn.leads, hn.teams, hn.remote) == (3, 1, 1, 1, 1)
    assert (hn.median_days, hn.median_days_ad_hoc, hn.decided, hn.decided_ad_hoc) == (2.5, 2.0, 4, 2)
    assert hn.affiliations == {"youth_union": 1, "government": 1}
    assert (hcm.total, hcm.members, hcm.median_days, hcm.median_days_ad_hoc) == (1, 1, 10.0, None)
    assert (nation.total, nation.share(nation.members), nation.share(nation.leads), nation.share(nation.teams),
            nation.share(nation.remote)) == (4, 50.0, 25.0, 25.0, 25.0)
    assert (nation.median_days, nation.median_days_ad_hoc) == (3.0, 2.0)
    assert nation.affiliations == {"youth_union": 1, "government": 1, "enterprise": 1}
    assert round(nation.person_share(1), 1) == 33.3
    only_hn = fairness.figures(HANOI)
    assert set(only_hn) == {HANOI, fairness.NATION} and only_hn[fairness.NATION].median_days == 2.5
    late = fairness.figures(since=NOW + timedelta(days=3, hours=12))  # decided after day 3.5: c2, c6
    assert (late[fairness.NATION].total, late[fairness.NATION].median_days) == (2, 7.0)


def test_fairness_on_the_proposals_page_for_leads_and_the_ministry(decided, auth):
    auth.as_user(decided.ministry)
    html = auth.client.get("/thi-dua/commendations").get_data(as_text=True)
    section = html[html.index('id="fairness"'):]
    assert "Công bằng" in section and 'id="fair-nation"' in section and f'id="fair-{HCM}"' in section
    nation = section[section.index('id="fair-nation"'):section.index(f'id="fair-{HANOI}"')]
    assert "50\u00a0%" in nation and "3,0" in nation
    auth.as_user(decided.lead_a)
    html = auth.client.get("/thi-dua/commendations").get_data(as_text=True)
    assert f'id="fair-{HANOI}"' in html and f'id="fair-{HCM}"' not in html  # own province and the nation
    hn = html[html.index(f'id="fair-{HANOI}"'):]
    assert "2,5" in hn and "2,0" in hn
    auth.as_user(decided.volunteer)
    assert auth.client.get("/thi-dua/commendations").status_code in (403, 404)


def test_approving_through_the_page_above_or_outside_the_scope_changes_nothing(world, auth):
    c = propose(world, world.commune_lead, "bang_khen_tinh", ad_hoc=True)
    for attacker in (world.lead_b, world.ministry, world.commune_lead):
        auth.as_user(attacker)
        response = auth.client.post(f"/thi-dua/commendations/{c.id}/approve", data={})
        assert response.status_code in (302, 303, 403, 404)
        db.session.expire_all()
        assert db.session.get(Commendation, c.id).status == "proposed"
    auth.as_user(world.ministry)
    assert 'id="approve"' not in auth.client.get(f"/thi-dua/commendations/{c.id}").get_data(as_text=True)
    auth.as_user(world.lead_a)
    page = auth.client.get(f"/thi-dua/commendations/{c.id}").get_data(as_text=True)
    assert 'id="approve"' in page and 'id="review"' not in page and "Bằng khen của Chủ tịch UBND tỉnh" in page
    auth.client.post(f"/thi-dua/commendations/{c.id}/approve", data={})
    db.session.expire_all()
    assert db.session.get(Commendation, c.id).status == "approved"


def test_proposing_ad_hoc_through_the_form(world, auth):
    auth.as_user(world.commune_lead)
    url = f"/thi-dua/commendations/new?team={world.commune_team.id}"
    bad = auth.client.post(url, data={"person": "", "form_code": "", "reason": REASON})
    assert bad.status_code == 400 and "Chọn hình thức khen thưởng" in bad.get_data(as_text=True)
    bad = auth.client.post(url, data={"person": "", "form_code": "bang_khen_tinh", "ad_hoc": "y", "reason": REASON})
    assert bad.status_code == 400 and "ngày" in bad.get_data(as_text=True).lower()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Commendation)) == 0
    ok = auth.client.post(url, data={"person": str(world.volunteer.person_id), "form_code": "bang_khen_tinh",
                                     "ad_hoc": "y", "act_on": "14/11/2026", "reason": REASON})
    assert ok.status_code == 302
    c = db.session.scalar(sa.select(Commendation))
    assert (c.ad_hoc, c.act_on, c.deciding_level) == (True, YESTERDAY, "province")

"""A lead-assessed criterion of a movement (issue 22 §1): the level above scores a team 0–100 with a note and
evidence; it counts with its weight; who may assess (attackers: another province's lead, the team's own
lead, a lead of both the province and the commune) — counted by hand, on both databases."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordination.core.errors import NotFound, ValidationError
from coordination.emulation import assessments, movements, standings
from coordination.org import teams
from models import Assessment, AuditEvent, db
from tests.factories import HANOI, communes_of
from tests.test_movements import NOW, hanoi, launch, register, scope  # noqa: F401 (fixture)

pytestmark = pytest.mark.clock_at(NOW)
LINK = "https://zalo.me/album/ba-dinh-vneid"


def _movement(hanoi):  # noqa: F811
    m = launch(hanoi, weights={"residents_helped": 1, "lead_assessed": 3})
    register(hanoi, m, hanoi.commune_team, {"residents_helped": 100, "lead_assessed": 80}, hanoi.commune_lead,
             hanoi.lead_a)
    register(hanoi, m, hanoi.team_b, {"residents_helped": 10, "lead_assessed": 80}, hanoi.commune_lead_b,
             hanoi.lead_a)
    db.session.commit()
    return m, m.criteria[1]


def test_the_level_above_scores_and_it_counts_with_its_weight(hanoi):  # noqa: F811
    """A: 50 of 100 residents, assessed 60 of a target of 80 → (1 × 0.5 + 3 × 0.75) ÷ 4 = 68.75 → 68.8.
    B: 12 of 10 residents (capped 1), not assessed yet (0) → 1 ÷ 4 = 25.0; assessed 95 (capped) → 100.0."""
    m, crit = _movement(hanoi)
    a = movements.entry_for(m, hanoi.commune_team.id)
    b = movements.entry_for(m, hanoi.team_b.id)
    assessments.assess(scope(hanoi.lead_a), hanoi.lead_a.id, m, a, crit.id, 60, "Đi từng nhà, có ảnh", LINK)
    db.session.commit()
    board = standings.ranking(m, now=NOW)
    assert [(s.team_id, s.score) for s in board] == [(hanoi.commune_team.id, 68.8), (hanoi.team_b.id, 25.0)]
    assert board[0].rows[1][1:] == (60.0, 80.0, 80.0)
    assert standings.team_figures(m, hanoi.team_b.id, now=NOW)[crit.id] is None  # not assessed: shown as —
    assessments.assess(scope(hanoi.ministry), hanoi.ministry.id, m, b, crit.id, 95, "Mô hình hay", LINK)
    assessments.assess(scope(hanoi.lead_a), hanoi.lead_a.id, m, a, crit.id, 40, "Chấm lại", LINK)  # replaces
    db.session.commit()
    assert [(s.team_id, s.score) for s in standings.ranking(m, now=NOW)] == [(hanoi.team_b.id, 100.0),
                                                                            (hanoi.commune_team.id, 50.0)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 2
    last = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "assess")
                              .order_by(AuditEvent.id.desc())).first()
    assert (last.before["score"], last.after["count"], last.after["note"]) == (60.0, 40.0, "Chấm lại")


def test_who_may_assess(hanoi):  # noqa: F811
    c = teams.create_commune_team(communes_of(HANOI, 3)[2].code)
    teams.add_member(c, hanoi.lead_a.person, "lead")  # the province lead also leads commune C
    m, crit = _movement(hanoi)
    a = movements.entry_for(m, hanoi.commune_team.id)
    for attacker in (hanoi.lead_b, hanoi.commune_lead, hanoi.commune_lead_b, hanoi.volunteer):
        with pytest.raises(NotFound):  # another province, the team's own lead, a neighbour, a member
            assessments.assess(scope(attacker), attacker.id, m, a, crit.id, 100, "Tự chấm", LINK)
    with pytest.raises(NotFound):  # …and cannot mark C
        assessments.assess(scope(hanoi.lead_a), hanoi.lead_a.id, m, movements.entry_for(m, c.id), crit.id, 100,
                           "Tự chấm", LINK)
    b = movements.entry_for(m, hanoi.team_b.id)
    with pytest.raises(NotFound):  # not a lead-assessed criterion of this movement
        assessments.assess(scope(hanoi.lead_a), hanoi.lead_a.id, m, b, m.criteria[0].id, 100, "x", LINK)
    other = launch(hanoi, weights={"lead_assessed": 1})
    with pytest.raises(NotFound):  # a criterion of another movement
        assessments.assess(scope(hanoi.lead_a), hanoi.lead_a.id, m, b, other.criteria[0].id, 100, "x", LINK)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


@pytest.mark.parametrize("score, note, link, field", [
    (None, "ok", LINK, "score"), (101, "ok", LINK, "score"), (-1, "ok", LINK, "score"),
    (50, "  ", LINK, "note"), (50, "x" * 301, LINK, "note"), (50, "ok", "", "evidence_url"),
    (50, "ok", "javascript:alert(1)", "evidence_url"), (50, "ok", "ftp://x.vn/a", "evidence_url"),
    (50, "ok", "https://x.vn/" + "a" * 500, "evidence_url"), (50, "ok", "https://x.vn/a b", "evidence_url"),
])
def test_an_assessment_is_refused_beside_its_field(hanoi, score, note, link, field):  # noqa: F811
    m, crit = _movement(hanoi)
    a = movements.entry_for(m, hanoi.commune_team.id)
    with pytest.raises(ValidationError) as err:
        assessments.assess(scope(hanoi.lead_a), hanoi.lead_a.id, m, a, crit.id, score, note, link)
    assert err.value.field == field


def test_the_province_lead_assesses_on_the_team_page_and_an_outsider_gets_404(hanoi, client, auth):  # noqa: F811
    m, crit = _movement(hanoi)
    url = f"/thi-dua/movements/{m.id}/teams/{hanoi.commune_team.id}"
    data = {"score": "60", "note": "Đi từng nhà", "evidence_url": LINK}
    auth.as_user(hanoi.commune_lead)
    assert "Chưa được đánh giá" in client.get(url).get_data(as_text=True)
    assert 'name="evidence_url"' not in client.get(url).get_data(as_text=True)  # the team cannot assess itself
    assert client.post(f"{url}/assess/{crit.id}", data=data).status_code == 404
    auth.as_user(hanoi.lead_b)
    assert client.post(f"{url}/assess/{crit.id}", data=data).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "refused")) == 1  # the team's own lead (HCM's lead cannot even see the movement)
    auth.as_user(hanoi.lead_a)
    page = client.post(f"{url}/assess/{crit.id}", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Đã lưu đánh giá" in page and "<b>60/100</b> · Đi từng nhà" in page and f'href="{LINK}"' in page
    assert HANOI == movements.entry_for(m, hanoi.commune_team.id).province_code
    assert 'value="60"' in page and f'value="{LINK}"' in page  # the form shows the current assessment

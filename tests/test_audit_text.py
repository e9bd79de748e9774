"""Audit events read as sentences with names, never ids (issue 18 §6)."""
import re
from types import SimpleNamespace

import pytest

from coordination.core.audit_text import SENTENCES, describe

RAW = re.compile(r"#\d|_id|_|[{}]")
PAIRS = sorted(SENTENCES) + [("refused", "user"), ("swap", "shift"), ("import", "import_batch")]


def event(action, entity, entity_id="7", after=None, team_id=3):
    return SimpleNamespace(action=action, entity=entity, entity_id=entity_id, after=after, team_id=team_id)


@pytest.mark.parametrize("action,entity", PAIRS)
def test_every_pair_reads_without_ids(app, action, entity):
    names = {("person", "21"): "Nguyễn Văn An", ("person", "7"): "Trần Thị Bình", ("team", "7"): "Tổ Hà Nội",
             ("team", "3"): "Tổ Hà Nội"}
    with app.test_request_context():
        text = describe(event(action, entity, after={"person_id": 21}), names, actor="Lý Hoàng Giang")
    assert text.startswith("Lý Hoàng Giang") and not RAW.search(text), text


def test_approval_names_the_person_in_vietnamese(app):
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        text = describe(event("approve", "commendation", after={"person_id": 21}),
                        {("person", "21"): "Nguyễn Văn An"}, actor="Lý Hoàng Giang")
    assert text == "Lý Hoàng Giang đã duyệt đề xuất khen thưởng cho Nguyễn Văn An"


def test_refused_does_not_name_the_target(app):
    with app.test_request_context():
        text = describe(event("refused", "user", after={"attempted": "reset_password", "person_id": 21}),
                        {("person", "21"): "Nguyễn Văn An"}, actor="X")
    assert "Nguyễn" not in text


def test_the_audit_page_reads_as_sentences_with_names_in_a_fixed_number_of_queries(world, client, auth):
    """Issue 18 §6: "Trưởng Hà Nội đã duyệt …" rather than "approve · commendation #2"; the names of
    a page of events cost the same few queries whether it holds 3 events or 30."""
    import sqlalchemy as sa

    from coordination.core.permissions import scope_for_person
    from coordination.emulation import commendations
    from models import db

    def run(n):
        for _ in range(n):
            c = commendations.propose(scope_for_person(world.commune_lead.person_id), world.commune_lead.id,
                                      world.commune_team, world.volunteer.person, "Trực đủ 30 ca đêm mùa mưa bão")
            commendations.review(scope_for_person(world.lead_a.person_id), c, world.lead_a.id)
        db.session.commit()
        statements = []
        listen = lambda *a: statements.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            html = client.get("/audit").get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        return html, len(statements)

    auth.as_user(world.lead_a)
    few_html, few = run(1)
    many_html, many = run(10)
    events = few_html.split('id="events"')[1].split("</ol>")[0]
    assert not re.search(r"#\d", events) and "commendation" not in events and "person_id" not in events
    name = world.volunteer.person.full_name
    assert f"Tổ Trưởng Xã đã đề xuất khen thưởng cho {name}" in events
    assert f"Trưởng Hà Nội đã xem xét đề xuất khen thưởng cho {name}" in events
    assert many == few

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

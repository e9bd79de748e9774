"""Date-only fields are Vietnam dates (issue 18 §6): at 19:56 UTC on 01/12 it is 02:56 on 02/12 in
Việt Nam, so a membership added or ended then starts/ends on 02/12, and a task due on 01/12 is late."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from models import Membership, db
from tests.factories import make_person

pytestmark = pytest.mark.clock_at(datetime(2026, 12, 1, 19, 56, tzinfo=timezone.utc))


def test_a_membership_ended_at_0256_vietnam_time_shows_that_day(world, client, auth):
    auth.as_user(world.commune_lead)
    other = make_person(full_name="Người Đêm Khuya", phone="0912 111 333")
    db.session.commit()
    client.post(f"/teams/{world.commune_team.id}/members/existing",
                data={"existing-phone": "0912111333", "existing-role": "member"})
    membership = db.session.scalar(sa.select(Membership).where(Membership.person_id == other.id))
    assert membership.start_date == date(2026, 12, 2)
    assert client.post(f"/memberships/{membership.id}/end", data={}).status_code == 302
    db.session.refresh(membership)
    assert membership.end_date == date(2026, 12, 2)
    html = client.get(f"/teams/{world.commune_team.id}").get_data(as_text=True)
    assert "Người Đêm Khuya" in html and "02/12/2026 – 02/12/2026" in html and "01/12/2026" not in html


def test_a_due_date_of_the_utc_day_is_already_past_in_vietnam(world, client, auth):
    from coordination.core.errors import DomainError
    from coordination.tasks.rules import TaskSpec, clean_spec

    with pytest.raises(DomainError):
        clean_spec(TaskSpec(kind="data_verification", title="Xác minh", due_date=date(2026, 12, 1)))
    assert clean_spec(TaskSpec(kind="data_verification", title="Xác minh", due_date=date(2026, 12, 2)))["due_date"]

"""The handoff digest at shift change: its words, who gets it, and never twice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination import alerts, handoff, rota, teams
from models import DutySession, Message, db
from tests.factories import HANOI, make_person

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)


def test_digest_words():
    text = handoff.digest_text("Tổ Ba Đình", T, T + timedelta(hours=8), "Nguyễn Văn An", 1, 4, 2, 3)
    assert text == ("[TCN] Giao ca Tổ Ba Đình 08:00 24/11–16:00. ca trước: Nguyễn Văn An; đang trực: 1; "
                    "việc đang mở: 4 (quá hạn 2); ca thiếu người 24 giờ tới: 3.")
    assert "không có ca trước" in handoff.digest_text("Tổ", T, T + timedelta(hours=8), None, 0, 0, 0, 0)


def test_the_incoming_primary_gets_one_digest_naming_the_previous_shift(world):
    team = world.commune_team
    night = make_person(full_name="Trần Ca Đêm")
    teams.add_member(team, night, "member")
    previous = rota.add_shift(team, T - timedelta(hours=8), T, 1)
    rota.assign(previous, night, "primary")
    shift = rota.add_shift(team, T, T + timedelta(hours=8), 2)  # started: not counted among the gaps ahead
    rota.assign(shift, world.volunteer.person, "primary")
    rota.add_shift(team, T + timedelta(hours=8), T + timedelta(hours=16), 2)  # nobody on it: the gap ahead
    db.session.add(DutySession(person_id=night.id, team_id=team.id, province_code=HANOI,
                               started_at=T - timedelta(hours=8)))
    db.session.commit()

    assert handoff.queue_handoffs(T - timedelta(minutes=1)) == 0  # not started yet
    assert alerts.tick(T + timedelta(minutes=2))["handoffs"] == 1
    body = db.session.scalar(sa.select(Message.body).where(Message.purpose == "handoff"))
    assert "ca trước: Trần Ca Đêm" in body and "đang trực: 1" in body and "ca thiếu người 24 giờ tới: 1" in body
    # Restarted scheduler, later ticks: nothing twice; after the window nothing new.
    assert alerts.tick(T + timedelta(minutes=3))["handoffs"] == 0
    assert handoff.queue_handoffs(T + timedelta(minutes=20)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.purpose == "handoff")) == 1
    assert db.session.scalar(sa.select(Message.person_id).where(Message.purpose == "handoff")) == \
        world.volunteer.person_id

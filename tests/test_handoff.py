"""The handoff digest at shift change: its words, who gets it, and never twice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import alerts, handoff, rota
from coordination.org import teams
from models import DutySession, Message, db
from coordination.messaging.sms import for_recipient, segments
from tests.factories import HANOI, make_person

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(T)


def test_digest_words():
    text = handoff.digest_text("Tổ Ba Đình", T, T + timedelta(hours=8), "Văn An", ["Thị Hương"], 4, 2, 3)
    assert text == ("[TCN] Giao ca Tổ Ba Đình 08:00–16:00 ngày 24/11. Trước: Văn An. Đang trực: Thị Hương. "
                    "Việc mở 4, quá hạn 2; ca thiếu 24h tới: 3.")
    assert "Trước: không có. Đang trực: không ai." in handoff.digest_text("Tổ", T, T + timedelta(hours=8), None, [],
                                                                           0, 0, 0, 0)


LONG_TEAM = "Tổ Công nghệ cộng đồng Xã Quảng Phú Cầu, Huyện Ứng Hòa"


@pytest.mark.parametrize("team, previous, on_duty", [
    ("Tổ Công nghệ cộng đồng Phường Ba Đình", "Nguyễn Thị Minh Khai", ["Lê Thị Hương"]),
    ("Tổ Công nghệ cộng đồng Phường Ba Đình", "Nguyễn Thị Minh Khai", ["Lê Thị Hương", "Phạm Văn Đồng", "Hoàng Văn Thụ"]),
    (LONG_TEAM, "Tôn Nữ Thị Hoàng Anh Thư", ["Lê Thị Hương"] * 12),
    (LONG_TEAM, None, []),
])
@pytest.mark.parametrize("ascii_only", [False, True])
def test_the_digest_names_people_and_fits_two_segments(team, previous, on_duty, ascii_only):
    """Counted with the same segment counter the composer uses: with diacritics (UCS-2, 134
    characters in two segments) names give way to given names and "+N", never the counts."""
    text = handoff.digest_text(team, T, T + timedelta(hours=8), previous, on_duty, 120, 35, 14, ascii_only)
    assert segments(text).segments <= 2, text
    assert "120" in text and "35" in text and "14" in text and "08:00" in text
    if previous:
        assert handoff.given_name(for_recipient(previous, ascii_only)) in text
    if on_duty:
        assert for_recipient(handoff.given_name(on_duty[0]), ascii_only) in text or "12 người" in text
    assert segments(text).encoding == ("GSM-7" if ascii_only else "UCS-2")


def test_a_short_digest_keeps_full_names():
    text = handoff.digest_text("Tổ Công nghệ cộng đồng Phường Ba Đình", T, T + timedelta(hours=8), "Trần Văn An",
                               ["Lê Thị Hương", "Phạm Văn Đồng"], 1, 0, 0, ascii_only=True)
    assert "Truoc: Tran Van An. Dang truc: Le Thi Huong, Pham Van Dong." in text and segments(text).segments == 1


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
    # names people: the previous primary and who is on duty now (the night volunteer, still checked in)
    assert "Trước: Trần Ca Đêm" in body and "Đang trực: Đêm." in body and "ca thiếu 24h tới: 1" in body
    assert segments(body).segments <= 2
    # Restarted scheduler, later ticks: nothing twice; after the window nothing new.
    assert alerts.tick(T + timedelta(minutes=3))["handoffs"] == 0
    assert handoff.queue_handoffs(T + timedelta(minutes=20)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.purpose == "handoff")) == 1
    assert db.session.scalar(sa.select(Message.person_id).where(Message.purpose == "handoff")) == \
        world.volunteer.person_id

"""The demo data a new user sees after `make run`."""
from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from coordination import clock
from coordination.clock import local_to_utc, local_today, utcnow
from dev.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from coordination.org.overview import national_summary
from models import Team, db


def test_demo_has_every_role_complete_and_incomplete_provinces_and_is_idempotent(client):
    logins = load_demo()
    assert [login for _role, login, _name in logins] == [login for _role, login in DEMO_LOGINS]
    teams_before = db.session.scalar(sa.select(sa.func.count()).select_from(Team))
    load_demo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == teams_before
    summary = {p.code: p for p in national_summary()}
    assert summary["01"].complete and summary["79"].complete
    assert not summary["48"].complete and not summary["15"].complete
    assert all(p.commune_teams > 0 for p in summary.values())  # a national spread
    for _role, login in DEMO_LOGINS:
        response = client.post("/login", data={"identifier": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        client.post("/logout")


def test_demo_shows_the_alerting_within_minutes_even_when_loaded_again(ctx):
    from coordination.duty import alerts
    from models import Message, Shift

    # 10:20 in Vietnam today: the demo's 9-minute shift needs the volunteer free for 30 minutes, which
    # the wall clock does not promise (at 05:49 their 06:00 shift leaves no room and it is rightly skipped)
    clock.set_now(local_to_utc(local_today(), time(10, 20)))
    load_demo()
    load_demo()  # a second `make run` adds no second copy of a demo shift still on
    demo = db.session.scalars(sa.select(Shift).where(Shift.note.like("%(demo%"))).all()
    assert len(demo) == 2
    now = utcnow()
    first = alerts.tick(now)
    assert first["reminders"] >= 1  # the volunteer's shift in 9 minutes
    later = alerts.tick(now + timedelta(minutes=2))
    assert later["escalations"] >= 1  # the no-show: the backup is told
    ack = db.session.scalar(sa.select(Message).where(Message.purpose == "escalation"))
    assert "/a/" in ack.body


def test_demo_has_a_conversation_with_a_photo_the_volunteer_can_open(client):
    from pathlib import Path

    from PIL import Image

    from models import TaskComment

    load_demo()
    rows = db.session.scalars(sa.select(TaskComment).order_by(TaskComment.id)).all()
    assert len(rows) == 3 and len({c.task_id for c in rows}) == 1 and [bool(c.photo) for c in rows] == [True, False, False]
    stored = Path(client.application.config["TASK_PHOTO_DIR"]) / rows[0].photo
    assert dict(Image.open(stored).getexif()) == {}  # the drawn photo's GPS is gone
    client.post("/login", data={"identifier": "0987654321", "password": DEMO_PASSWORD})
    page = client.get(f"/tasks/{rows[0].task_id}").get_data(as_text=True)
    assert "Sáng nay tổ hỗ trợ 14 người" in page and "Lê Thị Hương" in page
    assert client.get(f"/tasks/{rows[0].task_id}/comments/{rows[0].id}/photo").mimetype == "image/jpeg"


def test_demo_has_a_confirm_broadcast_half_answered(client):
    from coordination.messaging import confirmations

    load_demo()
    [s] = [s for s in confirmations.summaries(sa.true()) if s.broadcast.confirm]
    assert s.failed == 1 and s.delivered == s.recipients - 1 and 0 < s.confirmed < s.recipients
    assert timedelta(minutes=59) < utcnow() - s.broadcast.created_at <= timedelta(hours=1, minutes=1)  # from now
    pending = {p.name for p in confirmations.not_confirmed(s.broadcast.id)}
    assert "Nguyễn Văn An" in pending and len(pending) == s.recipients - s.confirmed
    response = client.post("/login", data={"identifier": "hanoi@tocongnghe.vn", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "Nhắc lại" in client.get(f"/broadcasts/{s.broadcast.id}").get_data(as_text=True)


def test_demo_has_a_teammate_asking_the_volunteer_to_take_a_shift(client):
    load_demo()
    client.post("/login", data={"identifier": "0987654321", "password": DEMO_PASSWORD})
    asked = client.get("/api/v1/duty/me").get_json()["asked"]
    assert len(asked) == 1 and asked[0]["kind"] == "swap"


def test_demo_has_an_ad_hoc_commendation_waiting_too_long_and_one_decided(client):
    from coordination.emulation import commendation_waits
    from models import Commendation

    load_demo()
    ad_hoc = db.session.scalars(sa.select(Commendation).where(Commendation.ad_hoc.is_(True))
                                .order_by(Commendation.id)).all()
    assert [c.status for c in ad_hoc] == ["proposed", "approved"]
    assert [c.id for c, _commune, _person in commendation_waits.overdue_list()] == [ad_hoc[0].id]
    client.post("/login", data={"identifier": "hanoi@tocongnghe.vn", "password": DEMO_PASSWORD})
    html = client.get("/thi-dua/commendations").get_data(as_text=True)
    assert 'id="overdue"' in html and "chờ 9 ngày" in html and 'id="fairness"' in html

"""Review pass (3 December 2026) over the day's features as an attacker: shift changes, Web Push,
the notification acknowledgement, calendar feeds, voice callbacks, /metrics and /ops. The tests
marked "finding" failed before their fix; the others pin what was tried and found safe."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import alerts, changes, rota
from coordination.messaging import broadcasts
from coordination.org import teams
from models import Message, PushSubscription, ShiftAssignment, ShiftChange, db
from tests.factories import HANOI, make_person, make_user
from tests.test_backup_restore import fresh_database  # noqa: F401 - the fixture
from tests.test_push import fake_push  # noqa: F401 - the fixture

UTC = timezone.utc
NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # Thursday 3 Dec 2026, 08:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOW)
H = timedelta(hours=1)


# --- Web Push: the endpoint the server will POST to (finding) --------------------------------

@pytest.mark.parametrize("endpoint", [
    "https://127.0.0.1\\.fcm.googleapis.com/fcm/send/x",  # urlsplit: a subdomain; requests: 127.0.0.1
    "https://169.254.169.254\\.fcm.googleapis.com/latest/meta-data/",
    "https://10.0.0.5\\.updates.push.services.mozilla.com/wpush/v2/x",
])
def test_finding_a_push_endpoint_that_requests_reads_as_an_internal_host_is_refused(world, fake_push, client, auth,
                                                                                    endpoint):
    """Our check read the host with urlsplit, the sender (requests/urllib3) reads a backslash as the
    end of the host: the server would POST to 127.0.0.1 or the cloud metadata address."""
    auth.as_user(world.volunteer)
    sub = fake_push.subscribe(fake_push.app_key)
    answer = client.post("/api/v1/push/subscriptions", json=dict(sub, endpoint=endpoint))
    assert answer.status_code == 422 and answer.get_json()["field"] == "endpoint", answer.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1/push", "https://127.0.0.1/push", "http://169.254.169.254/latest/meta-data/",
    "https://[::1]/push", "https://fcm.googleapis.com@127.0.0.1/x", "https://127.0.0.1#.fcm.googleapis.com",
    "https://169.254.169.254\\@x.fcm.googleapis.com/", "https://fcm.googleapis.com.127.0.0.1.nip.io/x",
])
def test_internal_push_endpoints_are_refused(world, fake_push, client, auth, endpoint):
    auth.as_user(world.volunteer)
    sub = fake_push.subscribe(fake_push.app_key)
    assert client.post("/api/v1/push/subscriptions", json=dict(sub, endpoint=endpoint)).status_code in (400, 422)


# --- the notification's acknowledgement: only an escalation's token (finding) ----------------

def test_finding_a_broadcast_token_does_not_acknowledge_through_the_notification_route(world, client):
    """POST /a/<token>/ack took any message's token: a broadcast's confirmation token (one that
    asks for no confirmation, or is past its week) recorded a confirmation, answering 'acknowledged'."""
    sent = broadcasts.send(world.lead_a.id, HANOI, "province", None, "Họp lúc 14:00.", urgent=True, confirm=False)
    db.session.commit()
    mid = db.session.scalar(sa.select(Message.id).where(Message.broadcast_id == sent.id,
                                                        Message.person_id == world.volunteer.person_id))
    answer = client.post(f"/a/{alerts.ack_token(mid)}/ack")
    assert answer.status_code == 404 and answer.get_json()["status"] == "invalid"
    db.session.expire_all()
    assert db.session.get(Message, mid).acknowledged_at is None


# --- /metrics behind a trusted proxy (finding) -----------------------------------------------

def test_finding_metrics_are_not_open_to_a_spoofed_forwarded_for(app, client):
    """Behind TRUSTED_PROXIES, a request reaching the app from another machine with
    X-Forwarded-For: 127.0.0.1 was 'this machine'."""
    saved = app.config.get("TRUSTED_PROXIES")
    app.config["TRUSTED_PROXIES"] = 1
    try:
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                          headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},  # nginx, a client outside
                          headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}).status_code == 404
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},  # Prometheus through nginx
                          headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    finally:
        app.config["TRUSTED_PROXIES"] = saved


@pytest.mark.parametrize("role", ["lead_a", "commune_lead", "volunteer"])
def test_ops_is_only_the_ministrys(world, client, auth, role):
    auth.as_user(getattr(world, role))
    assert client.get("/ops").status_code in (403, 404)


# --- shift changes by id (safe) --------------------------------------------------------------

@pytest.fixture
def swap(world):
    """The volunteer asks a teammate to take a shift tomorrow."""
    teammate = make_person(full_name="Đồng Đội")
    teams.add_member(world.commune_team, teammate, "member")
    shift = rota.add_shift(world.commune_team, NOW + 24 * H, NOW + 32 * H)
    rota.assign(shift, world.volunteer.person, "primary")
    db.session.commit()
    change = changes.ask_swap(shift, world.volunteer.person, teammate, world.volunteer.id)
    db.session.commit()
    return change, teammate


def test_a_swap_not_addressed_to_me_is_404_whoever_asks(world, swap, client, auth):
    change, _teammate = swap
    for user in (world.commune_lead, world.lead_b, world.volunteer):
        auth.as_user(user)
        for verb in ("accept", "decline"):
            assert client.post(f"/api/v1/shift-changes/{change.id}/{verb}", json={"confirmed": True},
                               headers={"X-Requested-With": "fetch"}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(ShiftChange, change.id).state == "open"


def test_override_and_refuse_need_the_rota_of_that_team(world, swap, client, auth):
    change, teammate = swap
    place = db.session.get(ShiftAssignment, change.assignment_id)
    stranger = make_user(make_person(full_name="Người Ngoài"))
    db.session.commit()
    for user in (world.volunteer, world.lead_b, stranger):
        auth.as_user(user)
        client.post(f"/shifts/{change.shift_id}/override",
                    data={"assignment_id": place.id, "person_id": teammate.id, "confirmed": "1"})
        client.post(f"/shift-changes/{change.id}/refuse")
    db.session.expire_all()
    assert db.session.get(ShiftAssignment, place.id).person_id == world.volunteer.person_id
    assert db.session.get(ShiftChange, change.id).state == "open"


# --- voice callbacks (safe) ------------------------------------------------------------------

def test_voice_callbacks_without_a_signature_are_403(world, client):
    for path in ("/voice/call/x", "/voice/call/x/digits", "/voice/status"):
        assert client.post(path, data={"Digits": "1", "CallStatus": "completed"}).status_code == 403


def test_ops_says_the_oldest_wait_in_minutes_not_a_thousand_seconds(world, client, auth):
    """The outbox's oldest wait read '1.014 giây' on /ops (a page for people)."""
    broadcasts.send(world.lead_a.id, HANOI, "province", None, "Họp lúc 14:00.", urgent=False,
                    now=NOW - timedelta(seconds=1014))
    db.session.commit()
    auth.as_user(world.ministry)
    page = client.get("/ops").get_data(as_text=True)
    assert "17 phút" in page and "1.014 giây" not in page


# --- restore: a photos.tar with a member outside the folder ----------------------------------

def test_finding_a_photo_outside_the_folder_is_skipped_and_the_restore_goes_on(ctx, fresh_database, tmp_path):
    """tarfile's data filter refused '../x' but the error ended the restore with a traceback, after
    the database was restored and before the photos after it."""
    import io
    import tarfile

    from app import create_app
    from coordination.ops.backup import PHOTOS, backup, restore

    db.session.commit()
    backup(db.engine, tmp_path / "b", None)
    with tarfile.open(tmp_path / "b" / PHOTOS, "w") as tar:
        for name in ("../outside.jpg", "sub/../../outside2.jpg", "/abs.jpg", "kept.jpg"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"jpg"))
    photos = tmp_path / "photos"
    restored = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": fresh_database,
                           "TASK_PHOTO_DIR": str(photos)})
    with restored.app_context():
        result = restore(db.engine, tmp_path / "b", photos)
        db.session.remove()
    assert (photos / "kept.jpg").read_bytes() == b"jpg" and (photos / "abs.jpg").is_file()
    assert not (tmp_path / "outside.jpg").exists() and not (tmp_path / "outside2.jpg").exists()
    assert result.photos == 2


# --- a person id from elsewhere is not answered with their name (finding) --------------------

STRANGER = "Người Lạ Cà Mau"


def test_finding_asking_anyone_by_id_to_take_my_shift_does_not_say_their_name(world, client, auth):
    """POST /api/v1/shifts/<mine>/swap with any person id answered "<full name> is not a member of
    this team": counting ids up read the whole country's names."""
    shift = rota.add_shift(world.commune_team, NOW + 24 * H, NOW + 32 * H)
    rota.assign(shift, world.volunteer.person, "primary")
    stranger = make_person(full_name=STRANGER)
    db.session.commit()
    auth.as_user(world.volunteer)
    answer = client.post(f"/api/v1/shifts/{shift.id}/swap", json={"person_id": stranger.id},
                         headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 400 and STRANGER not in str(answer.get_json())
    assert answer.get_json()["field"] == "person_id"


def test_finding_a_leads_override_with_anyones_id_does_not_say_their_name(world, client, auth):
    shift = rota.add_shift(world.commune_team, NOW + 24 * H, NOW + 32 * H)
    place = rota.assign(shift, world.volunteer.person, "primary")
    stranger = make_person(full_name=STRANGER)
    db.session.commit()
    auth.as_user(world.commune_lead)
    page = client.post(f"/shifts/{shift.id}/override", data={"assignment_id": place.id, "person_id": stranger.id},
                       follow_redirects=True).get_data(as_text=True)
    assert STRANGER not in page and "Chọn một thành viên của tổ." in page
    db.session.expire_all()
    assert db.session.get(ShiftAssignment, place.id).person_id == world.volunteer.person_id

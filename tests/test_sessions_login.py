"""Issue 15 part 3: secret key, sessions that end, an atomic login limit, login timing, cookies."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
import requests
import sqlalchemy as sa

from app import create_app
from coordination.org import accounts
from models import AuditEvent, LoginAttempt, User, db
from tests.factories import PASSWORD, at_once


# --- SECRET_KEY -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "dev-only-change-me"])
def test_production_refuses_to_start_without_a_real_secret_key(key, monkeypatch, tmp_path):
    import config

    monkeypatch.setattr(config, "SECRET_KEY_FILE", tmp_path / "no_such_file")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_secret_key_and_secure_cookies_follow_https(monkeypatch):
    app = create_app({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "x" * 40
    import config

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tcn.example.vn")
    assert config._is_https()
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    assert not config._is_https()


def test_secret_key_is_read_from_the_instance_file(monkeypatch, tmp_path):
    import os

    import config

    path = tmp_path / "instance" / "secret_key"
    monkeypatch.setattr(config, "SECRET_KEY_FILE", path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config.ensure_secret_key_file()
    key = path.read_text().strip()
    assert len(key) >= 40 and os.stat(path).st_mode & 0o777 == 0o600
    config.ensure_secret_key_file()  # kept across runs
    assert path.read_text().strip() == key
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": None})  # as `flask db upgrade`
    assert app.config["SECRET_KEY"] == key
    monkeypatch.setenv("SECRET_KEY", "from-the-env-" + "z" * 30)
    assert config._secret_key() == "from-the-env-" + "z" * 30


# --- sessions that end ------------------------------------------------------------------------

def _copy_cookies(src, dst):
    for cookie in src._cookies.values():
        dst.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_copied_cookie_stops_working_after_logout(world, client, auth, app):
    before = db.session.get(User, world.volunteer.id).session_version
    assert auth.login("0987654321", PASSWORD).status_code == 302
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert thief.get("/account").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 302
    response = thief.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.commit()
    assert db.session.get(User, world.volunteer.id).session_version == before + 1
    assert "logout" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_remember_me_cookie_lasts_30_days_and_is_ended_by_log_out_everywhere(world, client, auth, app):
    response = client.post("/login", data={"identifier": "0987654321", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    remember = client.get_cookie("remember_token")
    assert remember is not None
    phone = app.test_client()  # the phone has only the remember cookie (the browser was closed)
    phone.set_cookie("remember_token", remember.value)
    assert phone.get("/account").status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert "Đăng xuất mọi nơi" in page
    assert client.post("/account/logout-everywhere").status_code == 302
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    response = fresh.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = phone.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_cookie_max_age_is_30_days(world, client):
    response = client.post("/login", data={"identifier": "0987654321", "password": PASSWORD, "remember": "y"})
    header = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert header and "HttpOnly" in header[0]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header[0]).group(1))
    assert timedelta(days=29, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    without = client.application.test_client().post(
        "/login", data={"identifier": "hn@example.vn", "password": PASSWORD})
    assert not [h for h in without.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]


def test_password_change_ends_other_sessions(world, client, auth, app):
    assert auth.login("0987654321", PASSWORD).status_code == 302
    other = app.test_client()
    _copy_cookies(client, other)
    user = db.session.get(User, world.volunteer.id)
    accounts.set_password(user, "a-new-password-9")
    db.session.commit()
    response = other.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert auth.login("0987654321", "a-new-password-9").status_code == 302  # the new password works


def test_accepting_an_invitation_keeps_the_new_session(world, client):
    from tests.factories import make_person
    from coordination.org import teams

    person = make_person(full_name="Người Được Mời")
    teams.add_member(world.commune_team, person, "member")
    _invitation, raw = accounts.create_invitation(person, world.commune_lead.id)
    db.session.commit()
    response = client.post(f"/invite/{raw}", data={"password": "invited-pass-1", "confirm": "invited-pass-1"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # set_password bumped the version before login_user


# --- login limit ------------------------------------------------------------------------------

def test_a_stranger_cannot_lock_the_owner_out(world, client, auth, app):
    stranger = app.test_client()
    for _ in range(8):
        stranger.post("/login", data={"identifier": "0987654321", "password": "guess"},
                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    refused = stranger.post("/login", data={"identifier": "0987654321", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 429  # the stranger's pair is locked, even with the right password
    assert auth.login("0987654321", PASSWORD).status_code == 302  # the owner, from their own IP, is not
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("login_limited") == 4


def test_behind_the_reverse_proxy_a_stranger_still_cannot_lock_the_owner_out(world, app, monkeypatch):
    """Production runs behind a TLS proxy: every request comes from its address. Counted by that
    address, a stranger's guesses locked the owner out (and 100 failures anywhere, everyone).
    With TRUSTED_PROXIES=1 the client is the address the proxy saw (X-Forwarded-For)."""
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    stranger, owner = app.test_client(), app.test_client()
    for _ in range(8):
        stranger.post("/login", data={"identifier": "0987654321", "password": "guess"}, environ_base=via_proxy,
                      headers={"X-Forwarded-For": "203.0.113.9"})
    assert owner.post("/login", data={"identifier": "0987654321", "password": PASSWORD}, environ_base=via_proxy,
                      headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 302
    spoofed = stranger.post("/login", data={"identifier": "0987654321", "password": PASSWORD},
                            environ_base=via_proxy, headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
    assert spoofed.status_code == 429  # an address the client wrote itself is not believed
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 0)  # no proxy (make run): the header is ignored
    direct = stranger.post("/login", data={"identifier": "0987654321", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"X-Forwarded-For": "192.0.2.1"})
    assert direct.status_code == 429


def test_an_office_behind_one_nat_is_not_locked_out_by_a_few_colleagues(world, client, app):
    for n in range(30):  # colleagues mistype their passwords, all from the office's one IP
        client.post("/login", data={"identifier": f"colleague{n}@example.vn", "password": "nope"})
    other = app.test_client()
    assert other.post("/login", data={"identifier": "0987654321", "password": PASSWORD}).status_code == 302


def test_lock_doubles_each_time(world, client, auth):
    from coordination import clock

    start = clock.utcnow()
    clock.set_now(start)
    for _ in range(5):
        auth.login("0987654321", "wrong")
    assert "15 phút" in auth.login("0987654321", PASSWORD).get_data(as_text=True)
    clock.set_now(start + timedelta(minutes=16))
    for _ in range(5):
        auth.login("0987654321", "wrong")
    assert "30 phút" in auth.login("0987654321", PASSWORD).get_data(as_text=True)
    clock.set_now(start + timedelta(minutes=47))
    assert auth.login("0987654321", PASSWORD).status_code == 302


def test_the_scheduler_prunes_login_counters_a_day_after_their_window(world, client, auth):
    from coordination import clock
    from coordination.org import login_throttle
    from coordination.jobs import JOBS
    from models import LoginThrottle

    start = clock.utcnow()
    clock.set_now(start)
    for _ in range(3):
        auth.login("0987654321", "wrong")
    clock.set_now(start + timedelta(hours=20))
    client.post("/login", data={"identifier": "nobody@example.vn", "password": "x"},
                environ_base={"REMOTE_ADDR": "198.51.100.7"})  # a later stranger, from elsewhere
    job = next(j for j in JOBS if j["id"] == "prune-login-throttles")
    assert job["func"] is login_throttle.prune and job["seconds"] == 3600

    clock.set_now(start + timedelta(hours=24, minutes=14))  # the first window ended 23 h 59 min ago
    assert login_throttle.prune() == {"pruned": 0}
    clock.set_now(start + timedelta(hours=24, minutes=16))
    assert login_throttle.prune() == {"pruned": 2}  # the pair and the IP of the first attempts
    keys = db.session.scalars(sa.select(LoginThrottle.key)).all()
    assert sorted(keys) == ["ip:198.51.100.7", "pair:nobody@example.vn|198.51.100.7"]


def test_parallel_wrong_passwords_check_at_most_the_limit(world, live_server, ctx):
    def attempt():
        return requests.post(f"{live_server}/login", data={"identifier": "0987654321", "password": "wrong"},
                             allow_redirects=False, timeout=30).status_code

    statuses = at_once(ctx, 18, attempt)
    db.session.commit()
    checked = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))
    assert checked == 5 and statuses.count(429) == 13 and statuses.count(200) == 5


# --- login timing -----------------------------------------------------------------------------

@pytest.mark.parametrize("identifier", ["0987654321", "0911000999", "nobody@example.vn"])
def test_one_password_hash_is_checked_whether_or_not_the_account_exists(world, client, auth, monkeypatch,
                                                                        identifier):
    import werkzeug.security

    calls = []

    def counting(pwhash, password):
        calls.append(pwhash.split("$")[0])
        return werkzeug.security.check_password_hash(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    assert auth.login(identifier, "wrong-password").status_code == 200
    assert calls == [client.application.config["PASSWORD_HASH_METHOD"]]


def test_a_check_in_tap_with_an_ended_session_writes_nothing(world, client, auth, app):
    import uuid

    from coordination.clock import utcnow
    from models import CheckIn

    assert auth.login("0987654321", PASSWORD).status_code == 302
    thief = app.test_client()
    _copy_cookies(client, thief)
    tap = {"client_uuid": str(uuid.uuid4()), "kind": "in", "occurred_at": utcnow().isoformat()}
    assert thief.post("/api/v1/checkins", json={"items": [tap]}).status_code == 200  # the live session taps
    client.post("/logout")
    again = {"client_uuid": str(uuid.uuid4()), "kind": "out", "occurred_at": utcnow().isoformat()}
    assert thief.post("/api/v1/checkins", json={"items": [again]}).status_code == 401
    db.session.commit()
    assert db.session.scalars(sa.select(CheckIn.client_uuid)).all() == [tap["client_uuid"]]

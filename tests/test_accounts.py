"""Login by phone or email, rate limiting, invitations, API tokens, language, CSRF."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from coordination.org import accounts
from coordination.clock import utcnow
from models import AuditEvent, Invitation, User, db
from tests.factories import PASSWORD


def test_log_in_with_phone_in_any_format_or_email(world, client, auth):
    response = auth.login("0987.654.321", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/duty/"  # a volunteer lands on duty
    auth.logout()
    assert auth.login("HN@example.vn", PASSWORD).status_code == 302
    db.session.commit()  # end our snapshot: the request committed in its own session
    assert db.session.get(User, world.lead_a.id).last_login_at is not None


def test_wrong_password_is_refused_in_vietnamese_and_audited(world, client, auth):
    response = auth.login("0987654321", "wrong-password")
    assert response.status_code == 200
    assert "Số điện thoại/email hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "login_failed" in actions


def test_login_attempts_are_rate_limited(world, client, auth):
    for _ in range(5):
        auth.login("0987654321", "wrong-password")
    response = auth.login("0987654321", PASSWORD)  # even the right password waits now
    assert response.status_code == 429
    assert "15 phút" in response.get_data(as_text=True)
    assert auth.login("hn@example.vn", PASSWORD).status_code == 302  # other accounts are not locked


def test_passwords_are_hashed(world):
    user = db.session.get(User, world.volunteer.id)
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")


def test_invitation_link_sets_a_password_once(world, client, auth):
    from tests.factories import make_person

    person = make_person(full_name="Người Được Mời")
    from coordination.org import teams
    teams.add_member(world.commune_team, person, "member")
    db.session.commit()
    auth.as_user(world.commune_lead)
    page = client.post(f"/people/{person.id}/invite")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    path = re.search(r'value="http://127\.0\.0\.1:5000(/invite/[^"]+)"', html).group(1)
    # One tap opens the lead's SMS app to the member, the link in an unaccented (one-segment) text.
    sms = re.search(r'href="sms:([^?]+)\?body=([^"]+)"', html)
    assert sms.group(1) == person.phone and "dat%20mat%20khau" in sms.group(2)
    auth.logout()
    assert client.get(path).status_code == 200
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert "Dùng ít nhất 8 ký tự." in short.get_data(as_text=True)
    done = client.post(path, data={"password": "a-long-password", "confirm": "a-long-password"})
    assert done.status_code == 302
    auth.logout()
    assert client.get(path).status_code == 404  # one time only
    assert auth.login(person.phone, "a-long-password").status_code == 302


def test_expired_invitation_is_refused(world, client):
    invitation, raw = accounts.create_invitation(world.volunteer.person, world.commune_lead.id, ttl_hours=1,
                                                   purpose=accounts.RESET)  # the volunteer has a password
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/invite/{raw}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 1


def test_volunteer_cannot_invite_themselves(world, client, auth):
    auth.as_user(world.volunteer)
    assert client.post(f"/people/{world.volunteer.person_id}/invite").status_code == 404


def test_api_token_carries_scope_and_can_be_revoked(world, client):
    token, raw = accounts.issue_api_token(world.lead_a, "Zalo bot")
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"/api/v1/teams/{world.commune_team.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/teams/{world.commune_team_b.id}", headers=headers).status_code == 404
    # Writes with a token need no CSRF token.
    created = client.post(f"/api/v1/teams/{world.commune_team.id}/members", headers=headers,
                          json={"full_name": "Qua API", "phone": "0912 000 333"})
    assert created.status_code == 201
    accounts.revoke_api_token(world.lead_a, token.id)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer tcn_made_up"}).status_code == 401


def test_bearer_tokens_do_not_open_html_pages(world, client):
    _token, raw = accounts.issue_api_token(world.ministry, "x")
    db.session.commit()
    response = client.get("/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_language_choice_is_remembered_per_user(world, client, auth):
    auth.as_user(world.lead_a)
    assert "Thành phố Hà Nội" in client.get("/provinces/01").get_data(as_text=True)
    assert "Tổ xã/phường" in client.get("/provinces/01").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/provinces/01"})
    db.session.commit()
    assert db.session.get(User, world.lead_a.id).locale == "en"
    client.delete_cookie("lang")
    assert "Commune teams" in client.get("/provinces/01").get_data(as_text=True)


def test_csrf_is_enforced_on_forms_and_cookie_api_writes(world, client, auth, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        auth.as_user(world.lead_a)
        form = client.post(f"/teams/{world.commune_team.id}/members",
                           data={"new-full_name": "X", "new-phone": "0912000444", "new-role": "member"})
        assert form.status_code == 400
        api = client.post(f"/api/v1/teams/{world.commune_team.id}/members",
                          json={"full_name": "X", "phone": "0912000444"})
        assert api.status_code == 400
        assert db.session.scalar(sa.text("SELECT count(*) FROM people WHERE phone = '+84912000444'")) == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

"""The demo data a new user sees after `make run`."""
from __future__ import annotations

import sqlalchemy as sa

from coordination.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from coordination.overview import national_summary
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

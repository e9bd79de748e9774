"""Open redirects (issue 15 part 4): every redirect that takes its target from the request
(`next` in a form or the query string, the Referer) follows only a path on this site."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.tasks import assignment, rules as tasks
from coordination.duty import rota
from coordination.clock import utcnow
from coordination.web.helpers import safe_next
from models import Message, Task, db
from tests.factories import HANOI, PASSWORD

EVIL = [
    "https://evil.example/x", "http://evil.example", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/\tevil",
    "/ok\r\nLocation: https://evil.example", "https:evil.example", "evil.example", " //evil.example",
    "http://localhost.evil.example/", "///evil.example",
]
SAFE = ["/tasks/3", "/provinces/01/tasks?status=open&page=2", "/duty/"]


@pytest.mark.parametrize("target", EVIL)
def test_safe_next_refuses_other_sites(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", SAFE)
def test_safe_next_keeps_own_paths(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_next(target, "/home") == target
        assert safe_next("http://localhost" + target, "/home") == target  # a Referer on our own host


def test_safe_next_named_cases(app):
    """Issue 17 §4: another site and a scheme-relative URL give the default; a path here is kept."""
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_next("https://evil.example", "/home") == "/home"
        assert safe_next("//evil.example", "/home") == "/home"
        assert safe_next("/duty/", "/home") == "/duty/"


def test_every_request_supplied_target_goes_through_safe_next():
    """The one check: wherever a view reads `next` or the Referer, it is inside safe_next(...)."""
    import re
    from pathlib import Path

    web = Path(__file__).resolve().parent.parent / "coordination" / "web"
    reads = re.compile(r"""request\.(?:args|form|values)\.get\(\s*["']next["']|request\.(?:args|form|values)\[\s*["']next["']"""
                       r"|request\.referrer")
    found = 0
    for path in web.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if reads.search(line):
                found += 1
                assert "safe_next(" in line, f"{path.name}:{number}: {line.strip()}"
    assert found >= 5  # login, language, progress, duty, resend, remote: the scan sees them


def _location(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def _is_ours(location: str) -> bool:
    return location.startswith("/") and not location.startswith("//") and "evil" not in location


@pytest.mark.parametrize("target", EVIL[:6])
def test_task_progress_next_stays_on_site(world, client, auth, target):
    assignment.assign(tasks.TaskSpec(kind="other", title="t", target_count=10), assignment.Targeting(HANOI),
                      world.lead_a.id)
    db.session.commit()
    task = db.session.scalar(sa.select(Task))
    auth.as_user(world.volunteer)
    location = _location(client.post(f"/tasks/{task.id}/progress", data={"delta": "2", "next": target}))
    assert _is_ours(location) and location.endswith(f"/tasks/{task.id}")
    db.session.expire_all()
    assert db.session.get(Task, task.id).done_count == 2  # the report itself still counts
    ok = _location(client.post(f"/tasks/{task.id}/progress", data={"delta": "1", "next": "/my/tasks"}))
    assert ok == "/my/tasks"


@pytest.mark.parametrize("target", EVIL[:6])
def test_shift_claim_next_stays_on_site(world, client, auth, target):
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), 2)
    db.session.commit()
    auth.as_user(world.volunteer)
    location = _location(client.post(f"/shifts/{shift.id}/claim", data={"next": target}))
    assert _is_ours(location) and f"/teams/{world.commune_team.id}/rota" in location


@pytest.mark.parametrize("target", EVIL[:6])
def test_login_next_stays_on_site(world, client, auth, target):
    response = client.post("/login?next=" + target.replace("&", "%26"),
                           data={"identifier": world.volunteer.person.phone, "password": PASSWORD})
    assert _is_ours(_location(response))


@pytest.mark.parametrize("referer", ["https://evil.example/x", "//evil.example", "javascript:alert(1)"])
def test_referer_redirects_stay_on_site(world, client, auth, referer):
    from coordination.messaging import outbox

    auth.as_user(world.lead_a)
    team = world.commune_team
    location = _location(client.post(f"/thi-dua/teams/{team.id}/remote", data={"remote": "1"},
                                     headers={"Referer": referer}))
    assert _is_ours(location) and "/thi-dua" in location
    message = outbox.enqueue(world.volunteer.person, "Nhắc ca", "reminder", province_code=HANOI)
    message.status = "failed"
    db.session.commit()
    location = _location(client.post(f"/messages/{message.id}/resend", headers={"Referer": referer}))
    assert _is_ours(location) and location.startswith("/messages")
    db.session.expire_all()
    assert sorted(db.session.scalars(sa.select(Message.status))) == ["failed", "queued"]  # resent all the same
    own = _location(client.post(f"/thi-dua/teams/{team.id}/remote", data={"remote": "0"},
                                headers={"Referer": "http://localhost/thi-dua?province=01"}))
    assert own == "/thi-dua?province=01"

"""Median server time of the province page and the team API on national data (after seed_national.py).

Requests go through the whole Flask stack in-process (routing, login, permission checks, SQL,
templates), so the figure is server time without network.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_pages.py"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from coordination.org.accounts import ensure_user, set_password  # noqa: E402
from coordination.org.people import PersonInput, create_person  # noqa: E402
from coordination.org.teams import add_member  # noqa: E402
from models import Membership, Person, Team, User, db  # noqa: E402

RUNS = 30


def timed(client, path: str, runs: int = RUNS) -> dict[str, float]:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    samples.sort()
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))],
            "bytes": len(response.data)}


def login_id(app, user_id: int) -> str:
    """What flask-login keeps under "_user_id" for this user: "id:session_version" (User.get_id)."""
    with app.app_context():
        return db.session.get(User, user_id).get_id()


def ministry_user(app) -> int:
    """The id of a ministry login (a lead of the national team), made on first use."""
    with app.app_context():
        minister = db.session.scalar(sa.select(Person).where(Person.email == "bench@bo.vn"))
        if minister is None:
            national = db.session.scalar(sa.select(Team).where(Team.level == "national"))
            minister = create_person(PersonInput(full_name="Bench Bộ", phone="+84999999999", email="bench@bo.vn"))
            add_member(national, minister, "lead")
        user_id = ensure_user(minister).id
        db.session.commit()
        return user_id


def run(app, log=print) -> dict[str, dict]:
    results = {}
    with app.app_context():
        largest = db.session.execute(sa.text(
            "SELECT province_code, count(*) FROM admin_units WHERE level = 'commune' "
            "GROUP BY province_code ORDER BY 2 DESC LIMIT 1")).one()
        lead = db.session.scalar(sa.select(Person).join(Membership).join(Team).where(
            Team.level == "province", Team.province_code == largest[0], Membership.role == "co_chair_ict"))
        user = ensure_user(lead)
        set_password(user, "bench-password")
        db.session.commit()
        ministry_user_id = ministry_user(app)
        team_id = db.session.scalar(sa.select(Team.id).where(Team.level == "commune",
                                                             Team.province_code == largest[0]).limit(1))
        members = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
            Membership.team_id == team_id))
        people = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        user_id = user.id
    log(f"  data: {people:,} people; largest province {largest[0]} with {largest[1]} communes; "
        f"team {team_id} has {members} members")
    for label, path, who in [
        ("province page", f"/provinces/{largest[0]}", user_id),
        ("team API: list province teams", f"/api/v1/teams?province={largest[0]}&per_page=200", user_id),
        ("team API: one commune team", f"/api/v1/teams/{team_id}", user_id),
        ("national overview (ministry home)", "/", ministry_user_id),
    ]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = login_id(app, who)
            session["_fresh"] = True
        results[label] = timed(client, path)
        r = results[label]
        log(f"  {label:<36} median {r['median_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  ({r['bytes']:,} bytes)")
    return results


def main() -> None:
    app = create_app()
    run(app)


if __name__ == "__main__":
    main()

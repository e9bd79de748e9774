"""The audit trail: every kind of change leaves an event in the right area; leads read only theirs."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordination.clock import utcnow, local_today
from coordination.org import accounts, people, teams
from coordination.tasks import assignment, rules as tasks
from coordination.core import audit
from coordination.messaging import broadcasts
from coordination.duty import rota
from coordination.tasks.assignment import Targeting
from coordination.core.errors import DomainError
from coordination.core.permissions import scope_for_person
from coordination.tasks.rules import TaskSpec
from models import AuditEvent, Task, db
from tests.factories import HANOI, HCM, PASSWORD, make_person


def events() -> dict[tuple[str, str], int]:
    return {(a, e): n for a, e, n in db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.entity, sa.func.count()).group_by(AuditEvent.action, AuditEvent.entity))}


def test_every_kind_of_change_is_recorded_with_its_area(world):
    actor = world.lead_a.id
    before = events()
    person = make_person(full_name="Người Mới")
    people.update_person(person, people.PersonInput(full_name="Người Mới Đổi", phone=person.phone,
                                                    affiliation="youth_union"), actor_id=actor)
    membership = teams.add_member(world.commune_team, person, actor_id=actor)
    teams.end_membership(membership, actor_id=actor)
    village = teams.create_village_team(world.commune_team, "Thôn Một", actor_id=actor)

    batch, _n = assignment.assign(TaskSpec(kind="data_verification", title="Xác minh"),
                                  Targeting(province_code=HANOI), actor)
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch).limit(1))
    tasks.report_progress(task, 3, actor, None)
    tasks.change_status(task, "done", actor, None)
    other = db.session.scalar(sa.select(Task).where(Task.batch == batch, Task.id != task.id).limit(1)) or task
    if other.status != "done":
        tasks.cancel(other, actor, None)

    start = utcnow() + timedelta(days=2)
    shift = rota.add_shift(world.commune_team, start, start + timedelta(hours=8), actor_id=actor)
    later = rota.add_shift(world.commune_team, start + timedelta(hours=8), start + timedelta(hours=16), actor_id=actor)
    first = rota.assign(shift, world.volunteer.person, "primary", actor_id=actor)
    second = rota.assign(later, world.commune_lead.person, "primary", actor_id=actor)
    rota.swap(first, second, actor_id=actor)
    helper = make_person(full_name="Người Thay")
    teams.add_member(world.commune_team, helper)
    rota.reassign(first, helper, actor_id=actor)
    rota.unassign(second, actor_id=actor)
    rota.generate(world.commune_team, rota.RotaSpec(name="Ca ngày", shifts_per_day=1, required=1),
                  (start + timedelta(days=3)).date(), (start + timedelta(days=3)).date(), actor_id=actor)
    broadcasts.send(actor, HANOI, "province", None, "Họp khẩn lúc 20h", urgent=True)
    db.session.commit()
    accounts.authenticate("hn@example.vn", PASSWORD)
    with pytest.raises(DomainError):
        accounts.authenticate("hn@example.vn", "wrong password")

    after = events()
    new = {key for key, n in after.items() if n > before.get(key, 0)}
    assert {("create", "person"), ("update", "person"), ("create", "membership"), ("end", "membership"),
            ("create", "team"), ("create", "task"), ("progress", "task"), ("status", "task"),
            ("create", "shift"), ("assign", "shift"), ("swap", "shift"), ("reassign", "shift"),
            ("unassign", "shift"), ("generate", "rota"), ("broadcast", "broadcast"), ("login", "user"),
            ("login_failed", "user")} <= new
    # Each event sits in Hà Nội (where the lead can read it), with its team where there is one.
    placed = db.session.execute(sa.select(AuditEvent.entity, AuditEvent.province_code, AuditEvent.team_id)
                                .where(AuditEvent.actor_user_id == actor,
                                       AuditEvent.entity.in_(("membership", "task", "shift", "rota")))).all()
    assert placed and all(p == HANOI for _e, p, _t in placed)
    assert all(t is not None for _e, _p, t in placed)
    village_event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "team",
                                                                  AuditEvent.entity_id == str(village.id)))
    assert village_event.team_id == village.id and village_event.province_code == HANOI
    update = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update",
                                                           AuditEvent.entity == "person"))
    assert update.before == {"full_name": "Người Mới"} and update.after == {"full_name": "Người Mới Đổi"}


def test_the_trail_is_append_only(world):
    event_id = db.session.scalar(sa.select(AuditEvent.id).limit(1))
    for statement in (sa.update(AuditEvent).where(AuditEvent.id == event_id).values(action="x"),
                      sa.delete(AuditEvent).where(AuditEvent.id == event_id)):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.get(AuditEvent, event_id) is not None


def _in_both_provinces(world):
    teams.add_member(world.commune_team, make_person(full_name="Ở Hà Nội"), actor_id=world.lead_a.id)
    teams.add_member(world.commune_team_b, make_person(full_name="Ở Sài Gòn"), actor_id=world.lead_b.id)
    db.session.commit()


def test_leads_read_only_their_area(world):
    _in_both_provinces(world)
    every = audit.search(scope_for_person(world.ministry.person_id), audit.Filters(), limit=500)
    hanoi = audit.search(scope_for_person(world.lead_a.person_id), audit.Filters(), limit=500)
    commune = audit.search(scope_for_person(world.commune_lead.person_id), audit.Filters(), limit=500)
    assert {e.province_code for e, _a in every} >= {HANOI, HCM}
    assert {e.province_code for e, _a in hanoi} == {HANOI}
    assert hanoi and len(hanoi) < len(every)
    assert commune and all(e.team_id == world.commune_team.id for e, _a in commune)


def test_filters_by_person_kind_and_date(world):
    _in_both_provinces(world)
    scope = scope_for_person(world.ministry.person_id)
    by_lead_b = audit.search(scope, audit.Filters(actor="Trưởng Sài Gòn"))
    assert by_lead_b and {name for _e, name in by_lead_b} == {"Trưởng Sài Gòn"}
    assert {e.entity for e, _a in audit.search(scope, audit.Filters(entity="membership"))} == {"membership"}
    today = local_today()
    assert audit.search(scope, audit.Filters(until=today - timedelta(days=1))) == []
    assert len(audit.search(scope, audit.Filters(since=today))) > 0


@pytest.mark.parametrize("role,status", [("ministry", 200), ("lead_a", 200), ("commune_lead", 200),
                                         ("volunteer", 404)])
def test_the_audit_page(world, auth, role, status):
    _in_both_provinces(world)
    auth.as_user(world.users()[role])
    response = auth.client.get("/audit")
    assert response.status_code == status
    if role == "lead_a":
        html = response.get_data(as_text=True)
        assert "Trưởng Hà Nội" in html and "Trưởng Sài Gòn" not in html


def test_bad_filters_are_explained_not_500(world, auth):
    auth.as_user(world.ministry)
    response = auth.client.get("/audit?since=31/02/2026&entity=nothing&before=x")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "“31/02/2026” không phải là ngày" in html and 'id="events"' in html
    # dd/mm/yyyy as people type it is read, and shown back the same way
    html = auth.client.get("/audit?since=24/12/2026").get_data(as_text=True)
    assert 'value="24/12/2026"' in html

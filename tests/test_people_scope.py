"""Issue 15 part 2: scope holds over people, not only over objects.

Authority over a person's identity, login and password needs scope over EVERY active role the
person holds; a membership you create gives you the membership, not the person. Each test goes
through the real interface and checks the database afterwards."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from coordination.org import accounts, teams
from coordination.tasks import assignment, rules as tasks
from coordination.onboarding import member_import
from coordination.core import permissions
from coordination.core.permissions import scope_for_person
from models import AuditEvent, Invitation, Membership, Message, Person, Task, User, db
from models.teams import MEMBER
from tests.factories import HANOI, PASSWORD, communes_of, make_person

ACTORS = ("ministry", "lead_a", "lead_b", "commune_lead", "volunteer")


def _targets(w) -> dict[str, Person]:
    """Target people, each with a different spread of roles. Built on the world, committed."""
    ct, ctb = w.commune_team, w.commune_team_b
    other_commune_a = teams.create_commune_team(communes_of(HANOI, 3)[2].code)
    both = make_person(full_name="Hai Nơi")  # active in a commune of A AND a commune of B
    teams.add_member(ct, both, MEMBER)
    teams.add_member(ctb, both, MEMBER)
    past = make_person(full_name="Đã Rời Tổ")  # only an ended membership, in the commune lead's team
    teams.end_membership(teams.add_member(ct, past, MEMBER))
    elsewhere_a = make_person(full_name="Xã Khác Hà Nội")  # another commune of province A
    teams.add_member(other_commune_a, elsewhere_a, MEMBER)
    db.session.commit()
    return {"ministry": w.ministry.person, "lead_a": w.lead_a.person, "lead_b": w.lead_b.person,
            "commune_lead": w.commune_lead.person, "volunteer": w.volunteer.person, "both_provinces": both,
            "past_member": past, "other_commune_a": elsewhere_a}


# who may edit / invite / reset whom (self-edit aside): actor -> targets covered
AUTHORITY = {
    "ministry": {"lead_a", "lead_b", "commune_lead", "volunteer", "both_provinces", "past_member",
                 "other_commune_a"},
    "lead_a": {"commune_lead", "volunteer", "other_commune_a"},
    "lead_b": set(),
    "commune_lead": {"volunteer"},
    "volunteer": set(),
}


def _join_commune_team(w, targets):
    """The attack: the commune lead puts every target into their team (a membership, nothing more)."""
    for target in targets.values():
        if not db.session.scalar(sa.select(Membership.id).where(
                Membership.team_id == w.commune_team.id, Membership.person_id == target.id,
                Membership.end_date.is_(None))):
            teams.add_member(w.commune_team, target, MEMBER)
    db.session.commit()


@pytest.mark.parametrize("joined", [False, True], ids=["as_is", "after_add_existing"])
def test_can_manage_person_matrix(world, joined):
    targets = _targets(world)
    if joined:  # every target now also sits in the commune lead's team: reach over the others is unchanged
        _join_commune_team(world, targets)
    for actor in ACTORS:
        scope = scope_for_person(getattr(world, actor).person_id)
        for name, person in targets.items():
            if name == actor:
                continue  # oneself: editing is allowed by can_edit_person, inviting oneself never
            want = name in AUTHORITY[actor]
            if joined and name == "past_member" and actor in ("lead_a", "commune_lead"):
                want = True  # their ONLY active role is now in this team (the ended one gave nothing)
            assert permissions.can_manage_person(scope, person) is want, (actor, name, joined)


@pytest.mark.parametrize("actor", ACTORS)
def test_edit_matrix_changes_only_people_in_authority(world, client, auth, actor):
    targets = _targets(world)
    auth.as_user(getattr(world, actor))
    for name, person in targets.items():
        before = (person.full_name, person.phone, person.affiliation)
        response = client.post(f"/people/{person.id}/edit", data={
            "full_name": "Đổi Tên Trái Phép", "phone": person.phone, "affiliation": "government"})
        db.session.expire_all()
        person = db.session.get(Person, person.id)
        allowed = name in AUTHORITY[actor] or name == actor  # one edits oneself
        if allowed:
            assert response.status_code == 302, (actor, name)
            assert (person.full_name, person.affiliation) == ("Đổi Tên Trái Phép", "government")
            db.session.execute(sa.update(Person).where(Person.id == person.id).values(
                full_name=before[0], affiliation=before[2]))
            db.session.commit()
        else:
            assert response.status_code == 404, (actor, name)
            assert (person.full_name, person.phone, person.affiliation) == before, (actor, name)


def test_takeover_by_add_existing_then_invite_is_refused_end_to_end(world, client, auth):
    """The reported attack: a commune lead adds the ministry (and the province lead) to their team by
    phone, then invites them and sets a password through the link."""
    auth.as_user(world.commune_lead)
    for victim in (world.ministry, world.lead_a):
        hash_before = victim.password_hash
        added = client.post(f"/teams/{world.commune_team.id}/members/existing",
                            data={"existing-phone": victim.person.phone, "existing-role": "member"})
        assert added.status_code == 302  # the membership is created, and that is all it gives
        assert client.post(f"/people/{victim.person_id}/invite").status_code == 404
        assert client.post(f"/people/{victim.person_id}/reset-password").status_code == 404
        assert client.post(f"/people/{victim.person_id}/edit", data={
            "full_name": "Chiếm", "phone": victim.person.phone, "affiliation": "other"}).status_code == 404
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
            Invitation.user_id == victim.id)) == 0
        assert db.session.get(User, victim.id).password_hash == hash_before
        assert db.session.get(Person, victim.person_id).full_name != "Chiếm"
    # a province lead cannot take over another province's lead either
    auth.as_user(world.lead_a)
    client.post(f"/teams/{world.commune_team.id}/members/existing",
                data={"existing-phone": world.lead_b.person.phone, "existing-role": "member"})
    assert client.post(f"/people/{world.lead_b.person_id}/reset-password").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_invitation_refused_for_an_account_with_a_password(world, client, auth):
    """A link issued before the password was set cannot replace it afterwards; inviting again is refused."""
    person = make_person(full_name="Người Mới Mời")
    teams.add_member(world.commune_team, person, MEMBER)
    _inv, raw = accounts.create_invitation(person, world.commune_lead.id)
    db.session.commit()
    user = db.session.scalar(sa.select(User).where(User.person_id == person.id))
    accounts.set_password(user, "first-pass-123")
    db.session.commit()
    hash_before = user.password_hash
    assert client.get(f"/invite/{raw}").status_code == 404
    assert client.post(f"/invite/{raw}", data={"password": "attacker-999", "confirm": "attacker-999"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    auth.as_user(world.commune_lead)
    response = client.post(f"/people/{person.id}/invite")
    assert response.status_code == 302  # back to the page with "reset it instead"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.user_id == user.id)) == 1


def test_a_reset_says_reset_on_the_page_in_the_sms_and_behind_the_link(world, client, auth):
    auth.as_user(world.commune_lead)
    html = client.post(f"/people/{world.volunteer.person_id}/reset-password").get_data(as_text=True)
    assert "Đặt lại mật khẩu cho" in html and "Lời mời" not in html.split("<h1>")[1].split("</h1>")[0]
    assert "dat%20lai%20mat%20khau" in html  # the sms: link's prefilled body
    message = db.session.scalar(sa.select(Message).where(Message.person_id == world.volunteer.person_id,
                                                         Message.purpose == "invitation"))
    assert message.body.startswith("To cong nghe cong dong: dat lai mat khau tai ")
    raw = html.split("/invite/")[1].split('"')[0].strip()
    client.post("/logout")
    landing = client.get(f"/invite/{raw}").get_data(as_text=True)
    assert "<h1>Đặt lại mật khẩu</h1>" in landing and "mật khẩu mới" in landing and "Chào mừng" not in landing


def test_an_invitation_still_says_set_your_password(world, client, auth):
    auth.as_user(world.commune_lead)
    person = make_person(full_name="Người Mới")
    teams.add_member(world.commune_team, person, MEMBER)
    db.session.commit()
    html = client.post(f"/people/{person.id}/invite").get_data(as_text=True)
    assert "Lời mời cho Người Mới" in html and "dat%20mat%20khau" in html and "lai" not in html.split("body=")[1][:40]
    message = db.session.scalar(sa.select(Message).where(Message.person_id == person.id))
    assert message.body.startswith("To cong nghe cong dong: dat mat khau tai ")


def test_reset_is_explicit_and_sets_the_password_through_the_link(world, client, auth):
    auth.as_user(world.commune_lead)
    page = client.get(f"/people/{world.volunteer.person_id}").get_data(as_text=True)
    assert "reset-password" in page
    response = client.post(f"/people/{world.volunteer.person_id}/reset-password")
    assert response.status_code == 200
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.user_id == world.volunteer.id))
    assert invitation.purpose == accounts.RESET
    raw = response.get_data(as_text=True).split("/invite/")[1].split('"')[0].split("<")[0].strip()
    client.post("/logout")
    assert client.post(f"/invite/{raw}", data={"password": "new-pass-456", "confirm": "new-pass-456"}).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, world.volunteer.id)
    assert check_password_hash(user.password_hash, "new-pass-456")
    assert not check_password_hash(user.password_hash, PASSWORD)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reset_password", AuditEvent.actor_user_id == world.commune_lead.id)) == 1


def test_reset_button_only_when_allowed(world, client, auth):
    auth.as_user(world.lead_b)
    client.post(f"/teams/{world.commune_team_b.id}/members/existing",
                data={"existing-phone": world.lead_a.person.phone, "existing-role": "member"})
    page = client.get(f"/people/{world.lead_a.person_id}")
    assert page.status_code == 200  # visible through the membership lead_b made...
    assert "reset-password" not in page.get_data(as_text=True)  # ...but no authority over the person
    assert "/invite" not in page.get_data(as_text=True) and "/edit" not in page.get_data(as_text=True)


def _import(world, actor, rows: list[str]):
    from tests.test_member_import import csv_bytes
    scope = scope_for_person(actor.person_id)
    batch = member_import.preview(actor.id, "m.csv", csv_bytes(rows), scope)
    db.session.commit()
    return batch, scope


def test_import_update_changes_only_people_in_authority_and_reports_the_others(world):
    commune = world.commune_team.admin_unit_code
    lead_a, volunteer = world.lead_a.person, world.volunteer.person
    rows = [f"Bị Đổi Tên,{lead_a.phone},{commune},,Doanh nghiệp,FPT,",
            f"Ministry Renamed,{world.ministry.person.phone},{commune},,Khác,,",
            f"Tình Nguyện Viên Mới,{volunteer.phone},{commune},,Trạm y tế,,"]
    batch, scope = _import(world, world.commune_lead, rows)
    existing = {row: name for row, _phone, name in batch.summary["existing_rows"]}
    assert existing[2] == existing[3] == "đã đăng ký ở địa bàn khác — không cập nhật"
    assert existing[4] == "Tình Nguyện Viên"  # their own member is named
    text = repr(batch.summary)
    assert lead_a.full_name not in text and world.ministry.person.full_name not in text
    result = member_import.run(batch, "update", scope, world.commune_lead.id)
    db.session.commit()
    db.session.expire_all()
    assert result["updated"] == 1
    assert db.session.get(Person, lead_a.id).full_name == "Trưởng Hà Nội"
    assert db.session.get(Person, lead_a.id).organisation is None
    assert db.session.get(Person, world.ministry.person_id).full_name == "Bộ Trưởng Thử"
    assert db.session.get(Person, volunteer.id).full_name == "Tình Nguyện Viên Mới"
    updates = set(db.session.scalars(sa.select(AuditEvent.entity_id).where(
        AuditEvent.action == "update", AuditEvent.entity == "person")))
    assert updates == {str(volunteer.id)}


def test_import_update_by_a_province_lead_leaves_another_province_alone(world):
    commune = world.commune_team.admin_unit_code
    batch, scope = _import(world, world.lead_a, [f"Đổi Tên,{world.lead_b.person.phone},{commune},,Khác,,"])
    member_import.run(batch, "update", scope, world.lead_a.id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Person, world.lead_b.person_id).full_name == "Trưởng Sài Gòn"


def test_assigning_a_task_to_someone_outside_names_nobody(world, client, auth):
    batch, _n = assignment.assign(tasks.TaskSpec(kind="venue_qr_registration", title="Việc thử", target_count=1, target_unit="địa điểm"), assignment.Targeting(HANOI),
                                  world.lead_a.id)
    db.session.commit()
    task = db.session.scalar(sa.select(Task).where(Task.batch == batch, Task.team_id == world.commune_team.id))
    auth.as_user(world.commune_lead)
    response = client.post(f"/tasks/{task.id}/assign", data={"person_id": str(world.lead_b.person_id)})
    assert response.status_code == 400
    assert "Trưởng Sài Gòn" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, task.id).assignee_person_id is None


def test_adding_by_phone_names_nobody_outside(world, client, auth):
    auth.as_user(world.commune_lead)
    html = client.post(f"/teams/{world.commune_team.id}/members", data={
        "new-full_name": "Ai Đó", "new-phone": world.lead_b.person.phone, "new-role": "member",
        "new-affiliation": "youth_union"}).get_data(as_text=True)
    assert "Trưởng Sài Gòn" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.full_name == "Ai Đó")) == 0


def _without_csrf_tokens(body):
    return re.sub(rb'(name="csrf[-_]token" (?:content|value)=)"[^"]*"', rb'\1""', body)


def test_refused_privileged_actions_on_existing_objects_are_audited_not_shown(world, client, auth):
    auth.as_user(world.commune_lead)
    missing = client.post("/people/999999/reset-password")
    refused = client.post(f"/people/{world.lead_a.person_id}/reset-password")
    client.post(f"/people/{world.ministry.person_id}/edit", data={"full_name": "X", "phone": "0912000999"})
    assert missing.status_code == refused.status_code == 404
    # the attacker sees the same page; only the CSRF token's signing second may differ
    assert _without_csrf_tokens(missing.get_data()) == _without_csrf_tokens(refused.get_data())
    events = db.session.execute(sa.select(AuditEvent.actor_user_id, AuditEvent.entity, AuditEvent.entity_id,
                                          AuditEvent.after).where(AuditEvent.action == "refused")
                                .order_by(AuditEvent.id)).all()
    assert events == [(world.commune_lead.id, "person", str(world.lead_a.person_id), {"attempted": "reset"}),
                      (world.commune_lead.id, "person", str(world.ministry.person_id), {"attempted": "edit"})]
    # ... and the refused actor cannot read them back in the trail, the ministry can
    from coordination.core import audit
    own = audit.search(scope_for_person(world.commune_lead.person_id), audit.Filters())
    assert not [e for e, _n in own if e.action == "refused"]
    national = audit.search(scope_for_person(world.ministry.person_id), audit.Filters())
    assert len([e for e, _n in national if e.action == "refused"]) == 2
    # lead_a sees the refusal that targeted them (their province)
    lead = audit.search(scope_for_person(world.lead_a.person_id), audit.Filters())
    assert [e.entity_id for e, _n in lead if e.action == "refused"] == [str(world.lead_a.person_id)]


def test_api_patch_person_outside_authority_is_refused_and_audited(world, client, auth):
    auth.as_user(world.commune_lead)
    client.post(f"/teams/{world.commune_team.id}/members/existing",
                data={"existing-phone": world.lead_a.person.phone, "existing-role": "member"})
    response = client.patch(f"/api/v1/people/{world.lead_a.person_id}", json={"full_name": "Chiếm Qua API"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Person, world.lead_a.person_id).full_name == "Trưởng Hà Nội"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "refused", AuditEvent.actor_user_id == world.commune_lead.id)) == 1

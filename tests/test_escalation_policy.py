"""Escalation policies per team, defaulted per province (issue 20 §3), as rules: which policy a
shift follows, what a policy may say (and who may set it), the steps' timings across repeats, the
outbox rows a tick queues from them, and an acknowledgement stopping the later steps."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from coordination.core.errors import ValidationError
from coordination.core.permissions import scope_for_person
from coordination.duty import alerts, replies, rota
from coordination.duty import escalation_policy as policy, escalation_policy_edit as edit
from coordination.duty.escalation_policy import Policy, Step
from coordination.org import teams
from models import AuditEvent, Membership, Message, db
from tests.factories import HANOI
from tests.factories import make_person

UTC = timezone.utc
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
M = timedelta(minutes=1)
pytestmark = pytest.mark.clock_at(T)


@pytest.fixture
def staffed(world):
    backup = make_person(full_name="Người Dự Phòng")
    named = make_person(full_name="Chị Được Gọi Tên")
    teams.add_member(world.commune_team, backup, "member")
    teams.add_member(world.commune_team, named, "member")
    shift = rota.add_shift(world.commune_team, T, T + timedelta(hours=8), 2)
    rota.assign(shift, world.volunteer.person, "primary")
    rota.assign(shift, backup, "backup")
    db.session.commit()
    return shift, backup, named


def rows(person_id, channel=None) -> list[Message]:
    db.session.expire_all()
    query = sa.select(Message).where(Message.person_id == person_id, Message.purpose == "escalation")
    if channel:
        query = query.where(Message.channel == channel)
    return list(db.session.scalars(query.order_by(Message.id)))


def form(**fields) -> MultiDict:
    data = MultiDict()
    for key, value in fields.items():
        for v in (value if isinstance(value, list) else [value]):
            data.add(key.replace("_", "-"), str(v))
    return data


def refused(data, allowed) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        edit.parse(data, allowed)
    return err.value


# --- which policy a shift follows ----------------------------------------------------------------

def test_the_team_policy_overrides_the_province_default_which_overrides_the_built_in(world):
    team, other = world.commune_team, world.commune_team_b
    built_in = policy.effective(team.id, HANOI)
    assert built_in.source == "builtin" and [s.roles for s in built_in.steps] == [
        ("backup",), ("commune_lead",), ("province_leads",)] and [s.wait for s in built_in.steps] == [10, 10, 10]
    edit.save(world.lead_a.id, HANOI, None, [Step(5, ("province_leads",))], 1, T)
    assert policy.effective(team.id, HANOI).steps == (Step(5, ("province_leads",)),)
    assert policy.effective(team.id, HANOI).source == "province"
    assert policy.effective(other.id, other.province_code).source == "builtin"  # another province
    edit.save(world.commune_lead.id, HANOI, team.id, [Step(3, ("backup",), (), "sms")], 0, T)
    assert policy.effective(team.id, HANOI) == Policy((Step(3, ("backup",), (), "sms"),), 0, "team", HANOI, team.id)
    shift = rota.add_shift(team, T, T + timedelta(hours=1), 1)
    shift_b = rota.add_shift(other, T, T + timedelta(hours=1), 1)
    followed = policy.effective_for([shift, shift_b])
    assert followed[shift.id].source == "team" and followed[shift_b.id].source == "builtin"
    assert edit.reset(world.commune_lead.id, HANOI, team.id)
    assert policy.effective(team.id, HANOI).source == "province"
    assert not edit.reset(world.commune_lead.id, HANOI, team.id)  # nothing left to reset
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "escalation_policy")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["update_default", "update", "reset"]


def test_the_built_in_policy_is_todays_settings(ctx):
    saved = {k: ctx.config.get(k) for k in ("ALERT_ESCALATION_MINUTES", "ALERT_CALL_STEPS", "ESCALATION_REPEATS")}
    ctx.config.update(ALERT_ESCALATION_MINUTES=7, ALERT_CALL_STEPS=(1,), ESCALATION_REPEATS=3)
    try:
        built_in = policy.builtin()
        assert [s.wait for s in built_in.steps] == [7, 7, 7] and built_in.repeats == 2
        assert [s.channels for s in built_in.steps] == ["chain_voice", "chain", "chain"]
    finally:
        ctx.config.update(saved)


# --- what a policy may say -------------------------------------------------------------------------

def test_a_valid_form_becomes_steps(world, staffed):
    _shift, backup, named = staffed
    allowed = edit.members(world.commune_team.id)
    steps, repeats = edit.parse(form(step_1_wait=5, step_1_roles="backup", step_1_channels="sms",
                                     step_2_wait=10, step_2_roles=["commune_lead", "province_leads"],
                                     step_2_people=[named.id, named.id], step_2_channels="sms_voice",
                                     step_3_wait="", repeats=2), allowed)
    assert steps == [Step(5, ("backup",), (), "sms"), Step(10, ("commune_lead", "province_leads"), (named.id,),
                                                            "sms_voice")] and repeats == 2


@pytest.mark.parametrize("fields, field, words", [
    (dict(step_1_wait=121, step_1_roles="backup"), "step-1-wait", "0 đến 120 phút"),
    (dict(step_1_wait=-1, step_1_roles="backup"), "step-1-wait", "Bước 1"),
    (dict(step_1_wait="²", step_1_roles="backup"), "step-1-wait", "Bước 1"),
    (dict(step_1_wait="mười", step_1_roles="backup"), "step-1-wait", "Bước 1"),
    (dict(step_1_wait=5, step_1_roles="backup", step_2_wait=5), "step-2-roles", "Bước 2"),
    (dict(step_1_wait=5, step_1_roles="mayor"), "step-1-roles", "Bước 1"),
    (dict(step_1_wait=5, step_1_roles="backup", step_1_channels="fax"), "step-1-channels", "Bước 1"),
    (dict(step_1_wait=5, step_1_roles="backup", repeats=6), "repeats", "0 đến 5"),
    (dict(step_1_wait=5, step_1_roles="backup", repeats="hai"), "repeats", "lặp lại"),
    (dict(step_1_wait=0, step_1_roles="backup", repeats=1), "repeats", "trên 0 phút"),
    (dict(repeats=0), "step-1-wait", "ít nhất một bước"),
    ({f"step_{n}_wait": 1 for n in range(1, 12)} | {f"step_{n}_roles": "backup" for n in range(1, 12)},
     "step-11-wait", "tối đa 10 bước"),
])
def test_each_bad_field_is_named_in_vietnamese(world, fields, field, words):
    with force_locale("vi"):
        err = refused(form(**fields), edit.members(world.commune_team.id))
        assert err.field == field and words in str(err), str(err)


def test_named_people_must_be_current_members_and_are_never_named_when_refused(world, staffed):
    _shift, backup, named = staffed
    outsider = make_person(full_name="Người Ở Sài Gòn")
    teams.add_member(world.commune_team_b, outsider, "member")
    db.session.commit()
    allowed = edit.members(world.commune_team.id)
    assert outsider.id not in allowed and named.id in allowed
    for bad in (outsider.id, world.lead_b.person_id, "x", 2 ** 40):
        err = refused(form(step_1_wait=5, step_1_people=bad), allowed)
        assert err.field == "step-1-people" and "Sài Gòn" not in str(err) and str(bad) not in str(err)
    membership = db.session.scalar(sa.select(Membership).where(
        Membership.person_id == named.id, Membership.team_id == world.commune_team.id))
    teams.end_membership(membership, T.date())
    db.session.commit()
    assert refused(form(step_1_wait=5, step_1_people=named.id), edit.members(world.commune_team.id)).field \
        == "step-1-people"


def test_who_may_set_a_policy(world):
    def scope(user):
        return scope_for_person(user.person_id)
    assert edit.can_edit_default(scope(world.lead_a), HANOI) and edit.can_edit_default(scope(world.ministry), HANOI)
    assert not edit.can_edit_default(scope(world.lead_b), HANOI)
    assert not edit.can_edit_default(scope(world.commune_lead), HANOI)
    assert not edit.can_edit_default(scope(world.volunteer), HANOI)
    team = world.commune_team
    assert edit.can_edit_team(scope(world.commune_lead), team) and edit.can_edit_team(scope(world.lead_a), team)
    assert not edit.can_edit_team(scope(world.commune_lead), world.commune_team_b)
    assert not edit.can_edit_team(scope(world.lead_b), team) and not edit.can_edit_team(scope(world.volunteer), team)
    assert not edit.can_edit_team(scope(world.lead_a), world.province_team_a)  # the province team: its default


# --- timings (pure) --------------------------------------------------------------------------------

def test_timings_across_repeats():
    two = Policy((Step(5, ("backup",)), Step(15, ("commune_lead",))), repeats=2)
    assert [int(o / M) for o in policy.offsets(two)] == [5, 20, 25, 40, 45, 60]
    assert policy.last_number(two) == 6
    assert [policy.step_of(two, n).roles for n in (1, 2, 3, 6)] == [("backup",), ("commune_lead",), ("backup",),
                                                                     ("commune_lead",)]
    assert [policy.run_of(two, n) for n in (1, 2, 3, 4, 5, 6)] == [0, 0, 1, 1, 2, 2]
    end = T + timedelta(hours=8)
    assert policy.nudge_after(two, 5 * M) == timedelta(minutes=2.5)  # before the backup's 5 minutes
    assert policy.due_steps(two, T, end, T + 2 * M, 5 * M) == []
    assert policy.due_steps(two, T, end, T + 3 * M, 5 * M) == [0]
    assert policy.due_steps(two, T, end, T + 24 * M, 5 * M) == [0, 1, 2]
    assert policy.due_steps(two, T, end, T + 60 * M, 5 * M) == [0, 1, 2, 3, 4, 5, 6]
    assert policy.due_steps(two, T, end, end, 5 * M) == []  # the shift is over
    assert [(n, run, at) for n, run, at, _s in policy.timetable(two)][:3] == [(1, 0, 5), (2, 0, 20), (3, 1, 25)]


def test_the_channels_of_a_step():
    chain = [policy.contacts.Step("push", 0), policy.contacts.Step("sms", 2), policy.contacts.Step("voice", 5)]
    assert policy.channel_plan("chain", chain, has_push=False) == {"sms": 0 * M}
    assert policy.channel_plan("chain", chain, has_push=True) == {"push": 0 * M, "sms": 2 * M}
    assert policy.channel_plan("chain_voice", chain, has_push=True) == {"push": 0 * M, "sms": 2 * M, "voice": 5 * M}
    assert policy.channel_plan("sms_voice", chain, has_push=True) == {"sms": 0 * M, "voice": 0 * M}
    assert policy.channel_plan("all", chain, has_push=False) == {"sms": 0 * M, "voice": 0 * M}


# --- the tick follows the policy ----------------------------------------------------------------------

def test_a_province_default_is_expanded_into_outbox_rows_with_its_timings_and_repeats(world, staffed):
    shift, backup, named = staffed
    province_named = make_person(full_name="Cán Bộ Tỉnh Trực")
    teams.add_member(world.province_team_a, province_named, "member")
    db.session.commit()
    edit.save(world.lead_a.id, HANOI, None, [Step(5, ("backup",), (), "sms"),
                                             Step(10, (), (province_named.id,), "sms_voice")], 1, T)
    db.session.commit()
    for minutes in range(0, 61):
        alerts.tick(T + minutes * M)
    sms = rows(backup.id)
    assert [(m.channel, m.created_at, m.dedupe_key) for m in sms] == [
        ("sms", T + 5 * M, f"escalation/{shift.id}/1/{backup.id}"),
        ("sms", T + 20 * M, f"escalation/{shift.id}/3/{backup.id}")]
    assert "(Lần" not in sms[0].body and sms[1].body.startswith("[TCN] (Lần 2) Tình Nguyện Viên")
    called = rows(province_named.id)
    assert sorted((m.channel, m.created_at, m.next_attempt_at) for m in called) == [
        ("sms", T + 15 * M, T + 15 * M), ("sms", T + 30 * M, T + 30 * M),
        ("voice", T + 15 * M, T + 15 * M), ("voice", T + 30 * M, T + 30 * M)]
    assert rows(world.commune_lead.person_id) == [] and rows(world.lead_a.person_id) == []  # not in this policy
    assert rows(named.id) == []
    nudges = db.session.scalars(sa.select(Message.created_at).where(
        Message.person_id == world.volunteer.person_id, Message.dedupe_key.like("escalation/%"))).all()
    assert nudges == [T + 3 * M]  # the absent primary's own nudge first, halfway to the backup's step


def test_an_acknowledgement_stops_the_later_steps_and_repeats(world, staffed):
    shift, backup, named = staffed
    edit.save(world.commune_lead.id, HANOI, world.commune_team.id,
              [Step(5, ("backup",), (), "sms"), Step(5, (), (named.id,), "chain_voice")], 3, T)
    db.session.commit()
    for minutes in range(0, 11):
        alerts.tick(T + minutes * M)
    queued_call = [m for m in rows(named.id) if m.channel == "voice"]
    assert queued_call and queued_call[0].status == "queued"  # the call waits for her chain's 5 minutes
    assert alerts.acknowledge(rows(backup.id)[0], T + 11 * M)
    db.session.commit()
    for minutes in range(11, 120, 5):
        alerts.tick(T + minutes * M)
    assert len(rows(backup.id)) == 1 and len(rows(named.id, "sms")) == 1
    assert [m.status for m in rows(named.id, "voice")] == ["not_sent"]


def test_a_named_person_who_left_the_team_is_not_alerted(world, staffed):
    shift, backup, named = staffed
    edit.save(world.commune_lead.id, HANOI, world.commune_team.id, [Step(5, ("backup",), (named.id,), "sms")], 0, T)
    membership = db.session.scalar(sa.select(Membership).where(
        Membership.person_id == named.id, Membership.team_id == world.commune_team.id))
    teams.end_membership(membership, T.date())
    db.session.commit()
    alerts.tick(T + 5 * M)
    assert len(rows(backup.id)) == 1 and rows(named.id) == []


def test_a_decline_hands_the_alert_to_the_policys_next_step(world, staffed):
    shift, backup, named = staffed
    edit.save(world.commune_lead.id, HANOI, world.commune_team.id,
              [Step(5, ("backup",), (), "sms"), Step(30, (), (named.id,), "sms")], 0, T)
    db.session.commit()
    alerts.tick(T + 5 * M)
    assert replies.escalate_now(rows(backup.id)[0], T + 6 * M) == 1
    assert [(m.created_at, m.dedupe_key) for m in rows(named.id)] == [
        (T + 6 * M, f"escalation/{shift.id}/2/{named.id}")]

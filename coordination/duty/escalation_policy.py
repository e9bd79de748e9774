"""Escalation policies per team, defaulted per province (issue 20 §3), as plain rules.

A policy is ordered steps, each with a wait (minutes after the previous step; the first after the
shift's start), whom it alerts — roles (the shift's backup, the commune lead, the province's leads)
and/or named members of the team — and the channels ("chain": each person's own contact chain,
messaging/contacts.py; "chain_voice" the same with its call; or SMS, SMS and a call, push, SMS and
a call at once). The whole policy runs again `repeats` times until someone acknowledges; an
acknowledgement cancels what is queued and stops the later steps (alerts.acknowledge).

Which policy a shift follows: its team's own, else its province's default, else the built-in one
(backup → commune lead → province leads, ALERT_ESCALATION_MINUTES apart, ESCALATION_REPEATS runs,
a call on ALERT_CALL_STEPS) — so today's behaviour is one policy among others, on one code path.

Step numbers run across the repeats (1, 2, 3 the first run of a 3-step policy; 4 the second run's
first step…); 0 is the absent primary's own nudge, before any step. The outbox rows' dedupe keys
carry them (`escalation/<shift>/<number>/<person>`), so a restarted scheduler queues nothing twice."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Iterable, NamedTuple, Optional

import sqlalchemy as sa
from flask import current_app

from models import EscalationPolicy, Person, Shift, db
from models.messages import PUSH, SMS, VOICE
from models.teams import LEAD, LEADING_ROLES

from coordination.messaging import contacts
from coordination.duty import alert_store as store

BACKUP, COMMUNE_LEAD, PROVINCE_LEADS = "backup", "commune_lead", "province_leads"
ROLES = (BACKUP, COMMUNE_LEAD, PROVINCE_LEADS)
CHAIN, CHAIN_VOICE, ONLY_SMS, SMS_VOICE, ALL = "chain", "chain_voice", "sms", "sms_voice", "all"
CHANNEL_MODES = (CHAIN, CHAIN_VOICE, ONLY_SMS, SMS_VOICE, ALL)
AT_ONCE = {ONLY_SMS: (SMS,), SMS_VOICE: (SMS, VOICE), ALL: (PUSH, SMS, VOICE)}
MAX_WAIT, MAX_STEPS, MAX_REPEATS, MAX_PEOPLE = 120, 10, 5, 20
BUILTIN, PROVINCE, TEAM = "builtin", "province", "team"  # where the policy in effect comes from
MAX_OFFSETS = 300  # beyond this many distinct step moments a tick looks at every running shift


class Step(NamedTuple):
    wait: int  # minutes after the previous step (the first: after the shift's start)
    roles: tuple[str, ...] = ()
    people: tuple[int, ...] = ()  # members of the policy's team
    channels: str = CHAIN


class Policy(NamedTuple):
    steps: tuple[Step, ...]
    repeats: int = 0  # extra runs of the whole policy until someone acknowledges
    source: str = BUILTIN
    province_code: Optional[str] = None
    team_id: Optional[int] = None  # a team's own policy: whose members `people` are


# --- timings (pure) ----------------------------------------------------------------------------

def offsets(policy: Policy) -> list[timedelta]:
    """From the shift's start to each numbered step (number = index + 1), across the repeats."""
    out, at = [], 0
    for _run in range(policy.repeats + 1):
        for step in policy.steps:
            at += step.wait
            out.append(timedelta(minutes=at))
    return out


def nudge_after(policy: Policy, nudge: timedelta) -> timedelta:
    """The absent primary's own nudge comes first: `nudge` after the start, or halfway to step 1."""
    return min(nudge, offsets(policy)[0] / 2)


def due_steps(policy: Policy, starts_at: datetime, ends_at: datetime, now: datetime,
              nudge: timedelta) -> list[int]:
    """The step numbers whose moment has come while the shift runs, in order, the nudge (0) first."""
    if not starts_at + nudge_after(policy, nudge) <= now < ends_at:
        return []
    return [0] + [n for n, off in enumerate(offsets(policy), 1) if starts_at + off <= now]


def step_of(policy: Policy, number: int) -> Step:
    """The policy's step a (possibly repeated) step number is: with 3 steps, 4 → the first again."""
    return policy.steps[(number - 1) % len(policy.steps)]


def run_of(policy: Policy, number: int) -> int:
    """Which run of the policy a step number belongs to: 0 the first, 1 the first repeat, …"""
    return (number - 1) // len(policy.steps) if number > 0 else 0


def last_number(policy: Policy) -> int:
    return len(policy.steps) * (policy.repeats + 1)


def channel_plan(mode: str, chain: list[contacts.Step], has_push: bool) -> dict[str, timedelta]:
    """When each channel goes out after the step's moment: along the person's chain (with its call
    for chain_voice), or the chosen channels at once (push only to someone with a device)."""
    if mode in AT_ONCE:
        return {c: timedelta(0) for c in AT_ONCE[mode] if c != PUSH or has_push}
    return dict(contacts.plan(chain, has_push, mode == CHAIN_VOICE))


def timetable(policy: Policy) -> list[tuple[int, int, int, Step]]:
    """(number, run, minutes after the start, step) of every step, for the page and the tests."""
    return [(n, run_of(policy, n), int(off.total_seconds() // 60), step_of(policy, n))
            for n, off in enumerate(offsets(policy), 1)]


# --- the policy in effect ----------------------------------------------------------------------

def builtin(wait_minutes: Optional[int] = None) -> Policy:
    """Today's behaviour as a policy: backup, commune lead, province leads, one wait apart."""
    config = current_app.config
    wait = int(config.get("ALERT_ESCALATION_MINUTES", 10) if wait_minutes is None else wait_minutes)
    calls = set(config.get("ALERT_CALL_STEPS", ()))
    return Policy(tuple(Step(wait, (role,), (), CHAIN_VOICE if i in calls else CHAIN)
                        for i, role in enumerate(ROLES, 1)), max(int(config.get("ESCALATION_REPEATS", 1)), 1) - 1)


def _steps(text: str) -> tuple[Step, ...]:
    return tuple(Step(int(s["wait"]), tuple(s.get("roles") or ()), tuple(int(p) for p in s.get("people") or ()),
                      s.get("channels") or CHAIN) for s in json.loads(text))


def decode(row: EscalationPolicy) -> Policy:
    return Policy(_steps(row.steps), row.repeats, TEAM if row.team_id else PROVINCE, row.province_code, row.team_id)


def encode(steps: Iterable[Step]) -> str:
    return json.dumps([{"wait": s.wait, "roles": list(s.roles), "people": list(s.people), "channels": s.channels}
                       for s in steps], sort_keys=True, separators=(",", ":"))


def own_policy(team_id: int) -> Optional[Policy]:
    row = db.session.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.team_id == team_id))
    return decode(row) if row else None


def province_default(province_code: str) -> Optional[Policy]:
    row = db.session.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.province_code == province_code,
                                                              EscalationPolicy.team_id.is_(None)))
    return decode(row) if row else None


def effective(team_id: int, province_code: Optional[str], wait_minutes: Optional[int] = None) -> Policy:
    """The team's own policy, else its province's default, else the built-in one."""
    return (own_policy(team_id) or (province_default(province_code) if province_code else None)
            or builtin(wait_minutes))


def effective_for(shifts: list[Shift], wait_minutes: Optional[int] = None) -> dict[int, Policy]:
    """Per shift id, the policy it follows: one query whatever the number of shifts."""
    teams, provinces = {s.team_id for s in shifts}, {s.province_code for s in shifts if s.province_code}
    found = {}
    if shifts:
        for row in db.session.scalars(sa.select(EscalationPolicy).where(sa.or_(
                EscalationPolicy.team_id.in_(teams),
                sa.and_(EscalationPolicy.team_id.is_(None), EscalationPolicy.province_code.in_(provinces))))):
            found[("team", row.team_id) if row.team_id else ("province", row.province_code)] = decode(row)
    default = builtin(wait_minutes)
    return {s.id: found.get(("team", s.team_id)) or found.get(("province", s.province_code)) or default
            for s in shifts}


def moments(wait_minutes: int, nudge: timedelta) -> tuple[timedelta, Optional[list[timedelta]]]:
    """For the tick's query: the earliest nudge of any policy in use, and every distinct step moment
    (None when there are too many to list: then every running shift is looked at). One query over
    the distinct timings, however many teams share them."""
    policies = [builtin(wait_minutes)] + [Policy(_steps(steps), repeats) for repeats, steps in db.session.execute(
        sa.select(EscalationPolicy.repeats, EscalationPolicy.steps).distinct())]
    nudges = {nudge_after(p, nudge) for p in policies}
    found = sorted(nudges | {off for p in policies for off in offsets(p)})
    return min(nudges), found if len(found) <= MAX_OFFSETS else None


# --- whom a step alerts --------------------------------------------------------------------------

def _reachable(person: Optional[Person]) -> bool:
    return person is not None and bool(person.consent_sms and person.sms_capable)


def targets(policy: Policy, number: int, shift: Shift, backup: Optional[Person]) -> list[Person]:
    """Who a step alerts, once each, in the step's order (roles, then named people), among people
    who accept duty SMS on a number SMS can reach. Named people are alerted only while they are
    still current members of the policy's team (a team's, or the province team for its default)."""
    step = step_of(policy, number)
    found: list[Person] = []
    if BACKUP in step.roles and _reachable(backup):
        found.append(backup)
    if COMMUNE_LEAD in step.roles:
        found += store.holders(shift.team_id, (LEAD,))
    if PROVINCE_LEADS in step.roles:
        found += store.holders(store.province_team_id(shift.province_code), LEADING_ROLES)
    if step.people:
        team_id = policy.team_id if policy.source == TEAM else store.province_team_id(policy.province_code or "")
        named = {p.id: p for p in store.named_members(team_id, step.people)}
        found += [named[i] for i in step.people if i in named]
    seen: set[int] = set()
    return [p for p in found if not (p.id in seen or seen.add(p.id))]

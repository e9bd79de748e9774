"""Setting escalation policies (issue 20 §3): what a lead may write, checked field by field, saved
with an audit event (the timings and targets themselves: escalation_policy.py).

A province lead (or the ministry) sets the province's default; a commune lead of the team, or
the province lead, sets a commune or village team's own policy, which overrides the default.
Named people must be current members of that team (for a default: of the province team) — the
form offers only them, and an id from anywhere else is refused without saying whose it is, so
the form cannot be used to learn names from outside the lead's area."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import EscalationPolicy, Membership, Person, db
from models.teams import COMMUNE, VILLAGE, Team

from coordination.core import audit
from coordination.core.errors import Conflict, ValidationError
from coordination.core.permissions import Scope, can_manage_province_team, can_manage_team
from coordination.duty import alert_store as store
from coordination.duty.escalation_policy import (CHANNEL_MODES, MAX_PEOPLE, MAX_REPEATS, MAX_STEPS, MAX_WAIT, ROLES,
                                                 Policy, Step, encode, own_policy, province_default)

FIELD = re.compile(r"step-(\d{1,3})-(wait|roles|people|channels)$")


# --- who may -----------------------------------------------------------------------------------

def can_edit_default(scope: Scope, province_code: str) -> bool:
    """The province's leads and the ministry set a province's default policy."""
    return can_manage_province_team(scope, province_code)


def can_edit_team(scope: Scope, team: Team) -> bool:
    """A commune or village team's own policy: its leads, the province's leads, the ministry."""
    return team.level in (COMMUNE, VILLAGE) and can_manage_team(scope, team)


def members(team_id: Optional[int]) -> dict[int, str]:
    """The team's current members (id → name, by name): the only people a policy may name."""
    if team_id is None:
        return {}
    return dict(db.session.execute(sa.select(Person.id, Person.full_name).join(Membership).where(
        Membership.team_id == team_id, Membership.end_date.is_(None)).order_by(Person.full_name, Person.id)).all())


# --- reading the form --------------------------------------------------------------------------

def _number(raw: str, low: int, high: int) -> Optional[int]:
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4 or not low <= int(raw) <= high:  # "²".isdigit() too
        return None
    return int(raw)


def parse(form, allowed: dict[int, str]) -> tuple[list[Step], int]:
    """The page's fields (a MultiDict: repeats, step-N-wait, step-N-roles, step-N-people,
    step-N-channels) → steps and repeats. A step row left empty (no wait, nobody) is left out: it
    is the page's row for adding one. The first error raises, naming its field."""
    numbers = sorted({int(m.group(1)) for key in form.keys() if (m := FIELD.match(key))})
    steps: list[Step] = []
    for n in numbers:
        wait_raw = (form.get(f"step-{n}-wait") or "").strip()
        roles, people = form.getlist(f"step-{n}-roles"), form.getlist(f"step-{n}-people")
        if not wait_raw and not roles and not people:
            continue
        if len(steps) == MAX_STEPS:
            raise ValidationError(_l("A policy has at most %(n)d steps.", n=MAX_STEPS), field=f"step-{n}-wait")
        wait = _number(wait_raw, 0, MAX_WAIT)
        if wait is None:
            raise ValidationError(_l("Step %(n)d, wait: choose from 0 to %(max)d minutes.", n=n, max=MAX_WAIT),
                                  field=f"step-{n}-wait")
        if any(r not in ROLES for r in roles):
            raise ValidationError(_l("Step %(n)d: choose the roles from the list.", n=n), field=f"step-{n}-roles")
        ids = [_number(p, 1, 2 ** 31 - 1) for p in people]
        if any(i is None or i not in allowed for i in ids):  # never says whose id it was
            raise ValidationError(_l("Step %(n)d: a person chosen is not a current member of this team.", n=n),
                                  field=f"step-{n}-people")
        if len(set(ids)) > MAX_PEOPLE:
            raise ValidationError(_l("Step %(n)d: name at most %(max)d people.", n=n, max=MAX_PEOPLE),
                                  field=f"step-{n}-people")
        if not roles and not ids:
            raise ValidationError(_l("Step %(n)d: choose at least one role or person to alert.", n=n),
                                  field=f"step-{n}-roles")
        channels = form.get(f"step-{n}-channels") or "chain"
        if channels not in CHANNEL_MODES:
            raise ValidationError(_l("Step %(n)d: choose the channels from the list.", n=n),
                                  field=f"step-{n}-channels")
        steps.append(Step(wait, tuple(r for r in ROLES if r in roles), tuple(dict.fromkeys(ids)), channels))
    repeats = _number(form.get("repeats") or "0", 0, MAX_REPEATS)
    if repeats is None:
        raise ValidationError(_l("Repeats: choose from 0 to %(max)d.", max=MAX_REPEATS), field="repeats")
    validate(steps, repeats, allowed)
    return steps, repeats


def validate(steps: list[Step], repeats: int, allowed: dict[int, str]) -> None:
    """The rules of a whole policy, whatever wrote it: 1..10 steps, waits 0..120 minutes, repeats
    0..5, known roles and channels, someone to alert on each step, named people current members."""
    if not steps:
        raise ValidationError(_l("Add at least one step: whom to alert, and after how long."), field="step-1-wait")
    if len(steps) > MAX_STEPS:
        raise ValidationError(_l("A policy has at most %(n)d steps.", n=MAX_STEPS), field="step-1-wait")
    if not 0 <= repeats <= MAX_REPEATS:
        raise ValidationError(_l("Repeats: choose from 0 to %(max)d.", max=MAX_REPEATS), field="repeats")
    for n, step in enumerate(steps, 1):
        if not 0 <= step.wait <= MAX_WAIT:
            raise ValidationError(_l("Step %(n)d, wait: choose from 0 to %(max)d minutes.", n=n, max=MAX_WAIT),
                                  field=f"step-{n}-wait")
        if not (step.roles or step.people) or any(r not in ROLES for r in step.roles):
            raise ValidationError(_l("Step %(n)d: choose at least one role or person to alert.", n=n),
                                  field=f"step-{n}-roles")
        if any(p not in allowed for p in step.people):
            raise ValidationError(_l("Step %(n)d: a person chosen is not a current member of this team.", n=n),
                                  field=f"step-{n}-people")
        if step.channels not in CHANNEL_MODES:
            raise ValidationError(_l("Step %(n)d: choose the channels from the list.", n=n),
                                  field=f"step-{n}-channels")
    if repeats and not any(s.wait for s in steps):
        raise ValidationError(_l("A policy that repeats needs at least one step with a wait above 0 minutes."),
                              field="repeats")


# --- saving ------------------------------------------------------------------------------------

def _row(province_code: str, team_id: Optional[int]) -> Optional[EscalationPolicy]:
    where = (EscalationPolicy.team_id == team_id) if team_id else sa.and_(
        EscalationPolicy.province_code == province_code, EscalationPolicy.team_id.is_(None))
    return db.session.scalar(sa.select(EscalationPolicy).where(where))


def _summary(row: Optional[EscalationPolicy]) -> Optional[dict]:
    return None if row is None else {"steps": row.steps, "repeats": row.repeats}


def save(actor_user_id: Optional[int], province_code: str, team_id: Optional[int], steps: list[Step],
         repeats: int, now: datetime) -> EscalationPolicy:
    """Store the province's default (team_id None) or the team's own policy, with an audit event
    (before and after). The caller checked who may and commits."""
    row = _row(province_code, team_id)
    before = _summary(row)
    if row is None:
        row = EscalationPolicy(province_code=province_code, team_id=team_id)
        db.session.add(row)
    row.steps, row.repeats, row.updated_by_id, row.updated_at = encode(steps), repeats, actor_user_id, now
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # two leads saved the first policy at the same moment
        db.session.rollback()
        raise Conflict(_l("Someone else saved this policy just now. Reload the page and try again."), field="repeats")
    audit.record(actor_user_id, "update" if team_id else "update_default", "escalation_policy", row.id,
                 before=before, after=_summary(row), province_code=province_code, team_id=team_id)
    return row


def reset(actor_user_id: Optional[int], province_code: str, team_id: Optional[int]) -> bool:
    """Remove the team's own policy (it follows the province's default again) or the province's
    default (the built-in one applies). False if there was none. The caller commits."""
    row = _row(province_code, team_id)
    if row is None:
        return False
    audit.record(actor_user_id, "reset" if team_id else "reset_default", "escalation_policy", row.id,
                 before=_summary(row), province_code=province_code, team_id=team_id)
    db.session.delete(row)
    db.session.flush()
    return True


def starting_point(team_id: Optional[int], province_code: str, allowed: dict[int, str],
                   builtin: Policy) -> tuple[Policy, str]:
    """What the page's form starts from, and where it comes from ("team", "province", "builtin"):
    the team's own policy, else the default it inherits — without people who are not members of
    this team (a province default's named people are the province team's: not offered, not named)."""
    found = (own_policy(team_id) if team_id else None) or province_default(province_code) or builtin
    steps = tuple(s._replace(people=tuple(p for p in s.people if p in allowed)) for s in found.steps)
    return found._replace(steps=steps), found.source


def people_team(province_code: str, team_id: Optional[int]) -> Optional[int]:
    """Whose members a policy may name: the team's, or for a province default the province team's."""
    return team_id if team_id else store.province_team_id(province_code)

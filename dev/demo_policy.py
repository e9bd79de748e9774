"""Demo: Hà Nội's default escalation policy (issue 20 §3), set by the province lead, so `make run`
shows a province default on /provinces/01/escalation-policy and on the commune lead's team page
(which may then set its own). It keeps the demo's rhythm — the backup 10 minutes after the start,
with a call — then the commune lead, then the province's leads together with the province team's
duty member by SMS and a call at once; the whole policy runs once more if nobody acknowledges."""
from __future__ import annotations

import sqlalchemy as sa

from models import Membership, Person, Team, db
from models.teams import MEMBER, PROVINCE

from coordination.clock import utcnow
from coordination.duty import escalation_policy as policy, escalation_policy_edit as edit
from coordination.org.accounts import ensure_user


def demo_policy() -> None:
    if policy.province_default("01") is not None:
        return
    lead = db.session.scalar(sa.select(Person).where(Person.email == "hanoi@tocongnghe.vn"))
    duty_member = db.session.scalar(sa.select(Person.id).join(Membership).join(Team).where(
        Team.level == PROVINCE, Team.province_code == "01", Membership.role == MEMBER,
        Membership.end_date.is_(None)).order_by(Person.id).limit(1))
    steps = [policy.Step(10, (policy.BACKUP,), (), policy.CHAIN_VOICE),
             policy.Step(10, (policy.COMMUNE_LEAD,), (), policy.CHAIN),
             policy.Step(10, (policy.PROVINCE_LEADS,), (duty_member,) if duty_member else (), policy.SMS_VOICE)]
    edit.validate(steps, 1, edit.members(edit.people_team("01", None)))
    edit.save(ensure_user(lead).id if lead else None, "01", None, steps, 1, utcnow())

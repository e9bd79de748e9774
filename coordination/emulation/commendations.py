"""Commendation proposals (đề xuất khen thưởng): proposed → reviewed → approved / rejected; an ad-hoc
one (khen thưởng đột xuất) goes proposed → approved / rejected, decided directly.

Evidence is gathered from the platform's data when the proposal is made (the last 90 days): hours
on duty, shifts covered, tasks done and how fast alerts were acknowledged — nobody types it in.
Who may do what:
- propose: whoever manages the team (its commune lead, the province's leads, the ministry);
- review, then approve or reject: the level that decides the chosen form (commendation_forms.py),
  never the proposer (rejecting needs a reason; approving a regular proposal needs a review first).
Approved commendations appear on the public recognition page with names and team, never phones.
"""
from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import (AdminUnit, Commendation, DutySession, Membership, Message, Person, Shift, ShiftAssignment, Task,
                    Team, db)
from models.emulation import APPROVED, PROPOSED, REJECTED, REVIEWED
from models.tasks import DONE
from models.teams import LEADING_ROLES

from coordination.core import audit, permissions
from coordination.duty.queries import hours_on_duty
from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.text import clean_line
from coordination.emulation import commendation_forms
from coordination.clock import local_today, utcnow

EVIDENCE_DAYS = 90


def evidence(team: Team, person: Optional[Person], now=None) -> dict:
    """What the platform knows about the team's (or the person's) work in the last 90 days."""
    now = now or utcnow()
    start = now - timedelta(days=EVIDENCE_DAYS)
    if person is not None:
        hours = hours_on_duty(start, now, person_id=person.id, now=now).get(person.id, 0.0)
        shifts = db.session.scalar(sa.select(sa.func.count(sa.distinct(ShiftAssignment.shift_id)))
                                   .join(Shift, Shift.id == ShiftAssignment.shift_id)
                                   .where(ShiftAssignment.person_id == person.id, Shift.starts_at >= start,
                                          Shift.starts_at < now))
        covered = db.session.scalar(sa.select(sa.func.count(sa.distinct(DutySession.shift_id))).where(
            DutySession.person_id == person.id, DutySession.shift_id.is_not(None), DutySession.started_at >= start))
        tasks = sa.select(sa.func.count()).select_from(Task).where(Task.assignee_person_id == person.id)
        alerts = sa.select(Message.created_at, Message.acknowledged_at).where(Message.person_id == person.id)
    else:
        hours = hours_on_duty(start, now, team_id=team.id, by="team", now=now).get(team.id, 0.0)
        shifts = db.session.scalar(sa.select(sa.func.count()).select_from(Shift).where(
            Shift.team_id == team.id, Shift.starts_at >= start, Shift.starts_at < now))
        covered = db.session.scalar(sa.select(sa.func.count(sa.distinct(DutySession.shift_id))).where(
            DutySession.team_id == team.id, DutySession.shift_id.is_not(None), DutySession.started_at >= start))
        tasks = sa.select(sa.func.count()).select_from(Task).where(Task.team_id == team.id)
        alerts = (sa.select(Message.created_at, Message.acknowledged_at).join(Shift, Shift.id == Message.shift_id)
                  .where(Shift.team_id == team.id))
    done = db.session.scalar(tasks.where(Task.status == DONE, Task.completed_at >= start))
    waits = [(acked - sent).total_seconds() / 60 for sent, acked in db.session.execute(
        alerts.where(Message.created_at >= start, Message.acknowledged_at.is_not(None)))]
    return {"days": EVIDENCE_DAYS, "hours_on_duty": round(hours, 1), "shifts": int(shifts or 0),
            "shifts_covered": int(covered or 0), "tasks_done": int(done or 0), "acknowledged": len(waits),
            "median_ack_minutes": round(statistics.median(waits), 1) if waits else None}


def _clean_reason(text: Optional[str], field: str, required: bool = True) -> Optional[str]:
    text = clean_line(text, field, _l("Reason"))
    if required and len(text) < 10:
        raise ValidationError(_l("Write the reason (at least 10 characters)."), field=field)
    if len(text) > 1000:
        raise ValidationError(_l("The reason is too long (at most %(n)d characters).", n=1000), field=field)
    return text or None


def _act_on(ad_hoc: bool, act_on: Optional[date]) -> Optional[date]:
    if not ad_hoc:
        return None
    if act_on is None:
        raise ValidationError(_l("Give the day it happened."), field="act_on")
    if act_on > local_today():
        raise ValidationError(_l("The day it happened cannot be in the future."), field="act_on")
    if act_on < local_today() - timedelta(days=EVIDENCE_DAYS):
        raise ValidationError(_l("An ad-hoc commendation is for a recent act (the last %(n)d days).",
                                 n=EVIDENCE_DAYS), field="act_on")
    return act_on


def _recipient_role(team: Team, person: Optional[Person]) -> Optional[str]:
    if person is None:
        return None
    roles = set(db.session.scalars(sa.select(Membership.role).where(
        Membership.team_id == team.id, Membership.person_id == person.id, Membership.end_date.is_(None))))
    if not roles:
        raise ValidationError(_l("%(name)s is not a member of this team.", name=person.full_name), field="person")
    return "lead" if roles & set(LEADING_ROLES) else "member"


def propose(scope: permissions.Scope, actor_user_id: int, team: Team, person: Optional[Person], reason: str,
            now=None, form_code: Optional[str] = None, ad_hoc: bool = False,
            act_on: Optional[date] = None) -> Commendation:
    """A proposal for the team or one of its members; `form_code` picks the form and title (and so
    who decides); `ad_hoc` with the day it happened (`act_on`) takes the fast path."""
    if team.level != "commune" or not permissions.can_manage_team(scope, team):
        raise NotFound(_l("Not found, or not in your area."))
    role = _recipient_role(team, person)
    chosen = commendation_forms.form(form_code)
    if form_code is not None and chosen is None:
        raise ValidationError(_l("Choose a form of commendation from the list."), field="form_code")
    commendation = Commendation(province_code=team.province_code, team_id=team.id,
                                person_id=person.id if person else None,
                                reason=_clean_reason(reason, "reason"), evidence=evidence(team, person, now),
                                status=PROPOSED, proposed_by_id=actor_user_id, recipient_role=role,
                                form_code=chosen.code if chosen else None, form_name=chosen.title if chosen else None,
                                deciding_level=chosen.level if chosen else None, ad_hoc=bool(ad_hoc),
                                act_on=_act_on(bool(ad_hoc), act_on))
    db.session.add(commendation)
    db.session.flush()
    audit.record(actor_user_id, "propose", "commendation", commendation.id, province_code=team.province_code,
                 team_id=team.id, after={"person_id": commendation.person_id, "reason": commendation.reason,
                                         "form": commendation.form_code, "ad_hoc": commendation.ad_hoc})
    return commendation


def can_decide(scope: permissions.Scope, commendation: Commendation, actor_user_id: int) -> bool:
    """May this user review, approve or reject it (whichever its status allows)?"""
    return commendation_forms.may_reject(scope, commendation, actor_user_id)


def _move(scope, commendation: Commendation, actor_user_id: int, allowed_from: tuple, to: str, may) -> str:
    if not can_view(scope, commendation):
        raise NotFound(_l("Not found, or not in your area."))
    if commendation.proposed_by_id == actor_user_id:
        raise ValidationError(_l("Someone other than the proposer must review and decide."), field="status")
    before = commendation.status
    if before not in allowed_from:
        raise Conflict(_l("This proposal is already %(status)s.", status=STATUS_LABELS[before]), field="status")
    if not may(scope, commendation, actor_user_id):
        raise ValidationError(_l("This is decided at %(level)s, not by you.",
                                 level=commendation_forms.who_decides(commendation)), field="status")
    commendation.status = to
    return before


def review(scope, commendation: Commendation, actor_user_id: int) -> Commendation:
    if commendation.ad_hoc:
        raise Conflict(_l("An ad-hoc proposal has no review step: it is decided directly."), field="status")
    before = _move(scope, commendation, actor_user_id, (PROPOSED,), REVIEWED, commendation_forms.may_review)
    commendation.reviewed_by_id, commendation.reviewed_at = actor_user_id, utcnow()
    audit.record(actor_user_id, "review", "commendation", commendation.id, province_code=commendation.province_code,
                 team_id=commendation.team_id, before={"status": before}, after={"status": REVIEWED})
    return commendation


def decide(scope, commendation: Commendation, actor_user_id: int, approve: bool,
           reason: Optional[str] = None) -> Commendation:
    reason = _clean_reason(reason, "decision_reason", required=not approve)
    ready = (PROPOSED, REVIEWED) if commendation.ad_hoc else (REVIEWED,)
    before = _move(scope, commendation, actor_user_id, ready if approve else (PROPOSED, REVIEWED),
                   APPROVED if approve else REJECTED,
                   commendation_forms.may_decide if approve else commendation_forms.may_reject)
    commendation.decided_by_id, commendation.decided_at = actor_user_id, utcnow()
    commendation.decision_reason = reason
    audit.record(actor_user_id, "approve" if approve else "reject", "commendation", commendation.id,
                 province_code=commendation.province_code, team_id=commendation.team_id,
                 before={"status": before}, after={"status": commendation.status, "reason": reason})
    return commendation


def can_view(scope, commendation: Commendation) -> bool:
    return (scope.national or commendation.province_code in scope.provinces
            or commendation.team_id in scope.led_teams)


def visible_clause(scope):
    """The SQL form of can_view, for lists."""
    if scope.national:
        return sa.true()
    return sa.or_(Commendation.province_code.in_(scope.provinces or [""]),
                  Commendation.team_id.in_(scope.led_teams or [0]))


STATUS_LABELS = {PROPOSED: _l("proposed"), REVIEWED: _l("reviewed"), APPROVED: _l("approved"),
                 REJECTED: _l("rejected")}


def visible_list(scope, limit: int = 200) -> list:
    """(Commendation, commune name, person's name or None) the scope may see, newest first."""
    return db.session.execute(
        sa.select(Commendation, AdminUnit.name, Person.full_name)
        .join(Team, Team.id == Commendation.team_id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
        .outerjoin(Person, Person.id == Commendation.person_id)
        .where(visible_clause(scope)).order_by(Commendation.id.desc()).limit(limit)).all()


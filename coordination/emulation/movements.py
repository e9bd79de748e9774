"""Movements (phong trào thi đua) and their registrations (đăng ký thi đua), as plain rules.

- Launch: the ministry launches a national movement (every commune team of the country, or the teams
  it names); a province lead launches one in their province (every commune team, or chosen ones).
  Criteria are measured indicators (models.movements.CRITERIA) with a weight of 1–100 and an optional
  floor: a commitment below the floor is measured against the floor, so a low target cannot win.
  Participants are stored as rows at launch (movement_teams), so later queries join, never loop.
- Register: a participating team's commune lead (or a lead above it) proposes a target for every
  criterion; a province lead of the team's province (or the ministry) approves, or sends it back with
  a reason — never the one who proposed it. A sent-back team proposes again.
- Remind: the organiser (and, in a national movement, a province lead for their province's teams)
  sends the commune leads of unregistered teams an SMS through the outbox, once per team and day.
Out-of-scope or non-participating teams are "not found". Every change is audited."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from models import AdminUnit, Commitment, Membership, Movement, MovementCriterion, MovementTeam, Person, Team, db
from models.messages import OTHER
from models.movements import APPROVED, AT_MOST_100, CRITERIA, PROPOSED, RETURNED, UNREGISTERED
from models.teams import COMMUNE, LEAD

from coordination.clock import local_today, utcnow
from coordination.core import audit
from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.permissions import Scope
from coordination.core.text import clean_line
from coordination.emulation.targets import MAX_VALUE, clean_period
from coordination.messaging import outbox

NAME_MAX, THEME_MAX, REASON_MAX = 200, 500, 500
_NOT_FOUND = _l("Not found, or not in your area.")


# --- who may do what -------------------------------------------------------------------------

def can_launch(scope: Scope, province_code: Optional[str]) -> bool:
    return scope.national if province_code is None else (scope.national or province_code in scope.provinces)


def can_organise(scope: Scope, movement: Movement) -> bool:
    return can_launch(scope, movement.province_code)


def _participants(movement: Movement):
    return sa.select(MovementTeam.team_id).where(MovementTeam.movement_id == movement.id)


def can_view(scope: Scope, movement: Movement) -> bool:
    """Organisers; in a national movement every lead and member of a participating team and every province
    lead; in a province movement the province's leads and the participating teams' people."""
    if scope.person_id is None:
        return False
    if can_organise(scope, movement) or (movement.province_code is None and scope.provinces):
        return True
    mine = scope.led_teams | scope.member_teams
    return bool(mine) and db.session.scalar(_participants(movement).where(MovementTeam.team_id.in_(mine)).limit(1)) \
        is not None


def visible_clause(scope: Scope):
    """The SQL form of can_view, for the list of movements."""
    if scope.national:
        return sa.true()
    mine = scope.led_teams | scope.member_teams
    taking_part = sa.select(MovementTeam.id).where(MovementTeam.movement_id == Movement.id,
                                                   MovementTeam.team_id.in_(mine or [0])).exists()
    by_province = sa.or_(Movement.province_code.is_(None), Movement.province_code.in_(scope.provinces)) \
        if scope.provinces else sa.false()
    return sa.or_(by_province, taking_part)


def can_propose(scope: Scope, entry: MovementTeam) -> bool:
    return scope.national or entry.province_code in scope.provinces or entry.team_id in scope.led_teams


def can_decide(scope: Scope, entry: MovementTeam, actor_user_id: Optional[int]) -> bool:
    return (scope.national or entry.province_code in scope.provinces) and entry.proposed_by_id != actor_user_id


def can_remind(scope: Scope, movement: Movement, entry: MovementTeam) -> bool:
    return can_organise(scope, movement) or entry.province_code in scope.provinces


# --- launching ---------------------------------------------------------------------------------

def _text(raw: Optional[str], field: str, label, limit: int) -> str:
    text = clean_line(raw, field, label)
    if not text:
        raise ValidationError(_l("Enter the %(what)s.", what=label), field=field)
    if len(text) > limit:
        raise ValidationError(_l("Too long (at most %(n)d characters).", n=limit), field=field)
    return text


def clean_criteria(weights: dict[str, Optional[float]], floors: dict[str, Optional[float]]) -> list[tuple]:
    """[(metric, weight, floor)] in CRITERIA order; weight 1–100 (blank = not a criterion)."""
    out = []
    for metric in CRITERIA:
        weight, floor = weights.get(metric), floors.get(metric)
        if weight is None or weight == 0:
            if floor is not None:
                raise ValidationError(_l("A floor needs a weight for the same criterion."), field=f"floor_{metric}")
            continue
        if weight != int(weight) or not 1 <= weight <= 100:
            raise ValidationError(_l("A weight is a whole number from 1 to 100."), field=f"weight_{metric}")
        if floor is not None and not 0 < floor <= (100 if metric in AT_MOST_100 else MAX_VALUE):
            raise ValidationError(_l("A floor must be above 0 (a percentage at most 100)."), field=f"floor_{metric}")
        out.append((metric, int(weight), floor))
    if not out:
        raise ValidationError(_l("Give at least one criterion a weight."), field=f"weight_{CRITERIA[0]}")
    return out


def _area_teams(province_code: Optional[str]):
    q = sa.select(Team.id, Team.province_code).where(Team.level == COMMUNE)
    return q.where(Team.province_code == province_code) if province_code else q


def launch(scope: Scope, actor_user_id: Optional[int], *, name: str, theme: str, first: Optional[date],
           last: Optional[date], province_code: Optional[str], weights: dict, floors: dict,
           team_ids: Optional[list[int]] = None) -> Movement:
    """A new movement with its criteria and participants; team_ids None = every commune team of the area."""
    if not can_launch(scope, province_code):
        raise NotFound(_NOT_FOUND)
    name = _text(name, "name", _l("name"), NAME_MAX)
    theme = _text(theme, "theme", _l("theme"), THEME_MAX)
    first, last = clean_period(first, last)
    criteria = clean_criteria(weights, floors)
    teams = _area_teams(province_code)
    if team_ids is not None:
        teams = teams.where(Team.id.in_(team_ids))
    rows = db.session.execute(teams).all()
    if not rows or (team_ids is not None and len(rows) != len(set(team_ids))):
        raise ValidationError(_l("Choose commune teams of this area."), field="teams")
    movement = Movement(name=name, theme=theme, start_date=first, end_date=last, province_code=province_code,
                        all_teams=team_ids is None, created_by_id=actor_user_id)
    movement.criteria = [MovementCriterion(position=i, metric=m, weight=w, floor=f)
                         for i, (m, w, f) in enumerate(criteria)]
    db.session.add(movement)
    db.session.flush()
    db.session.execute(sa.insert(MovementTeam), [dict(movement_id=movement.id, team_id=t, province_code=p,
                                                      state=UNREGISTERED) for t, p in rows])
    audit.record(actor_user_id, "launch", "movement", movement.id, province_code=province_code,
                 after={"name": name, "from": first, "to": last, "count": len(rows),
                        "criteria": {m: w for m, w, _f in criteria}})
    return movement


def entry_for(movement: Movement, team_id: int) -> Optional[MovementTeam]:
    return db.session.scalar(sa.select(MovementTeam).where(MovementTeam.movement_id == movement.id,
                                                           MovementTeam.team_id == team_id))


def commitments(entry: MovementTeam) -> dict[int, float]:
    """{criterion id: value} the team registered (or proposed)."""
    return dict(db.session.execute(sa.select(Commitment.criterion_id, Commitment.value)
                                   .where(Commitment.movement_team_id == entry.id)).all())


# --- registering ---------------------------------------------------------------------------------

def propose(scope: Scope, actor_user_id: Optional[int], movement: Movement, entry: Optional[MovementTeam],
            values: dict[int, Optional[float]]) -> MovementTeam:
    """The team's targets, one per criterion (criterion id → value); replaces an earlier proposal."""
    if entry is None or entry.movement_id != movement.id or not can_propose(scope, entry):
        raise NotFound(_NOT_FOUND)
    if entry.state == APPROVED:
        raise Conflict(_l("This registration is already approved."), field="state")
    if local_today() > movement.end_date:
        raise Conflict(_l("This movement has ended."), field="state")
    chosen = {}
    for c in movement.criteria:
        value, field = values.get(c.id), f"c{c.id}"
        if value is None:
            raise ValidationError(_l("Enter a target for every criterion."), field=field)
        if not 0 < value <= (100 if c.metric in AT_MOST_100 else MAX_VALUE):
            raise ValidationError(_l("A target must be above 0 (a percentage at most 100)."), field=field)
        chosen[c.id] = float(value)
    db.session.execute(sa.delete(Commitment).where(Commitment.movement_team_id == entry.id))
    db.session.execute(sa.insert(Commitment), [dict(movement_team_id=entry.id, criterion_id=cid, value=v)
                                               for cid, v in chosen.items()])
    before = entry.state
    entry.state, entry.proposed_by_id, entry.proposed_at = PROPOSED, actor_user_id, utcnow()
    entry.return_reason = None
    audit.record(actor_user_id, "register", "movement", movement.id, province_code=entry.province_code,
                 team_id=entry.team_id, before={"state": before},
                 after={"name": movement.name, "state": PROPOSED, "targets": {str(k): v for k, v in chosen.items()}})
    return entry


def decide(scope: Scope, actor_user_id: Optional[int], movement: Movement, entry: Optional[MovementTeam],
           approve: bool, reason: Optional[str] = None) -> MovementTeam:
    if entry is None or entry.movement_id != movement.id or not (
            scope.national or entry.province_code in scope.provinces):
        raise NotFound(_NOT_FOUND)
    if entry.proposed_by_id is not None and entry.proposed_by_id == actor_user_id:
        raise ValidationError(_l("Someone other than the proposer must approve or send back."), field="state")
    if entry.state != PROPOSED:
        raise Conflict(_l("There is no proposal waiting for a decision."), field="state")
    text = None
    if not approve:
        text = clean_line(reason, "reason", _l("Reason"))
        if len(text) < 5:
            raise ValidationError(_l("Say why it is sent back (at least 5 characters)."), field="reason")
        if len(text) > REASON_MAX:
            raise ValidationError(_l("Too long (at most %(n)d characters).", n=REASON_MAX), field="reason")
    entry.state = APPROVED if approve else RETURNED
    entry.decided_by_id, entry.decided_at, entry.return_reason = actor_user_id, utcnow(), text
    audit.record(actor_user_id, "approve_registration" if approve else "return_registration", "movement",
                 movement.id, province_code=entry.province_code, team_id=entry.team_id,
                 before={"state": PROPOSED}, after={"name": movement.name, "state": entry.state, "reason": text})
    return entry


# --- reminding ------------------------------------------------------------------------------------

def _link(movement: Movement, team_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/thi-dua/movements/{movement.id}/teams/{team_id}"


def remind(scope: Scope, actor_user_id: Optional[int], movement: Movement, entry: Optional[MovementTeam],
           now: Optional[datetime] = None) -> int:
    """SMS to the team's commune leads that their registration is missing; a second tap the same
    (Vietnam) day queues nothing. Returns how many messages were queued."""
    now = now or utcnow()
    if entry is None or entry.movement_id != movement.id or not can_remind(scope, movement, entry):
        raise NotFound(_NOT_FOUND)
    if entry.state in (PROPOSED, APPROVED):
        raise Conflict(_l("This team has already registered."), field="state")
    leads = db.session.scalars(sa.select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.team_id == entry.team_id, Membership.role == LEAD, Membership.end_date.is_(None),
        Person.consent_sms.is_(True), Person.sms_capable.is_(True)).order_by(Person.id)).all()
    text = (f"[TCN] Phong trào “{movement.name[:60]}”: đội của bạn chưa đăng ký chỉ tiêu thi đua. "
            f"Đăng ký tại: {_link(movement, entry.team_id)}")
    day = local_today().isoformat()
    sent = 0
    for person in leads:
        key = f"movement:{movement.id}:team:{entry.team_id}:{day}:p{person.id}"
        sent += outbox.put(outbox.to(person, text, OTHER, dedupe_key=key, province_code=entry.province_code),
                           now) is not None  # not urgent: the outbox holds it until quiet hours end
    if sent:
        audit.record(actor_user_id, "remind", "movement", movement.id, province_code=entry.province_code,
                     team_id=entry.team_id, after={"name": movement.name, "recipients": sent})
    return sent


# --- lists --------------------------------------------------------------------------------------

def visible(scope: Scope, limit: int = 100) -> list:
    """(movement, province name or None, teams taking part, teams registered) newest first."""
    taking = sa.select(sa.func.count()).where(MovementTeam.movement_id == Movement.id).scalar_subquery()
    approved = sa.select(sa.func.count()).where(MovementTeam.movement_id == Movement.id,
                                                MovementTeam.state == APPROVED).scalar_subquery()
    return db.session.execute(
        sa.select(Movement, AdminUnit.name, taking, approved).outerjoin(AdminUnit, AdminUnit.code == Movement.province_code)
        .where(visible_clause(scope)).order_by(Movement.start_date.desc(), Movement.id.desc()).limit(limit)).all()


def registration_counts(movement: Movement, province_code: Optional[str] = None) -> dict[str, int]:
    q = (sa.select(MovementTeam.state, sa.func.count()).where(MovementTeam.movement_id == movement.id)
         .group_by(MovementTeam.state))
    if province_code:
        q = q.where(MovementTeam.province_code == province_code)
    counts = {s: 0 for s in (UNREGISTERED, PROPOSED, APPROVED, RETURNED)}
    counts.update(dict(db.session.execute(q).all()))
    return counts


def waiting(scope: Scope, movement: Movement, limit: int = 300) -> list:
    """(entry, commune name) of teams not yet approved that the scope organises or leads, by state then name:
    the unregistered and sent-back for reminders, the proposed for a decision."""
    q = (sa.select(MovementTeam, AdminUnit.name).join(Team, Team.id == MovementTeam.team_id)
         .join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
         .where(MovementTeam.movement_id == movement.id, MovementTeam.state != APPROVED))
    if not can_organise(scope, movement):
        q = q.where(sa.or_(MovementTeam.province_code.in_(scope.provinces or [""]),
                           MovementTeam.team_id.in_(scope.led_teams or [0])))
    return db.session.execute(q.order_by(MovementTeam.state, AdminUnit.name).limit(limit)).all()

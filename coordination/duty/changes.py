"""Changes to a rota outside its pattern (issue 19 §2): a volunteer gives a shift back (up to a
cut-off before it starts) or asks a teammate to take it; a teammate takes it with one tap; the lead
is told and can refuse (the place goes back); a given-back place nobody took by its deadline is
released, so it counts as a gap; a lead puts a temporary replacement on a place (an override).

Each change is a ShiftChange row (the rota's history); the place itself is the ShiftAssignment,
moved from one person to the other, so re-applying a pattern never undoes a change
(patterns.apply_slots skips people moved off a shift). Who may do what is checked by the views
(permissions); these functions check the person, the times and the state. A second tap finds the
change decided already: every decision is a conditional UPDATE on the open row."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from models import Person, Shift, ShiftAssignment, ShiftChange, db
from models.shifts import (ACCEPTED, CANCELLED, DECLINED, EXPIRED, GIVE_BACK, OPEN, OVERRIDE, REFUSED, SWAP)

from coordination.core import audit
from coordination.clock import to_local, utcnow
from coordination.core.errors import Conflict, ValidationError
from coordination.duty import change_notices as notices, patterns, rota, rota_rules

DEFAULT_CUTOFF_HOURS = 12
DEFAULT_RELEASE_HOURS = 4


# --- times (pure) ----------------------------------------------------------------------------

def cutoff() -> timedelta:
    return timedelta(hours=current_app.config.get("SHIFT_GIVE_BACK_CUTOFF_HOURS", DEFAULT_CUTOFF_HOURS))


def release_before() -> timedelta:
    return timedelta(hours=current_app.config.get("SHIFT_GIVE_BACK_RELEASE_HOURS", DEFAULT_RELEASE_HOURS))


def can_still_give_back(starts_at: datetime, now: datetime, limit: timedelta) -> bool:
    """A shift can be given back (or offered to a teammate) until `limit` before it starts."""
    return now <= starts_at - limit


def deadline(kind: str, starts_at: datetime, now: datetime, release: timedelta) -> datetime:
    """Until when a change stays open: a given-back place until `release` before the start (then it
    is released and the lead has that long to fill the gap), a swap request until the start."""
    if kind == GIVE_BACK:
        return max(now, starts_at - release)
    return starts_at


# --- reading ---------------------------------------------------------------------------------

def _open(assignment_id: int) -> Optional[ShiftChange]:
    return db.session.scalar(sa.select(ShiftChange).where(ShiftChange.assignment_id == assignment_id,
                                                          ShiftChange.state == OPEN))


def my_place(shift: Shift, person_id: int) -> Optional[ShiftAssignment]:
    return db.session.scalar(sa.select(ShiftAssignment).where(ShiftAssignment.shift_id == shift.id,
                                                              ShiftAssignment.person_id == person_id))


def open_for_places(shift_ids: list[int]) -> dict[int, list[ShiftChange]]:
    """The open changes on these shifts, by shift."""
    out: dict[int, list[ShiftChange]] = {}
    if shift_ids:
        for c in db.session.scalars(sa.select(ShiftChange).where(ShiftChange.shift_id.in_(shift_ids),
                                                                 ShiftChange.state == OPEN).order_by(ShiftChange.id)):
            out.setdefault(c.shift_id, []).append(c)
    return out


def given_back_people(shift_ids: list[int]) -> dict[int, set[int]]:
    """Who gave their place back (still open to take), by shift: the week grid marks them."""
    out: dict[int, set[int]] = {}
    for c in (c for cs in open_for_places(shift_ids).values() for c in cs if c.kind == GIVE_BACK):
        out.setdefault(c.shift_id, set()).add(c.from_person_id)
    return out


def asked_of(person_id: int, now: Optional[datetime] = None) -> list[ShiftChange]:
    """Swap requests waiting for this person's answer."""
    return list(db.session.scalars(sa.select(ShiftChange).where(
        ShiftChange.to_person_id == person_id, ShiftChange.state == OPEN, ShiftChange.kind == SWAP,
        ShiftChange.deadline_at > (now or utcnow())).order_by(ShiftChange.deadline_at)))


def team_history(team_id: int, since: datetime, limit: int = 50) -> list[ShiftChange]:
    """The team's changes on shifts ending after `since`, newest first (the rota page's history)."""
    return list(db.session.scalars(sa.select(ShiftChange).join(Shift, Shift.id == ShiftChange.shift_id).where(
        Shift.team_id == team_id, Shift.ends_at > since).order_by(ShiftChange.created_at.desc(),
                                                                  ShiftChange.id.desc()).limit(limit)))


# --- asking ----------------------------------------------------------------------------------

def _check_can_ask(shift: Shift, person: Person, now: datetime) -> ShiftAssignment:
    place = my_place(shift, person.id)
    if place is None:
        raise ValidationError(_l("You are not on this shift."), field="shift")
    if not can_still_give_back(shift.starts_at, now, cutoff()):
        raise ValidationError(_l("Too late: a shift can be given back until %(h)s hours before it starts; "
                                 "call your team lead.", h=f"{cutoff() / timedelta(hours=1):g}"), field="shift")
    if _open(place.id):
        raise Conflict(_l("You have already given this shift back or asked a teammate."), field="shift")
    return place


def _new(kind: str, shift: Shift, place: ShiftAssignment, actor_id: Optional[int], now: datetime,
         to_person: Optional[Person] = None) -> ShiftChange:
    change = ShiftChange(shift_id=shift.id, assignment_id=place.id, kind=kind, state=OPEN, role=place.role,
                         from_person_id=place.person_id, to_person_id=to_person.id if to_person else None,
                         requested_by=actor_id, created_at=now,
                         deadline_at=deadline(kind, shift.starts_at, now, release_before()))
    try:
        with db.session.begin_nested():  # two taps at once: the partial unique index keeps one open change
            db.session.add(change)
    except sa.exc.IntegrityError:
        raise Conflict(_l("You have already given this shift back or asked a teammate."), field="shift") from None
    return change


def give_back(shift: Shift, person: Person, actor_id: Optional[int] = None,
              now: Optional[datetime] = None) -> ShiftChange:
    """I cannot stand my place: it is open to my teammates until the deadline; I stay on it until then."""
    now = now or utcnow()
    place = _check_can_ask(shift, person, now)
    change = _new(GIVE_BACK, shift, place, actor_id, now)
    audit.record(actor_id, "give_back", "shift", shift.id, province_code=shift.province_code, team_id=shift.team_id,
                 before={"person_id": person.id}, after={"deadline": change.deadline_at})
    notices.given_back(change, now)
    return change


def ask_swap(shift: Shift, person: Person, teammate: Person, actor_id: Optional[int] = None,
             now: Optional[datetime] = None) -> ShiftChange:
    """I ask one teammate to take my place; they get an SMS and answer on /duty/."""
    now = now or utcnow()
    place = _check_can_ask(shift, person, now)
    if teammate.id == person.id:
        raise ValidationError(_l("Choose a teammate other than yourself."), field="person_id")
    if my_place(shift, teammate.id):
        raise Conflict(_l("%(name)s is already on this shift.", name=teammate.full_name), field="person_id")
    rota.check_person(shift, teammate)  # a member of the team, free then
    change = _new(SWAP, shift, place, actor_id, now, teammate)
    audit.record(actor_id, "ask_swap", "shift", shift.id, province_code=shift.province_code, team_id=shift.team_id,
                 before={"person_id": person.id}, after={"person_id": teammate.id})
    notices.asked(change, now)
    return change


# --- deciding --------------------------------------------------------------------------------

def _decide(change: ShiftChange, state: str, actor_id: Optional[int], now: datetime, **values) -> None:
    """Close an open change, once: a second tap (or a tick at the same time) finds it closed."""
    done = db.session.execute(sa.update(ShiftChange).where(ShiftChange.id == change.id, ShiftChange.state == OPEN)
                              .values(state=state, decided_by=actor_id, decided_at=now, **values)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(change)
        raise Conflict(_l("This change has already been decided."), field="change")
    db.session.refresh(change)


@dataclass
class Taken:
    change: Optional[ShiftChange]
    warnings: list[str]


def taker_warnings(shift: Shift, person: Person) -> list[str]:
    """More than 12 h in a row or less than 8 h rest for the one taking the place (the headcount
    does not change)."""
    window = timedelta(hours=24)
    spans = patterns.person_spans([person.id], shift.starts_at - window, shift.ends_at + window)[person.id]
    return rota_rules.warnings(shift.starts_at, shift.ends_at, 1, 0, person.full_name,
                               [(s, e) for sid, s, e in spans if sid != shift.id])


def _move(change: ShiftChange, person: Person, confirmed: bool, actor_id: Optional[int], now: datetime) -> Taken:
    shift = change.shift
    if now >= change.deadline_at:
        raise Conflict(_l("Too late: this shift is no longer open to take."), field="change")
    place = db.session.get(ShiftAssignment, change.assignment_id) if change.assignment_id else None
    if place is None or place.person_id != change.from_person_id:
        raise Conflict(_l("This change has already been decided."), field="change")
    if my_place(shift, person.id):
        raise Conflict(_l("%(name)s is already on this shift.", name=person.full_name), field="person_id")
    rota.check_person(shift, person)  # a member, not on another shift then (refused, not warned)
    found = taker_warnings(shift, person)
    if found and not confirmed:
        return Taken(None, found)
    _decide(change, ACCEPTED, actor_id, now, to_person_id=person.id, warnings="; ".join(found)[:500] or None)
    before = place.person_id
    place.person_id = person.id
    db.session.flush()
    audit.record(actor_id, "take_over", "shift", shift.id, province_code=shift.province_code, team_id=shift.team_id,
                 before={"person_id": before}, after={"person_id": person.id, "warnings": found or None})
    notices.taken(change, now)
    return Taken(change, found)


def take(shift: Shift, person: Person, confirmed: bool = False, actor_id: Optional[int] = None,
         now: Optional[datetime] = None) -> Taken:
    """A teammate takes the shift with one tap: a given-back place first (it relieves who gave it
    back), else an empty place (rota.claim)."""
    now = now or utcnow()
    given = [c for c in open_for_places([shift.id]).get(shift.id, [])
             if c.kind == GIVE_BACK and c.from_person_id != person.id and c.deadline_at > now]
    if given:
        return _move(given[0], person, confirmed, actor_id, now)
    rota.claim(shift, person, now)  # an empty place: as before
    return Taken(None, [])


def accept(change: ShiftChange, person: Person, confirmed: bool = False, actor_id: Optional[int] = None,
           now: Optional[datetime] = None) -> Taken:
    """The teammate asked takes the place, with one tap."""
    if change.kind != SWAP or change.to_person_id != person.id:
        raise ValidationError(_l("This request was not sent to you."), field="change")
    return _move(change, person, confirmed, actor_id, now or utcnow())


def decline(change: ShiftChange, person: Person, actor_id: Optional[int] = None,
            now: Optional[datetime] = None) -> None:
    if change.kind != SWAP or change.to_person_id != person.id:
        raise ValidationError(_l("This request was not sent to you."), field="change")
    _decide(change, DECLINED, actor_id, now or utcnow())
    audit.record(actor_id, "decline_swap", "shift", change.shift_id, province_code=change.shift.province_code,
                 team_id=change.shift.team_id, before={"person_id": change.from_person_id})
    notices.declined(change, now or utcnow())


def cancel(change: ShiftChange, person: Person, actor_id: Optional[int] = None,
           now: Optional[datetime] = None) -> None:
    """The one who asked withdraws (they keep their place)."""
    if change.from_person_id != person.id or change.kind == OVERRIDE:
        raise ValidationError(_l("Only the person who asked can withdraw it."), field="change")
    _decide(change, CANCELLED, actor_id, now or utcnow())
    audit.record(actor_id, "cancel_change", "shift", change.shift_id, province_code=change.shift.province_code,
                 team_id=change.shift.team_id, after={"person_id": person.id})


def refuse(change: ShiftChange, actor_id: Optional[int] = None, now: Optional[datetime] = None) -> None:
    """A lead says no: an open change closes (the person keeps the place), an accepted one is undone
    (the place goes back to who had it), while the shift has not ended."""
    now = now or utcnow()
    shift = change.shift
    if shift.ends_at <= now:
        raise ValidationError(_l("This shift is over."), field="change")
    if change.kind == OVERRIDE or change.state not in (OPEN, ACCEPTED):
        raise Conflict(_l("This change has already been decided."), field="change")
    if change.state == OPEN:
        _decide(change, REFUSED, actor_id, now)
    else:
        place = db.session.get(ShiftAssignment, change.assignment_id) if change.assignment_id else None
        original = db.session.get(Person, change.from_person_id) if change.from_person_id else None
        if place is None or original is None or place.person_id != change.to_person_id:
            raise Conflict(_l("The shift has changed since; put the person back on it from the rota."), field="change")
        rota.check_person(shift, original, ignore=(place.id,))
        done = db.session.execute(sa.update(ShiftChange).where(ShiftChange.id == change.id,
                                                               ShiftChange.state == ACCEPTED)
                                  .values(state=REFUSED, decided_by=actor_id, decided_at=now)
                                  .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise Conflict(_l("This change has already been decided."), field="change")
        db.session.refresh(change)
        place.person_id = original.id
        db.session.flush()
    audit.record(actor_id, "refuse_change", "shift", shift.id, province_code=shift.province_code,
                 team_id=shift.team_id, before={"person_id": change.to_person_id},
                 after={"person_id": change.from_person_id})
    notices.refused(change, now)


def override(place: ShiftAssignment, person: Person, confirmed: bool = False, actor_id: Optional[int] = None,
             now: Optional[datetime] = None) -> Taken:
    """A lead puts a temporary replacement on one place of one shift; the pattern is unchanged and a
    re-applied pattern does not put the person replaced back. An open request on the place closes."""
    now = now or utcnow()
    shift = place.shift
    if shift.ends_at <= now:
        raise ValidationError(_l("This shift is over."), field="person_id")
    if person.id == place.person_id or my_place(shift, person.id):
        raise Conflict(_l("%(name)s is already on this shift.", name=person.full_name), field="person_id")
    rota.check_person(shift, person)
    found = taker_warnings(shift, person)
    if found and not confirmed:
        return Taken(None, found)
    pending = _open(place.id)
    if pending:
        _decide(pending, CANCELLED, actor_id, now)
    change = ShiftChange(shift_id=shift.id, assignment_id=place.id, kind=OVERRIDE, state=ACCEPTED, role=place.role,
                         from_person_id=place.person_id, to_person_id=person.id, requested_by=actor_id,
                         decided_by=actor_id, created_at=now, decided_at=now, deadline_at=shift.starts_at,
                         warnings="; ".join(found)[:500] or None)
    db.session.add(change)
    before = place.person_id
    place.person_id = person.id
    db.session.flush()
    audit.record(actor_id, "override", "shift", shift.id, province_code=shift.province_code, team_id=shift.team_id,
                 before={"person_id": before}, after={"person_id": person.id})
    notices.overridden(change, now)
    return Taken(change, found)


# --- the deadline ----------------------------------------------------------------------------

def expire_due(now: Optional[datetime] = None) -> int:
    """Close the open changes whose deadline passed: a swap request lapses (the person keeps the
    place); a given-back place is released — a gap on the rota — and the team's leads are alerted.
    Called by the alerts tick; each row is closed once (conditional UPDATE)."""
    now = now or utcnow()
    due = list(db.session.scalars(sa.select(ShiftChange).where(ShiftChange.state == OPEN,
                                                               ShiftChange.deadline_at <= now).limit(500)))
    released = 0
    for change in due:
        done = db.session.execute(sa.update(ShiftChange).where(ShiftChange.id == change.id, ShiftChange.state == OPEN)
                                  .values(state=EXPIRED, decided_at=now).execution_options(synchronize_session=False))
        if done.rowcount != 1:
            continue
        db.session.refresh(change)
        if change.kind != GIVE_BACK:
            continue
        place = db.session.get(ShiftAssignment, change.assignment_id) if change.assignment_id else None
        if place is not None and place.person_id == change.from_person_id:
            shift = change.shift
            db.session.delete(place)
            db.session.flush()
            audit.record(None, "release", "shift", shift.id, province_code=shift.province_code, team_id=shift.team_id,
                         before={"person_id": change.from_person_id})
            notices.released(change, now)
            released += 1
    return released


def when(change: ShiftChange) -> str:
    return f"{to_local(change.shift.starts_at):%d/%m %H:%M}–{to_local(change.shift.ends_at):%H:%M}"

"""Staffing many shifts at once: named rota patterns applied to weeks, "copy this week" to the next
N weeks, and putting one person on one shift after the lead has seen the warnings. People who
cannot stand a shift (no longer members, already on another shift at that time) are skipped and
named, never silently dropped."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Membership, Person, RotaPattern, RotaPatternSlot, Shift, ShiftAssignment, ShiftChange, Team, db
from models.shifts import ACCEPTED, BACKUP, EXPIRED, MEMBER, PRIMARY, SHIFT_ROLES

from coordination.core import audit
from coordination.clock import local_to_utc, to_local
from coordination.core.errors import Conflict, DomainError, ValidationError
from coordination.core.text import clean_line
from coordination.duty import rota, rota_rules
from coordination.duty.rota_rules import PlanSlot


@dataclass
class Applied:
    shifts_created: int = 0
    assigned: int = 0
    skipped: list[str] = field(default_factory=list)  # "Nguyễn Văn An, T2 07/12 22:00: why"


def member_choices(team_id: int) -> list[tuple[int, str]]:
    """Active members of a team, (person id, full name), by name."""
    return list(db.session.execute(
        sa.select(Person.id, Person.full_name).join(Membership, Membership.person_id == Person.id)
        .where(Membership.team_id == team_id, Membership.end_date.is_(None)).distinct()
        .order_by(Person.full_name)).all())


def save_pattern(team: Team, name: str, text: str, required: int, actor_id: Optional[int] = None) -> RotaPattern:
    """Store a named pattern (a pattern of the same name is replaced)."""
    name = clean_line(name, "name", _l("Name"))
    if not name or len(name) > 120:
        raise ValidationError(_l("Give the pattern a name (at most %(n)d characters).", n=120), field="name")
    if isinstance(required, bool) or not isinstance(required, int) or not 1 <= required <= 50:
        raise ValidationError(_l("Enter a whole number from %(a)d to %(b)d.", a=1, b=50), field="required")
    slots = rota_rules.parse_pattern(text, member_choices(team.id), required)
    pattern = db.session.scalar(sa.select(RotaPattern).where(RotaPattern.team_id == team.id, RotaPattern.name == name))
    if pattern is None:
        pattern = RotaPattern(team_id=team.id, name=name, required=required, text=text.strip())
        db.session.add(pattern)
        db.session.flush()
    else:
        pattern.required, pattern.text = required, text.strip()
        db.session.execute(sa.delete(RotaPatternSlot).where(RotaPatternSlot.pattern_id == pattern.id))
    rows = [dict(pattern_id=pattern.id, weekday=s.weekday, start=s.start, end=s.end, person_id=pid, role=role)
            for s in slots for pid, role in (s.people or [(None, MEMBER)])]
    db.session.execute(sa.insert(RotaPatternSlot), rows)
    audit.record(actor_id, "save", "rota_pattern", pattern.id, province_code=team.province_code, team_id=team.id,
                 after={"name": name, "slots": len(slots)})
    return pattern


def team_patterns(team_id: int) -> list[RotaPattern]:
    return list(db.session.scalars(sa.select(RotaPattern).where(RotaPattern.team_id == team_id)
                                   .order_by(RotaPattern.name)))


def pattern_slots(pattern: RotaPattern) -> list[PlanSlot]:
    slots: dict[tuple[int, str], PlanSlot] = {}
    for row in db.session.scalars(sa.select(RotaPatternSlot).where(RotaPatternSlot.pattern_id == pattern.id)
                                  .order_by(RotaPatternSlot.id)):
        slot = slots.setdefault((row.weekday, row.start), PlanSlot(row.weekday, row.start, row.end, pattern.required))
        if row.person_id is not None:
            slot.people.append((row.person_id, row.role))
    return list(slots.values())


def week_slots(team_id: int, monday: date) -> list[PlanSlot]:
    """A team's stored week (Monday to Sunday, Vietnam time) as weekly slots with who stands them."""
    start = local_to_utc(monday, datetime.min.time())
    shifts = db.session.scalars(sa.select(Shift).where(Shift.team_id == team_id, Shift.starts_at >= start,
                                                       Shift.starts_at < start + timedelta(days=7))
                                .order_by(Shift.starts_at)).all()
    people: dict[int, list] = {s.id: [] for s in shifts}
    if shifts:
        for a in db.session.scalars(sa.select(ShiftAssignment).where(ShiftAssignment.shift_id.in_(people))
                                    .order_by(ShiftAssignment.id)):
            people[a.shift_id].append((a.person_id, a.role))
    return [rota_rules.slot_of(s.starts_at, s.ends_at, s.required, people[s.id]) for s in shifts]


def _when(shift: Shift) -> str:
    return f"{to_local(shift.starts_at):%d/%m %H:%M}"


def apply_slots(team: Team, slots: list[PlanSlot], monday: date, weeks: int,
                actor_id: Optional[int] = None) -> Applied:
    """Create the shifts the slots make over `weeks` weeks (keeping shifts already there) and put the
    people on them; anyone who cannot stand a shift is skipped and named in the result."""
    planned = rota_rules.expand(slots, monday, weeks)
    done = Applied()
    if not planned:
        return done
    existing = {s.starts_at: s for s in db.session.scalars(sa.select(Shift).where(
        Shift.team_id == team.id, Shift.starts_at >= planned[0].starts_at, Shift.starts_at <= planned[-1].starts_at))}
    names = dict(member_choices(team.id))
    moved = moved_off([s.id for s in existing.values()])
    for plan in planned:
        shift = existing.get(plan.starts_at)
        if shift is None:
            shift = Shift(team_id=team.id, province_code=team.province_code, starts_at=plan.starts_at,
                          ends_at=plan.ends_at, required=plan.required)
            db.session.add(shift)
            db.session.flush()
            done.shifts_created += 1
        on = dict(db.session.execute(sa.select(ShiftAssignment.person_id, ShiftAssignment.role)
                                     .where(ShiftAssignment.shift_id == shift.id)).all())
        for person_id, role in plan.people:
            if person_id in on:
                continue
            person = db.session.get(Person, person_id)
            who = names.get(person_id) or (person.full_name if person else "?")
            if (shift.id, person_id) in moved:  # gave it back, swapped or replaced: the change stands
                reason = _l("changed on this shift (see its history)")
                done.skipped.append(f"{who}, {_when(shift)}: {reason}")
                continue
            if len(on) >= shift.required:
                done.skipped.append(f"{who}, {_when(shift)}: {_l('the shift is full')}")
                continue
            role = role if role not in on.values() or role == MEMBER else MEMBER
            try:
                rota.assign(shift, person, role, actor_id)
            except DomainError as err:
                done.skipped.append(f"{who}, {_when(shift)}: {err}")
                continue
            on[person_id] = role
            done.assigned += 1
    audit.record(actor_id, "apply", "rota_pattern", None, province_code=team.province_code, team_id=team.id,
                 after={"from": monday, "weeks": weeks, "shifts": done.shifts_created, "assigned": done.assigned,
                        "skipped": len(done.skipped)})
    return done


def moved_off(shift_ids: list[int]) -> set[tuple[int, int]]:
    """(shift, person) pairs a change took off a shift (given back and taken or released, swapped,
    replaced by a lead) and no lead refused: a pattern applied again does not put them back."""
    if not shift_ids:
        return set()
    return set(db.session.execute(sa.select(ShiftChange.shift_id, ShiftChange.from_person_id).where(
        ShiftChange.shift_id.in_(shift_ids), ShiftChange.state.in_((ACCEPTED, EXPIRED)),
        ShiftChange.from_person_id.is_not(None))).all())


def copy_week(team: Team, monday: date, weeks: int, actor_id: Optional[int] = None) -> Applied:
    """This week's shifts and people, onto the next `weeks` weeks."""
    slots = week_slots(team.id, monday)
    if not slots:
        raise ValidationError(_l("This week has no shifts to copy."), field="weeks")
    return apply_slots(team, slots, monday + timedelta(days=7), weeks, actor_id)


def person_spans(person_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[int, datetime, datetime]]]:
    """Each person's shifts (any team) between two times, (shift id, start, end): one query."""
    out: dict[int, list] = {pid: [] for pid in person_ids}
    if person_ids:
        for pid, sid, s, e in db.session.execute(
                sa.select(ShiftAssignment.person_id, Shift.id, Shift.starts_at, Shift.ends_at)
                .join(Shift, Shift.id == ShiftAssignment.shift_id)
                .where(ShiftAssignment.person_id.in_(person_ids), Shift.ends_at > start, Shift.starts_at < end)):
            out[pid].append((sid, s, e))
    return out


def staff_warnings(shift: Shift, person: Person) -> list[str]:
    """The warnings rota_rules gives for this person on this shift, from what is stored."""
    window = timedelta(hours=24)
    spans = person_spans([person.id], shift.starts_at - window, shift.ends_at + window)[person.id]
    staffed = db.session.scalar(sa.select(sa.func.count()).select_from(ShiftAssignment)
                                .where(ShiftAssignment.shift_id == shift.id))
    return rota_rules.warnings(shift.starts_at, shift.ends_at, shift.required, staffed, person.full_name,
                               [(s, e) for sid, s, e in spans if sid != shift.id])


def staff(shift: Shift, person: Person, role: str, confirmed: bool,
          actor_id: Optional[int] = None) -> tuple[Optional[ShiftAssignment], list[str]]:
    """Put a person on a shift. Unless `confirmed`, nothing is saved while there are warnings: they
    are returned for the lead to confirm. Overlaps and non-members are refused (rota.assign)."""
    if role == "auto":
        taken = set(db.session.scalars(sa.select(ShiftAssignment.role).where(ShiftAssignment.shift_id == shift.id)))
        role = PRIMARY if PRIMARY not in taken else BACKUP if BACKUP not in taken else MEMBER
    if role not in SHIFT_ROLES:
        raise ValidationError(_l("Choose a role from the list."), field="role")
    if db.session.scalar(sa.select(ShiftAssignment.id).where(ShiftAssignment.shift_id == shift.id,
                                                             ShiftAssignment.person_id == person.id)):
        raise Conflict(_l("%(name)s is already on this shift.", name=person.full_name), field="person_id")
    rota.check_person(shift, person)
    found = staff_warnings(shift, person)
    if found and not confirmed:
        return None, found
    return rota.assign(shift, person, role, actor_id), found

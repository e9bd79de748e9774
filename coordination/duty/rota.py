"""Rotas and shifts: generating 24/7 cover from a template, staffing shifts, finding gaps."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Membership, Person, Rota, Shift, ShiftAssignment, Team, db
from models.shifts import BACKUP, MEMBER, PRIMARY, SHIFT_ROLES

from coordination.core import audit
from coordination.clock import local_to_utc, to_local, utcnow
from coordination.core.errors import Conflict, ValidationError
from coordination.core.text import clean_line

MAX_RANGE_DAYS = 92
MAX_SHIFT_HOURS = 24


@dataclass
class RotaSpec:
    name: str
    first_start: str = "06:00"  # local HH:MM
    shift_hours: int = 8
    shifts_per_day: int = 3
    required: int = 2
    weekdays: str = "1234567"  # ISO weekdays, 1 = Monday


def parse_hhmm(value: str) -> time:
    try:
        hours, minutes = (value or "").strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValidationError(_l("Use a time like 06:00."), field="first_start") from None


def clean_rota(spec: RotaSpec) -> dict:
    name = clean_line(spec.name, "name", _l("Name")) or "Trực 24/7"
    if len(name) > 120:
        raise ValidationError(_l("The name is too long (at most %(n)d characters).", n=120), field="name")
    start = parse_hhmm(spec.first_start)
    for field, value, low, high in (("shift_hours", spec.shift_hours, 1, MAX_SHIFT_HOURS),
                                    ("shifts_per_day", spec.shifts_per_day, 1, 24), ("required", spec.required, 1, 50)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(_l("Enter a whole number from %(a)d to %(b)d.", a=low, b=high), field=field)
    if spec.shift_hours * spec.shifts_per_day > 24:
        raise ValidationError(_l("Shifts overlap: shifts per day × hours must be at most 24."), field="shifts_per_day")
    days = "".join(sorted(set(spec.weekdays or "")))
    if not days or any(d not in "1234567" for d in days):
        raise ValidationError(_l("Choose at least one day of the week."), field="weekdays")
    return dict(name=name, first_start=start.strftime("%H:%M"), shift_hours=spec.shift_hours,
                shifts_per_day=spec.shifts_per_day, required=spec.required, weekdays=days)


def rota_starts(values: dict, first_day: date, last_day: date) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of every shift the template makes between two local dates, inclusive."""
    start = parse_hhmm(values["first_start"])
    out, day = [], first_day
    while day <= last_day:
        if str(day.isoweekday()) in values["weekdays"]:
            first = local_to_utc(day, start)
            for i in range(values["shifts_per_day"]):
                begins = first + timedelta(hours=i * values["shift_hours"])
                out.append((begins, begins + timedelta(hours=values["shift_hours"])))
        day += timedelta(days=1)
    return out


def generate(team: Team, spec: RotaSpec, first_day: date, last_day: date,
             actor_id: Optional[int] = None) -> tuple[Rota, int, int]:
    """Save the template and create its shifts for a date range. Existing shifts at the same start
    are kept (a second run adds nothing). Returns (rota, created, skipped)."""
    values = clean_rota(spec)
    if last_day < first_day:
        raise ValidationError(_l("The last day is before the first day."), field="last_day")
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise ValidationError(_l("Generate at most %(n)d days at once.", n=MAX_RANGE_DAYS), field="last_day")
    rota = Rota(team_id=team.id, **values)
    db.session.add(rota)
    db.session.flush()
    slots = rota_starts(values, first_day, last_day)
    if not slots:
        return rota, 0, 0
    existing = set(db.session.scalars(sa.select(Shift.starts_at).where(
        Shift.team_id == team.id, Shift.starts_at >= slots[0][0], Shift.starts_at <= slots[-1][0])))
    now = utcnow()
    rows = [dict(team_id=team.id, province_code=team.province_code, rota_id=rota.id, starts_at=s, ends_at=e,
                 required=values["required"], created_at=now) for s, e in slots if s not in existing]
    if rows:
        db.session.execute(sa.insert(Shift), rows)
    audit.record(actor_id, "generate", "rota", rota.id, province_code=team.province_code, team_id=team.id,
                 after={"shifts": len(rows), "from": first_day, "to": last_day})
    return rota, len(rows), len(slots) - len(rows)


def local_shift_times(day: date, start: str, end: str) -> tuple[datetime, datetime]:
    """A shift entered as a local day and HH:MM start/end, in UTC. An end at or before the start
    means the shift runs past midnight (22:00–06:00)."""
    start_t, end_t = parse_hhmm(start), parse_hhmm(end)
    end_day = day + timedelta(days=1) if end_t <= start_t else day
    return local_to_utc(day, start_t), local_to_utc(end_day, end_t)


def add_shift(team: Team, starts_at: datetime, ends_at: datetime, required: int = 2,
              note: Optional[str] = None, actor_id: Optional[int] = None) -> Shift:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError(_l("Times need a time zone."), field="starts_at")
    if ends_at <= starts_at:
        raise ValidationError(_l("The shift must end after it starts."), field="ends_at")
    if ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        raise ValidationError(_l("A shift lasts at most %(n)d hours.", n=MAX_SHIFT_HOURS), field="ends_at")
    if isinstance(required, bool) or not isinstance(required, int) or not 1 <= required <= 50:
        raise ValidationError(_l("Enter a whole number from %(a)d to %(b)d.", a=1, b=50), field="required")
    if db.session.scalar(sa.select(Shift.id).where(Shift.team_id == team.id, Shift.starts_at == starts_at)):
        raise Conflict(_l("This team already has a shift starting then."), field="starts_at")
    shift = Shift(team_id=team.id, province_code=team.province_code, starts_at=starts_at, ends_at=ends_at,
                  required=required, note=(note or "").strip()[:200] or None)
    db.session.add(shift)
    db.session.flush()
    audit.record(actor_id, "create", "shift", shift.id, province_code=team.province_code, team_id=team.id,
                 after={"starts_at": starts_at, "ends_at": ends_at})
    return shift


def _overlapping(person_id: int, shift: Shift, ignore: tuple[int, ...] = ()) -> Optional[Shift]:
    return db.session.scalar(
        sa.select(Shift).join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .where(ShiftAssignment.person_id == person_id, Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at,
               ShiftAssignment.id.not_in(ignore) if ignore else sa.true(), Shift.id != shift.id).limit(1))


def team_member(team_id: int, person_id: Optional[int]) -> Optional[Person]:
    """The person, if an active member of the team; else None, whoever it is (a form's person id
    naming someone elsewhere must not be answered with their name)."""
    if person_id is None:
        return None
    return db.session.scalar(sa.select(Person).join(Membership, Membership.person_id == Person.id).where(
        Person.id == person_id, Membership.team_id == team_id, Membership.end_date.is_(None)).limit(1))


def check_person(shift: Shift, person: Person, ignore: tuple[int, ...] = ()) -> None:
    member = db.session.scalar(sa.select(Membership.id).where(
        Membership.team_id == shift.team_id, Membership.person_id == person.id, Membership.end_date.is_(None)).limit(1))
    if not member:
        raise ValidationError(_l("%(name)s is not a member of this team.", name=person.full_name), field="person_id")
    other = _overlapping(person.id, shift, ignore)
    if other:
        raise Conflict(_l("%(name)s already has an overlapping shift (%(when)s).", name=person.full_name,
                          when=to_local(other.starts_at).strftime("%d/%m %H:%M")), field="person_id")


def assign(shift: Shift, person: Person, role: str = MEMBER, actor_id: Optional[int] = None) -> ShiftAssignment:
    """Put a member on a shift. One primary and one backup per shift; no overlapping shifts."""
    if role not in SHIFT_ROLES:
        raise ValidationError(_l("Choose a role from the list."), field="role")
    if db.session.scalar(sa.select(ShiftAssignment.id).where(ShiftAssignment.shift_id == shift.id,
                                                             ShiftAssignment.person_id == person.id)):
        raise Conflict(_l("%(name)s is already on this shift.", name=person.full_name), field="person_id")
    if role in (PRIMARY, BACKUP) and db.session.scalar(sa.select(ShiftAssignment.id).where(
            ShiftAssignment.shift_id == shift.id, ShiftAssignment.role == role)):
        raise Conflict(_l("This shift already has a primary.") if role == PRIMARY
                       else _l("This shift already has a backup."), field="role")
    check_person(shift, person)
    assignment = ShiftAssignment(shift_id=shift.id, person_id=person.id, role=role)
    db.session.add(assignment)
    db.session.flush()
    audit.record(actor_id, "assign", "shift", shift.id, province_code=shift.province_code, team_id=shift.team_id,
                 after={"person_id": person.id, "role": role})
    return assignment


def unassign(assignment: ShiftAssignment, actor_id: Optional[int] = None) -> None:
    audit.record(actor_id, "unassign", "shift", assignment.shift_id, province_code=assignment.shift.province_code,
                 team_id=assignment.shift.team_id,
                 before={"person_id": assignment.person_id, "role": assignment.role})
    db.session.delete(assignment)
    db.session.flush()


def reassign(assignment: ShiftAssignment, person: Person, actor_id: Optional[int] = None) -> ShiftAssignment:
    """Give the same place on the shift (same role) to someone else."""
    if person.id == assignment.person_id:
        return assignment
    if db.session.scalar(sa.select(ShiftAssignment.id).where(ShiftAssignment.shift_id == assignment.shift_id,
                                                             ShiftAssignment.person_id == person.id)):
        raise Conflict(_l("%(name)s is already on this shift.", name=person.full_name), field="person_id")
    check_person(assignment.shift, person)
    before = assignment.person_id
    assignment.person_id = person.id
    db.session.flush()
    audit.record(actor_id, "reassign", "shift", assignment.shift_id, province_code=assignment.shift.province_code,
                 team_id=assignment.shift.team_id,
                 before={"person_id": before}, after={"person_id": person.id})
    return assignment


def swap(first: ShiftAssignment, second: ShiftAssignment, actor_id: Optional[int] = None) -> None:
    """Two people exchange their places (each takes the other's shift and role)."""
    if first.shift_id == second.shift_id:
        raise ValidationError(_l("Both places are on the same shift."), field="person_id")
    a, b = first.person, second.person
    check_person(second.shift, a, ignore=(first.id, second.id))
    check_person(first.shift, b, ignore=(first.id, second.id))
    for row, pid in ((first, b.id), (second, a.id)):
        if db.session.scalar(sa.select(ShiftAssignment.id).where(ShiftAssignment.shift_id == row.shift_id,
                                                                 ShiftAssignment.person_id == pid)):
            raise Conflict(_l("%(name)s is already on this shift.", name=db.session.get(Person, pid).full_name),
                           field="person_id")
    # Exchange the places (shift and role) rather than the people: no transient duplicate rows.
    first.shift_id, first.role, second.shift_id, second.role = second.shift_id, second.role, first.shift_id, first.role
    db.session.flush()
    audit.record(actor_id, "swap", "shift", first.shift_id, province_code=first.shift.province_code,
                 team_id=first.shift.team_id,
                 after={"assignments": [first.id, second.id], "people": [b.id, a.id]})


def claim(shift: Shift, person: Person, now: Optional[datetime] = None) -> ShiftAssignment:
    """A volunteer takes a place on an understaffed future shift of their team."""
    now = now or utcnow()
    if shift.ends_at <= now:
        raise ValidationError(_l("This shift is over."), field="shift")
    roles = set(db.session.scalars(sa.select(ShiftAssignment.role).where(ShiftAssignment.shift_id == shift.id)))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ShiftAssignment)
                              .where(ShiftAssignment.shift_id == shift.id))
    if count >= shift.required:
        raise Conflict(_l("This shift is already fully staffed."), field="shift")
    role = PRIMARY if PRIMARY not in roles else BACKUP if BACKUP not in roles else MEMBER
    return assign(shift, person, role, actor_id=None)

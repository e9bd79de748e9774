"""The SQL of duty alerts, behind named functions (as notifications-api's app/dao): alerts.py
asks for facts — whose reminder may be due, which shifts run without their primary, who was
alerted already, who may be alerted — and decides with plain rules. Each function is one query
whatever the number of shifts, so a tick at a national shift change stays a handful of statements."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa

from models import DutySession, Membership, Message, Person, Shift, ShiftAssignment, Team, db
from models.messages import ESCALATION, NOT_SENT, QUEUED
from models.shifts import BACKUP, PRIMARY
from models.teams import LEAD, PROVINCE


class Assigned(NamedTuple):
    """A person on a shift, with what their messages need."""
    assignment_id: int
    shift: Shift
    person: Person
    team_name: str


class Running(NamedTuple):
    """A shift under way, its primary, and its team's name."""
    shift: Shift
    primary: Person
    team_name: str


def crossed(column, offsets: list[timedelta], since: Optional[datetime], now: datetime):
    """SQL: `column + offset` passed into (since, now] for some offset — the rows whose moment came
    since the previous tick. Without `since` (first tick after a start) nothing is filtered."""
    if since is None:
        return sa.true()
    return sa.or_(*[sa.and_(column > since - off, column <= now - off) for off in offsets])


def _reachable():
    return sa.and_(Person.consent_sms.is_(True), Person.sms_capable.is_(True))


def starting_soon(now: datetime, within: timedelta, moments: list[timedelta], since: Optional[datetime]) -> list[Assigned]:
    """Everyone SMS can reach on a shift starting within `within`, whose start minus one of
    `moments` came since the previous tick."""
    rows = db.session.execute(
        sa.select(ShiftAssignment.id, Shift, Person, Team.name).join(Shift, Shift.id == ShiftAssignment.shift_id)
        .join(Person, Person.id == ShiftAssignment.person_id).join(Team, Team.id == Shift.team_id)
        .where(Shift.starts_at > now, Shift.starts_at <= now + within,
               crossed(Shift.starts_at, [-m for m in moments], since, now), _reachable()))
    return [Assigned(*row) for row in rows]


def running_unacknowledged(now: datetime, started_before: datetime, steps: list[timedelta],
                           since: Optional[datetime]) -> list[Running]:
    """Shifts that started before `started_before`, have not ended, whose escalation nobody
    acknowledged, and (with `since`) whose start plus one of `steps` came since the previous tick."""
    primary = sa.orm.aliased(ShiftAssignment)
    acknowledged = sa.select(Message.id).where(Message.shift_id == Shift.id,
                                               Message.acknowledged_at.is_not(None)).exists()
    rows = db.session.execute(
        sa.select(Shift, Person, Team.name).join(primary, sa.and_(primary.shift_id == Shift.id, primary.role == PRIMARY))
        .join(Person, Person.id == primary.person_id).join(Team, Team.id == Shift.team_id)
        .where(Shift.starts_at <= started_before, Shift.ends_at > now, ~acknowledged,
               crossed(Shift.starts_at, steps, since, now)))
    return [Running(*row) for row in rows]


def session_starts(person_ids: set[int], since: datetime) -> dict[int, list[datetime]]:
    """When each of these people started a duty session since `since`."""
    out: dict[int, list[datetime]] = {}
    for person_id, started in db.session.execute(sa.select(DutySession.person_id, DutySession.started_at).where(
            DutySession.person_id.in_(person_ids), DutySession.started_at >= since)):
        out.setdefault(person_id, []).append(started)
    return out


def escalation_steps_taken(shift_ids: list[int]) -> set[tuple[int, int]]:
    """(shift id, step) of every escalation message already queued, read off the dedupe keys
    "escalation/<shift>/<step>/<person>" (the nudge is step 0)."""
    keys = db.session.scalars(sa.select(Message.dedupe_key).where(
        Message.shift_id.in_(shift_ids), Message.dedupe_key.like("escalation/%")))
    return {(int(shift), int(step)) for shift, step in (key.split("/")[1:3] for key in keys)}


def on_shift(shift_id: int, role: str) -> Optional[Person]:
    """The shift's primary or backup, if any."""
    return db.session.scalar(sa.select(Person).join(ShiftAssignment).where(
        ShiftAssignment.shift_id == shift_id, ShiftAssignment.role == role))


def backup_of(shift_id: int) -> Optional[Person]:
    return on_shift(shift_id, BACKUP)


def primary_of(shift_id: int) -> Optional[Person]:
    return on_shift(shift_id, PRIMARY)


def province_team_id(province_code: str) -> Optional[int]:
    return db.session.scalar(sa.select(Team.id).where(Team.level == PROVINCE, Team.province_code == province_code))


def holders(team_id: Optional[int], roles: tuple[str, ...], reachable: bool = True) -> list[Person]:
    """The team's current holders of these roles (by name); with `reachable`, only those who
    accept duty SMS on a number SMS can reach."""
    query = sa.select(Person).join(Membership).where(
        Membership.team_id == team_id, Membership.role.in_(roles), Membership.end_date.is_(None))
    if reachable:
        query = query.where(_reachable())
    return list(db.session.scalars(query.order_by(Person.full_name)))


def commune_leads(team_id: int) -> list[Person]:
    return holders(team_id, (LEAD,), reachable=False)


def shift_end(shift_id: int) -> Optional[datetime]:
    return db.session.scalar(sa.select(Shift.ends_at).where(Shift.id == shift_id))


def first_acknowledgement(shift_id: int) -> Optional[tuple[int, str, datetime]]:
    """(person id, name, moment) of whoever acknowledged this shift's escalation first."""
    row = db.session.execute(sa.select(Message.person_id, Person.full_name, Message.acknowledged_at)
                             .join(Person, Person.id == Message.person_id)
                             .where(Message.shift_id == shift_id, Message.purpose == ESCALATION,
                                    Message.acknowledged_at.is_not(None))
                             .order_by(Message.acknowledged_at, Message.id).limit(1)).first()
    return tuple(row) if row else None


def mark_acknowledged(message_id: int, shift_id: Optional[int], now: datetime) -> bool:
    """Write the acknowledgement only if the message has none and no other message of its shift's
    escalation has one. Two taps on two links at once: the shift's row is locked first
    (PostgreSQL), then one conditional UPDATE (atomic on SQLite) decides."""
    unclaimed = sa.true()
    if shift_id is not None:
        db.session.execute(sa.select(Shift.id).where(Shift.id == shift_id).with_for_update())
        other = sa.orm.aliased(Message)
        unclaimed = ~sa.select(other.id).where(other.shift_id == shift_id, other.purpose == ESCALATION,
                                               other.acknowledged_at.is_not(None)).exists()
    done = db.session.execute(sa.update(Message).where(Message.id == message_id, Message.acknowledged_at.is_(None),
                                                       unclaimed).values(acknowledged_at=now)
                              .execution_options(synchronize_session=False))
    return done.rowcount == 1


def cancel_queued(shift_id: int, now: datetime, reason: str, person_id: Optional[int] = None) -> int:
    """The escalation rows of a shift still waiting in the queue (a contact chain's later channels)
    become not_sent with `reason` — or only one person's, when that person declined. A row a
    dispatcher is claiming is skipped by the dispatcher (outbox._skip_acknowledged)."""
    where = [Message.shift_id == shift_id, Message.purpose == ESCALATION, Message.status == QUEUED]
    if person_id is not None:
        where.append(Message.person_id == person_id)
    return db.session.execute(sa.update(Message).where(*where).values(
        status=NOT_SENT, error_message=reason, updated_at=now).execution_options(synchronize_session=False)).rowcount


def named_members(team_id: Optional[int], person_ids: tuple[int, ...]) -> list[Person]:
    """Those of these people who are current members of the team and accept duty SMS on a number
    SMS can reach (an escalation policy's named people)."""
    if team_id is None or not person_ids:
        return []
    members = sa.select(Membership.person_id).where(Membership.team_id == team_id, Membership.end_date.is_(None))
    return list(db.session.scalars(sa.select(Person).where(Person.id.in_(person_ids), Person.id.in_(members),
                                                           _reachable())))

"""The handoff digest: when a shift starts, its primary gets one SMS with what the previous shift
leaves behind — who stood it, who is on duty now (by name), the team's open and overdue tasks, and the
understaffed shifts of the next 24 hours. Set-based (a national shift change starts thousands of
shifts at once): a few GROUP BYs and one executemany, deduplicated per shift and person."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from models import DutySession, Message, Person, Shift, ShiftAssignment, Task, Team, db
from models.messages import HANDOFF
from models.shifts import PRIMARY
from models.tasks import ACTIVE_STATUSES

from coordination.clock import local_today
from coordination.messaging import outbox
from coordination.messaging.sms import for_recipient, segments, short_team, span

WINDOW = timedelta(minutes=15)  # a digest is still worth sending this long after the start
MAX_SEGMENTS = 2
MIN_TEAM = 8  # characters of a team name kept before "…" (at last it is left out)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:max(n - 1, 1)].rstrip() + "…"


def given_name(full_name: str) -> str:
    """'Lê Thị Hương' -> 'Hương': how Vietnamese colleagues call each other."""
    return (full_name or "").split()[-1] if (full_name or "").split() else ""


def digest_text(team_name: str, starts_at: datetime, ends_at: datetime, previous: Optional[str],
                on_duty: list[str], open_tasks: int, overdue: int, gaps_24h: int, ascii_only: bool = False) -> str:
    """The digest's words as the recipient gets them (pure), in at most MAX_SEGMENTS SMS segments.

    With diacritics an SMS is UCS-2 and two segments hold 134 characters, of which the fixed words,
    the time and the counts take about 100: a team name and three full names do not fit. So the
    counts always stay, and what gives way, step by step until it fits, is: full names become given
    names ("Lê Thị Hương" -> "Hương"; those on duty first, then the previous primary), then the
    team name is cut with "…", then the people on duty become "Hương +2" and at last "3 người",
    and at last the team name is left out (the recipient is that team's primary). Unaccented text (GSM-7: 306
    characters in two segments) rarely needs any of it."""
    when = span(starts_at, ends_at)
    team = short_team(team_name)

    def text(team: str, prev: Optional[str], names: list[str], more: int) -> str:
        duty = ", ".join(names) + (f" +{more}" if more else "") if names else (f"{more} người" if more else "không ai")
        return for_recipient(f"[TCN] Giao ca {team} {when}. Trước: {prev or 'không có'}. Đang trực: {duty}. "
                             f"Việc mở {open_tasks}, quá hạn {overdue}; ca thiếu 24h tới: {gaps_24h}.", ascii_only)

    def tries():
        yield text(team, previous, on_duty, 0)
        prev, names = (given_name(previous) if previous else None), [given_name(n) for n in on_duty]
        yield text(team, previous, names, 0)
        for n in range(len(team), MIN_TEAM - 1, -1):
            yield text(_short(team, n), prev, names, 0)
        for k in range(len(names) - 1, -1, -1):
            yield text(_short(team, MIN_TEAM), prev, names[:k], len(names) - k)
        yield text("", prev, [], len(names)).replace("Giao ca  ", "Giao ca ")

    candidate = ""
    for candidate in tries():
        if segments(candidate).segments <= MAX_SEGMENTS:
            return candidate
    return candidate  # a third segment, at worst (only with an absurdly long given name)


def _counts(query) -> dict[int, int]:
    return dict(db.session.execute(query).all())


def queue_handoffs(now: datetime, since: Optional[datetime] = None) -> int:
    """Queue the digest for every shift that started in the last WINDOW (and, with `since`, after
    that moment); returns how many."""
    prev_shift, prev_primary, prev_person = (sa.orm.aliased(Shift), sa.orm.aliased(ShiftAssignment),
                                             sa.orm.aliased(Person))
    rows = db.session.execute(
        sa.select(Shift.id, Shift.team_id, Shift.province_code, Shift.starts_at, Shift.ends_at, Team.name,
                  Person.id, Person.phone, Person.sms_ascii, prev_person.full_name)
        .join(Team, Team.id == Shift.team_id)
        .join(ShiftAssignment, sa.and_(ShiftAssignment.shift_id == Shift.id, ShiftAssignment.role == PRIMARY))
        .join(Person, Person.id == ShiftAssignment.person_id)
        .outerjoin(prev_shift, sa.and_(prev_shift.team_id == Shift.team_id, prev_shift.ends_at == Shift.starts_at))
        .outerjoin(prev_primary, sa.and_(prev_primary.shift_id == prev_shift.id, prev_primary.role == PRIMARY))
        .outerjoin(prev_person, prev_person.id == prev_primary.person_id)
        .where(Shift.starts_at > max(now - WINDOW, since or now - WINDOW), Shift.starts_at <= now,
               Person.consent_sms.is_(True), Person.sms_capable.is_(True))).all()
    keys = {f"handoff/{r[0]}/{r[6]}": r for r in rows}
    if not keys:
        return 0
    known = set(db.session.scalars(sa.select(Message.dedupe_key).where(Message.dedupe_key.in_(list(keys)))))
    fresh = [r for key, r in keys.items() if key not in known]
    if not fresh:
        return 0
    team_ids = list({r[1] for r in fresh})
    today = local_today()
    active = Task.status.in_(ACTIVE_STATUSES)
    open_tasks = _counts(sa.select(Task.team_id, sa.func.count()).where(Task.team_id.in_(team_ids), active)
                         .group_by(Task.team_id))
    overdue = _counts(sa.select(Task.team_id, sa.func.count()).where(Task.team_id.in_(team_ids), active,
                                                                     Task.due_date < today).group_by(Task.team_id))
    on_duty: dict[int, list[str]] = {}
    for team_id, name in db.session.execute(
            sa.select(DutySession.team_id, Person.full_name).join(Person, Person.id == DutySession.person_id)
            .where(DutySession.team_id.in_(team_ids), DutySession.ended_at.is_(None))
            .order_by(DutySession.team_id, DutySession.started_at, DutySession.id)):
        on_duty.setdefault(team_id, []).append(name)
    staffed = (sa.select(sa.func.count()).select_from(ShiftAssignment)
               .where(ShiftAssignment.shift_id == Shift.id).scalar_subquery())
    gaps = _counts(sa.select(Shift.team_id, sa.func.count()).where(
        Shift.team_id.in_(team_ids), Shift.starts_at > now, Shift.starts_at <= now + timedelta(hours=24),
        staffed < Shift.required).group_by(Shift.team_id))
    values = []
    for shift_id, team_id, province, starts, ends, team_name, person_id, phone, ascii_only, previous in fresh:
        text = digest_text(team_name, starts, ends, previous, on_duty.get(team_id, []), open_tasks.get(team_id, 0),
                           overdue.get(team_id, 0), gaps.get(team_id, 0), ascii_only)
        values.append(outbox.Outgoing(person_id, phone, text, HANDOFF, dedupe_key=f"handoff/{shift_id}/{person_id}",
                                      province_code=province, shift_id=shift_id))
    return outbox.put_many(values, now)

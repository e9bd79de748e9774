"""The handoff digest: when a shift starts, its primary gets one SMS with what the previous shift
leaves behind — who stood it, who is on duty now, the team's open and overdue tasks, and the
understaffed shifts of the next 24 hours. Set-based (a national shift change starts thousands of
shifts at once): a few GROUP BYs and one executemany, deduplicated per shift and person."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from models import DutySession, Message, Person, Shift, ShiftAssignment, Task, Team, db
from models.shifts import PRIMARY
from models.tasks import ACTIVE_STATUSES

from .clock import local_today, to_local
from .sms import for_recipient

WINDOW = timedelta(minutes=15)  # a digest is still worth sending this long after the start


def digest_text(team_name: str, starts_at: datetime, ends_at: datetime, previous: Optional[str],
                on_duty: int, open_tasks: int, overdue: int, gaps_24h: int) -> str:
    """The digest's words (pure)."""
    when = f"{to_local(starts_at):%H:%M %d/%m}–{to_local(ends_at):%H:%M}"
    before = f"ca trước: {previous}" if previous else "không có ca trước"
    return (f"[TCN] Giao ca {team_name} {when}. {before}; đang trực: {on_duty}; việc đang mở: {open_tasks}"
            f" (quá hạn {overdue}); ca thiếu người 24 giờ tới: {gaps_24h}.")


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
               Person.consent_sms.is_(True))).all()
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
    on_duty = _counts(sa.select(DutySession.team_id, sa.func.count()).where(
        DutySession.team_id.in_(team_ids), DutySession.ended_at.is_(None)).group_by(DutySession.team_id))
    staffed = (sa.select(sa.func.count()).select_from(ShiftAssignment)
               .where(ShiftAssignment.shift_id == Shift.id).scalar_subquery())
    gaps = _counts(sa.select(Shift.team_id, sa.func.count()).where(
        Shift.team_id.in_(team_ids), Shift.starts_at > now, Shift.starts_at <= now + timedelta(hours=24),
        staffed < Shift.required).group_by(Shift.team_id))
    values = []
    for shift_id, team_id, province, starts, ends, team_name, person_id, phone, ascii_only, previous in fresh:
        text = digest_text(team_name, starts, ends, previous, on_duty.get(team_id, 0), open_tasks.get(team_id, 0),
                           overdue.get(team_id, 0), gaps.get(team_id, 0))
        values.append(dict(person_id=person_id, to_phone=phone, purpose="handoff", urgent=False,
                           dedupe_key=f"handoff/{shift_id}/{person_id}", body=for_recipient(text, ascii_only),
                           province_code=province, shift_id=shift_id, status="queued", attempts=0,
                           next_attempt_at=now, created_at=now, updated_at=now))
    db.session.execute(sa.insert(Message), values)
    return len(values)

"""Task rules: what a task must contain, its status transitions, progress reports, hand-offs.

Every change writes a `TaskUpdate`; progress is added atomically in SQL, so two volunteers
reporting at the same moment both count."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Membership, Person, Task, TaskUpdate, db
from models.tasks import BLOCKED, CANCELLED, DONE, IN_PROGRESS, OPEN, PRIORITIES

from coordination.core import audit
from coordination.tasks import kinds, notices
from coordination.clock import local_today, utcnow
from coordination.core.errors import Conflict, Unprocessable, ValidationError
from coordination.core.text import clean_line, num

MAX_TARGET = 10_000_000
MAX_DELTA = 1_000_000
PLAUSIBLE_FACTOR = 10  # a report more than 10× what remains to the target asks to be confirmed…
PLAUSIBLE_FLOOR = 50  # …but a report of up to 50 never does

# Allowed moves. Cancelling is separate (creator or province lead only).
TRANSITIONS = {
    OPEN: {IN_PROGRESS, BLOCKED},
    IN_PROGRESS: {DONE, BLOCKED, OPEN},
    BLOCKED: {IN_PROGRESS, OPEN},
    DONE: {IN_PROGRESS},  # reopen
    CANCELLED: set(),
}


@dataclass
class TaskSpec:
    kind: str
    title: str
    description: Optional[str] = None
    due_date: Optional[date] = None
    priority: str = "normal"
    target_count: Optional[int] = None
    target_unit: Optional[str] = None


def clean_spec(spec: TaskSpec, today: Optional[date] = None) -> dict:
    """Validate a task's content; returns the column values. Raises ValidationError naming the field."""
    kinds.check_active(spec.kind)
    title = clean_line(spec.title, "title", _l("Title"))
    if not title:
        raise ValidationError(_l("Give the task a title."), field="title")
    if len(title) > 200:
        raise ValidationError(_l("The title is too long (at most %(n)d characters).", n=200), field="title")
    description = (spec.description or "").strip() or None
    if description and len(description) > 5000:
        raise ValidationError(_l("The description is too long (at most %(n)d characters).", n=5000),
                              field="description")
    if spec.priority not in PRIORITIES:
        raise ValidationError(_l("Choose a priority from the list."), field="priority")
    if spec.due_date is not None and spec.due_date < (today or local_today()):
        raise Unprocessable(_l("The due date is in the past."), field="due_date")
    target = spec.target_count
    if target is not None and (isinstance(target, bool) or not isinstance(target, int)):
        raise ValidationError(_l("The target must be a whole number."), field="target_count")
    if target is not None and not 0 < target <= MAX_TARGET:
        raise ValidationError(_l("The target must be between 1 and %(n)s.", n=num(MAX_TARGET)),
                              field="target_count")
    unit = clean_line(spec.target_unit, "target_unit", _l("Unit")) or None
    if unit and len(unit) > 60:
        raise ValidationError(_l("The unit is too long (at most %(n)d characters).", n=60), field="target_unit")
    if unit and target is None:
        raise ValidationError(_l("A unit needs a target number."), field="target_count")
    return dict(kind=spec.kind, title=title, description=description, due_date=spec.due_date,
                priority=spec.priority, target_count=target, target_unit=unit)


def _log(task: Task, user_id: Optional[int], person_id: Optional[int], **fields) -> TaskUpdate:
    update = TaskUpdate(task_id=task.id, user_id=user_id, person_id=person_id, **{"at": utcnow(), **fields})
    db.session.add(update)
    return update


def _audit(task: Task, user_id: Optional[int], action: str, **changes) -> None:
    audit.record(user_id, action, "task", task.id, province_code=task.province_code, team_id=task.team_id, **changes)


def change_status(task: Task, to_status: str, user_id: Optional[int], person_id: Optional[int],
                  reason: Optional[str] = None, note: Optional[str] = None) -> Task:
    """Move a task along its workflow. Blocking needs a reason. A stale view loses cleanly."""
    from_status = task.status
    if to_status == CANCELLED:
        raise ValidationError(_l("Use cancel to cancel a task."), field="status")
    if to_status not in TRANSITIONS.get(from_status, set()):
        raise Conflict(_l("A task cannot go from “%(a)s” to “%(b)s”.", a=status_label(from_status),
                          b=status_label(to_status)), field="status")  # the task's state, not the request
    reason = clean_line(reason, "blocked_reason", _l("Reason")) or None
    if to_status == BLOCKED and not reason:
        raise ValidationError(_l("Say why the task is blocked."), field="blocked_reason")
    if reason and len(reason) > 500:
        raise ValidationError(_l("The reason is too long (at most %(n)d characters).", n=500), field="blocked_reason")
    now = utcnow()
    values = dict(status=to_status, updated_at=now, blocked_reason=reason if to_status == BLOCKED else None,
                  completed_at=now if to_status == DONE else None)
    result = db.session.execute(sa.update(Task).where(Task.id == task.id, Task.status == from_status)
                                .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Someone changed this task meanwhile. Reload and try again."), field="status")
    for key, value in values.items():
        setattr(task, key, value)
    update = _log(task, user_id, person_id, from_status=from_status, to_status=to_status,
                  note=_clean_note(reason if to_status == BLOCKED else note))
    _audit(task, user_id, "status", before={"status": from_status}, after={"status": to_status})
    notices.status_changed(task, to_status, reason, update, person_id, now)
    return task


def cancel(task: Task, user_id: Optional[int], person_id: Optional[int], reason: Optional[str] = None) -> Task:
    if task.status in (DONE, CANCELLED):
        raise Conflict(_l("A finished task cannot be cancelled."), field="status")
    from_status = task.status
    task.status, task.updated_at = CANCELLED, utcnow()
    _log(task, user_id, person_id, from_status=from_status, to_status=CANCELLED, note=_clean_note(reason))
    _audit(task, user_id, "cancel", before={"status": from_status}, after={"status": CANCELLED})
    return task


def _clean_note(note: Optional[str]) -> Optional[str]:
    note = (note or "").strip() or None
    if note and len(note) > 1000:
        raise ValidationError(_l("The note is too long (at most %(n)d characters).", n=1000), field="note")
    return note


class NeedsConfirmation(Unprocessable):
    """A progress report far above what remains: stored only once its reporter confirms it."""


def plausible_bound(task: Task) -> Optional[int]:
    """The largest report stored without asking: 10× what remains to the target, or the target itself
    once nothing remains, and never less than 50. None: a task without a target has no bound (only
    MAX_DELTA). A typo of 100.000 on a target of 200 is asked about; 30 more than the target is not."""
    if task.target_count is None:
        return None
    remaining = max(task.target_count - (task.done_count or 0), 0)
    return max(PLAUSIBLE_FACTOR * remaining if remaining else task.target_count, PLAUSIBLE_FLOOR)


def check_plausible(task: Task, delta: int, confirmed: bool) -> bool:
    """True when the report is to be flagged for a lead (above the bound, confirmed); raises
    NeedsConfirmation when it is above the bound and not confirmed."""
    bound = plausible_bound(task)
    if bound is None or delta <= bound:
        return False
    remaining = max(task.target_count - (task.done_count or 0), 0)
    if not confirmed and remaining:
        raise NeedsConfirmation(_l("You report %(n)s, far more than the %(left)s left to the target. "
                                   "Confirm if it is right.", n=num(delta), left=num(remaining)), field="confirm")
    if not confirmed:
        raise NeedsConfirmation(_l("You report %(n)s, more than the whole target of %(target)s, which is already "
                                   "reached. Confirm if it is right.", n=num(delta), target=num(task.target_count)),
                                field="confirm")
    return True


def report_progress(task: Task, delta: int, user_id: Optional[int], person_id: Optional[int],
                    note: Optional[str] = None, client_uuid: Optional[str] = None,
                    at: Optional[datetime] = None, confirmed: bool = False) -> bool:
    """Add `delta` done items (e.g. 20 residents helped). Added in SQL: concurrent reports all count.
    An open task starts when its first progress comes in. A report queued on a phone carries the
    UUID the phone made and the phone's time (`at`, kept in the history, but never earlier than the
    task's creation: a wrong clock or a forged date): sent again, it changes
    nothing. Returns False for such a resend, True when the report counted. (Two resends racing
    meet the unique client_uuid: the loser's transaction fails; the caller retries and gets False.)
    A report above `plausible_bound` needs `confirmed` and is then flagged for a lead; one from a
    phone's queue (a client_uuid) is stored flagged without asking: it was sent, nobody can be asked."""
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise ValidationError(_l("Progress must be a whole number."), field="delta")
    if delta < 1:
        raise ValidationError(_l("Progress must be at least 1."), field="delta")
    if delta > MAX_DELTA:
        raise ValidationError(_l("Progress is too large (at most %(n)s at once).", n=num(MAX_DELTA)), field="delta")
    note = _clean_note(note)
    if client_uuid is not None:
        stored = db.session.scalar(sa.select(TaskUpdate.task_id).where(TaskUpdate.client_uuid == client_uuid))
        if stored == task.id:
            return False
        if stored is not None:
            raise Conflict(_l("This client_uuid belongs to another report."), field="client_uuid")
    if task.status not in (OPEN, IN_PROGRESS):
        raise Conflict(_l("Progress can only be reported on an open or ongoing task."), field="delta")
    flagged = check_plausible(task, delta, confirmed or client_uuid is not None)
    if task.status == OPEN:
        change_status(task, IN_PROGRESS, user_id, person_id)
    done = db.session.execute(
        sa.update(Task).where(Task.id == task.id, Task.status == IN_PROGRESS)
        .values(done_count=Task.done_count + delta, updated_at=utcnow())
        .returning(Task.done_count).execution_options(synchronize_session=False)).scalar()
    if done is None:
        raise Conflict(_l("Someone changed this task meanwhile. Reload and try again."), field="delta")
    task.done_count = done
    at = max(at, task.created_at) if at and task.created_at else at  # never before the task existed
    _log(task, user_id, person_id, delta=delta, done_count_after=done, note=note, client_uuid=client_uuid,
         at=at or utcnow(), flagged=flagged)
    _audit(task, user_id, "progress", before={"done_count": done - delta},
           after={"done_count": done, **({"flagged": True} if flagged else {})})
    return True


def correct_progress(task: Task, amount: int, reason: Optional[str], user_id: Optional[int],
                     person_id: Optional[int]) -> TaskUpdate:
    """A lead's correction of the done count: `amount` is added (negative takes a wrong report back),
    with a required reason, kept in the history and the audit trail. The count never goes below 0.
    Correcting clears the flags of the task's reports: a lead has looked at them. (Who may: the
    caller checks permissions.can_correct_task.)"""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValidationError(_l("Give the correction as a whole number other than 0, e.g. -99800."), field="amount")
    if abs(amount) > MAX_TARGET:
        raise ValidationError(_l("The correction is too large (at most %(n)s).", n=num(MAX_TARGET)), field="amount")
    reason = _clean_note(clean_line(reason, "reason", _l("Reason")))
    if not reason:
        raise ValidationError(_l("Say why the count is corrected."), field="reason")
    done = db.session.execute(
        sa.update(Task).where(Task.id == task.id, Task.done_count + amount >= 0)
        .values(done_count=Task.done_count + amount, updated_at=utcnow())
        .returning(Task.done_count).execution_options(synchronize_session=False)).scalar()
    if done is None:
        now_done = db.session.scalar(sa.select(Task.done_count).where(Task.id == task.id))  # as stored, not as loaded
        raise Conflict(_l("The count cannot go below 0 (it is %(n)s now).", n=num(now_done)), field="amount")
    task.done_count = done
    db.session.execute(sa.update(TaskUpdate).where(TaskUpdate.task_id == task.id, TaskUpdate.flagged.is_(True))
                       .values(flagged=False).execution_options(synchronize_session=False))
    update = _log(task, user_id, person_id, delta=amount, done_count_after=done, note=reason)
    _audit(task, user_id, "correct_progress", before={"done_count": done - amount},
           after={"done_count": done, "reason": reason})
    return update


def assign_person(task: Task, person: Optional[Person], user_id: Optional[int], person_id: Optional[int]) -> Task:
    """Hand the task to an active member of its team (or take it back: person=None)."""
    if person is not None:
        is_member = db.session.scalar(sa.select(Membership.id).where(
            Membership.team_id == task.team_id, Membership.person_id == person.id,
            Membership.end_date.is_(None)).limit(1))
        if not is_member:
            raise Conflict(_l("This person is not an active member of this team."), field="assignee")
    before = task.assignee_person_id
    notices.handed_to(task, person, before, person_id)
    task.assignee_person_id = person.id if person else None
    task.updated_at = utcnow()
    _log(task, user_id, person_id, assignee_person_id=task.assignee_person_id)
    _audit(task, user_id, "assign", before={"assignee_person_id": before},
           after={"assignee_person_id": task.assignee_person_id})
    return task


def status_label(status: str) -> str:
    labels = {OPEN: _l("Open"), IN_PROGRESS: _l("In progress"), DONE: _l("Done"), BLOCKED: _l("Blocked"),
              CANCELLED: _l("Cancelled")}
    return str(labels.get(status, status))

"""Task notices by SMS (through the outbox): whoever is handed a task, the commune lead whose team
the province (or the ministry) assigns something — one INSERT … SELECT for a bulk assignment, not
a loop — and the assigner when a task is blocked (with the reason) or done.

Only people who accept duty SMS on a number that takes one; the text as each asked for (without
diacritics if sms_ascii); an urgent task's notice goes at once, any other waits for the end of quiet
hours; each notice has a dedupe key, so a double tap or a retried request queues it once. Nobody is
told about what they did themselves."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from models import Membership, Message, Person, Task, TaskUpdate, User, db
from models.messages import TASK_NOTICE
from models.tasks import BLOCKED, DONE
from models.teams import LEAD

from coordination.clock import utcnow
from coordination.messaging import outbox
from coordination.messaging import quiet_hours
from coordination.messaging.sms import for_recipient

TITLE_MAX, REASON_MAX = 60, 120


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def link(task_id="") -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/tasks/{task_id}"


def _due_text(task: Task) -> str:
    return f", hạn {task.due_date:%d/%m}" if task.due_date else ""


def send_at(urgent: bool, now: datetime) -> datetime:
    """An urgent notice goes now; any other waits out quiet hours (QUIET_HOURS, Vietnam time)."""
    return quiet_hours.send_at(urgent, now, TASK_NOTICE)


def _reachable(person: Optional[Person]) -> bool:
    return person is not None and bool(person.phone) and person.consent_sms and person.sms_capable


def _queue(person: Person, task: Task, text: str, key: str, now: datetime) -> Optional[Message]:
    urgent = task.priority == "urgent"
    return outbox.put(outbox.to(person, text, TASK_NOTICE, urgent=urgent, dedupe_key=key,
                                province_code=task.province_code), now)  # the outbox defers it in quiet hours


def assigned_text(task: Task) -> str:
    return f"[TCN] Bạn được giao nhiệm vụ: {_short(task.title, TITLE_MAX)}{_due_text(task)}. Xem: {link(task.id)}"


def handed_to(task: Task, person: Optional[Person], before: Optional[int], actor_person_id: Optional[int],
              now: Optional[datetime] = None) -> Optional[Message]:
    """Tell the person a task was just handed to (not when it stays theirs, nor when they took it
    themselves). The key counts their earlier hand-offs of this task: a double tap queues once, a
    task handed back to them later is told again."""
    if person is None or person.id == before or person.id == actor_person_id or not _reachable(person):
        return None
    earlier = db.session.scalar(sa.select(sa.func.count()).select_from(TaskUpdate).where(
        TaskUpdate.task_id == task.id, TaskUpdate.assignee_person_id == person.id))
    return _queue(person, task, assigned_text(task), f"task/{task.id}/to/{person.id}/{earlier}", now or utcnow())


def status_text(task: Task, to_status: str, reason: Optional[str]) -> str:
    title = _short(task.title, TITLE_MAX)
    if to_status == BLOCKED:
        return f"[TCN] Nhiệm vụ “{title}” bị vướng: {_short(reason or '', REASON_MAX)}. Xem: {link(task.id)}"
    count = f" ({task.done_count}/{task.target_count})" if task.target_count else ""
    return f"[TCN] Nhiệm vụ “{title}” đã hoàn thành{count}. Xem: {link(task.id)}"


def status_changed(task: Task, to_status: str, reason: Optional[str], update: TaskUpdate,
                   actor_person_id: Optional[int], now: Optional[datetime] = None) -> Optional[Message]:
    """Tell the task's assigner (the user who created it) that it is blocked, with the reason, or
    done. Keyed by the change's own history row: change_status lets one of two racing taps win."""
    if to_status not in (BLOCKED, DONE) or task.created_by_id is None:
        return None
    person = db.session.scalar(sa.select(Person).join(User, User.person_id == Person.id)
                               .where(User.id == task.created_by_id))
    if not _reachable(person) or person.id == actor_person_id:
        return None
    db.session.flush()  # the history row's id
    return _queue(person, task, status_text(task, to_status, reason), f"task/{task.id}/{to_status}/{update.id}",
                  now or utcnow())


def team_assigned_text(title: str, due_date, nationwide: bool) -> str:
    """The commune lead's notice, up to the task's id (the query appends it)."""
    due = f", hạn {due_date:%d/%m}" if due_date else ""
    who = "Bộ" if nationwide else "Tỉnh"
    return f"[TCN] {who} giao nhiệm vụ mới cho tổ: {_short(title, TITLE_MAX)}{due}. Xem: {link()}"


def batch_assigned(batch: str, values: dict, nationwide: bool, actor_user_id: Optional[int],
                   now: Optional[datetime] = None) -> None:
    """Tell the lead of every team a bulk assignment just gave a task: one INSERT … SELECT over the
    batch's tasks and their teams' leads, whatever the number of teams (3,321 nationwide)."""
    now = now or utcnow()
    urgent = values.get("priority") == "urgent"
    text = team_assigned_text(values["title"], values.get("due_date"), nationwide)
    task_id = sa.cast(Task.id, sa.String)
    body = sa.case((Person.sms_ascii.is_(True), sa.literal(for_recipient(text, True))), else_=sa.literal(text)) + task_id
    actor = sa.select(User.person_id).where(User.id == (actor_user_id or -1)).scalar_subquery()
    recipients = (sa.select(Person.id.label("person_id"), Person.phone.label("to_phone"), body.label("body"),
                            sa.literal(TASK_NOTICE).label("purpose"), sa.literal(urgent).label("urgent"),
                            Task.province_code.label("province_code"),
                            sa.literal(send_at(urgent, now), Message.next_attempt_at.type).label("next_attempt_at"),
                            sa.literal(quiet_hours.marker(urgent, now, TASK_NOTICE), Message.error_code.type)
                            .label("error_code"),
                            (sa.literal("task/") + task_id + sa.literal("/lead/") + sa.cast(Person.id, sa.String))
                            .label("dedupe_key"))
                  .select_from(Task)
                  .join(Membership, sa.and_(Membership.team_id == Task.team_id, Membership.role == LEAD,
                                            Membership.end_date.is_(None)))
                  .join(Person, Person.id == Membership.person_id)
                  .where(Task.batch == batch, Person.consent_sms.is_(True), Person.sms_capable.is_(True),
                         Person.id != sa.func.coalesce(actor, -1))
                  .distinct())
    outbox.put_select(recipients, now)

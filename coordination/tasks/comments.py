"""A conversation on every task: members and leads of the team and those above write messages,
each with an optional photo as evidence (coordination/tasks/photos.py). A message written offline
carries its phone's UUID: sent twice, it is stored once. (Who may: permissions.can_work_on_task.)"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Person, Task, TaskComment, db

from coordination.clock import utcnow
from coordination.core.errors import Conflict, ValidationError
from coordination.core.text import unsafe_character
from coordination.tasks import photos

MAX_BODY = 2000


def clean_body(body: Optional[str], has_photo: bool) -> Optional[str]:
    """The message's text, trimmed; required unless a photo comes with it."""
    body = (body or "").strip() or None
    if body is None and not has_photo:
        raise ValidationError(_l("Write a message or add a photo."), field="body")
    if body and len(body) > MAX_BODY:
        raise ValidationError(_l("The message is too long (at most %(n)d characters).", n=MAX_BODY), field="body")
    if body and unsafe_character(body):
        raise ValidationError(_l("The message contains a control or text-direction character."), field="body")
    return body


def add(task: Task, body: Optional[str], user_id: Optional[int], person_id: Optional[int],
        photo: Optional[photos.Photo] = None, client_uuid: Optional[str] = None,
        at: Optional[datetime] = None) -> tuple[TaskComment, bool]:
    """Add a message (not yet committed: `save` does, with its photo). Returns (comment, True), or
    (the stored comment, False) for a resend of a queued one. A queued message keeps its phone's time
    (`at`), never earlier than the task."""
    body = clean_body(body, photo is not None)
    if client_uuid is not None:
        stored = db.session.scalar(sa.select(TaskComment).where(TaskComment.client_uuid == client_uuid))
        if stored is not None and stored.task_id == task.id:
            return stored, False
        if stored is not None:
            raise Conflict(_l("This client_uuid belongs to another message."), field="client_uuid")
    at = max(at, task.created_at) if at and task.created_at else at
    comment = TaskComment(task_id=task.id, user_id=user_id, person_id=person_id, body=body, at=at or utcnow(),
                          client_uuid=client_uuid)
    if photo is not None:
        comment.photo, comment.photo_width, comment.photo_height = photos.new_name(), photo.width, photo.height
    db.session.add(comment)
    return comment, True


def save(comment: TaskComment, photo: Optional[photos.Photo], directory: str | Path) -> None:
    """Commit the message; its photo's file is written first and removed again if the commit fails,
    so there is never a row without its file nor a file without its row."""
    path = photos.write(directory, comment.photo, photo.data) if photo is not None and comment.photo else None
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        photos.remove(path)
        raise


def thread(task_id: int, limit: Optional[int] = None, offset: int = 0) -> list:
    """(TaskComment, author's name or None) of a task, oldest first: the page's conversation."""
    query = (sa.select(TaskComment, Person.full_name).outerjoin(Person, Person.id == TaskComment.person_id)
             .where(TaskComment.task_id == task_id).order_by(TaskComment.at, TaskComment.id).offset(offset))
    return db.session.execute(query.limit(limit) if limit else query).all()


def photo_of(task_id: int, comment_id: int) -> Optional[str]:
    """The stored photo name of a comment of this task (None: no such comment or no photo)."""
    return db.session.scalar(sa.select(TaskComment.photo).where(TaskComment.id == comment_id,
                                                              TaskComment.task_id == task_id))

"""/api/v1/tasks/<id>/comments: a task's conversation, read and written by the same people as on its
page. POST takes JSON {"body", "client_uuid", "occurred_at"} or the same fields as multipart form data
with a "photo" file (JPEG, PNG or WebP); a resend of a queued message (same client_uuid) answers 200
with the stored message instead of adding it again."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_login import current_user

from models import Task, db

from coordination.clock import utcnow
from coordination.core import device
from coordination.tasks import comments
from coordination.web import task_comments
from coordination.web.api.core import bp
from coordination.web.api.json_input import json_body, paging, text


def comment_body(comment, name: str | None) -> dict:
    photo = (url_for("comments.photo", task_id=comment.task_id, comment_id=comment.id) if comment.photo else None)
    return {"id": comment.id, "task_id": comment.task_id, "at": comment.at.isoformat(), "person_id": comment.person_id,
            "author": name, "body": comment.body, "photo_url": photo, "photo_width": comment.photo_width,
            "photo_height": comment.photo_height, "client_uuid": comment.client_uuid}


def _fields() -> dict:
    """The message's fields, from multipart form data (with a photo) or a JSON object."""
    if request.mimetype == "multipart/form-data":
        return {key: request.form.get(key) for key in ("body", "client_uuid", "occurred_at") if key in request.form}
    return json_body()


def _add_once(task: Task, data: dict, photo) -> tuple:
    """Add and commit; the same queued message sent twice at once is stored once (the loser of the
    unique client_uuid finds the winner's row)."""
    queued = data.get("client_uuid") is not None
    uuid = device.client_uuid(data["client_uuid"]) if queued else None
    at = device.device_time(data.get("occurred_at"), utcnow()) if queued else None
    args = (text(data, "body", max_len=comments.MAX_BODY), current_user.id, current_user.person_id, photo, uuid, at)
    try:
        comment, created = comments.add(task, *args)
        if created:
            comments.save(comment, photo, task_comments.photo_dir())
    except sa.exc.IntegrityError:  # save rolled back and removed the file
        comment, created = comments.add(db.session.get(Task, task.id), *args)
        if created:
            comments.save(comment, photo, task_comments.photo_dir())
    return comment, created


@bp.post("/api/v1/tasks/<int:task_id>/comments")
def post_comment(task_id: int):
    task = task_comments.commentable(task_id)
    data = _fields()
    comment, created = _add_once(task, data, task_comments.uploaded_photo())
    name = comment.person.full_name if comment.person else None
    return jsonify(comment_body(comment, name) | {"created": created}), 201 if created else 200


@bp.get("/api/v1/tasks/<int:task_id>/comments")
def list_comments(task_id: int):
    task = task_comments.commentable(task_id)
    page, per_page = paging()
    rows = comments.thread(task.id, limit=per_page + 1, offset=(page - 1) * per_page)
    return jsonify({"items": [comment_body(c, n) for c, n in rows[:per_page]], "page": page, "per_page": per_page,
                    "has_next": len(rows) > per_page})

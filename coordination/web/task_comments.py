"""A task's conversation: who may take part, the uploaded photo, and the photos themselves, sent only
to those who may see the task (the form's view is in web/tasks.py, the API's in web/api/comments.py)."""
from __future__ import annotations

from flask import Blueprint, Request, abort, current_app, request, send_file
from flask_login import login_required

from models import Task

from coordination.core import permissions
from coordination.tasks import comments, photos
from coordination.web.helpers import get_or_404, refuse_unless
from coordination.web.login import current_scope

bp = Blueprint("comments", __name__)

UPLOAD_LIMIT = photos.MAX_BYTES + 256 * 1024  # the photo and the form around it
PHOTO_ENDPOINTS = frozenset({"tasks.comment", "api.post_comment"})
PRACTICE_ENDPOINTS = frozenset({"practices.new", "practices.edit"})  # a good practice: up to 3 photos


class UploadRequest(Request):
    """The app's request: a message with a photo may be as large as a phone's photo (10 MB), above the
    app's MAX_CONTENT_LENGTH (6 MB), which every other form keeps. Decided by the matched route, so
    it holds before anything (the NUL check, CSRF) reads the body."""

    @property
    def max_content_length(self) -> int | None:
        if self.endpoint in PHOTO_ENDPOINTS:
            return UPLOAD_LIMIT
        if self.endpoint in PRACTICE_ENDPOINTS:
            return 3 * UPLOAD_LIMIT
        return super().max_content_length


def commentable(task_id: int) -> Task:
    """The task, if this user may read and write its conversation (else 404, the refusal audited)."""
    task = get_or_404(Task, task_id)
    scope = current_scope()
    refuse_unless(permissions.can_view_task(scope, task) and permissions.can_work_on_task(scope, task),
                  "comment", "task", task.id, task.province_code, task.team_id)
    return task


def uploaded_photo() -> photos.Photo | None:
    """The request's photo (field "photo") made into what we keep, or None when none was sent."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    return photos.process(upload.stream)


def photo_dir() -> str:
    return current_app.config["TASK_PHOTO_DIR"]


@bp.get("/tasks/<int:task_id>/comments/<int:comment_id>/photo")
@login_required
def photo(task_id: int, comment_id: int):
    commentable(task_id)
    path = photos.path_of(photo_dir(), comments.photo_of(task_id, comment_id) or "")
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = False
    response.cache_control.private = True
    return response

"""Error pages (HTML, or JSON under /api/, /healthz and /readyz), and the one check every request passes first."""
from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from models import db

from coordination.web.observe import request_id

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _error(status: int, message: str):
    # A failure on our side names its request, so that a user can quote it and the operator find
    # its log line; a refusal does not (a 404 out of scope must look exactly like any other 404).
    rid = request_id() if status >= 500 else None
    if wants_json():
        return jsonify(error=message, status=status, **({"request_id": rid} if rid else {})), status
    return render_template("error.html", status=status, message=message, request_id=rid), status


def _refuse_nul() -> None:
    """NUL in a path, query or form value can name nothing and PostgreSQL cannot even compare it: a 400
    for every route at once, before any view passes it to the database."""
    if "\x00" in request.path or any("\x00" in v for _k, v in request.args.items(multi=True)) or (
            request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded",
                                                              "multipart/form-data")
            and any("\x00" in v for _k, v in request.form.items(multi=True))):
        abort(400, _("The request contains a NUL character."))


def register_error_handlers(app: Flask) -> None:
    app.before_request(_refuse_nul)

    @app.errorhandler(404)
    def not_found(_e):
        return _error(404, _("Not found, or not in your area."))

    @app.errorhandler(405)
    def not_allowed(_e):
        return _error(405, _("This action is not allowed here."))

    @app.errorhandler(CSRFError)
    def csrf_failed(_e):
        return _error(400, _("The form expired or came from elsewhere. Reload the page and try again."))

    @app.errorhandler(400)
    def bad_request(e):
        custom = e.description if e.description != BadRequest.description else None  # abort(400, "why")
        return _error(400, custom or _("The request could not be understood."))

    @app.errorhandler(413)
    def too_large(_e):
        return _error(413, _("The upload is too large (at most %(mb)d MB).",
                             mb=(request.max_content_length or app.config["MAX_CONTENT_LENGTH"]) // 1048576))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        log.exception("unhandled error", exc_info=getattr(e, "original_exception", e))
        return _error(500, _("Something went wrong on our side. Nothing was saved; please try again."))

"""Every request: an id (the proxy's X-Request-Id, or a new one) returned in the `X-Request-Id`
header and shown on error pages so a user can quote it; its latency in the route's histogram
(coordination/core/metrics.py); and, with LOG_FORMAT=json, one JSON line per request (request id,
user id, method, route, status, duration in ms) for the log collector."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request, session

from coordination.core import metrics

log = logging.getLogger("tcn.request")
VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")  # a proxy's id is kept only if it looks like one


def request_id() -> str:
    return g.get("request_id") or "-"


def _start() -> None:
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if VALID_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    g.request_started = time.perf_counter()


def _finish(response):
    started = g.get("request_started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(seconds)
    response.headers["X-Request-Id"] = request_id()
    if log.isEnabledFor(logging.INFO) and g.get("log_json"):
        uid = str(session.get("_user_id", "")).partition(":")[0] or None
        log.info(json.dumps({"request_id": request_id(), "user_id": int(uid) if uid and uid.isdigit() else None,
                             "method": request.method, "route": route, "path": request.path,
                             "status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
                            ensure_ascii=False))
    return response


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: every log record as one JSON object (the request line above is already one)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name == "tcn.request":
            return message
        body = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name, "message": message}
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def init_app(app: Flask) -> None:
    json_logs = app.config.get("LOG_FORMAT") == "json"

    def _begin():
        g.log_json = json_logs
        _start()

    # First of all before-request functions (CSRF's among them): a request they refuse has its id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)


def configure_logging(json_lines: bool) -> None:
    """The process's log output (not in tests or debug: app.create_app decides)."""
    if not json_lines:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)

"""`/metrics` for Prometheus (a token, or only from this machine) and `/ops` for the ministry's
operators (national scope): the same figures, readable."""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import login_required
from prometheus_client import CONTENT_TYPE_LATEST

from coordination.core import permissions
from coordination.messaging.outbox import lease
from coordination.ops.metrics import exposition
from coordination.ops.status import ops_status
from coordination.web.helpers import require
from coordination.web.login import current_scope

bp = Blueprint("ops", __name__)


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:  # no token: only from this machine (a Prometheus agent beside the app, or nginx refusing /metrics)
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    if not _may_scrape():
        abort(404)
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)


@bp.get("/ops")
@login_required
def ops():
    require(permissions.can_see_operations(current_scope()))
    return render_template("ops.html", s=ops_status(lease=lease()))

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
    # No token: only from this machine (a Prometheus agent beside the app, or nginx refusing /metrics):
    # the client (behind TRUSTED_PROXIES, X-Forwarded-For) and the peer that connected (else anyone
    # reaching the app's port could write X-Forwarded-For: 127.0.0.1).
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", request.remote_addr)
    try:
        return all(ipaddress.ip_address(a or "").is_loopback for a in (request.remote_addr, peer))
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

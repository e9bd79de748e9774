"""The floor under single check-ins: the platform's own Flask app (extensions, signed session cookie,
CSRF check) doing nothing but the bare endpoint's one psycopg INSERT — no rules, no context read,
no duty session. bench_duty.py runs it beside the other two to show where the time goes.

    DATABASE_URL=postgresql://… gunicorn -w 4 bench.floor_app:app"""
from __future__ import annotations

from flask import jsonify, request, session

from app import create_app
from bench import bare_app

platform = create_app()


@platform.post("/bench/floor")
def floor():  # CSRFProtect has checked the X-CSRFToken header before this runs
    if not str(session.get("_user_id", "")).partition(":")[0].isdigit():  # "id:session_version"
        return jsonify(error="not signed in"), 401
    item = ((request.get_json(silent=True) or {}).get("items") or [{}])[0]
    row = bare_app._connection().execute(
        "INSERT INTO bench_bare (client_uuid, kind, occurred_at) VALUES (%s, %s, %s) RETURNING id",
        (item.get("client_uuid"), item.get("kind", "in"), item.get("occurred_at"))).fetchone()
    return jsonify(id=row[0])


def app(environ, start_response):
    """The wrk script posts to /api/v1/checkins; here that lands on /bench/floor."""
    if environ.get("PATH_INFO") == "/api/v1/checkins":
        environ["PATH_INFO"] = "/bench/floor"
    return platform(environ, start_response)

"""The yardstick for single check-ins, as the duty issue defines it: a Flask endpoint doing one raw
psycopg INSERT per request (no ORM, no login, no rules), one connection per gunicorn sync worker
(a sync worker serves one request at a time, so that is what a pool would hand it).

    DATABASE_URL=postgresql://… gunicorn -w 4 bench.bare_app:app"""
from __future__ import annotations

import os
import uuid

import psycopg
from flask import Flask, jsonify, request

app = Flask(__name__)
_conn = None


def ensure_table(conn) -> None:
    """The yardstick's table, on a fresh database too (every step that writes to it calls this first)."""
    conn.execute("CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, client_uuid text UNIQUE, "
                 "kind text, occurred_at timestamptz, received_at timestamptz DEFAULT now())")


def _connection():
    global _conn
    if _conn is None or _conn.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _conn = psycopg.connect(url, autocommit=True)
        ensure_table(_conn)
    return _conn


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.post("/api/v1/checkins")
def checkin():
    item = ((request.get_json(silent=True) or {}).get("items") or [{}])[0]
    row = _connection().execute(
        "INSERT INTO bench_bare (client_uuid, kind, occurred_at) VALUES (%s, %s, %s) RETURNING id",
        (item.get("client_uuid") or str(uuid.uuid4()), item.get("kind", "in"), item.get("occurred_at"))).fetchone()
    return jsonify(id=row[0])

"""Issue 21 §2: /readyz tells a load balancer whether this node may get traffic."""
from __future__ import annotations

import sqlalchemy as sa

from coordination.ops.health import code_head
from models import db


def test_ready_when_the_schema_is_at_the_code_migration_and_not_while_an_upgrade_is_pending(client):
    ok = client.get("/readyz")
    assert ok.status_code == 200
    assert ok.json["status"] == "ok" and ok.json["migration"] == code_head()
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0024_notices_confirm'"))
    db.session.commit()
    try:
        pending = client.get("/readyz")
        assert pending.status_code == 503
        assert pending.json["migration"] == "0024_notices_confirm"
        assert "db upgrade" in pending.json["detail"]
        assert client.get("/healthz").status_code == 200  # still alive: liveness is not readiness
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": code_head()})
        db.session.commit()


def test_not_ready_without_a_database():
    from app import create_app

    down = create_app({"TESTING": True, "SECRET_KEY": "test",
                       "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://tcn:tcn@127.0.0.1:1/none"})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["database"] == "unavailable"

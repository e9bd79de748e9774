"""Readiness for a load balancer: the database answers and its schema is at the code's migration.

`/healthz` stays liveness (the process serves, the database answers `SELECT 1`); `/readyz` also
says *not ready* while a deploy's `flask db upgrade` has not run yet (or ran a newer one): a node
whose code and schema disagree must not get traffic."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


@lru_cache(maxsize=1)
def code_head() -> str:
    """The newest migration in the code (read once per process: the files do not change under it)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def readiness(session) -> tuple[bool, dict]:
    """(ready, details): details name what is wrong, in words an operator can act on."""
    head = code_head()
    try:
        current = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        session.rollback()
        return False, {"status": "error", "database": "unavailable", "detail": type(exc).__name__}
    details = {"database": "ok", "migration": current, "expected_migration": head}
    if current != head:
        details.update(status="error", detail="the database schema is not at the code's migration: "
                                              "run `flask --app app db upgrade`")
        return False, details
    details["status"] = "ok"
    return True, details

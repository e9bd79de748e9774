"""Issue 21 §3: a backup restores into a fresh database, and the app runs on it with everything there."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from app import create_app
from coordination.clock import utcnow
from coordination.ops.backup import BackupError, backup, read_manifest, restore, table_counts
from dev.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from models import AuditEvent, CheckIn, Message, Person, Task, Team, db

CHECKED = (Team, Person, Task, CheckIn, Message, AuditEvent)


@pytest.fixture
def fresh_database(ctx, tmp_path):
    """An empty database of the same kind as the test's, dropped afterwards."""
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        yield url.set(database=str(tmp_path / "restored.db")).render_as_string(hide_password=False)
        return
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in CHECKED}


def test_a_backup_restores_into_a_fresh_database_and_the_app_runs_on_it(ctx, fresh_database, tmp_path):
    load_demo()
    photos = Path(ctx.config["TASK_PHOTO_DIR"])
    (photos / "backup-test.jpg").write_bytes(b"\xff\xd8 a photo")
    person = db.session.scalars(sa.select(Person).order_by(Person.id)).first()
    db.session.add(CheckIn(client_uuid=str(uuid.uuid4()), person_id=person.id, kind="in", occurred_at=utcnow()))
    db.session.commit()
    before = _counts()
    assert all(before.values()), before

    manifest = backup(db.engine, tmp_path / "b1", photos)
    assert manifest["tables"]["teams"] == before["teams"] and manifest["photos"] >= 1

    restored_photos = tmp_path / "restored-photos"
    restored = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                           "SQLALCHEMY_DATABASE_URI": fresh_database, "TASK_PHOTO_DIR": str(restored_photos),
                           "LIVE_CACHE_SECONDS": 0})
    with restored.app_context():
        result = restore(db.engine, tmp_path / "b1", restored_photos)
        assert result.mismatches == {}
        assert _counts() == before
        assert (restored_photos / "backup-test.jpg").read_bytes() == b"\xff\xd8 a photo"
        # The audit trail is still append-only after the restore.
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("UPDATE audit_events SET action = 'forged'"))
        team = db.session.scalars(sa.select(Team).order_by(Team.id)).first()
        name = team.name
        db.session.remove()
        # The app serves from the restored database: a demo login signs in and sees its home page.
        client = restored.test_client()
        role, login = DEMO_LOGINS[0]
        response = client.post("/login", data={"identifier": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, role
        assert client.get("/readyz").status_code == 200
        assert client.get("/teams/%d" % team.id).status_code == 200
        assert name


def test_restore_refuses_a_database_that_is_not_empty_and_a_folder_that_is_not_a_backup(ctx, tmp_path):
    load_demo()
    db.session.commit()
    rows = table_counts(db.engine)
    backup(db.engine, tmp_path / "b2", None)
    with pytest.raises(BackupError, match="not empty"):
        restore(db.engine, tmp_path / "b2", None)
    assert table_counts(db.engine) == rows  # nothing touched
    with pytest.raises(BackupError, match="not empty"):
        backup(db.engine, tmp_path / "b2", None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackupError, match="manifest.json"):
        read_manifest(tmp_path / "empty")


def test_the_backup_command_says_what_it_wrote(ctx, tmp_path):
    load_demo()
    db.session.commit()
    runner = CliRunner()
    from coordination.cli import backup_command, restore_command

    with ctx.test_request_context():
        out = runner.invoke(backup_command, [str(tmp_path / "b3")], obj=None, standalone_mode=False)
    assert out.exception is None, out.output
    assert "rows in" in out.output and "migration" in out.output
    with ctx.test_request_context():
        out = runner.invoke(restore_command, [str(tmp_path / "b3")])
    assert out.exit_code == 1 and "not empty" in out.output

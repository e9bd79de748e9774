"""`flask backup DIR` and `flask restore DIR`: the database and the task photos, as one folder.

A backup folder holds `database.dump` (PostgreSQL: `pg_dump --format=custom`, which keeps the
audit trail's append-only trigger and its function) or `database.sqlite3` (SQLite's online backup
API: a consistent copy while the app runs), `photos.tar` (TASK_PHOTO_DIR, which is files, not
rows) and `manifest.json`: when, which migration, and the row count of every table, so a restore
can prove it brought everything back.

A restore goes into an *empty* database only: restoring over live data would mix two histories,
and the append-only audit trail refuses the deletes that emptying it would need (migration 0009).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coordination.clock import utcnow

MANIFEST, PG_DUMP, SQLITE_COPY, PHOTOS = "manifest.json", "database.dump", "database.sqlite3", "photos.tar"


class BackupError(Exception):
    """Something an operator must fix, said in plain words."""


@dataclass
class RestoreResult:
    revision: str | None
    tables: int
    rows: int
    mismatches: dict[str, tuple[int, int]]  # table: (in the backup, after restore)
    photos: int


def _pg_command(url: str, program: str, *args: str) -> tuple[list[str], dict]:
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    cmd = [program, "--no-password"]
    for flag, value in (("--host", u.host), ("--port", u.port), ("--username", u.username)):
        if value:
            cmd += [flag, str(value)]
    return cmd + list(args) + ["--dbname", u.database or ""], env


def _run(cmd: list[str], env: dict) -> None:
    if not shutil.which(cmd[0]):
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip() or done.returncode}")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table, every table of the schema (alembic_version included)."""
    names = sorted(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def _revision(engine: sa.Engine) -> str | None:
    if "alembic_version" not in sa.inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def backup(engine: sa.Engine, folder: Path, photo_dir: Path | None) -> dict:
    """Write a backup of the database behind `engine` (and the photos) into `folder`, which must
    not exist yet or be empty. Returns the manifest."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give a new folder for each backup")
    folder.mkdir(parents=True, exist_ok=True)
    url = engine.url.render_as_string(hide_password=False)
    manifest = {"created_at": utcnow().isoformat(), "dialect": engine.dialect.name,
                "revision": _revision(engine), "tables": table_counts(engine), "photos": 0}
    if engine.dialect.name == "postgresql":
        cmd, env = _pg_command(url.replace("+psycopg", ""), "pg_dump", "--format=custom", "--no-owner",
                               "--no-privileges", "--file", str(folder / PG_DUMP))
        _run(cmd, env)
    elif engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(folder / SQLITE_COPY)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        raise BackupError(f"no backup for {engine.dialect.name}")
    if photo_dir and Path(photo_dir).is_dir():
        with tarfile.open(folder / PHOTOS, "w") as tar:
            for path in sorted(Path(photo_dir).rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(path.relative_to(photo_dir)))
                    manifest["photos"] += 1
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup made by `flask backup`")
    return json.loads(path.read_text(encoding="utf-8"))


def restore(engine: sa.Engine, folder: Path, photo_dir: Path | None) -> RestoreResult:
    """Restore the backup in `folder` into the empty database behind `engine` (and the photos into
    `photo_dir`, never over an existing file), then compare every table's rows with the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(f"the backup is of a {manifest['dialect']} database, the target is {engine.dialect.name}")
    existing = sa.inspect(engine).get_table_names()
    if existing:
        raise BackupError(f"the target database is not empty ({len(existing)} tables): restore into a new, "
                          "empty database, then point DATABASE_URL at it")
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        cmd, env = _pg_command(url.replace("+psycopg", ""), "pg_restore", "--no-owner", "--no-privileges",
                               "--exit-on-error", "--single-transaction")
        _run(cmd + [str(folder / PG_DUMP)], env)
    else:
        engine.dispose()
        source = sqlite3.connect(folder / SQLITE_COPY)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    engine.dispose()
    photos = 0
    if photo_dir and (folder / PHOTOS).is_file():
        photo_dir = Path(photo_dir)
        photo_dir.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / PHOTOS) as tar:
            for member in tar.getmembers():
                if not member.isfile() or (photo_dir / member.name).exists():
                    continue
                try:  # the data filter keeps every file inside photo_dir ("/x" becomes "x")
                    tar.extract(member, photo_dir, filter="data")
                except tarfile.FilterError:  # "../x": skipped, the other photos are still restored
                    continue
                photos += 1
    after = table_counts(engine)
    mismatches = {name: (count, after.get(name, 0)) for name, count in manifest["tables"].items()
                  if after.get(name, 0) != count}
    return RestoreResult(manifest["revision"], len(after), sum(after.values()), mismatches, photos)

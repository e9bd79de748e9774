"""Command line: `flask --app app geo load`, `demo load`, `backup DIR`, `restore DIR`, the workers."""
from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from models import db

from coordination.duty.queries import close_stale_sessions
from coordination.geography.units import load_geography, unit_counts
from coordination.jobs import JOBS, dispatch_forever, run_forever
from coordination.ops.backup import BackupError, backup, restore
from coordination.ops.doctor import diagnose
from dev.demo import DEMO_PASSWORD, load_demo

geo_cli = AppGroup("geo", help="Vietnam's administrative units.")
demo_cli = AppGroup("demo", help="Demo data.")


@geo_cli.command("load")
def geo_load() -> None:
    """Load 34 provinces, 3,321 communes and the legacy structure (idempotent, offline)."""
    started = time.perf_counter()
    result = load_geography()
    counts = unit_counts()
    click.echo(f"geo load: {result.inserted} inserted, {result.updated} updated, {result.unchanged} unchanged "
               f"in {time.perf_counter() - started:.1f} s")
    click.echo("  now: {province} provinces, {commune} communes; legacy: {legacy_province} provinces, "
               "{legacy_district} districts, {legacy_ward} wards".format(**counts))


@demo_cli.command("load")
def demo_load() -> None:
    """Fill several provinces with teams and people, and create one demo login per role."""
    logins = load_demo()
    click.echo("Demo logins (password for all: %s):" % DEMO_PASSWORD)
    for role, identifier, name in logins:
        click.echo(f"  {role:<44} {identifier:<26} {name}")


duty_cli = AppGroup("duty", help="24/7 duty.")


@duty_cli.command("close-stale")
def duty_close_stale() -> None:
    """Close check-ins left open 2 hours after their shift ended (the scheduler runs this too)."""
    closed = close_stale_sessions()
    db.session.commit()
    click.echo(f"closed {closed} stale duty sessions")


dispatcher_cli = AppGroup("dispatcher", help="SMS outbox dispatcher.")


@dispatcher_cli.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Rows claimed per poll.")
def dispatcher_run(once: bool, interval: float, batch: int) -> None:
    """Send queued SMS through Twilio with retries. Run one or several (PostgreSQL: SKIP LOCKED)."""
    stop = threading.Event()  # SIGTERM (systemd, a deploy): finish the batch in hand, then exit
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    dispatch_forever(current_app._get_current_object(), interval, batch, 1 if once else None, echo=click.echo,
                     stop=stop.is_set)


scheduler_cli = AppGroup("scheduler", help="Periodic jobs (reminders, escalation, stale check-ins).")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once, then stop.")
def scheduler_run(once: bool) -> None:
    """Run the job list of coordination/jobs.py. Run exactly one scheduler process."""
    if once:
        for job in JOBS:
            click.echo(f"{job['id']}: {job['func']()}")
        return
    run_forever(current_app._get_current_object())


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False))
def backup_command(folder: str) -> None:
    """Back up the database and the task photos into FOLDER (new or empty). See docs/production.md."""
    try:
        manifest = backup(db.engine, Path(folder), _photo_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup: {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
               f"{manifest['photos']} photos, migration {manifest['revision']} -> {folder}")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def restore_command(folder: str) -> None:
    """Restore FOLDER (made by `backup`) into the empty database of DATABASE_URL, then check every table."""
    try:
        result = restore(db.engine, Path(folder), _photo_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restore: {result.rows} rows in {result.tables} tables, {result.photos} photos, "
               f"migration {result.revision}")
    if result.mismatches:
        for name, (expected, found) in sorted(result.mismatches.items()):
            click.echo(f"  {name}: {expected} rows in the backup, {found} after restore", err=True)
        raise click.ClickException("the restored database differs from the backup (above)")
    click.echo("  every table has the rows the backup counted; run `flask --app app db upgrade` if the "
               "code is newer than the backup")


@click.command("doctor")
def doctor_command() -> None:
    """Check the configuration (secret, database and its clock, migrations, public URL, Twilio, push keys)."""
    checks = diagnose(current_app.config)
    for check in checks:
        mark = "ok  " if check.ok else ("warn" if check.warning else "FAIL")
        click.echo(f"{mark}  {check.name}: {check.says}")
    failed = [c for c in checks if not c.ok and not c.warning]
    if failed:
        raise click.ClickException(f"{len(failed)} problem(s) to fix: " + ", ".join(c.name for c in failed))
    click.echo("doctor: nothing to fix")


def _photo_dir() -> Path:
    return Path(current_app.config["TASK_PHOTO_DIR"])


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(doctor_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(geo_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(duty_cli)
    app.cli.add_command(dispatcher_cli)
    app.cli.add_command(scheduler_cli)

"""Issue 21 §2: `flask --app app doctor` says in plain words what is wrong with a deployment."""
from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from coordination.clock import utcnow
from coordination.cli import doctor_command
from coordination.ops.doctor import diagnose


def _by_name(checks):
    return {c.name: c for c in checks}


def _vapid_key() -> str:
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    return vapid.private_pem().decode()


def test_a_right_configuration_passes_every_check(ctx, twilio, live_server):
    config = dict(ctx.config, SECRET_KEY="x" * 40, PUBLIC_BASE_URL=live_server, VAPID_PRIVATE_KEY=_vapid_key(),
                  VAPID_PUBLIC_KEY="", VAPID_SUBJECT="mailto:ops@example.vn")
    checks = _by_name(diagnose(config))
    assert all(c.ok for c in checks.values()), checks
    assert "account active" in checks["Twilio"].says
    assert "in step" in checks["Clock"].says


def test_each_wrong_setting_is_named_with_what_to_do(ctx, twilio):
    config = dict(ctx.config, SECRET_KEY="short", PUBLIC_BASE_URL="https://127.0.0.1:9", TWILIO_AUTH_TOKEN="wrong",
                  VAPID_PRIVATE_KEY=_vapid_key(), VAPID_PUBLIC_KEY="BAnotthematchingkey")
    checks = _by_name(diagnose(config, now=utcnow() + timedelta(minutes=3)))
    assert not checks["SECRET_KEY"].ok and "32" in checks["SECRET_KEY"].says
    assert not checks["PUBLIC_BASE_URL"].ok and "cannot be reached" in checks["PUBLIC_BASE_URL"].says
    assert not checks["Twilio"].ok and "refused the credentials" in checks["Twilio"].says
    assert not checks["Clock"].ok and "differ by 18" in checks["Clock"].says
    assert checks["Migrations"].ok
    assert not checks["Push (VAPID)"].ok and not checks["Push (VAPID)"].warning


def test_the_command_prints_each_check_and_fails_when_one_does(ctx, twilio):
    ctx.config.update(SECRET_KEY="short")
    try:
        with ctx.test_request_context():
            out = CliRunner().invoke(doctor_command, [])
    finally:
        ctx.config.update(SECRET_KEY="test")
    assert out.exit_code == 1
    assert "FAIL  SECRET_KEY: only 5 characters" in out.output and "problem(s) to fix" in out.output

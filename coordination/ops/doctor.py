"""`flask --app app doctor`: is this deployment's configuration right? Each check says, in plain
words, what it found and what to do. Run it after a deploy and when something looks wrong."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from config import DEFAULT_SECRET_KEYS
from coordination.clock import utcnow
from models import db

CLOCK_DRIFT_LIMIT = 5.0  # seconds between this machine's clock and the database's


@dataclass
class Check:
    name: str
    ok: bool
    says: str
    warning: bool = False  # not wrong, but worth knowing (e.g. SMS not configured in a test deployment)


def _secret(config) -> Check:
    secret = (config.get("SECRET_KEY") or "").strip()
    if secret in DEFAULT_SECRET_KEYS:
        return Check("SECRET_KEY", False, "not set, or the development default: set a long random SECRET_KEY")
    if len(secret) < 32:
        return Check("SECRET_KEY", False, f"only {len(secret)} characters: use at least 32 random ones")
    return Check("SECRET_KEY", True, f"set ({len(secret)} characters)")


def _public_url(config, get: Callable) -> Check:
    url = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    parts = urlsplit(url)
    if not url:
        return Check("PUBLIC_BASE_URL", False, "not set: links in SMS and Twilio's signatures need it")
    https = parts.scheme == "https"
    try:
        answer = get(f"{url}/healthz", timeout=5)
    except requests.RequestException as exc:
        return Check("PUBLIC_BASE_URL", False, f"{url}/healthz cannot be reached from this machine "
                                               f"({type(exc).__name__}): check DNS, the proxy and the firewall")
    if answer.status_code != 200:
        return Check("PUBLIC_BASE_URL", False, f"{url}/healthz answered {answer.status_code}, not 200")
    if not https:
        return Check("PUBLIC_BASE_URL", parts.hostname in ("127.0.0.1", "localhost"),
                     f"{url} is reachable but not https: the duty app, push and Twilio need TLS in production",
                     warning=True)
    return Check("PUBLIC_BASE_URL", True, f"{url} is https and answers /healthz")


def _twilio(config, client_factory: Callable) -> Check:
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not sid or not token:
        return Check("Twilio", False, "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN not set: alerts stay in the outbox "
                                      "as 'not sent'", warning=True)
    if not (config.get("TWILIO_FROM") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
        return Check("Twilio", False, "neither TWILIO_FROM nor TWILIO_MESSAGING_SERVICE_SID is set: SMS have no sender")
    from twilio.base.exceptions import TwilioException, TwilioRestException

    try:
        account = client_factory(sid, token).api.v2010.accounts(sid).fetch()
    except TwilioRestException as exc:
        if exc.status == 401:
            return Check("Twilio", False, f"Twilio refused the credentials (error {exc.code}): check "
                                          "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        return Check("Twilio", False, f"Twilio answered {exc.status} (error {exc.code}): {exc.msg}")
    except (TwilioException, requests.RequestException, OSError) as exc:
        return Check("Twilio", False, f"Twilio's API cannot be reached ({type(exc).__name__}): check the "
                                      "outbound firewall or TWILIO_API_BASE")
    if account.status != "active":
        return Check("Twilio", False, f"the Twilio account is {account.status}, not active")
    return Check("Twilio", True, f"credentials valid, account {account.status} ({account.friendly_name})")


def _database_clock(now: datetime) -> Check:
    try:
        db_now = db.session.execute(sa.text(
            "SELECT CURRENT_TIMESTAMP" if db.engine.dialect.name == "postgresql" else "SELECT datetime('now')")).scalar()
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return Check("Database", False, f"cannot be reached ({type(exc).__name__}): check DATABASE_URL")
    if isinstance(db_now, str):  # SQLite
        db_now = datetime.fromisoformat(db_now).replace(tzinfo=timezone.utc)
    drift = abs((now - db_now).total_seconds())
    if drift > CLOCK_DRIFT_LIMIT:
        return Check("Clock", False, f"this machine's clock and the database's differ by {drift:.0f} s: shifts, "
                                     "reminders and signed links need both right (enable NTP: timedatectl)")
    return Check("Clock", True, f"in step with the database (within {drift:.1f} s)")


def _migrations() -> Check:
    from coordination.ops.health import readiness

    ready, details = readiness(db.session)
    if ready:
        return Check("Migrations", True, f"the database is at the code's migration ({details['migration']})")
    return Check("Migrations", False, details.get("detail", "not ready"))


def _vapid(config) -> Check:
    from coordination.messaging.push import NotConfigured, vapid_from

    if not config.get("VAPID_PRIVATE_KEY"):
        return Check("Push (VAPID)", False, "no VAPID key: push notifications are off; alerts go by SMS and calls "
                                            "(set VAPID_PRIVATE_KEY, or let `make run` write instance/vapid_private.pem)",
                     warning=True)
    try:
        _signer, public = vapid_from(config.get("VAPID_PRIVATE_KEY"), config.get("VAPID_PUBLIC_KEY") or "")
    except NotConfigured as exc:
        return Check("Push (VAPID)", False, f"{exc}: push stays off until the key pair is right")
    subject = config.get("VAPID_SUBJECT") or ""
    if not subject.startswith(("mailto:", "https://")):
        return Check("Push (VAPID)", False, f"VAPID_SUBJECT must be mailto:… or https://… (it is {subject!r}): "
                                            "push services refuse other contacts")
    return Check("Push (VAPID)", True, f"key pair valid (public key {public[:12]}…), contact {subject}")


def _twilio_client(sid: str, token: str, api_base: Optional[str]):
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(sid, token, http_client=TwilioHttpClient(timeout=10))
    if api_base:
        client.api.base_url = api_base.rstrip("/")
    return client


def diagnose(config, get: Callable = requests.get, now: Optional[datetime] = None) -> list[Check]:
    """Every check, in the order an operator fixes things."""
    return [
        _secret(config),
        _database_clock(utcnow() if now is None else now),
        _migrations(),
        _public_url(config, get),
        _twilio(config, lambda sid, token: _twilio_client(sid, token, config.get("TWILIO_API_BASE"))),
        _vapid(config),
    ]

"""Configuration read from the environment (see README, "Configuration")."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'tocongnghe.db'}"
    # Accept the common postgres:// spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


DEFAULT_SECRET_KEYS = {"", "dev-only-change-me"}  # refused outside debug/testing (app.check_secret_key)
SECRET_KEY_FILE = ROOT / "instance" / "secret_key"  # `make run` / `make bench` write one (0600)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else the instance file, else nothing (refused in production)."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if not key and SECRET_KEY_FILE.is_file():
        key = SECRET_KEY_FILE.read_text().strip()
    return key


def ensure_secret_key_file() -> None:
    """For `make run` / `make bench`: a random key in instance/secret_key (0600), kept across runs."""
    if not SECRET_KEY_FILE.is_file():
        SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")


VAPID_KEY_FILE = ROOT / "instance" / "vapid_private.pem"  # `make run` writes one (0600): Web Push's VAPID key


def ensure_vapid_key_file() -> None:
    """For `make run`: a VAPID key pair (ECDSA P-256, PEM) in instance/vapid_private.pem (0600), kept
    across runs: browsers subscribe to one application server key, so a new key would orphan every
    subscription. VAPID_PRIVATE_KEY in the environment wins over the file."""
    if VAPID_KEY_FILE.is_file() or os.environ.get("VAPID_PRIVATE_KEY"):
        return
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    VAPID_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(VAPID_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(vapid.private_pem())


def _vapid_private_key() -> str:
    """VAPID_PRIVATE_KEY (raw base64url, DER base64 or PEM), else the instance file, else none."""
    key = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
    if not key and VAPID_KEY_FILE.is_file():
        key = VAPID_KEY_FILE.read_text().strip()
    return key


def _is_https() -> bool:
    return os.environ.get("PUBLIC_BASE_URL", "").lower().startswith("https://")


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = _database_url()
    # No pool_pre_ping: it costs a round trip on every request; recycle connections instead.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    TZ_DISPLAY = os.environ.get("TZ_DISPLAY", "Asia/Ho_Chi_Minh")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = os.environ.get("TWILIO_FROM")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID")
    TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE")
    # Voice calls (Programmable Voice): the calling number (default TWILIO_FROM), how long it rings,
    # the <Say> voice and language (Google's vi-VN voices: Google.vi-VN-Standard-A…D, -Wavenet-A…D),
    # or a recorded message per kind (<Play> of an audio URL, instead of <Say>).
    TWILIO_VOICE_FROM = os.environ.get("TWILIO_VOICE_FROM")
    TWILIO_VOICE_RING_SECONDS = int(os.environ.get("TWILIO_VOICE_RING_SECONDS", "30"))
    TWILIO_VOICE_NAME = os.environ.get("TWILIO_VOICE_NAME", "Google.vi-VN-Standard-A")
    TWILIO_VOICE_LANGUAGE = os.environ.get("TWILIO_VOICE_LANGUAGE", "vi-VN")
    TWILIO_VOICE_AUDIO = {kind: url for kind, url in (("escalation", os.environ.get("TWILIO_VOICE_AUDIO_ESCALATION")),)
                          if url}
    # A dispatcher's claim on a row it has not started sending: after this, another may take it.
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "60"))
    # An SMS still "sent" this long without a final receipt: ask Twilio (every 5 min, at most
    # SMS_RECONCILE_LIMIT a run); still not final this many hours after sending: failed visibly.
    SMS_RECEIPT_WAIT_MINUTES = float(os.environ.get("SMS_RECEIPT_WAIT_MINUTES", "15"))
    SMS_RECEIPT_GIVE_UP_HOURS = float(os.environ.get("SMS_RECEIPT_GIVE_UP_HOURS", "72"))
    SMS_RECONCILE_LIMIT = int(os.environ.get("SMS_RECONCILE_LIMIT", "200"))
    # Web Push (the duty app's notifications): the VAPID key pair and the contact push services see
    # (RFC 8292: a mailto: or https: URI). No private key: push is off, SMS and calls carry alerts.
    VAPID_PRIVATE_KEY = _vapid_private_key()
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "").strip()  # checked against the private key
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:tcn@localhost")
    # Where subscriptions may point (the browsers' push services; a host or a parent domain): the
    # server POSTs to a subscription's endpoint, so an endpoint is never any URL a client sends.
    PUSH_SERVICE_HOSTS = tuple(h.strip().lower() for h in os.environ.get(
        "PUSH_SERVICE_HOSTS", "fcm.googleapis.com,updates.push.services.mozilla.com,push.apple.com,"
        "notify.windows.com").split(",") if h.strip())
    # Origins allowed over plain http (the local fake push service of tests and the demo); else https only.
    PUSH_INSECURE_ORIGINS = tuple(o.strip().rstrip("/") for o in os.environ.get("PUSH_INSECURE_ORIGINS", "").split(",")
                                  if o.strip())
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = TZ_DISPLAY
    LANGUAGES = ("vi", "en")
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # a 5 MB spreadsheet import plus the form around it
    # Photos sent with task comments (re-encoded JPEGs, random names); served only through the app.
    TASK_PHOTO_DIR = os.environ.get("TASK_PHOTO_DIR") or str(ROOT / "instance" / "uploads")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = _is_https()
    REMEMBER_COOKIE_SECURE = _is_https()
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # "keep me signed in on this phone"
    INVITATION_TTL_HOURS = int(os.environ.get("INVITATION_TTL_HOURS", "72"))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON line per request and per log record
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")  # /metrics wants "Authorization: Bearer <it>"; unset: loopback only
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))  # per identifier and IP
    LOGIN_WINDOW_MINUTES = int(os.environ.get("LOGIN_WINDOW_MINUTES", "15"))
    LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "100"))  # an office behind one NAT
    # Reverse proxies in front that append X-Forwarded-For (production: 1); 0 ignores the header.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    PAGE_SIZE = 50
    CHECKIN_FAR_KM = float(os.environ.get("CHECKIN_FAR_KM", "10"))
    # An unconfirmed check-out sooner than this after its check-in is refused as a double tap.
    CHECKOUT_MIN_SECONDS = int(os.environ.get("CHECKOUT_MIN_SECONDS", "60"))
    ALERT_REMINDER_MINUTES = tuple(int(m) for m in os.environ.get("ALERT_REMINDER_MINUTES", "60,10").split(",") if m)
    ALERT_ESCALATION_MINUTES = int(os.environ.get("ALERT_ESCALATION_MINUTES", "10"))
    ALERT_NUDGE_MINUTES = int(os.environ.get("ALERT_NUDGE_MINUTES", "5"))  # the absent primary's own nudge
    # Escalation steps that call as well as text (1 backup, 2 commune lead, 3 province leads): "1,2"
    ALERT_CALL_STEPS = tuple(int(s) for s in os.environ.get("ALERT_CALL_STEPS", "").split(",") if s.strip())
    # A person's contact chain (issue 20 §3): the default, "channel:minutes after the step began"
    # (a call only on ALERT_CALL_STEPS), and the longest delay a person may choose on /account.
    CONTACT_DEFAULT_CHAIN = {c.split(":")[0].strip(): int(c.split(":")[1]) for c in os.environ.get(
        "CONTACT_DEFAULT_CHAIN", "push:0,sms:2,voice:5").split(",") if ":" in c}
    CONTACT_MAX_DELAY_MINUTES = int(os.environ.get("CONTACT_MAX_DELAY_MINUTES", "10"))
    # How many times the whole escalation policy (backup → commune lead → province leads) runs
    # until someone acknowledges: 1 once; 2 starts again with the backup one wait after the province step.
    ESCALATION_REPEATS = int(os.environ.get("ESCALATION_REPEATS", "1"))
    # Per person and channel, escalations at most "count/minutes,…" (coordination/messaging/rate_limits.py);
    # a limited one is deferred, never dropped. Empty: no limit.
    # Non-urgent messages (task notices, broadcasts not marked urgent, reminders to register) wait
    # out these hours, Vietnam time ("" or "off": none); duty alerts never wait (messaging/quiet_hours.py).
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "22:00-06:00")
    RATE_LIMITS = {"voice": os.environ.get("RATE_LIMIT_VOICE", "1/5,3/15"), "sms": os.environ.get("RATE_LIMIT_SMS", "1/1,5/15")}
    CALENDAR_ALARM_MINUTES = int(os.environ.get("CALENDAR_ALARM_MINUTES", "60"))  # the phone calendar's reminder
    # A volunteer gives a shift back (or asks a teammate to take it) at least this long before it starts;
    # a given-back place nobody took by RELEASE hours before the start is released: a gap, the lead alerted.
    SHIFT_GIVE_BACK_CUTOFF_HOURS = float(os.environ.get("SHIFT_GIVE_BACK_CUTOFF_HOURS", "12"))
    SHIFT_GIVE_BACK_RELEASE_HOURS = float(os.environ.get("SHIFT_GIVE_BACK_RELEASE_HOURS", "4"))
    # Forms and titles of commendation (hình thức khen thưởng), each with the level that decides it
    # (commune / province / ministry): "code|level|title;…" replaces the list.
    COMMENDATION_FORMS = tuple(tuple(f.split("|", 2)) for f in os.environ.get("COMMENDATION_FORMS", (
        "giay_khen_xa|commune|Giấy khen của Chủ tịch UBND xã;"
        "giay_khen_so|province|Giấy khen của Giám đốc Sở;"
        "bang_khen_tinh|province|Bằng khen của Chủ tịch UBND tỉnh;"
        "bang_khen_bo|ministry|Bằng khen của Bộ trưởng")).split(";") if f.count("|") == 2)
    # An open proposal waiting longer than this many days is flagged: ad-hoc (đột xuất) and regular.
    COMMENDATION_MAX_WAIT_DAYS = int(os.environ.get("COMMENDATION_MAX_WAIT_DAYS", "7"))
    COMMENDATION_MAX_WAIT_DAYS_REGULAR = int(os.environ.get("COMMENDATION_MAX_WAIT_DAYS_REGULAR", "30"))
    LIVE_CACHE_SECONDS = int(os.environ.get("LIVE_CACHE_SECONDS", "60"))  # map and dashboard figures
    MAP_TILES_URL = os.environ.get("MAP_TILES_URL")  # e.g. an OSM tile server; none by default (offline)
    MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors")
    COMPRESS_STREAMS = False  # streamed exports stay streamed
    COMPRESS_MIN_SIZE = 1024

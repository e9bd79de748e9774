"""What production must have before it starts: checked by `make prod`, each missing one named."""
from __future__ import annotations

from urllib.parse import urlsplit

from config import DEFAULT_SECRET_KEYS

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def production_problems(env: dict[str, str]) -> list[str]:
    """Plain sentences, one per setting that is missing or wrong; empty when production can start."""
    problems = []
    secret = (env.get("SECRET_KEY") or "").strip()
    if secret in DEFAULT_SECRET_KEYS:
        problems.append("SECRET_KEY is not set: a long random string, e.g. "
                        "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`; keep it: it signs "
                        "sessions and the links in SMS")
    elif len(secret) < 32:
        problems.append(f"SECRET_KEY is {len(secret)} characters: use at least 32 random ones")
    url = (env.get("PUBLIC_BASE_URL") or "").strip()
    parts = urlsplit(url)
    if not url:
        problems.append("PUBLIC_BASE_URL is not set: the address people and Twilio reach, e.g. https://tcn.example.gov.vn "
                        "(links in SMS and Twilio's signatures use it)")
    elif parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
        problems.append(f"PUBLIC_BASE_URL must start with https:// (it is {url}): the duty app, push and "
                        "Twilio's callbacks need TLS")
    elif parts.path not in ("", "/") or parts.query:
        problems.append(f"PUBLIC_BASE_URL must be the site's root, without a path (it is {url})")
    database = (env.get("DATABASE_URL") or "").strip()
    if not database:
        problems.append("DATABASE_URL is not set: postgresql://user:password@host/database")
    elif not database.startswith(("postgresql://", "postgresql+psycopg://")):
        problems.append(f"DATABASE_URL must be PostgreSQL in production (it is {database.split(':', 1)[0]}:…); "
                        "SQLite is for `make run` only")
    return problems

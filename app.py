"""Application factory: configuration, extensions, blueprints, CLI. No scheduler in here."""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from config import DEFAULT_SECRET_KEYS, Config, _secret_key
from coordination import cli
from coordination.web import i18n, login as auth, security
from coordination.web.blueprints import register_blueprints
from coordination.web.converters import BoundedIntConverter
from coordination.web.errors import register_error_handlers
from coordination.web.proxy import TrustedProxies
from coordination.web import observe
from coordination.web.extensions import compress, csrf, migrate
from coordination.web.task_comments import UploadRequest
from coordination.messaging import quiet_hours
from models import db
from models.driver import replace_dead_connections


def create_app(config: dict | None = None) -> Flask:
    """Build the web application. `config` overrides settings (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = UploadRequest  # a task comment's photo may exceed MAX_CONTENT_LENGTH
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    check_secret_key(app)
    quiet_hours.parse(app.config.get("QUIET_HOURS"))  # a malformed QUIET_HOURS stops the start, not a send
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    configure_extensions(app)
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is declared with <int:…>
    register_blueprints(app)
    app.wsgi_app = TrustedProxies(app)  # X-Forwarded-* only from TRUSTED_PROXIES proxies
    observe.init_app(app)  # first: a request refused by the next one's checks still gets its id
    register_error_handlers(app)
    cli.init_app(app)
    if not app.debug and not app.testing:
        observe.configure_logging(app.config.get("LOG_FORMAT") == "json")
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every request's headers
    return app


def check_secret_key(app: Flask) -> None:
    """Outside debug/testing a real SECRET_KEY is required: it signs sessions and SMS acknowledgement links."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key()  # the instance file may have been written since import
    if app.debug or app.testing:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = "dev-only-change-me"
        return
    if (app.config.get("SECRET_KEY") or "").strip() in DEFAULT_SECRET_KEYS:
        raise RuntimeError("SECRET_KEY is not set (or is the development default): set the SECRET_KEY "
                           "environment variable to a long random string, e.g. "
                           "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
                           "or run `make run`, which keeps one in instance/secret_key.")


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    security.init_app(app)  # headers on every response
    compress.init_app(app)

    sa.orm.configure_mappers()  # now, not in the first request of every worker
    with app.app_context():
        replace_dead_connections(db.engine)  # PostgreSQL restarted: fresh connections, no failed request
        if db.engine.dialect.name == "sqlite":
            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):  # constraints mean nothing without it
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.close()

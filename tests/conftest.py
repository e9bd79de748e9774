"""Fixtures: the app on SQLite and on PostgreSQL, a clean database per test, clients, login."""
from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from coordination import clock
from coordination.tasks.kinds import ensure_catalogue
from models import db
from tests.factories import ROLES

GEO_TABLES = {"admin_units", "legacy_units", "alembic_version"}


@pytest.fixture(autouse=True)
def _test_clock(request):
    """`pytestmark = pytest.mark.clock_at(T)` stops the clock at T for a module's tests (a class's or
    a test's mark wins); a test that stops the clock itself (clock.set_now) gets the wall clock back after."""
    mark = request.node.get_closest_marker("clock_at")
    clock.set_now(mark.args[0] if mark else None)
    yield
    clock.set_now(None)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")
    config.addinivalue_line("markers", "routes: the test cuts requests with page.route (no service worker)")
    config.addinivalue_line("markers", "clock_at(moment): the clock stands at this aware moment during the test")


# Every database test runs on both; TEST_DATABASES=sqlite narrows it (the clock-ahead run in `make test`).
DATABASES = os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.fail("TEST_DATABASE_URL is not set: run the suite with `make test` (it starts PostgreSQL)")
    return url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """One app per backend: schema built by the real migrations, geography loaded once."""
    from flask_migrate import upgrade

    from coordination.geography.units import load_geography

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SECRET_KEY": "test",
        "SERVER_NAME": None,
        "LIVE_CACHE_SECONDS": 0,
        "TASK_PHOTO_DIR": str(tmp_path_factory.mktemp("photos")),
        # No quiet hours unless a test sets them (tests/test_quiet_hours.py): a test that does not
        # stop the clock must not pass by day and fail at night, Vietnam time.
        "QUIET_HOURS": "off",
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        load_geography()
        db.session.remove()
    return app


def _clean(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in GEO_TABLES]
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                _truncate_postgresql(conn, tables)
            else:  # self-referencing teams: switch checks off while emptying, on again after; the
                # append-only triggers of audit_events step aside for the emptying and come back
                triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = 'audit_events'").all()
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for name, _sql in triggers:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
                for t in tables:
                    conn.execute(t.delete())
                for _name, sql in triggers:
                    conn.exec_driver_sql(sql)
                conn.commit()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
        ensure_catalogue()  # the kinds of work the migration wrote, emptied with the rest
        db.session.commit()


def _truncate_postgresql(conn, tables) -> None:
    """TRUNCATE waits for every other transaction on these tables. A connection some earlier test left
    idle in a transaction (a live server's thread, a leaked session) would make it wait forever — once
    the whole CI run sat there until its time ran out. Wait 30 s at most, name what held the lock, end
    those backends, and try again: the emptying goes on and the leak is visible in the output."""
    import sys

    statement = sa.text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE")
    conn.exec_driver_sql("SET lock_timeout = '30s'")
    try:
        conn.execute(statement)
    except sa.exc.OperationalError:
        conn.rollback()
        holders = conn.execute(sa.text(
            "SELECT pid, state, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()
        print(f"\nconftest: TRUNCATE waited 30 s; ending {holders}", file=sys.stderr)
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.commit()
        conn.exec_driver_sql("SET lock_timeout = '30s'")
        conn.execute(statement)
    conn.exec_driver_sql("SET lock_timeout = 0")


@pytest.fixture
def quiet_hours_on(ctx):
    """The deployment's default quiet hours (22:00–06:00, Vietnam time), for the tests about them."""
    saved = ctx.config.get("QUIET_HOURS")
    ctx.config["QUIET_HOURS"] = "22:00-06:00"
    yield
    ctx.config["QUIET_HOURS"] = saved


@pytest.fixture
def ctx(app):
    """An app context with a clean database (geography kept)."""
    _clean(app)
    with app.app_context():
        yield app
        db.session.remove()


class FreshClient(FlaskClient):
    """Requests made inside the test's app context share its `g`; empty it first so each
    request starts like a real one (signed-in user, scope and Babel locale are cached there)."""

    def open(self, *args, **kwargs):
        for key in list(vars(g)):
            delattr(g, key)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(ctx):
    ctx.test_client_class = FreshClient
    return ctx.test_client()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, identifier: str, password: str = "secret-pass-1"):
        return self.client.post("/login", data={"identifier": identifier, "password": password})

    def as_user(self, user) -> None:
        """Sign in without a round trip (flask-login's session keys)."""
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()  # "id:session_version", as login_user writes it
            session["_fresh"] = True

    def check_route(self, world, role: str, route) -> None:
        """One cell of a permission matrix: `route` is (method, path, data, statuses per ROLES)."""
        method, path, data, expected = route
        if role != "anonymous":
            self.as_user(world.users()[role])
        if method == "GET":
            response = self.client.get(path)
        elif path.startswith("/api/"):
            response = self.client.post(path, json=data)
        else:
            response = self.client.post(path, data=data)
        want = expected[ROLES.index(role)]
        assert response.status_code == want, (method, path, role, response.get_data(as_text=True)[:300])
        if role == "anonymous" and want == 302:
            assert "/login" in response.headers["Location"]

    def logout(self) -> None:
        with self.client.session_transaction() as session:
            session.clear()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def world(ctx):
    from tests.factories import build_world

    return build_world()


@pytest.fixture
def twilio(ctx):
    """A running fake Twilio server, and the app configured to use it."""
    from dev.sms_sandbox import FakeTwilio

    fake = FakeTwilio().start()
    saved = {k: ctx.config.get(k) for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM",
                                             "TWILIO_API_BASE", "PUBLIC_BASE_URL")}
    ctx.config.update(TWILIO_ACCOUNT_SID=fake.account_sid, TWILIO_AUTH_TOKEN=fake.auth_token,
                      TWILIO_FROM="+15005550006", TWILIO_API_BASE=fake.url, PUBLIC_BASE_URL="https://tcn.example.vn")
    yield fake
    ctx.config.update(saved)
    fake.stop()


# Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(ctx):
    server = make_server("127.0.0.1", 0, ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()

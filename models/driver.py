"""Hot paths straight through the database driver: statements built once with SQLAlchemy Core,
rendered once per dialect, run on a pooled DB-API connection in autocommit mode.

Why: a tap on the duty app is two small statements, and SQLAlchemy's per-execution bookkeeping
(connection wrapper, execution context, result wrapper) cost more CPU than PostgreSQL spent on
them (bench/bench_duty.py). The SQL still comes from the same Core objects as everywhere else;
only the execution skips the middle layer. Each statement is its own transaction: use this only
where every write is a single statement."""
from __future__ import annotations

import select
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event

from models.base import db


class DriverStatements:
    """Runs Core statements on one DB-API connection; `rows(stmt, params)` answers tuples. One
    parameter set per statement: lists go in as PostgreSQL arrays."""

    _compiled: dict = {}  # (statement, dialect name) -> (compiled, bind processors); statements are built once

    def __init__(self, dbapi_connection, dialect):
        self.connection, self.dialect = dbapi_connection, dialect

    def rows(self, statement, params: dict) -> list[tuple]:
        key = (statement, self.dialect.name)
        if key not in self._compiled:
            compiled = statement.compile(dialect=self.dialect)
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("expanding parameters render anew each time: pass lists as one array")
            self._compiled[key] = (compiled, compiled.construct_expanded_state(params).processors)
        compiled, processors = self._compiled[key]
        values = {k: (processors[k](v) if k in processors else v) for k, v in compiled.construct_params(params).items()}
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(compiled.string, values, prepare=True)
                return cursor.fetchall() if cursor.pgresult.nfields else []  # not .description: it builds columns
        except self.connection.IntegrityError as err:  # callers handle SQLAlchemy's kind
            raise sa.exc.IntegrityError(compiled.string, values, err) from err
        except (self.connection.OperationalError, self.connection.InterfaceError) as err:  # the server went away
            raise sa.exc.OperationalError(compiled.string, values, err,
                                          connection_invalidated=self.connection.broken) from err

    def execute(self, statement, params: dict) -> None:
        """Run a statement for its effect."""
        self.rows(statement, params)


class SessionStatements:
    """The same interface as DriverStatements on a SQLAlchemy connection (in the session's
    transaction), so code written against `.dialect`, `.rows` and `.execute` runs on either.
    `params` may also be a list of dicts: an executemany."""

    def __init__(self, connection: sa.Connection):
        self.connection, self.dialect = connection, connection.dialect

    def rows(self, statement, params) -> list:
        return self.connection.execute(statement, params).all()

    def execute(self, statement, params) -> None:
        self.connection.execute(statement, params)


def replace_dead_connections(engine: sa.Engine) -> None:
    """On PostgreSQL, a pooled connection whose server has gone — PostgreSQL restarted, or the
    backend was terminated — is replaced on checkout, before anyone uses it, and so is every
    other connection the pool opened before it (they went with the same server). The check
    costs no round trip, unlike `pool_pre_ping`: an idle connection has nothing to read, so a
    readable socket means the server said goodbye ("terminating connection …") or hung up. The
    rare false alarm (a notice arriving on an idle connection) merely costs a fresh connection.
    A server that vanished without a word (a cut cable) is not seen here; the request fails and
    the connection is dropped (`DriverStatements.rows`, SQLAlchemy's own disconnect handling)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, _record, _proxy):
        connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        try:
            gone = connection.closed or bool(select.select([connection.fileno()], [], [], 0)[0])
        except (OSError, ValueError, connection.OperationalError):
            gone = True
        if gone:
            raise sa.exc.InvalidatePoolError("the database server closed the connection")


def _engine() -> sa.Engine:
    """The application's database with a small pool of its own whose sessions always use generic
    plans for prepared statements. The hot statements are prepared (psycopg prepares a statement
    after its 5th run on a connection), but PostgreSQL's default would keep planning them anew —
    their generic plan looks dearer on paper — and planning took 1.9 ms of a 0.4 ms query. Set
    here, not on the main pool: there, reports with skewed parameters deserve their custom plans.
    Its connections stay in autocommit mode, so there is no transaction to reset on return."""
    engine = current_app.extensions.get("hot_path_engine")
    if engine is None:
        engine = current_app.extensions["hot_path_engine"] = sa.create_engine(
            db.engine.url, pool_size=2, max_overflow=8, pool_recycle=1800, isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None, connect_args={"options": "-c plan_cache_mode=force_generic_plan"})
        replace_dead_connections(engine)
    return engine


@contextmanager
def autocommit_statements() -> Iterator[DriverStatements]:
    """A pooled PostgreSQL connection in autocommit mode for the block."""
    engine = _engine()
    fairy = engine.raw_connection()
    connection = fairy.driver_connection
    try:
        yield DriverStatements(connection, engine.dialect)
    finally:
        if connection.closed or connection.broken:
            fairy.invalidate()  # the pool opens a fresh one next time
        fairy.close()

"""Shared database pieces: the `db` object, naming conventions and UTC timestamps."""
from __future__ import annotations

import functools
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from coordination.clock import utcnow

MAX_ID = 2**31 - 1  # ids and counts are INTEGER columns (int4 on PostgreSQL): nothing larger names a row

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def partial(where: str) -> dict:
    """Keyword arguments of an sa.Index that covers only the rows matching `where`, on both databases."""
    condition = sa.text(where)
    return {"postgresql_where": condition, "sqlite_where": condition}


class UTCDateTime(sa.types.TypeDecorator):
    """Stores aware datetimes as UTC; refuses naive ones; always returns aware UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def insert_many(model, rows: list[dict], *returning) -> list:
    """INSERT many rows in one executemany on the Core table (SQLAlchemy batches them as multi-row
    VALUES, compiled once), returning the given columns. The ORM's bulk insert with RETURNING
    splices result sets row by row and took 10 s for 10,000 people. Portable (SQLite and
    PostgreSQL); see insert_rows for the check-in batch, where PostgreSQL's cost of parsing one
    multi-row VALUES statement dominated."""
    if not rows:
        return []
    statement = sa.insert(model.__table__)
    if returning:
        return db.session.execute(statement.returning(*returning, sort_by_parameter_order=True), rows).all()
    db.session.execute(statement, rows)
    return []


@functools.cache
def _unnest_statement(table: sa.Table, keys: tuple, returning: tuple):
    arrays = [sa.bindparam(k, type_=postgresql.ARRAY(table.c[k].type)) for k in keys]  # rendered with ::type[]
    rows = sa.func.unnest(*arrays).table_valued(*keys).render_derived(name="batch")
    statement = sa.insert(table).from_select(list(keys), sa.select(*rows.c))
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement


def insert_rows(conn, model, rows: list[dict], *returning: str) -> list:
    """Many rows on `conn` (models.driver's DriverStatements or SessionStatements), returning the
    named columns (in no particular order). On PostgreSQL one INSERT … SELECT FROM unnest(one array
    per column): one parameter per column whatever the number of rows, so it is parsed and planned
    as quickly for 500 rows as for 5 (a 500-row VALUES list has 6,500 parameters). Elsewhere
    (SQLite) an executemany. Every row must have the same keys."""
    if not rows:
        return []
    table = model.__table__
    if conn.dialect.name == "postgresql":
        keys = tuple(rows[0])
        statement, params = _unnest_statement(table, keys, returning), {k: [row[k] for row in rows] for k in keys}
    else:
        statement, params = sa.insert(table), rows
        statement = statement.returning(*(table.c[n] for n in returning)) if returning else statement
    if returning:
        return conn.rows(statement, params)
    conn.execute(statement, params)
    return []

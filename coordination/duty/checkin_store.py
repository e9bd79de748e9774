"""The check-in hot path's SQL, behind named functions: `connection_for` a batch, `load_context`
(one round trip: the account, its shifts, home team, sessions and stored UUIDs) and `write` (one
statement for a tap on PostgreSQL, a handful for a batch). The rules are in checkins.py.

Every function takes a connection with `.dialect`, `.rows(statement, params)` and
`.execute(statement, params)`: models.driver's DriverStatements (straight through the driver) or
SessionStatements (a SQLAlchemy connection), whichever `connection_for` chose."""
from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterator, NamedTuple, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models import AdminUnit, CheckIn, DutySession, Membership, Shift, ShiftAssignment, Team, User, db
from models.base import insert_rows
from models.driver import SessionStatements, autocommit_statements
from models.teams import COMMUNE, VILLAGE


class ShiftSlot(NamedTuple):
    """One of the person's shifts around the batch."""
    id: int
    team_id: int
    starts_at: datetime
    ends_at: datetime


class Place(NamedTuple):
    """Where a team is: its province and its commune's centre (lat/lon may be None)."""
    province_code: Optional[str]
    lat: Optional[float]
    lon: Optional[float]


NOWHERE = Place(None, None, None)


class OpenSession(NamedTuple):
    """The person's open duty session."""
    id: Optional[int]  # None: opened by the batch being decided, not stored yet
    started_at: datetime


class ClosedSession(NamedTuple):
    """An ended duty session around the batch."""
    started_at: datetime
    ended_at: datetime


class SessionEnd(NamedTuple):
    """The stored open session a batch ends: when, and whether the check-out was far."""
    session_id: int
    ended_at: datetime
    far: bool


@dataclass
class Context:
    """What a batch needs to know about the user, loaded in one statement."""
    person_id: Optional[int]  # None: no such active account
    home_team_id: Optional[int] = None
    shifts: list[ShiftSlot] = field(default_factory=list)
    places: dict[int, Place] = field(default_factory=dict)  # team id -> where it is
    open_session: Optional[OpenSession] = None
    stored: dict[str, int] = field(default_factory=dict)  # client uuid -> check-in id, for items already stored
    closed: list[ClosedSession] = field(default_factory=list)


@dataclass
class Changes:
    """What a batch writes: check-in rows, the stored open session it ends, the sessions it opens."""
    checkins: list[dict] = field(default_factory=list)
    ended: Optional[SessionEnd] = None
    opened: list[dict] = field(default_factory=list)


@contextmanager
def connection_for(n_items: int) -> Iterator:
    """One tap on PostgreSQL — the common case, a volunteer pressing the button — runs without a
    transaction around it, straight through the driver (models/driver.py): the context read and
    the single write statement (check-in and session together, see `write`) are each atomic on
    their own, which saves the BEGIN and COMMIT round trips. Everything else runs in the session's
    transaction, committed when the block ends without an error."""
    if n_items == 1 and db.engine.dialect.name == "postgresql":
        with autocommit_statements() as conn:
            yield conn
        return
    yield session_connection()
    db.session.commit()


def session_connection() -> SessionStatements:
    """The session's connection, in its transaction (the caller commits)."""
    return SessionStatements(db.session.connection())


def rollback() -> None:
    """Give up the session's transaction (a lost race: the batch is answered again)."""
    db.session.rollback()


@functools.cache
def _context_statement(dialect: str):
    """Built once per dialect (bind parameters: user, version, earliest, latest, uuids; constants
    are written into the SQL, fewer parameters to send): whose account it is (only if it is active),
    their shifts around the batch, their home team, their open session, and which of the batch's
    UUIDs are stored. Answering for the account here is what lets a tap from a signed-in phone cost
    one read and one write, with no separate look-up of the user. PostgreSQL takes the UUIDs as one
    array, so the statement's text is the same for any batch size and stays prepared; SQLite gets an
    IN list. Each row says what it is (`row_kind`); `id` is that thing's id (the person's, the shift's,
    the session's, the check-in's)."""
    earliest, latest = sa.bindparam("earliest"), sa.bindparam("latest")
    version = sa.bindparam("version", type_=sa.Integer)  # the session's; -1: not a cookie session (token)
    account = sa.select(User.person_id).where(User.id == sa.bindparam("user"), User.is_active_account,
                                              sa.or_(version == -1, User.session_version == version)).cte("account")
    person = sa.select(account.c.person_id).scalar_subquery()  # the account is looked up once
    int_null, time_null = sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), Shift.starts_at.type)
    text_null, float_null = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Float)

    def columns(row_kind, id_, team_id=int_null, starts_at=time_null, ends_at=time_null, province_code=text_null,
                lat=float_null, lon=float_null, client_uuid=text_null):  # row_kind: written into the SQL
        return [sa.literal_column(f"'{row_kind}'", sa.String).label("row_kind"), id_.label("id"),
                team_id.label("team_id"), starts_at.label("starts_at"), ends_at.label("ends_at"),
                province_code.label("province_code"), lat.label("lat"), lon.label("lon"),
                client_uuid.label("client_uuid")]

    me = sa.select(*columns("me", account.c.person_id))
    shifts = (sa.select(*columns("shift", Shift.id, Shift.team_id, Shift.starts_at, Shift.ends_at,
                                 Team.province_code, AdminUnit.lat, AdminUnit.lon))
              .select_from(Shift).join(Team, Team.id == Shift.team_id)
              .outerjoin(AdminUnit, AdminUnit.code == Team.admin_unit_code)
              .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
              .where(ShiftAssignment.person_id == person, Shift.ends_at >= earliest, Shift.starts_at <= latest))
    home = (sa.select(*columns("home", int_null, Team.id, province_code=Team.province_code, lat=AdminUnit.lat,
                               lon=AdminUnit.lon))
            .select_from(Team).outerjoin(AdminUnit, AdminUnit.code == Team.admin_unit_code)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.person_id == person, Membership.end_date.is_(None),
                   Team.level.in_([sa.literal_column(f"'{COMMUNE}'"), sa.literal_column(f"'{VILLAGE}'")]))
            .order_by(Team.level, Team.id).limit(sa.literal_column("1")).subquery())
    open_ = sa.select(*columns("open", DutySession.id, DutySession.team_id, DutySession.started_at)).where(
        DutySession.person_id == person, DutySession.ended_at.is_(None))
    uuids = (CheckIn.client_uuid == sa.any_(sa.bindparam("uuids", type_=postgresql.ARRAY(sa.String)))
             if dialect == "postgresql" else CheckIn.client_uuid.in_(sa.bindparam("uuids", expanding=True)))
    stored = sa.select(*columns("stored", CheckIn.id, client_uuid=CheckIn.client_uuid)).where(uuids)
    closed = sa.select(*columns("closed", DutySession.id, DutySession.team_id, DutySession.started_at,
                                DutySession.ended_at)).where(
        DutySession.person_id == person, DutySession.started_at <= latest, DutySession.ended_at >= earliest)
    return sa.union_all(me, shifts, sa.select(home), open_, stored, closed)


def load_context(conn, user_id: int, uuids: list[str], times: list[datetime], now: datetime,
                 session_version: int = -1) -> Context:
    """One round trip for everything a batch needs to know: `uuids` and `times` are its items'."""
    times = times or [now]
    rows = conn.rows(_context_statement(conn.dialect.name), {
        "user": user_id, "version": session_version, "uuids": uuids,
        "earliest": min(times) - timedelta(days=1), "latest": max(times) + timedelta(days=1)})
    ctx = Context(None)
    for row_kind, id_, team_id, starts_at, ends_at, province_code, lat, lon, client_uuid in rows:
        if row_kind == "me":
            ctx.person_id = id_
        elif row_kind == "stored":
            ctx.stored[client_uuid] = id_
        elif row_kind == "open":
            ctx.open_session = OpenSession(id_, _aware(starts_at))
        elif row_kind == "closed":
            ctx.closed.append(ClosedSession(_aware(starts_at), _aware(ends_at)))
        else:
            ctx.places[team_id] = Place(province_code, lat, lon)
            if row_kind == "home":
                ctx.home_team_id = team_id
            else:
                ctx.shifts.append(ShiftSlot(id_, team_id, _aware(starts_at), _aware(ends_at)))
    return ctx


def _aware(value):
    """Union queries lose the column type on SQLite: make sure datetimes come back aware UTC."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def write(conn, changes: Changes) -> dict[str, int]:
    """Store the accepted check-ins and the session changes they make; returns client uuid -> id."""
    if not changes.checkins:
        return {}
    if conn.dialect.name == "postgresql" and len(changes.checkins) == 1:  # a tap: one round trip
        row, opened, ended = changes.checkins[0], (changes.opened[0] if changes.opened else None), changes.ended
        params = {"c_" + k: v for k, v in row.items()} | {"s_" + k: v for k, v in (opened or {}).items()}
        if ended:
            params.update(s_id=ended.session_id, s_ended_at=ended.ended_at, s_far=ended.far)
        return dict(conn.rows(_tap_statement(tuple(row), None if opened is None else tuple(opened)), params))
    ids = dict(insert_rows(conn, CheckIn, changes.checkins, "client_uuid", "id"))
    if changes.ended:  # before any new session opens: one open session per person
        ended = changes.ended
        conn.execute(sa.update(DutySession).where(DutySession.id == ended.session_id)
                     .values(ended_at=ended.ended_at, far=sa.or_(DutySession.far, ended.far)), {})
    insert_rows(conn, DutySession, changes.opened)
    return ids


@functools.cache
def _tap_statement(checkin_keys: tuple, session_keys: Optional[tuple]):
    """One check-in and the duty session it opens (session_keys) or closes (None), as one
    PostgreSQL statement: the session change rides along as a data-modifying CTE. Built once per
    shape, so SQLAlchemy's compiled cache and psycopg's prepared statements both apply. The
    parameters are prefixed: a parameter named like a column would join the UPDATE's SET list."""
    stmt = (sa.insert(CheckIn).values({k: sa.bindparam("c_" + k) for k in checkin_keys})
            .returning(CheckIn.client_uuid, CheckIn.id))
    if session_keys is None:
        change = (sa.update(DutySession).where(DutySession.id == sa.bindparam("s_id"))
                  .values(ended_at=sa.bindparam("s_ended_at"),
                          far=sa.or_(DutySession.far, sa.bindparam("s_far", type_=sa.Boolean)))
                  .cte("closed"))
    else:
        change = sa.insert(DutySession).values({k: sa.bindparam("s_" + k) for k in session_keys}).cte("opened")
    return stmt.add_cte(change)

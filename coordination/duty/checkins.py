"""Check-in and check-out: one tap online, or a queue of taps sent later from a phone that was offline.

Items are idempotent on their client UUID, keep the device time (`occurred_at`) beside the
server's (`received_at`), and are answered one by one: a bad item never sinks the others.
A batch costs a handful of statements whatever its size."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from flask_babel import lazy_gettext as _l

from models import AdminUnit, CheckIn, DutySession, Membership, Shift, ShiftAssignment, Team, User, db
from models.base import MAX_ID, insert_rows
from models.driver import DriverStatements, autocommit_statements
from models.shifts import CHECK_IN, CHECK_OUT
from models.teams import COMMUNE, VILLAGE

from coordination.core import device
from coordination.clock import to_local, utcnow
from coordination.core.errors import ValidationError

MAX_BATCH = 500
MIN_SESSION = timedelta(seconds=60)  # an unconfirmed check-out sooner than this after its check-in is a double tap
EARLY = timedelta(hours=1)  # a check-in up to an hour before a shift counts for that shift
DEFAULT_FAR_KM = 10.0

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
ALREADY_IN, NOT_IN, TOO_SOON = "already_checked_in", "not_checked_in", "unconfirmed_check_out"
OVERLAP = "overlaps_session"


@dataclass
class Item:
    client_uuid: str
    kind: str
    occurred_at: datetime
    shift_id: Optional[int] = None
    lat: Optional[float] = None
    lon: Optional[float] = None
    accuracy_m: Optional[float] = None
    confirmed: bool = False  # the person confirmed a check-out (the app asks before sending one)


@dataclass
class Result:
    client_uuid: Optional[str]
    status: str
    id: Optional[int] = None
    error: Optional[str] = None
    field: Optional[str] = None
    far: bool = False
    code: Optional[str] = None  # why a rejection: ALREADY_IN, NOT_IN, TOO_SOON (for the app), else None

    def as_dict(self) -> dict:
        out = {"client_uuid": self.client_uuid, "status": self.status}
        for key in ("id", "error", "field", "code"):
            if getattr(self, key) is not None:
                out[key] = str(getattr(self, key)) if key == "error" else getattr(self, key)
        if self.status == ACCEPTED:
            out["far"] = self.far
        return out


class ItemError(Exception):
    def __init__(self, message, field: str, code: Optional[str] = None):
        super().__init__(str(message))
        self.message, self.field, self.code = message, field, code


def _number(raw: dict, key: str, low: float, high: float) -> Optional[float]:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ItemError(_l("%(field)s must be a number from %(a)s to %(b)s.", field=key, a=low, b=high), key)
    return float(value)


def parse_item(raw: Any, now: datetime) -> Item:
    """One item of a batch, validated; raises ItemError naming the field."""
    if not isinstance(raw, dict):
        raise ItemError(_l("Each item must be an object."), "item")
    try:
        client_uuid = device.client_uuid(raw.get("client_uuid"))
        kind = raw.get("kind")
        if kind not in (CHECK_IN, CHECK_OUT):
            raise ItemError(_l("kind must be “in” or “out”."), "kind")
        occurred = device.device_time(raw.get("occurred_at"), now)
    except ValidationError as err:
        raise ItemError(err.message, err.field) from None
    confirmed = raw.get("confirmed", False)
    if not isinstance(confirmed, bool):
        raise ItemError(_l("confirmed must be true or false."), "confirmed")
    shift_id = raw.get("shift_id")
    if isinstance(shift_id, float) and shift_id.is_integer() and abs(shift_id) <= MAX_ID:
        shift_id = int(shift_id)  # 7.0 is an integer to JSON Schema and JavaScript
    if shift_id is not None and (isinstance(shift_id, bool) or not isinstance(shift_id, int)
                                 or not 0 < shift_id <= MAX_ID):
        raise ItemError(_l("shift_id must be a whole number."), "shift_id")
    lat, lon = _number(raw, "lat", -90, 90), _number(raw, "lon", -180, 180)
    if (lat is None) != (lon is None):
        raise ItemError(_l("Send lat and lon together."), "lat")
    return Item(client_uuid, kind, occurred, shift_id, lat, lon, _number(raw, "accuracy_m", 0, 100_000), confirmed)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


class NotSignedIn(Exception):
    """The user is unknown or their account is switched off."""


@dataclass
class _Context:
    """What a batch needs to know about the user, loaded in one statement."""
    person_id: Optional[int]  # None: no such active account
    home_team: Optional[int]
    shifts: list  # (shift id, team id, starts_at, ends_at) of the person's shifts around the batch
    teams: dict  # team id -> (province code, lat, lon)
    open_session: Optional[tuple[int, datetime]]  # (id, started_at) of the open duty session
    existing: dict  # client uuid -> check-in id, for items already stored
    closed: list = field(default_factory=list)  # (started_at, ended_at) of ended sessions around the batch


@functools.cache
def _context_statement(dialect: str):
    """Built once per dialect (bind parameters: user, earliest, latest, uuids; constants are written
    into the SQL, fewer parameters to send): whose account it is
    (only if it is active), their shifts around the batch, their home team, their open session, and
    which of the batch's UUIDs are stored. Answering for the account here is what lets a tap from a
    signed-in phone cost one read and one write, with no separate look-up of the user. PostgreSQL
    takes the UUIDs as one array, so the statement's text is the same for any batch size and stays
    prepared; SQLite gets an IN list."""
    earliest, latest = sa.bindparam("earliest"), sa.bindparam("latest")
    version = sa.bindparam("version", type_=sa.Integer)  # the session's; -1: not a cookie session (token)
    account = sa.select(User.person_id).where(User.id == sa.bindparam("user"), User.is_active_account,
                                              sa.or_(version == -1, User.session_version == version)).cte("account")
    person = sa.select(account.c.person_id).scalar_subquery()  # the account is looked up once
    int_null, time_null = sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), Shift.starts_at.type)
    text_null, float_null = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Float)

    def columns(what, province, lat, lon, sid, tid, starts, ends):  # what: written into the SQL, not a parameter
        return [province.label("province"), lat.label("lat"), lon.label("lon"),
                sa.literal_column(f"'{what}'", sa.String).label("what"),
                sid.label("sid"), tid.label("tid"), starts.label("starts"), ends.label("ends")]

    me = sa.select(*columns("me", text_null, float_null, float_null, account.c.person_id, int_null, time_null,
                            time_null))
    shifts = (sa.select(*columns("shift", Team.province_code, AdminUnit.lat, AdminUnit.lon, Shift.id, Shift.team_id,
                                 Shift.starts_at, Shift.ends_at))
              .select_from(Shift).join(Team, Team.id == Shift.team_id)
              .outerjoin(AdminUnit, AdminUnit.code == Team.admin_unit_code)
              .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
              .where(ShiftAssignment.person_id == person, Shift.ends_at >= earliest, Shift.starts_at <= latest))
    home = (sa.select(*columns("home", Team.province_code, AdminUnit.lat, AdminUnit.lon, int_null, Team.id,
                               time_null, time_null))
            .select_from(Team).outerjoin(AdminUnit, AdminUnit.code == Team.admin_unit_code)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.person_id == person, Membership.end_date.is_(None),
                   Team.level.in_([sa.literal_column(f"'{COMMUNE}'"), sa.literal_column(f"'{VILLAGE}'")]))
            .order_by(Team.level, Team.id).limit(sa.literal_column("1")).subquery())
    open_ = sa.select(*columns("open", text_null, float_null, float_null, DutySession.id, DutySession.team_id,
                               DutySession.started_at, time_null)).where(
        DutySession.person_id == person, DutySession.ended_at.is_(None))
    uuids = (CheckIn.client_uuid == sa.any_(sa.bindparam("uuids", type_=postgresql.ARRAY(sa.String)))
             if dialect == "postgresql" else CheckIn.client_uuid.in_(sa.bindparam("uuids", expanding=True)))
    stored = sa.select(*columns("stored", CheckIn.client_uuid, float_null, float_null, CheckIn.id, int_null,
                                time_null, time_null)).where(uuids)
    closed = sa.select(*columns("closed", text_null, float_null, float_null, DutySession.id, DutySession.team_id,
                                DutySession.started_at, DutySession.ended_at)).where(
        DutySession.person_id == person, DutySession.started_at <= latest, DutySession.ended_at >= earliest)
    return sa.union_all(me, shifts, sa.select(home), open_, stored, closed)


def _load_context(conn, user_id: int, items: list[Item], now: datetime, session_version: int = -1) -> _Context:
    """One round trip for everything a batch needs to know."""
    times = [i.occurred_at for i in items] or [now]
    rows = _rows(conn, _context_statement(conn.dialect.name), {
        "user": user_id, "version": session_version, "uuids": [i.client_uuid for i in items],
        "earliest": min(times) - timedelta(days=1), "latest": max(times) + timedelta(days=1)})
    ctx = _Context(None, None, [], {}, None, {})
    for province, lat, lon, what, sid, tid, starts, ends in rows:
        if what == "me":
            ctx.person_id = sid
        elif what == "stored":
            ctx.existing[province] = sid
        elif what == "open":
            ctx.open_session = (sid, _aware(starts))
        elif what == "closed":
            ctx.closed.append((_aware(starts), _aware(ends)))
        else:
            ctx.teams[tid] = (province, lat, lon)
            if what == "home":
                ctx.home_team = tid
            else:
                ctx.shifts.append((sid, tid, _aware(starts), _aware(ends)))
    return ctx


def _rows(conn, statement, params: dict) -> list:
    """Rows of a statement, on a SQLAlchemy connection or straight through the driver (a tap)."""
    if isinstance(conn, DriverStatements):
        return conn.rows(statement, params)
    return conn.execute(statement, params).all()


def _aware(value):
    """Union queries lose the column type on SQLite: make sure datetimes come back aware UTC."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def _shift_for(ctx: _Context, item: Item) -> tuple[Optional[int], Optional[int]]:
    """(shift id, team id) for an item: the named shift (must be the person's), else the shift
    being stood at that moment, else ad-hoc duty for the person's own team."""
    if item.shift_id is not None:
        match = next((s for s in ctx.shifts if s[0] == item.shift_id), None)
        if match is None:
            raise ItemError(_l("Unknown shift, or not one of yours."), "shift_id")
        return match[0], match[1]
    for sid, tid, starts, ends in ctx.shifts:
        if starts - EARLY <= item.occurred_at <= ends:
            return sid, tid
    return None, ctx.home_team


def record_checkins(user_id: int, raw_items: list, now: Optional[datetime] = None,
                    far_km: float = DEFAULT_FAR_KM, conn=None, session_version: int = -1,
                    min_session: timedelta = MIN_SESSION) -> list[Result]:
    """Store a batch of a user's check-ins/outs; returns one result per item, in order. Raises
    NotSignedIn, writing nothing, when the account is unknown or switched off, or when
    `session_version` (a cookie session's) is not the account's (the session was ended).
    Runs on `conn` (default: the session's transaction, which the caller commits)."""
    now = now or utcnow()
    conn = db.session.connection() if conn is None else conn
    results: list[Optional[Result]] = [None] * len(raw_items)
    parsed: list[tuple[int, Item]] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_items):
        try:
            item = parse_item(raw, now)
        except ItemError as err:
            cu = raw.get("client_uuid") if isinstance(raw, dict) and isinstance(raw.get("client_uuid"), str) else None
            results[i] = Result(cu, REJECTED, error=err.message, field=err.field)
            continue
        if item.client_uuid in seen:
            results[i] = Result(item.client_uuid, DUPLICATE)
            continue
        seen.add(item.client_uuid)
        parsed.append((i, item))
    ctx = _load_context(conn, user_id, [it for _i, it in parsed], now, session_version)
    if ctx.person_id is None:
        raise NotSignedIn()
    fresh = []
    for i, item in parsed:
        if item.client_uuid in ctx.existing:
            results[i] = Result(item.client_uuid, DUPLICATE, id=ctx.existing[item.client_uuid])
        else:
            fresh.append((i, item))
    if fresh:
        _apply(conn, ctx, fresh, results, now, far_km, min_session)
    return results  # type: ignore[return-value]


def submit(user_id: int, raw_items: list, far_km: float = DEFAULT_FAR_KM, session_version: int = -1,
           min_session: timedelta = MIN_SESSION) -> list[Result]:
    """The API's way in: record and commit. One tap on PostgreSQL — the common case, a volunteer
    pressing the button — runs without a transaction around it: the context read and the single
    write statement (check-in and session together, see `_write`) are each atomic on their own,
    which saves the BEGIN and COMMIT round trips; both go straight through the driver
    (models/driver.py). Everything else runs in one transaction.
    Two phones of one person racing (the same UUID, or two check-ins) meet a unique index: the
    loser is answered again from what the winner stored — duplicate, or already checked in."""
    try:
        return _submit_once(user_id, raw_items, far_km, session_version, min_session)
    except sa.exc.IntegrityError:
        db.session.rollback()
        return _submit_once(user_id, raw_items, far_km, session_version, min_session)


def _submit_once(user_id: int, raw_items: list, far_km: float, session_version: int,
                 min_session: timedelta) -> list[Result]:
    if len(raw_items) == 1 and db.engine.dialect.name == "postgresql":
        with autocommit_statements() as conn:
            return record_checkins(user_id, raw_items, far_km=far_km, conn=conn, session_version=session_version,
                                   min_session=min_session)
    results = record_checkins(user_id, raw_items, far_km=far_km, session_version=session_version,
                              min_session=min_session)
    db.session.commit()
    return results


def _refuse_overlap(closed: list, start: datetime, end: datetime) -> None:
    """A phone may send its taps days late (`occurred_at`), but a person is on duty once at a time:
    a check-in inside a session already recorded, or a session that would cover one, is refused
    (else the same week could be sent again and again, each time counted). A batch's own items
    cannot overlap: they are applied in time order, one session at a time."""
    for s, e in closed:
        if start < e and (s < end or s <= start):  # a moment inside [s, e), or two spans that overlap
            raise ItemError(_l("You were already on duty then (%(start)s–%(end)s): not counted twice.",
                               start=to_local(s).strftime("%d/%m %H:%M"), end=to_local(e).strftime("%d/%m %H:%M")),
                            "occurred_at", OVERLAP)


def _apply(conn, ctx: _Context, fresh: list[tuple[int, Item]], results: list, now: datetime, far_km: float,
           min_session: timedelta) -> None:
    person_id = ctx.person_id
    current = None if ctx.open_session is None else dict(id=ctx.open_session[0], started_at=ctx.open_session[1])
    closed_existing: Optional[tuple[int, datetime, bool]] = None
    new_sessions: list[dict] = []
    checkin_rows: list[dict] = []
    for i, item in sorted(fresh, key=lambda p: p[1].occurred_at):
        try:
            shift_id, team_id = _shift_for(ctx, item)
            if item.kind == CHECK_IN and current is not None:
                since = to_local(current["started_at"]).strftime("%d/%m %H:%M")
                raise ItemError(_l("Already checked in since %(when)s: check out first.", when=since), "kind",
                                ALREADY_IN)
            if item.kind == CHECK_OUT and current is None:
                raise ItemError(_l("Check-out without a check-in."), "kind", NOT_IN)
            if item.kind == CHECK_OUT and item.occurred_at < current["started_at"]:
                raise ItemError(_l("Check-out before its check-in."), "occurred_at")
            _refuse_overlap(ctx.closed, item.occurred_at if current is None else current["started_at"], item.occurred_at)
            if item.kind == CHECK_OUT and not item.confirmed and item.occurred_at - current["started_at"] < min_session:
                raise ItemError(_l("Check-out %(n)d seconds after checking in looks like a double tap: not "
                                   "counted. Confirm the check-out to end the session.",
                                   n=int((item.occurred_at - current["started_at"]).total_seconds())),
                                "confirmed", TOO_SOON)
        except ItemError as err:
            results[i] = Result(item.client_uuid, REJECTED, error=err.message, field=err.field, code=err.code)
            continue
        province, c_lat, c_lon = ctx.teams.get(team_id, (None, None, None))
        dist = (distance_km(item.lat, item.lon, c_lat, c_lon)
                if item.lat is not None and c_lat is not None else None)
        far = dist is not None and dist > far_km
        checkin_rows.append(dict(client_uuid=item.client_uuid, person_id=person_id, team_id=team_id,
                                 shift_id=shift_id, kind=item.kind, occurred_at=item.occurred_at, received_at=now,
                                 lat=item.lat, lon=item.lon, accuracy_m=item.accuracy_m,
                                 distance_km=None if dist is None else round(dist, 3), far=far, automatic=False))
        results[i] = Result(item.client_uuid, ACCEPTED, far=far)
        if item.kind == CHECK_IN:
            current = dict(id=None, started_at=item.occurred_at, values=dict(
                person_id=person_id, team_id=team_id, province_code=province, shift_id=shift_id,
                started_at=item.occurred_at, ended_at=None, automatic=False, far=far))
            new_sessions.append(current["values"])
        else:
            if current["id"] is not None:
                closed_existing = (current["id"], item.occurred_at, far)
            else:
                current["values"]["ended_at"] = item.occurred_at
                current["values"]["far"] = current["values"]["far"] or far
            current = None
    if not checkin_rows:
        return
    ids = _write(conn, checkin_rows, closed_existing, new_sessions)
    for result in results:
        if result is not None and result.status == ACCEPTED and result.id is None:
            result.id = ids.get(result.client_uuid)


def _write(conn, checkin_rows: list[dict], closed_existing: Optional[tuple[int, datetime, bool]],
           new_sessions: list[dict]) -> dict[str, int]:
    """Store the accepted check-ins and the session changes they make; returns client uuid -> id."""
    if conn.dialect.name == "postgresql" and len(checkin_rows) == 1:  # a tap: one round trip
        row, opened = checkin_rows[0], (new_sessions[0] if new_sessions else None)
        params = {"c_" + k: v for k, v in row.items()} | {"s_" + k: v for k, v in (opened or {}).items()}
        if closed_existing:
            params.update(s_id=closed_existing[0], s_ended_at=closed_existing[1], s_far=closed_existing[2])
        return dict(_rows(conn, _tap_statement(tuple(row), None if opened is None else tuple(opened)), params))
    ids = dict(insert_rows(conn, CheckIn, checkin_rows, "client_uuid", "id"))
    if closed_existing:  # before any new session opens: one open session per person
        sid, ended_at, far = closed_existing
        conn.execute(sa.update(DutySession).where(DutySession.id == sid)
                     .values(ended_at=ended_at, far=sa.or_(DutySession.far, far)))
    insert_rows(conn, DutySession, new_sessions)
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

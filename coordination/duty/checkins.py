"""Check-in and check-out: one tap online, or a queue of taps sent later from a phone that was offline.

Items are idempotent on their client UUID, keep the device time (`occurred_at`) beside the
server's (`received_at`), and are answered one by one: a bad item never sinks the others.
A batch costs a handful of statements whatever its size."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models.base import MAX_ID
from models.shifts import CHECK_IN, CHECK_OUT

from coordination.core import device
from coordination.clock import to_local, utcnow
from coordination.core.errors import ValidationError
from coordination.duty import checkin_store as store
from coordination.duty.checkin_store import NOWHERE, Changes, Context, OpenSession, SessionEnd

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


def _number(raw: dict, key: str, low: float, high: float) -> Optional[float]:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ValidationError(_l("%(field)s must be a number from %(a)s to %(b)s.", field=key, a=low, b=high), key)
    return float(value)


def parse_item(raw: Any, now: datetime) -> Item:
    """One item of a batch, validated; raises ValidationError naming the field."""
    if not isinstance(raw, dict):
        raise ValidationError(_l("Each item must be an object."), "item")
    client_uuid = device.client_uuid(raw.get("client_uuid"))
    kind = raw.get("kind")
    if kind not in (CHECK_IN, CHECK_OUT):
        raise ValidationError(_l("kind must be “in” or “out”."), "kind")
    occurred = device.device_time(raw.get("occurred_at"), now)
    confirmed = raw.get("confirmed", False)
    if not isinstance(confirmed, bool):
        raise ValidationError(_l("confirmed must be true or false."), "confirmed")
    shift_id = raw.get("shift_id")
    if isinstance(shift_id, float) and shift_id.is_integer() and abs(shift_id) <= MAX_ID:
        shift_id = int(shift_id)  # 7.0 is an integer to JSON Schema and JavaScript
    if shift_id is not None and (isinstance(shift_id, bool) or not isinstance(shift_id, int)
                                 or not 0 < shift_id <= MAX_ID):
        raise ValidationError(_l("shift_id must be a whole number."), "shift_id")
    lat, lon = _number(raw, "lat", -90, 90), _number(raw, "lon", -180, 180)
    if (lat is None) != (lon is None):
        raise ValidationError(_l("Send lat and lon together."), "lat")
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
class Plan:
    """A batch's decision: one result per item, in order (accepted ones get their id once written),
    and what to write."""
    results: list[Result]
    changes: Changes = field(default_factory=Changes)


def record_checkins(user_id: int, raw_items: list, now: Optional[datetime] = None,
                    far_km: float = DEFAULT_FAR_KM, conn=None, session_version: int = -1,
                    min_session: timedelta = MIN_SESSION) -> list[Result]:
    """Store a batch of a user's check-ins/outs; returns one result per item, in order. Raises
    NotSignedIn, writing nothing, when the account is unknown or switched off, or when
    `session_version` (a cookie session's) is not the account's (the session was ended).
    Runs on `conn` (see checkin_store; default: the session's transaction, which the caller commits)."""
    now = now or utcnow()
    conn = store.session_connection() if conn is None else conn
    results: list[Optional[Result]] = [None] * len(raw_items)
    parsed: list[tuple[int, Item]] = []
    for i, raw in enumerate(raw_items):
        try:
            parsed.append((i, parse_item(raw, now)))
        except ValidationError as err:
            cu = raw.get("client_uuid") if isinstance(raw, dict) and isinstance(raw.get("client_uuid"), str) else None
            results[i] = Result(cu, REJECTED, error=err.message, field=err.field)
    items = [item for _i, item in parsed]
    first = {}  # client uuid -> its first item: a repeat within the batch is a duplicate, not looked up
    for item in items:
        first.setdefault(item.client_uuid, item)
    ctx = store.load_context(conn, user_id, list(first), [item.occurred_at for item in first.values()], now,
                             session_version)
    if ctx.person_id is None:
        raise NotSignedIn()
    decision = plan(ctx, items, now, far_km, min_session)
    ids = store.write(conn, decision.changes)
    for (i, _item), result in zip(parsed, decision.results):
        if result.status == ACCEPTED:
            result.id = ids.get(result.client_uuid)
        results[i] = result
    return results  # type: ignore[return-value]


def check_batch(items: Any) -> list:
    """A batch is a list of 1 to MAX_BATCH items (each item is read by parse_item)."""
    if not isinstance(items, list) or not items:
        raise ValidationError(_l("Send “items”: a list of 1 to %(n)d check-ins.", n=MAX_BATCH), field="items")
    if len(items) > MAX_BATCH:
        raise ValidationError(_l("At most %(n)d items per batch.", n=MAX_BATCH), field="items")
    return items


def submit(user_id: int, raw_items: list, far_km: float = DEFAULT_FAR_KM, session_version: int = -1,
           min_session: timedelta = MIN_SESSION) -> list[Result]:
    """The API's way in: record and commit, on the connection checkin_store.connection_for picks
    (one tap on PostgreSQL skips the transaction). Two phones of one person racing (the same UUID,
    or two check-ins) meet a unique index: the loser is answered again from what the winner
    stored — duplicate, or already checked in."""
    check_batch(raw_items)
    try:
        with store.connection_for(len(raw_items)) as conn:
            return record_checkins(user_id, raw_items, far_km=far_km, conn=conn, session_version=session_version,
                                   min_session=min_session)
    except sa.exc.IntegrityError:
        store.rollback()
        with store.connection_for(len(raw_items)) as conn:
            return record_checkins(user_id, raw_items, far_km=far_km, conn=conn, session_version=session_version,
                                   min_session=min_session)


def plan(ctx: Context, items: list[Item], now: datetime, far_km: float = DEFAULT_FAR_KM,
         min_session: timedelta = MIN_SESSION) -> Plan:
    """Decide a batch of parsed items against what is stored (`ctx`), without the database: one
    result per item, in order, and the check-ins and session changes to write. A UUID seen earlier
    in the batch, or already stored, is a duplicate; the rest are applied in time order."""
    decision = Plan([None] * len(items))  # type: ignore[list-item]
    results, changes = decision.results, decision.changes
    seen: set[str] = set()
    fresh: list[int] = []
    for i, item in enumerate(items):
        if item.client_uuid in seen:
            results[i] = Result(item.client_uuid, DUPLICATE)
        elif item.client_uuid in ctx.stored:
            results[i] = Result(item.client_uuid, DUPLICATE, id=ctx.stored[item.client_uuid])
        else:
            fresh.append(i)
        seen.add(item.client_uuid)
    current: Optional[OpenSession] = ctx.open_session  # id None: opened by this batch, values in `opening`
    opening: Optional[dict] = None
    for i in sorted(fresh, key=lambda i: items[i].occurred_at):
        item = items[i]
        try:
            shift_id, team_id = _shift_for(ctx, item)
            _refuse_out_of_turn(ctx, item, current, min_session)
        except ValidationError as err:
            results[i] = Result(item.client_uuid, REJECTED, error=err.message, field=err.field, code=err.code)
            continue
        place = ctx.places.get(team_id, NOWHERE)
        dist = (distance_km(item.lat, item.lon, place.lat, place.lon)
                if item.lat is not None and place.lat is not None else None)
        far = dist is not None and dist > far_km
        changes.checkins.append(dict(
            client_uuid=item.client_uuid, person_id=ctx.person_id, team_id=team_id, shift_id=shift_id,
            kind=item.kind, occurred_at=item.occurred_at, received_at=now, lat=item.lat, lon=item.lon,
            accuracy_m=item.accuracy_m, distance_km=None if dist is None else round(dist, 3), far=far,
            automatic=False))
        results[i] = Result(item.client_uuid, ACCEPTED, far=far)
        if item.kind == CHECK_IN:
            opening = dict(person_id=ctx.person_id, team_id=team_id, province_code=place.province_code,
                           shift_id=shift_id, started_at=item.occurred_at, ended_at=None, automatic=False, far=far)
            changes.opened.append(opening)
            current = OpenSession(None, item.occurred_at)
        elif current.id is not None:
            changes.ended, current = SessionEnd(current.id, item.occurred_at, far), None
        else:
            opening["ended_at"], opening["far"] = item.occurred_at, opening["far"] or far
            current = None
    return decision


def _shift_for(ctx: Context, item: Item) -> tuple[Optional[int], Optional[int]]:
    """(shift id, team id) for an item: the named shift (must be the person's), else the shift
    being stood at that moment, else ad-hoc duty for the person's own team."""
    if item.shift_id is not None:
        match = next((s for s in ctx.shifts if s.id == item.shift_id), None)
        if match is None:
            raise ValidationError(_l("Unknown shift, or not one of yours."), "shift_id")
        return match.id, match.team_id
    for shift in ctx.shifts:
        if shift.starts_at - EARLY <= item.occurred_at <= shift.ends_at:
            return shift.id, shift.team_id
    return None, ctx.home_team_id


def _refuse_out_of_turn(ctx: Context, item: Item, current: Optional[OpenSession], min_session: timedelta) -> None:
    """In, out, in, out: a check-in while on duty, a check-out while off it or before its check-in,
    one that overlaps a recorded session, or an unconfirmed check-out too soon after its check-in
    (a double tap) is refused."""
    if item.kind == CHECK_IN and current is not None:
        since = to_local(current.started_at).strftime("%d/%m %H:%M")
        raise ValidationError(_l("Already checked in since %(when)s: check out first.", when=since), "kind",
                              ALREADY_IN)
    if item.kind == CHECK_OUT and current is None:
        raise ValidationError(_l("Check-out without a check-in."), "kind", NOT_IN)
    if item.kind == CHECK_OUT and item.occurred_at < current.started_at:
        raise ValidationError(_l("Check-out before its check-in."), "occurred_at")
    _refuse_overlap(ctx.closed, item.occurred_at if current is None else current.started_at, item.occurred_at)
    if item.kind == CHECK_OUT and not item.confirmed and item.occurred_at - current.started_at < min_session:
        raise ValidationError(_l("Check-out %(n)d seconds after checking in looks like a double tap: not "
                                 "counted. Confirm the check-out to end the session.",
                                 n=int((item.occurred_at - current.started_at).total_seconds())),
                              "confirmed", TOO_SOON)


def _refuse_overlap(closed: list, start: datetime, end: datetime) -> None:
    """A phone may send its taps days late (`occurred_at`), but a person is on duty once at a time:
    a check-in inside a session already recorded, or a session that would cover one, is refused
    (else the same week could be sent again and again, each time counted). A batch's own items
    cannot overlap: they are applied in time order, one session at a time."""
    for s, e in closed:
        if start < e and (s < end or s <= start):  # a moment inside [s, e), or two spans that overlap
            raise ValidationError(_l("You were already on duty then (%(start)s–%(end)s): not counted twice.",
                                     start=to_local(s).strftime("%d/%m %H:%M"),
                                     end=to_local(e).strftime("%d/%m %H:%M")),
                                  "occurred_at", OVERLAP)

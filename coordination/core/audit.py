"""Append-only audit trail: who changed what, when, before and after.

Every event carries the province (and, where there is one, the team) it happened in, so a lead
sees exactly the events inside their area (`visible_clause`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

import sqlalchemy as sa

from models import AuditEvent, Membership, Person, Team, User, db
from models.base import insert_many

from coordination.clock import local_to_utc, utcnow


def _jsonable(values: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


def record(actor_user_id: Optional[int], action: str, entity: str, entity_id: Any = None, *,
           before: Optional[dict] = None, after: Optional[dict] = None,
           province_code: Optional[str] = None, team_id: Optional[int] = None) -> None:
    """Add one event to the current transaction (it commits or rolls back with the change)."""
    db.session.add(AuditEvent(
        actor_user_id=actor_user_id, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), province_code=province_code, team_id=team_id,
        before=_jsonable(before), after=_jsonable(after),
    ))


def refused(actor_user_id: Optional[int], action: str, entity: str, entity_id: Any,
            province_code: Optional[str] = None, team_id: Optional[int] = None) -> None:
    """A privileged action refused by scope on an object that EXISTS (the attacker sees a plain 404 or
    403, nothing more). Committed at once, on its own, so the refusal's rollback cannot lose it.
    Callers record only for existing objects, so unknown ids do not fill the trail."""
    db.session.rollback()
    record(actor_user_id, "refused", entity, entity_id, after={"attempted": action},
           province_code=province_code, team_id=team_id)
    db.session.commit()


def record_many(actor_user_id: Optional[int], action: str, entity: str, events: list[dict]) -> None:
    """Many events of one kind in one INSERT (bulk imports, bulk assignments). Each dict has
    entity_id and optionally province_code, team_id, before, after."""
    if not events:
        return
    now = utcnow()
    insert_many(AuditEvent, [dict(
        at=now, actor_user_id=actor_user_id, action=action, entity=entity, entity_id=str(e["entity_id"]),
        province_code=e.get("province_code"), team_id=e.get("team_id"),
        before=_jsonable(e.get("before")), after=_jsonable(e.get("after"))) for e in events])


def person_home(person_id: Optional[int]) -> tuple[Optional[str], Optional[int]]:
    """(province, team) of a person's first active membership: where their logins and edits show up."""
    if person_id is None:
        return None, None
    row = db.session.execute(
        sa.select(Team.province_code, Team.id).join(Membership, Membership.team_id == Team.id)
        .where(Membership.person_id == person_id, Membership.end_date.is_(None))
        .order_by(Membership.start_date, Membership.id).limit(1)).first()
    return (row[0], row[1]) if row else (None, None)


# --- reading the trail ------------------------------------------------------------------------

ENTITIES = ("team", "membership", "person", "task", "shift", "rota", "broadcast", "user", "import_batch", "api_token",
            "sms", "commendation", "target", "work_kind", "movement")


@dataclass
class Filters:
    actor: str = ""  # a name or a phone
    entity: str = ""
    province: str = ""
    since: Optional[date] = None  # Vietnam dates, inclusive
    until: Optional[date] = None
    before_id: Optional[int] = None  # keyset paging: events older than this one


def visible_clause(scope):
    """Events inside a lead's area: their provinces, the teams they lead, and their own actions."""
    if scope.national:
        return sa.true()
    own = sa.select(User.id).where(User.person_id == scope.person_id).scalar_subquery()
    # a refusal is never shown to the one refused: it would confirm that the object exists
    not_own_refusal = sa.or_(AuditEvent.action != "refused", AuditEvent.actor_user_id.is_(None),
                             AuditEvent.actor_user_id != own)
    return sa.and_(sa.or_(AuditEvent.province_code.in_(scope.provinces or [""]),
                          AuditEvent.team_id.in_(scope.led_teams or [0]), AuditEvent.actor_user_id == own),
                   not_own_refusal)


def can_read(scope) -> bool:
    return scope.national or bool(scope.provinces) or bool(scope.led_teams)


def search(scope, filters: Filters, limit: int = 50) -> list[tuple[AuditEvent, Optional[str]]]:
    """Newest first: (event, the actor's name)."""
    q = (sa.select(AuditEvent, Person.full_name)
         .outerjoin(User, User.id == AuditEvent.actor_user_id).outerjoin(Person, Person.id == User.person_id)
         .where(visible_clause(scope)).order_by(AuditEvent.id.desc()).limit(limit))
    if filters.entity:
        q = q.where(AuditEvent.entity == filters.entity)
    if filters.province:
        q = q.where(AuditEvent.province_code == filters.province)
    if filters.since:
        q = q.where(AuditEvent.at >= local_to_utc(filters.since, time(0)))
    if filters.until:
        q = q.where(AuditEvent.at < local_to_utc(filters.until + timedelta(days=1), time(0)))
    if filters.before_id:
        q = q.where(AuditEvent.id < filters.before_id)
    actor = " ".join(filters.actor.split())[:120]
    if actor:
        digits = "".join(ch for ch in actor if ch.isdigit())
        match = Person.full_name.ilike(f"%{actor}%")
        if len(digits) >= 6:
            match = sa.or_(match, Person.phone.like(f"%{digits.lstrip('0')}%"))
        q = q.where(AuditEvent.actor_user_id.in_(sa.select(User.id).join(Person).where(match)))
    return list(db.session.execute(q).all())

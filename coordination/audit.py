"""Append-only audit trail: who changed what, when, before and after.

Every event carries the province (and, where there is one, the team) it happened in, so a lead
sees exactly the events inside their area (`visible_clause`)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa

from models import AuditEvent, Membership, Team, db
from models.base import insert_many, utcnow


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

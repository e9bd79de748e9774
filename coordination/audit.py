"""Append-only audit trail: who changed what, when, before and after."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from models import AuditEvent, db


def _jsonable(values: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


def record(actor_user_id: Optional[int], action: str, entity: str, entity_id: Any = None, *,
           before: Optional[dict] = None, after: Optional[dict] = None,
           province_code: Optional[str] = None) -> None:
    """Add one event to the current transaction (it commits or rolls back with the change)."""
    db.session.add(AuditEvent(
        actor_user_id=actor_user_id, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), province_code=province_code,
        before=_jsonable(before), after=_jsonable(after),
    ))

"""Lead-assessed criteria of a movement (issue 22 §1, "a criterion assessed by a lead with evidence
attached"): the level above a participating commune team — a province lead of the team's province, or
the ministry — gives it a score of 0–100 with a short note and a link to the evidence (a photo album, a
document, a news item). The score counts in the ranking like a measured figure, with the criterion's
weight, against the team's registered target. Nobody assesses a team they lead (a person who leads both
the province and the commune cannot mark their own commune); another province's lead finds the team
"not found". Assessing again replaces the score; every assessment is audited with the one it replaced."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Assessment, Movement, MovementCriterion, MovementTeam, db
from models.movements import LEAD_ASSESSED

from coordination.clock import utcnow
from coordination.core import audit
from coordination.core.errors import NotFound, ValidationError
from coordination.core.permissions import Scope
from coordination.core.text import clean_line, unsafe_character

NOTE_MAX, URL_MAX = 300, 500
_NOT_FOUND = _l("Not found, or not in your area.")


def can_assess(scope: Scope, entry: Optional[MovementTeam]) -> bool:
    """The level above the team: the ministry or a lead of its province — never one of its own leads."""
    if entry is None or entry.team_id in scope.led_teams:
        return False
    return scope.national or entry.province_code in scope.provinces


def assessed_criteria(movement: Movement) -> list[MovementCriterion]:
    return [c for c in movement.criteria if c.metric == LEAD_ASSESSED]


def current(entry: MovementTeam) -> dict[int, Assessment]:
    """{criterion id: assessment} of the team."""
    rows = db.session.scalars(sa.select(Assessment).where(Assessment.movement_team_id == entry.id))
    return {a.criterion_id: a for a in rows}


def _clean_url(raw: Optional[str]) -> str:
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_l("Attach the evidence: a link to a photo, a document or a page."), field="evidence_url")
    parts = urlsplit(text) if not unsafe_character(text) and " " not in text else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(text) > URL_MAX:
        raise ValidationError(_l("The evidence must be a web link starting with https:// (at most %(n)d characters).",
                                 n=URL_MAX), field="evidence_url")
    return text


def assess(scope: Scope, actor_user_id: Optional[int], movement: Movement, entry: Optional[MovementTeam],
           criterion_id: int, score: Optional[float], note: Optional[str], evidence_url: Optional[str]) -> Assessment:
    """Give (or replace) the team's score on one lead-assessed criterion of the movement."""
    if entry is None or entry.movement_id != movement.id or not can_assess(scope, entry):
        raise NotFound(_NOT_FOUND)
    criterion = next((c for c in assessed_criteria(movement) if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound(_NOT_FOUND)
    if score is None or not 0 <= score <= 100:
        raise ValidationError(_l("A score from 0 to 100."), field="score")
    text = clean_line(note, "note", _l("Note"))
    if not text:
        raise ValidationError(_l("Say in a few words why (the note is required)."), field="note")
    if len(text) > NOTE_MAX:
        raise ValidationError(_l("Too long (at most %(n)d characters).", n=NOTE_MAX), field="note")
    url = _clean_url(evidence_url)
    row = db.session.scalar(sa.select(Assessment).where(Assessment.movement_team_id == entry.id,
                                                        Assessment.criterion_id == criterion.id))
    before = None if row is None else {"score": row.score, "note": row.note, "evidence_url": row.evidence_url}
    if row is None:
        row = Assessment(movement_team_id=entry.id, criterion_id=criterion.id)
        db.session.add(row)
    row.score, row.note, row.evidence_url = float(score), text, url
    row.assessed_by_id, row.assessed_at = actor_user_id, utcnow()
    db.session.flush()
    audit.record(actor_user_id, "assess", "movement", movement.id, province_code=entry.province_code,
                 team_id=entry.team_id, before=before,
                 after={"name": movement.name, "count": row.score, "note": text, "evidence_url": url})
    return row

"""The audit page's words: each event as a sentence with names, and the fields that matter shown
before → after in the reader's language (status labels, kinds from the catalogue, Có/Không,
dd/mm/yyyy, people and teams by name). Labels come from web.labels, the one source of them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping, NamedTuple, Optional

from flask_babel import gettext as _, lazy_gettext as _l

from coordination.clock import to_local
from coordination.core.audit_text import describe
from coordination.core.text import num, pct
from coordination.org import audit_names
from coordination.web import labels

FIELDS = {  # the fields a lead reads, in this order; anything else (ids, tokens, lists of ids) is not shown
    "status": _l("Status"), "title": _l("Title"), "kind": _l("Kind of work"), "done_count": _l("Done"),
    "assignee_person_id": _l("Assigned to"), "flagged": _l("Flagged for checking"), "reason": _l("Reason"),
    "role": _l("Role"), "end_date": _l("End date"), "full_name": _l("Full name"), "phone": _l("Phone"),
    "email": _l("Email"), "affiliation": _l("Affiliation"), "organisation": _l("Organisation"),
    "sms_ascii": _l("SMS without diacritics"), "consent_sms": _l("Agrees to receive SMS"),
    "value": _l("Target"), "from": _l("From"), "to": _l("To"), "remote": _l("Remote area"),
    "retired": _l("Retired"), "name_vi": _l("Name (Vietnamese)"), "name_en": _l("Name (English)"),
    "unit": _l("Unit"), "counts_as_residents_helped": _l("Counts as residents helped"),
    "starts_at": _l("Starts"), "ends_at": _l("Ends"), "audience": _l("Sent to"), "recipients": _l("Recipients"),
    "urgent": _l("Urgent"), "total": _l("Rows"), "created": _l("New people"), "updated": _l("Updated"),
    "skipped": _l("Skipped"), "memberships": _l("Memberships"), "teams_created": _l("Teams created"),
    "import": _l("Import"), "batch": _l("Assigned together"), "expires_at": _l("Link valid until"),
    "identifier": _l("Signed in as"), "ip": _l("IP address"), "wait_minutes": _l("Paused (minutes)"),
    "body": _l("Message"), "name": _l("Name"),
}


class Change(NamedTuple):
    label: str
    before: Optional[str]  # None: the field had no "before" (a creation)
    after: str


def _when(raw: str) -> Optional[str]:
    """An ISO date or datetime as stored by core.audit, the Vietnamese way; None if it is neither."""
    try:
        if len(raw) == 10:
            return f"{date.fromisoformat(raw):%d/%m/%Y}"
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return f"{to_local(moment):%d/%m/%Y %H:%M}" if moment.tzinfo else f"{moment:%d/%m/%Y %H:%M}"


def value(event: Any, names: Mapping, field: str, raw: Any) -> str:
    """One stored value as the reader writes it."""
    coded = {"role": labels.SHIFT_ROLE if event.entity == "shift" else labels.ROLE,
             "affiliation": labels.AFFILIATION, "audience": labels.AUDIENCE,
             "status": labels.COMMENDATION_STATUS if event.entity == "commendation" else labels.STATUS}
    if raw is None or raw == "":
        return "—"
    if isinstance(raw, bool):
        return _("Yes") if raw else _("No")
    if field in coded:
        return str(coded[field].get(raw, raw))
    if field == "kind":
        return labels.kind(raw)
    if field in ("assignee_person_id", "person_id"):
        return names.get(("person", str(raw)), _("someone"))
    if field == "import":
        return names.get(("import_batch", str(raw)), _("an import"))
    if field == "batch":  # one bulk assignment: the day it was made, not its uuid
        return _("assignment of %(date)s", date=to_local(event.at).strftime("%d/%m/%Y"))
    if field == "value" and event.entity == "target" and (event.entity_id or "").endswith(":shift_coverage"):
        return pct(raw)
    if isinstance(raw, (int, float)):
        return num(raw)
    if isinstance(raw, str):
        return _when(raw) or raw
    return str(raw)


def _worth_showing(field: str, before: dict, after: dict) -> bool:
    """A field that changed, or a value a creation set; not an empty 'after' nobody set."""
    if field in before:
        return before[field] != after.get(field) or field not in after
    return field in after and after[field] not in (None, "")


def changes(event: Any, names: Mapping) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    shown = [f for f in FIELDS if _worth_showing(f, before, after)]
    return [Change(str(FIELDS[f]), value(event, names, f, before.get(f)) if f in before else None,
                   value(event, names, f, after.get(f))) for f in shown]


def page(rows: list) -> list[tuple[Any, str, list[Change]]]:
    """(event, sentence, changes) for a page of (event, actor name): a fixed number of queries."""
    names = audit_names.load([e for e, _actor in rows])
    names.update({("work_kind", code): name for code, name in labels.kinds().items()})
    names.update({("metric", code): str(label) for code, label in labels.TARGET_METRIC.items()})
    return [(e, describe(e, names, actor, str(labels.AUDIT_ACTION.get(e.action, e.action)),
                         str(labels.AUDIT_ENTITY.get(e.entity, e.entity)),
                         value=lambda field, raw, e=e: value(e, names, field, raw)), changes(e, names))
            for e, actor in rows]

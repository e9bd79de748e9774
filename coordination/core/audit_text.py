"""An audit event as a sentence a lead can read: names, not ids (issue 18 §6).

`describe(event, names)` is pure: `names` maps (kind, id) to a display name, loaded for a whole page
at once by the caller. A refused event never names its target: the viewer may not see it."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from flask_babel import gettext as _, lazy_gettext as _l

SENTENCES = {
    ("approve", "commendation"): _l("%(actor)s approved the commendation proposal for %(person)s"),
    ("reject", "commendation"): _l("%(actor)s rejected the commendation proposal for %(person)s"),
    ("propose", "commendation"): _l("%(actor)s proposed a commendation for %(person)s"),
    ("review", "commendation"): _l("%(actor)s reviewed the commendation proposal for %(person)s"),
    ("create", "person"): _l("%(actor)s added %(person)s"),
    ("update", "person"): _l("%(actor)s changed the details of %(person)s"),
    ("create", "team"): _l("%(actor)s created the team %(team)s"),
    ("update", "team"): _l("%(actor)s changed the team %(team)s"),
    ("login", "user"): _l("%(actor)s logged in"),
    ("logout", "user"): _l("%(actor)s logged out"),
}


def _name(names: Mapping, kind: str, key: Any) -> Optional[str]:
    return names.get((kind, str(key))) if key is not None else None


def describe(event: Any, names: Mapping, actor: Optional[str] = None,
             action_label: Optional[str] = None, entity_label: Optional[str] = None) -> str:
    """One sentence for `event` (an AuditEvent or anything with action, entity, entity_id, after)."""
    who = actor or _("The system")
    after = event.after or {}
    if event.action == "refused":
        return _("%(actor)s tried to %(action)s something outside their area", actor=who,
                 action=action_label or _("change"))
    person = _name(names, "person", after.get("person_id") or (event.entity_id if event.entity == "person" else None)) \
        or (_name(names, "commendation", event.entity_id) if event.entity == "commendation" else None)
    team = _name(names, "team", event.entity_id if event.entity == "team" else getattr(event, "team_id", None))
    msgid = SENTENCES.get((event.action, event.entity))
    if msgid and ("%(person)s" not in msgid or person) and ("%(team)s" not in msgid or team):
        return str(msgid) % {"actor": who, "person": person or "", "team": team or ""}
    return _("%(actor)s: %(action)s %(entity)s", actor=who, action=action_label or _("changed"),
             entity=entity_label or _("a record"))

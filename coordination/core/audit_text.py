"""An audit event as a sentence a lead can read: names, not ids (issue 18 §6).

`describe(event, names, ...)` is pure: `names` maps (kind, id) to a display name — people, teams,
tasks, shifts, memberships, accounts, import batches, kinds of work, target metrics — loaded for a
whole page at once by the caller (org.audit_names). `value(field, raw)` writes a stored value the
reader's way (a status label, Có/Không); the web layer passes it. A refused event never names its
target: the viewer may not see it."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from flask_babel import gettext as _, lazy_gettext as _l

from coordination.core.text import num

# Sentences that begin with whoever acted.
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
    ("invite", "user"): _l("%(actor)s invited %(person)s to sign in"),
    ("reset_password", "user"): _l("%(actor)s sent %(person)s a link to set a new password"),
    ("accept_invitation", "user"): _l("%(actor)s accepted the invitation and set a password"),
    ("create", "api_token"): _l("%(actor)s created the API token “%(name)s”"),
    ("revoke", "api_token"): _l("%(actor)s revoked an API token"),
    ("update", "escalation_policy"): _l("%(actor)s changed the escalation policy of %(team)s"),
    ("reset", "escalation_policy"): _l("%(actor)s put %(team)s back on the province's default escalation policy"),
    ("update_default", "escalation_policy"): _l("%(actor)s changed the province's default escalation policy"),
    ("reset_default", "escalation_policy"): _l("%(actor)s removed the province's default escalation policy"),
    ("regenerate", "calendar_feed"): _l("%(actor)s made a new calendar address (the old one no longer works)"),
    ("create", "membership"): _l("%(actor)s added %(person)s to %(team)s"),
    ("end", "membership"): _l("%(actor)s ended the membership of %(person)s in %(team)s"),
    ("create", "task"): _l("%(actor)s assigned the task “%(task)s” to %(team)s"),
    ("status", "task"): _l("%(actor)s moved the task “%(task)s” to “%(status)s”"),
    ("cancel", "task"): _l("%(actor)s cancelled the task “%(task)s”"),
    ("progress", "task"): _l("%(actor)s reported progress on “%(task)s”: %(count)s done"),
    ("correct_progress", "task"): _l("%(actor)s corrected the progress of “%(task)s” to %(count)s"),
    ("assign", "task"): _l("%(actor)s gave the task “%(task)s” to %(person)s"),
    ("unassign", "task"): _l("%(actor)s took the task “%(task)s” back from %(other)s"),
    ("create", "work_kind"): _l("%(actor)s added the kind of work “%(kind)s”"),
    ("retire", "work_kind"): _l("%(actor)s retired the kind of work “%(kind)s”"),
    ("restore", "work_kind"): _l("%(actor)s brought back the kind of work “%(kind)s”"),
    ("generate", "rota"): _l("%(actor)s generated %(count)s shifts for %(team)s from %(from)s to %(to)s"),
    ("create", "shift"): _l("%(actor)s added the shift %(shift)s for %(team)s"),
    ("assign", "shift"): _l("%(actor)s put %(person)s on the shift %(shift)s"),
    ("unassign", "shift"): _l("%(actor)s took %(person)s off the shift %(shift)s"),
    ("reassign", "shift"): _l("%(actor)s gave the shift %(shift)s of %(other)s to %(person)s"),
    ("swap", "shift"): _l("%(actor)s swapped shifts between %(person)s and %(other)s"),
    ("give_back", "shift"): _l("%(actor)s gave back the shift %(shift)s"),
    ("ask_swap", "shift"): _l("%(actor)s asked %(person)s to take the shift %(shift)s"),
    ("take_over", "shift"): _l("%(actor)s took over the shift %(shift)s from %(other)s"),
    ("decline_swap", "shift"): _l("%(actor)s declined to take the shift %(shift)s from %(person)s"),
    ("cancel_change", "shift"): _l("%(actor)s withdrew their request on the shift %(shift)s"),
    ("refuse_change", "shift"): _l("%(actor)s refused the change on the shift %(shift)s: it stays with %(person)s"),
    ("override", "shift"): _l("%(actor)s put %(person)s on the shift %(shift)s in place of %(other)s"),
    ("broadcast", "broadcast"): _l("%(actor)s sent a broadcast to %(count)s people"),
    ("urgent", "broadcast"): _l("%(actor)s sent an urgent broadcast to %(count)s people"),
    ("import", "import_batch"): _l("%(actor)s imported the members' spreadsheet (%(batch)s)"),
    ("create", "target"): _l("%(actor)s set the target “%(metric)s” of %(team)s to %(value)s"),
    ("update", "target"): _l("%(actor)s changed the target “%(metric)s” of %(team)s to %(value)s"),
    ("launch", "movement"): _l("%(actor)s launched the emulation movement “%(name)s” for %(count)s teams"),
    ("register", "movement"): _l("%(actor)s registered the targets of %(team)s in the movement “%(name)s”"),
    ("approve_registration", "movement"): _l("%(actor)s approved the targets of %(team)s in the movement "
                                             "“%(name)s”"),
    ("return_registration", "movement"): _l("%(actor)s sent back the targets of %(team)s in the movement "
                                            "“%(name)s”"),
    ("remind", "movement"): _l("%(actor)s reminded %(team)s to register in the movement “%(name)s”"),
    ("assess", "movement"): _l("%(actor)s assessed %(team)s in the movement “%(name)s”: %(count)s/100"),
    ("create", "practice"): _l("%(actor)s wrote the good practice “%(name)s” for %(team)s"),
    ("update", "practice"): _l("%(actor)s changed the good practice “%(name)s”"),
    ("submit", "practice"): _l("%(actor)s sent the good practice “%(name)s” for review"),
    ("publish", "practice"): _l("%(actor)s published the good practice “%(name)s” of %(team)s"),
    ("send_back", "practice"): _l("%(actor)s sent the good practice “%(name)s” back to %(team)s"),
    ("apply", "practice"): _l("%(actor)s marked that %(team)s applied the good practice “%(name)s”"),
}
# Events nobody signed in did: they do not begin with an actor.
SYSTEM_SENTENCES = {
    ("login_failed", "user"): _l("Failed sign-in to the account of %(person)s"),
    ("release", "shift"): _l("Nobody took the shift %(shift)s that %(person)s gave back: it is short of people"),
    ("login_limited", "user"): _l("Sign-in to the account of %(person)s paused for %(count)s minutes after "
                                  "repeated failures"),
    ("sms_ack", "sms"): _l("%(phone)s confirmed by SMS that they take the alert"),
    ("sms_decline", "sms"): _l("%(phone)s declined the alert by SMS"),
    ("sms_stop", "sms"): _l("%(phone)s asked by SMS to stop duty messages"),
    ("sms_unknown_sender", "sms"): _l("An SMS from an unregistered number, %(phone)s"),
    ("sms_unknown", "sms"): _l("An SMS reply from %(phone)s that the system did not understand"),
}
REFUSED = {  # what a refused user tried to do, without naming the target
    "assign": _l("assign a task"), "correct_progress": _l("correct a task's progress"),
    "import": _l("import someone else's spreadsheet"), "retire": _l("retire a kind of work"),
    "edit": _l("edit a person's details"), "invite": _l("invite a person"),
    "reset_password": _l("reset a person's password"),
    "override": _l("put a replacement on a shift"), "refuse_change": _l("refuse a change to a shift"),
    "approve_registration": _l("approve a team's emulation targets"),
    "remind": _l("remind a team to register its emulation targets"),
    "assess": _l("assess a team in an emulation movement"),
    "publish": _l("review a good practice"),
    "edit_escalation_policy": _l("change an escalation policy"),
}
NEUTRAL = {  # a name the page could not load (a deleted record): a plain noun, never an id
    "person": _l("someone"), "other": _l("someone"), "team": _l("a team"), "task": _l("a task"),
    "shift": _l("a shift"), "batch": _l("an import"), "kind": _l("a kind of work"), "metric": _l("a target"),
    "name": "", "phone": _l("a phone"), "status": "", "count": "", "value": "", "from": "", "to": "",
}


def _name(names: Mapping, kind: str, key: Any) -> Optional[str]:
    return names.get((kind, str(key))) if key is not None and key != "" else None


def _key(event: Any) -> tuple[str, str]:
    """The sentence's key: a few actions read differently by what they changed."""
    after = event.after or {}
    if event.entity == "task" and event.action == "assign" and after.get("assignee_person_id") is None:
        return "unassign", "task"
    if event.entity == "work_kind" and event.action == "update":
        return ("retire" if after.get("retired") else "restore"), "work_kind"
    if event.entity == "broadcast" and after.get("urgent"):
        return "urgent", "broadcast"
    if event.action.startswith("sms_") and event.action.endswith("_taken"):
        return "sms_ack", "sms"
    return event.action, event.entity


def _person(event: Any, names: Mapping, after: dict, before: dict) -> Optional[str]:
    eid, entity = event.entity_id, event.entity
    for pid in (after.get("person_id"), after.get("assignee_person_id")):
        if pid is not None:
            return _name(names, "person", pid)
    people = after.get("people")
    if isinstance(people, list) and people:
        return _name(names, "person", people[0])
    if before.get("person_id") is not None:
        return _name(names, "person", before["person_id"])
    lookup = {"person": "person", "commendation": "commendation", "membership": "membership", "user": "user"}
    return _name(names, lookup[entity], eid) if entity in lookup else None


def _context(event: Any, names: Mapping, value: Callable[[str, Any], str]) -> dict[str, Optional[str]]:
    after, before = event.after or {}, getattr(event, "before", None) or {}
    eid, entity = event.entity_id, event.entity
    other = None
    if event.action in ("reassign", "take_over", "override", "refuse_change") or (
            entity == "task" and event.action == "assign"):
        other = _name(names, "person", before.get("person_id", before.get("assignee_person_id")))
    elif isinstance(after.get("people"), list) and len(after["people"]) > 1:
        other = _name(names, "person", after["people"][1])
    team_id = eid if entity == "team" else (getattr(event, "team_id", None) or after.get("team_id"))
    count = next((after[k] for k in ("recipients", "shifts", "done_count", "wait_minutes", "count") if k in after),
                 None)
    metric = (eid or "").partition(":")[2] if entity == "target" else None
    return {
        "person": _person(event, names, after, before), "other": other,
        "team": _name(names, "membership_team", eid) if entity == "membership" and not after.get("team_id")
        else _name(names, "team", team_id),
        "task": _name(names, "task", eid) if entity == "task" else None,
        "shift": _name(names, "shift", eid) if entity == "shift" else None,
        "batch": _name(names, "import_batch", eid) if entity == "import_batch" else None,
        "kind": _name(names, "work_kind", eid) if entity == "work_kind" else None,
        "metric": _name(names, "metric", metric),
        "name": after.get("name") and str(after["name"]), "phone": after.get("from") or None,
        "status": value("status", after["status"]) if "status" in after else None,
        "count": num(count) if isinstance(count, (int, float)) else None,
        "value": value("value", after["value"]) if "value" in after else None,
        "from": value("from", after["from"]) if "from" in after else None,
        "to": value("to", after["to"]) if "to" in after else None,
    }


def describe(event: Any, names: Mapping, actor: Optional[str] = None,
             action_label: Optional[str] = None, entity_label: Optional[str] = None,
             value: Optional[Callable[[str, Any], str]] = None) -> str:
    """One sentence for `event` (an AuditEvent or anything with action, entity, entity_id, before, after)."""
    who = actor or _("The system")
    after = event.after or {}
    if event.action == "refused":
        attempted = REFUSED.get(after.get("attempted"))
        return _("%(actor)s tried to %(action)s outside their area", actor=who,
                 action=attempted or _("change something"))
    key = _key(event)
    msgid = SENTENCES.get(key) or SYSTEM_SENTENCES.get(key)
    if msgid is None:
        return _("%(actor)s: %(action)s %(entity)s", actor=who, action=action_label or _("changed"),
                 entity=entity_label or _("a record"))
    found = _context(event, names, value or (lambda _field, raw: str(raw)))
    filled = {k: (v if v is not None else str(NEUTRAL[k])) for k, v in found.items()}
    return str(msgid) % {"actor": who, **filled}

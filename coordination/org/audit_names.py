"""The names a page of audit events mentions, for core.audit_text.describe (issue 18 §6): a few
queries for the whole page, one per kind of record it mentions, however many events it holds."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from models import Commendation, ImportBatch, Membership, Person, Shift, Task, Team, User, db

from coordination.clock import to_local

Names = dict[tuple[str, str], str]


def _ids(value) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return {int(value)}
    return {v for v in value if isinstance(v, int) and not isinstance(v, bool)} if isinstance(value, list) else set()


def _wanted(events: list) -> dict[str, set[int]]:
    """Which ids of which records the page's sentences and changes name."""
    want: dict[str, set[int]] = {k: set() for k in ("person", "team", "commendation", "task", "shift",
                                                       "membership", "user", "import_batch")}
    for e in events:
        if e.entity in want:
            want[e.entity] |= _ids(e.entity_id)
        if e.team_id:
            want["team"].add(e.team_id)
        for values in (e.before or {}, e.after or {}):
            for field in ("person_id", "assignee_person_id", "people"):
                want["person"] |= _ids(values.get(field))
            want["team"] |= _ids(values.get("team_id"))
            want["import_batch"] |= _ids(values.get("import"))
    return want


def shift_label(starts_at, ends_at) -> str:
    """'03/12 19:00–07:00' in Vietnam time."""
    start, end = to_local(starts_at), to_local(ends_at)
    return f"{start:%d/%m %H:%M}–{end:%H:%M}"


def batch_label(moment) -> str:
    """'the import of 02/12/2026' ('đợt nhập ngày 02/12/2026'): an import as people remember it."""
    return _("the import of %(date)s", date=to_local(moment).strftime("%d/%m/%Y"))


def load(events: list) -> Names:
    """(kind, id) -> name for every record a page of events mentions."""
    want = _wanted(events)
    names: Names = {}

    def add(kind: str, query) -> None:
        if want[kind]:
            names.update({(kind, str(i)): n for i, n in db.session.execute(query)})

    add("person", sa.select(Person.id, Person.full_name).where(Person.id.in_(want["person"])))
    add("team", sa.select(Team.id, Team.name).where(Team.id.in_(want["team"])))
    add("commendation", sa.select(Commendation.id, Person.full_name).join(Person, Person.id == Commendation.person_id)
        .where(Commendation.id.in_(want["commendation"])))
    add("task", sa.select(Task.id, Task.title).where(Task.id.in_(want["task"])))
    add("user", sa.select(User.id, Person.full_name).join(Person, Person.id == User.person_id)
        .where(User.id.in_(want["user"])))
    if want["shift"]:
        names.update({("shift", str(i)): shift_label(s, e) for i, s, e in db.session.execute(
            sa.select(Shift.id, Shift.starts_at, Shift.ends_at).where(Shift.id.in_(want["shift"])))})
    if want["membership"]:
        for i, person, team in db.session.execute(
                sa.select(Membership.id, Person.full_name, Team.name).join(Person, Person.id == Membership.person_id)
                .join(Team, Team.id == Membership.team_id).where(Membership.id.in_(want["membership"]))):
            names[("membership", str(i))], names[("membership_team", str(i))] = person, team
    if want["import_batch"]:
        names.update({("import_batch", str(i)): batch_label(at or created) for i, at, created in db.session.execute(
            sa.select(ImportBatch.id, ImportBatch.imported_at, ImportBatch.created_at)
            .where(ImportBatch.id.in_(want["import_batch"])))})
    return names

"""Bulk onboarding: check every row of a members' spreadsheet, then import the valid rows at once.

`check()` reads nothing but the file and the database and writes nothing: it returns the plan
(valid rows, which phones are already registered, which communes still need a team) and every
problem by row, column and reason. `run()` checks again (the database may have changed since
the preview) and writes all valid rows in the caller's transaction: commune teams that are
missing, people, memberships and one audit event per change.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import AdminUnit, LegacyUnit, Membership, Person, Team, db
from models.base import insert_many
from models.geography import COMMUNE as COMMUNE_UNIT
from models.geography import PROVINCE as PROVINCE_UNIT
from models.imports import IMPORTED, PREVIEWED, ImportBatch
from models.teams import COMMUNE, LEAD, OTHER

from coordination.core import audit
from coordination.clock import local_today, utcnow
from coordination.core.errors import Conflict, ValidationError
from coordination.org.people import can_receive_sms, clean_name, clean_organisation, normalise_phone
from coordination.core.permissions import Scope, people_outside_authority
from coordination.core.spreadsheet import read_table
from coordination.org.teams import create_commune_team
from coordination.core.text import fold
from coordination.geography.search import context_keys
from coordination.onboarding.columns import AFFILIATIONS_BY_WORD, COLUMN_LABELS, ROLES_BY_WORD, affiliation_of, columns

SKIP, UPDATE = "skip", "update"
OUTSIDE_NOTE = _l("registered in another area — not updated")
DUPLICATE_MODES = (SKIP, UPDATE)

@dataclass
class Problem:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    column: str
    message: str


@dataclass
class Row:
    row: int
    full_name: str
    phone: str
    commune_code: str
    affiliation: str
    organisation: Optional[str]
    role: str
    existing_person_id: Optional[int] = None
    existing_name: Optional[str] = None
    outside: bool = False  # registered, but outside the importer's authority: never updated, never named


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)  # every valid row
    problems: list[Problem] = field(default_factory=list)
    total: int = 0  # data rows in the file
    communes_without_team: set[str] = field(default_factory=set)
    file_rows: list[Row] = field(default_factory=list)  # valid as far as the file goes
    unused_columns: list[str] = field(default_factory=list)  # headings the import does not read

    @property
    def existing(self) -> int:
        return sum(1 for r in self.rows if r.existing_person_id)

    @property
    def new(self) -> int:
        return len(self.rows) - self.existing

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems})


class Communes:
    """Every commune by code and by name, old (pre-2025) names and codes included: loaded once."""

    def __init__(self):
        self.units: dict[str, tuple[str, str]] = {}  # code -> (name, province code)
        # Exact spelling first ("Sơn Hạ" is not "Sơn Hà"), then without accents for people who type none.
        self.by_spelling: dict[str, set[str]] = defaultdict(set)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        for code, name, short, province in db.session.execute(
                sa.select(AdminUnit.code, AdminUnit.name, AdminUnit.short_name, AdminUnit.province_code)
                .where(AdminUnit.level == COMMUNE_UNIT)):
            self.units[code] = (name, province)
            for spelling in (name, short):
                self.by_spelling[spelling.lower()].add(code)
                self.by_name[fold(spelling)].add(code)
        self.provinces: dict[str, str] = {}
        for code, key in db.session.execute(sa.select(AdminUnit.code, AdminUnit.search_key)
                                            .where(AdminUnit.level == PROVINCE_UNIT)):
            for token in key.strip("|").split("|"):  # name, short name and keywords ("hcm", "hn")
                self.provinces[token] = code
        self.legacy_codes: dict[str, str] = {}
        self.legacy_by_name: dict[str, set[tuple[str, str]]] = defaultdict(set)  # -> (new code, old province key)
        for code, name, short, province, new in db.session.execute(
                sa.select(LegacyUnit.code, LegacyUnit.name, LegacyUnit.short_name, LegacyUnit.province_name,
                          LegacyUnit.new_unit_code).where(LegacyUnit.level == "ward", LegacyUnit.new_unit_code.is_not(None))):
            self.legacy_codes.setdefault(code, new)
            for key in (fold(name), fold(short)):
                self.legacy_by_name[key].add((new, fold(province)))

    def _province_matches(self, code: str, hint: str, old_province: str = "") -> bool:
        """Is the province written (folded; "TP HCM", "Sài Gòn", "BR-VT" too: context_keys) this commune's?"""
        return any(self.provinces.get(k) == self.units[code][1] or (old_province and k in old_province)
                   for k in context_keys(hint))

    def resolve(self, value: str, province_hint: str = "") -> str:
        """A commune code from a code or a name (current or pre-2025), or ValidationError."""
        text = value.strip()
        if text.isdigit():
            code = text.zfill(5)
            found = code if code in self.units else self.legacy_codes.get(code)
            if not found:
                raise ValidationError(_l("No commune has the code “%(code)s”.", code=text), field="commune")
            return found
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise ValidationError(_l("Enter the commune (its name or code)."), field="commune")
        name, hint = fold(parts[0]), fold(parts[-1] if len(parts) > 1 else province_hint)
        matches = {c for c in self.by_spelling.get(" ".join(parts[0].lower().split()), ())
                   if not hint or self._province_matches(c, hint)}
        if not matches:
            matches = {c for c in self.by_name.get(name, ()) if not hint or self._province_matches(c, hint)}
        if not matches:
            matches = {new for new, old_province in self.legacy_by_name.get(name, ())
                       if not hint or self._province_matches(new, hint, old_province)}
        if len(matches) == 1:
            return matches.pop()
        if not matches:
            raise ValidationError(_l("No commune is called “%(name)s”%(where)s.", name=parts[0],
                                     where=f" ({parts[-1] if len(parts) > 1 else province_hint})" if hint else ""),
                                  field="commune")
        raise ValidationError(_l("“%(name)s” matches %(n)d communes: add the province or use the commune code.",
                                 name=parts[0], n=len(matches)), field="commune")


def _allowed(scope: Scope, province_code: str, commune_code: str, team_units: dict[int, str]) -> bool:
    if scope.national or province_code in scope.provinces:
        return True
    return commune_code in {team_units.get(t) for t in scope.led_teams}


_communes_cache: tuple[float, Optional[Communes]] = (0.0, None)


def communes() -> Communes:
    """The commune lookup, built once per process and kept 10 minutes (geography changes by law)."""
    global _communes_cache
    built, lookup = _communes_cache
    if lookup is None or time.monotonic() - built > 600:
        lookup = Communes()
        _communes_cache = (time.monotonic(), lookup)
    return lookup


def _team_units(scope: Scope) -> dict[int, str]:
    return dict(db.session.execute(sa.select(Team.id, Team.admin_unit_code).where(
        Team.id.in_(scope.led_teams))).all()) if scope.led_teams else {}


def check(filename: str, data: bytes, scope: Scope) -> Plan:
    """Every problem of the file, and the rows that can go in. Writes nothing."""
    table = read_table(filename, data)
    cols, unused = columns(table[0])
    lookup = communes()
    team_units = _team_units(scope)
    plan, seen_phones, lead_rows = Plan(total=len(table) - 1, unused_columns=unused), {}, {}

    def cell(values: list[str], key: str) -> str:
        i = cols.get(key)
        return values[i].strip() if i is not None and i < len(values) else ""

    for number, values in enumerate(table[1:], start=2):
        problems = []

        def attempt(column: str, fn):
            try:
                return fn()
            except ValidationError as err:
                problems.append(Problem(number, column, str(err)))
                return None

        name = attempt("full_name", lambda: clean_name(cell(values, "full_name")))
        phone = attempt("phone", lambda: normalise_phone(cell(values, "phone")))
        code = attempt("commune", lambda: lookup.resolve(cell(values, "commune"), cell(values, "province")))
        if code and not _allowed(scope, lookup.units[code][1], code, team_units):
            problems.append(Problem(number, "commune", str(_l("%(unit)s is outside the area you lead.",
                                                              unit=lookup.units[code][0]))))
        written = cell(values, "affiliation")  # when empty, the organisation's name may say it (Viettel, Đoàn TN…)
        affiliation = AFFILIATIONS_BY_WORD.get(fold(written)) if written else \
            affiliation_of(cell(values, "organisation")) or OTHER
        if affiliation is None:
            problems.append(Problem(number, "affiliation", str(_l(
                "Unknown affiliation “%(value)s”: write Đoàn thanh niên, Doanh nghiệp, Trạm y tế, Chính quyền or Khác.",
                value=cell(values, "affiliation")))))
        org = attempt("organisation", lambda: clean_organisation(cell(values, "organisation"), affiliation or OTHER))
        role = ROLES_BY_WORD.get(fold(cell(values, "role")))
        if role is None:
            problems.append(Problem(number, "role", str(_l("Unknown role “%(value)s”: write Thành viên or Tổ trưởng.",
                                                            value=cell(values, "role")))))
        if phone and phone in seen_phones:
            problems.append(Problem(number, "phone", str(_l("The same phone as row %(row)d.", row=seen_phones[phone]))))
        elif phone:
            seen_phones[phone] = number
        if role == LEAD and code:
            if code in lead_rows:
                problems.append(Problem(number, "role", str(_l("Row %(row)d already names this commune's lead.",
                                                                row=lead_rows[code]))))
            else:
                lead_rows[code] = number
        if problems:
            plan.problems.extend(problems)
        else:
            plan.rows.append(Row(number, name, phone, code, affiliation, org, role))
    plan.file_rows = list(plan.rows)
    _against_database(plan, scope)
    return plan


def _chunks(items: list, size: int = 900):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _against_database(plan: Plan, scope: Scope) -> None:
    """Mark phones already registered (and which of those people are outside the importer's
    authority); refuse a lead where the team already has one."""
    existing = {}
    for chunk in _chunks([r.phone for r in plan.rows]):
        existing.update({phone: (pid, name) for phone, pid, name in db.session.execute(
            sa.select(Person.phone, Person.id, Person.full_name).where(Person.phone.in_(chunk)))})
    codes = sorted({r.commune_code for r in plan.rows})
    teams: dict[str, int] = {}
    for chunk in _chunks(codes):
        teams.update(dict(db.session.execute(sa.select(Team.admin_unit_code, Team.id).where(
            Team.level == COMMUNE, Team.admin_unit_code.in_(chunk))).all()))
    led = set(db.session.scalars(sa.select(Team.admin_unit_code).join(Membership, Membership.team_id == Team.id).where(
        Team.id.in_(list(teams.values())), Membership.role == LEAD, Membership.end_date.is_(None)))) if teams else set()
    outside = people_outside_authority(scope, [pid for pid, _name in existing.values()])
    kept = []
    for r in plan.rows:
        r.existing_person_id, r.existing_name = existing.get(r.phone, (None, None))
        if r.existing_person_id in outside:
            r.outside, r.existing_name = True, str(OUTSIDE_NOTE)
        if r.role == LEAD and r.commune_code in led:
            plan.problems.append(Problem(r.row, "role", str(_l("This commune's team already has a lead."))))
            continue
        kept.append(r)
    plan.rows = kept
    plan.communes_without_team = {c for c in codes if c not in teams}
    plan.problems.sort(key=lambda p: (p.row, list(COLUMN_LABELS).index(p.column)))


def summary(plan: Plan, limit: int = 1000) -> dict:
    """What the preview page shows, stored with the batch (problems beyond `limit` are counted)."""
    return dict(total=plan.total, valid=len(plan.rows), new=plan.new, existing=plan.existing,
                rows_with_problems=plan.rows_with_problems, problem_count=len(plan.problems),
                new_teams=len(plan.communes_without_team), unused_columns=plan.unused_columns,
                problems=[[p.row, p.column, p.message] for p in plan.problems[:limit]],
                existing_rows=[[r.row, r.phone, r.existing_name] for r in plan.rows if r.existing_person_id][:limit],
                no_sms_rows=[[r.row, r.phone, r.full_name] for r in plan.rows if not can_receive_sms(r.phone)][:limit])


def preview(user_id: int, filename: str, data: bytes, scope: Scope) -> ImportBatch:
    """Check the file and keep it for the confirmation. File-level problems raise (nothing kept)."""
    plan = check(filename, data, scope)
    batch = ImportBatch(user_id=user_id, filename=(filename or "upload")[:200], content=data,
                        status=PREVIEWED, summary=summary(plan), rows=[_stored(r) for r in plan.file_rows])
    db.session.add(batch)
    db.session.flush()
    return batch


STORED = ("row", "full_name", "phone", "commune_code", "affiliation", "organisation", "role")


def _stored(row: Row) -> list:
    return [getattr(row, k) for k in STORED]


def recheck(batch: ImportBatch, scope: Scope) -> Plan:
    """The preview's rows checked again against what may have changed since: the database (phones
    registered meanwhile, leads, teams) and the user's area. The file itself is not read again."""
    rows = [Row(*values) for values in batch.rows or []]
    provinces = {}
    for chunk in _chunks(sorted({r.commune_code for r in rows})):
        provinces.update(dict(db.session.execute(sa.select(AdminUnit.code, AdminUnit.province_code)
                                                 .where(AdminUnit.code.in_(chunk))).all()))
    team_units = _team_units(scope)
    plan = Plan(total=(batch.summary or {}).get("total", len(rows)))
    for r in rows:
        if _allowed(scope, provinces.get(r.commune_code), r.commune_code, team_units):
            plan.rows.append(r)
        else:
            plan.problems.append(Problem(r.row, "commune", str(_l("%(unit)s is outside the area you lead.",
                                                                  unit=r.commune_code))))
    _against_database(plan, scope)
    return plan


def run(batch: ImportBatch, mode: str, scope: Scope, actor_user_id: Optional[int]) -> dict:
    """Import the batch's valid rows in the caller's transaction; returns the counts.
    `mode` says what to do with phones already registered: skip them or update those people."""
    if mode not in DUPLICATE_MODES:
        raise ValidationError(_l("Choose what to do with phones already registered."), field="mode")
    claimed = db.session.execute(sa.update(ImportBatch).where(ImportBatch.id == batch.id,
                                                              ImportBatch.status == PREVIEWED)
                                 .values(status=IMPORTED, imported_at=utcnow())
                                 .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise Conflict(_l("This file has already been imported."), field="file")
    plan = recheck(batch, scope)
    if not plan.rows:
        raise ValidationError(_l("No row can be imported: correct the file and upload it again."), field="file")
    teams = {code: create_commune_team(code, actor_id=actor_user_id).id for code in sorted(plan.communes_without_team)}
    for chunk in _chunks(sorted({r.commune_code for r in plan.rows} - set(teams))):
        teams.update(dict(db.session.execute(sa.select(Team.admin_unit_code, Team.id).where(
            Team.level == COMMUNE, Team.admin_unit_code.in_(chunk))).all()))
    province_of = dict(db.session.execute(sa.select(Team.id, Team.province_code).where(
        Team.id.in_(list(teams.values())))).all())

    def where(row: Row) -> dict:
        team_id = teams[row.commune_code]
        return dict(team_id=team_id, province_code=province_of[team_id])

    fields = ("full_name", "affiliation", "organisation")
    fresh = [r for r in plan.rows if not r.existing_person_id]
    ids = {}
    if fresh:
        now = utcnow()
        ids = dict(insert_many(Person, [
            dict(full_name=r.full_name, phone=r.phone, affiliation=r.affiliation, organisation=r.organisation,
                 sms_ascii=False, consent_sms=True, sms_capable=can_receive_sms(r.phone), created_at=now) for r in fresh], Person.phone, Person.id))
        audit.record_many(actor_user_id, "create", "person", [
            dict(entity_id=ids[r.phone], after={k: getattr(r, k) for k in ("phone", *fields)}, **where(r))
            for r in fresh])
    updated, changes = 0, []
    existing = [r for r in plan.rows if r.existing_person_id]
    inside = [r for r in existing if not r.outside]  # only people inside the importer's authority change
    if inside and mode == UPDATE:
        current = {}
        for chunk in _chunks([r.existing_person_id for r in inside]):
            current.update({p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(chunk)))})
        for r in inside:
            person = current[r.existing_person_id]
            before = {k: getattr(person, k) for k in fields if getattr(person, k) != getattr(r, k)}
            if before:
                changes.append((r, before))
                for k in before:
                    setattr(person, k, getattr(r, k))
        db.session.flush()
        audit.record_many(actor_user_id, "update", "person", [
            dict(entity_id=r.existing_person_id, before=before, after={k: getattr(r, k) for k in before}, **where(r))
            for r, before in changes])
        updated = len(changes)
    members = fresh + (existing if mode == UPDATE else [])
    person_of = {r.row: ids.get(r.phone) or r.existing_person_id for r in members}
    already = set()
    if mode == UPDATE and existing:
        for chunk in _chunks([r.existing_person_id for r in existing]):
            already |= set(db.session.execute(sa.select(Membership.person_id, Membership.team_id, Membership.role).where(
                Membership.person_id.in_(chunk), Membership.end_date.is_(None))).all())
    new_members = [r for r in members if (person_of[r.row], teams[r.commune_code], r.role) not in already]
    if new_members:
        today = local_today()
        created = insert_many(Membership, [
            dict(person_id=person_of[r.row], team_id=teams[r.commune_code], role=r.role, start_date=today,
                 created_at=utcnow()) for r in new_members],
            Membership.id, Membership.person_id, Membership.team_id, Membership.role)
        audit.record_many(actor_user_id, "create", "membership", [
            dict(entity_id=mid, team_id=team_id, province_code=province_of[team_id],
                 after={"person_id": pid, "team_id": team_id, "role": role, "import": batch.id})
            for mid, pid, team_id, role in created])
    result = dict(batch.summary or {}, created=len(fresh), updated=updated,
                  skipped=len(existing) if mode == SKIP else len(
                      {r.row for r in existing} - {r.row for r, _ in changes} - {r.row for r in new_members}),
                  memberships=len(new_members), teams_created=len(plan.communes_without_team),
                  mode=mode)
    db.session.execute(sa.update(ImportBatch).where(ImportBatch.id == batch.id).values(summary=result)
                       .execution_options(synchronize_session=False))
    audit.record(actor_user_id, "import", "import_batch", batch.id, after={
        k: result[k] for k in ("total", "created", "updated", "skipped", "memberships", "teams_created")})
    return result

"""Plain dicts for the JSON API."""
from __future__ import annotations

from models import AdminUnit, Membership, Person, Team


def unit(u: AdminUnit) -> dict:
    return {"code": u.code, "level": u.level, "name": u.name, "short_name": u.short_name, "type": u.unit_type,
            "province_code": u.province_code, "lat": u.lat, "lon": u.lon, "area_km2": u.area_km2}


def unit_match(m) -> dict:
    body = unit(m.unit)
    body["province_name"] = m.province.name
    if m.legacy is not None:
        body["matched_legacy"] = {"name": m.legacy.name, "district": m.legacy.district_name,
                                  "province": m.legacy.province_name, "code": m.legacy.code}
    return body


def team(t: Team, members: int | None) -> dict:
    body = {"id": t.id, "level": t.level, "name": t.name, "admin_unit_code": t.admin_unit_code,
            "province_code": t.province_code, "parent_id": t.parent_id}
    if members is not None:
        body["active_members"] = members
    return body


def person(p: Person) -> dict:
    return {"id": p.id, "full_name": p.full_name, "phone": p.phone, "email": p.email,
            "affiliation": p.affiliation, "organisation": p.organisation, "sms_ascii": p.sms_ascii,
            "consent_sms": p.consent_sms}


def membership(m: Membership, with_person: bool = True) -> dict:
    body = {"id": m.id, "team_id": m.team_id, "role": m.role, "start_date": m.start_date.isoformat(),
            "end_date": m.end_date.isoformat() if m.end_date else None, "person_id": m.person_id}
    if with_person:
        body["person"] = person(m.person)
    return body


def completeness(c) -> dict:
    return {"complete": c.complete, "missing_roles": list(c.missing),
            "holders": {role: [p.full_name for p in people] for role, people in c.holders.items()}}


def task(t, commune_name: str | None) -> dict:
    return {"id": t.id, "kind": t.kind, "title": t.title, "description": t.description, "team_id": t.team_id,
            "commune_name": commune_name, "province_code": t.province_code, "status": t.status,
            "blocked_reason": t.blocked_reason, "priority": t.priority,
            "due_date": t.due_date.isoformat() if t.due_date else None, "target_count": t.target_count,
            "target_unit": t.target_unit, "done_count": t.done_count, "percent": t.percent,
            "assignee_person_id": t.assignee_person_id, "batch": t.batch,
            "created_at": t.created_at.isoformat(), "updated_at": t.updated_at.isoformat()}


def task_update(u) -> dict:
    return {"id": u.id, "at": u.at.isoformat(), "person_id": u.person_id, "from_status": u.from_status,
            "to_status": u.to_status, "delta": u.delta, "done_count_after": u.done_count_after,
            "assignee_person_id": u.assignee_person_id, "note": u.note,
            "flagged": u.flagged}

"""JSON API under /api/v1 (session cookie + CSRF header, or a personal Bearer token), /healthz and /readyz."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, request, session
from flask_babel import gettext as _
from flask_login import current_user

from models import AdminUnit, Membership, Person, Team, db
from models.teams import TEAM_LEVELS
from models.geography import COMMUNE as COMMUNE_UNIT
from models.geography import PROVINCE as PROVINCE_UNIT

from coordination.org import overview, teams
from coordination.ops.health import readiness
from coordination.core import permissions
from coordination.web.login import current_scope
from coordination.core.errors import DomainError, NotFound, ValidationError
from coordination.org.people import PersonInput, create_person, directory, update_person
from coordination.geography.search import search_communes
from coordination.geography.units import units_page
from coordination.web.api import serializers as ser
from coordination.web.api.json_input import flag, json_body, page_of, paging, query_choice, text, whole
from coordination.web.api.openapi import openapi_document
from coordination.web.extensions import csrf
from coordination.web.people import refused_over

bp = Blueprint("api", __name__)


def not_signed_in():
    return jsonify(error=_("Log in or send a valid API token (Authorization: Bearer …)."), status=401), 401


@bp.before_request
def _authenticate():
    if request.path in ("/healthz", "/readyz", "/api/v1/openapi.json"):
        return None
    if request.path == "/api/v1/push/renewals":  # the old push subscription is its credential (api/push.py)
        return None
    uid, _sep, version = str(session.get("_user_id", "")).partition(":")
    if (request.endpoint == "api.post_checkins" and "Authorization" not in request.headers
            and uid.isdigit() and version.isdigit()):
        # A tap from a signed-in phone: the check-in statement itself answers for the account and
        # its session version (checkins.submit raises NotSignedIn), so no separate user load here.
        # flask-login keeps "id:session_version" (User.get_id) under "_user_id" in the signed cookie.
        g.session_user_id, g.session_version = int(uid), int(version)
    elif not current_user.is_authenticated:
        return not_signed_in()
    if (request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("via_token")
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()  # cookie sessions send X-CSRFToken
    return None


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError):
    db.session.rollback()
    body: dict[str, Any] = {"error": str(err), "status": err.status}
    if err.field:
        body["field"] = err.field
        body["errors"] = {err.field: str(err)}
    return jsonify(body), err.status


def _person_input(data: dict, base: Person | None = None) -> PersonInput:
    def pick(key, max_len=254):
        return text(data, key, max_len=max_len) if key in data else (getattr(base, key) if base else None)

    return PersonInput(
        full_name=pick("full_name", 120) or "", phone=pick("phone", 30) or "", email=pick("email"),
        affiliation=pick("affiliation", 20) or "other", organisation=pick("organisation", 120),
        sms_ascii=flag(data, "sms_ascii", base.sms_ascii if base else False),
        consent_sms=flag(data, "consent_sms", base.consent_sms if base else True))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        return jsonify(status="ok", database="ok")
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        db.session.rollback()
        return jsonify(status="error", database="unavailable", detail=type(exc).__name__), 503


@bp.get("/readyz")
def readyz():
    ready, details = readiness(db.session)
    return jsonify(details), (200 if ready else 503)


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/api/v1/me")
def me():
    scope = current_scope()
    return jsonify(person=ser.person(current_user.person), role=scope.role, national=scope.national,
                   provinces=sorted(scope.provinces), led_teams=sorted(scope.led_teams), locale=current_user.locale)


@bp.get("/api/v1/admin-units")
def admin_units():
    page, per_page = paging()
    level = query_choice("level", (PROVINCE_UNIT, COMMUNE_UNIT), COMMUNE_UNIT)  # checked with q too
    q = (request.args.get("q") or "").strip()
    if q:
        return jsonify(page_of([m for m in search_communes(q, limit=per_page + 1)], 1, per_page, ser.unit_match))
    rows = units_page(level, request.args.get("province"), limit=per_page + 1, offset=(page - 1) * per_page)
    return jsonify(page_of(rows, page, per_page, ser.unit))


@bp.get("/api/v1/admin-units/<code>")
def admin_unit(code: str):
    unit = db.session.get(AdminUnit, code)
    if unit is None:
        abort(404)
    return jsonify(ser.unit(unit))


@bp.get("/api/v1/teams")
def list_teams():
    scope = current_scope()
    page, per_page = paging()
    rows = overview.visible_teams(scope, request.args.get("province"), query_choice("level", TEAM_LEVELS),
                                  limit=per_page + 1, offset=(page - 1) * per_page)
    counts = overview.member_counts(t.id for t in rows[:per_page])
    return jsonify(page_of(rows, page, per_page, lambda t: ser.team(t, members=counts.get(t.id, 0))))


def _visible_team(team_id: int, manage: bool = False) -> Team:
    team = db.session.get(Team, team_id)
    scope = current_scope()
    if team is None or not permissions.can_view_team(scope, team) or (manage and not permissions.can_manage_team(scope, team)):
        abort(404)
    return team


@bp.get("/api/v1/teams/<int:team_id>")
def get_team(team_id: int):
    team = _visible_team(team_id)
    body = ser.team(team, members=None)
    body["members"] = [ser.membership(m) for m in overview.team_members(team.id)]
    if team.level == "province":
        body["completeness"] = ser.completeness(teams.province_completeness(team))
    return jsonify(body)


def _new_province_team(data: dict, scope) -> Team:
    code = text(data, "province_code", required=True, max_len=8)
    if not permissions.can_create_province_team(scope):
        abort(404)
    return teams.create_province_team(code, actor_id=current_user.id)


def _new_commune_team(data: dict, scope) -> Team:
    code = text(data, "commune_code", required=True, max_len=8)
    unit = db.session.get(AdminUnit, code)
    if unit is None or unit.level != COMMUNE_UNIT:
        teams.get_unit(code, COMMUNE_UNIT)  # raises the "unknown commune" error
    if not permissions.can_create_commune_team(scope, unit.province_code):
        abort(404)
    return teams.create_commune_team(code, whole(data, "parent_team_id"), actor_id=current_user.id)


def _new_village_team(data: dict, scope) -> Team:
    parent = _visible_team(whole(data, "parent_team_id", required=True) or 0)
    if not permissions.can_create_village_team(scope, parent):
        abort(404)
    return teams.create_village_team(parent, text(data, "name", required=True, max_len=200) or "",
                                     actor_id=current_user.id)


NEW_TEAM = {"province": _new_province_team, "commune": _new_commune_team, "village": _new_village_team}


@bp.post("/api/v1/teams")
def create_team():
    data = json_body()
    create = NEW_TEAM.get(text(data, "level", required=True, max_len=10))
    if create is None:
        raise ValidationError(_("level must be province, commune or village."), field="level")
    team = create(data, current_scope())
    db.session.commit()
    return jsonify(ser.team(team, members=0)), 201


@bp.post("/api/v1/teams/<int:team_id>/members")
def add_member(team_id: int):
    team = _visible_team(team_id, manage=True)
    data = json_body()
    role = text(data, "role", max_len=20) or "member"
    person_id = whole(data, "person_id")
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None or not permissions.can_view_person(current_scope(), person):
            raise NotFound(_("Unknown person."), field="person_id")  # unknown or outside scope: alike
    else:
        person = create_person(_person_input(data), actor_id=current_user.id)
    membership = teams.add_member(team, person, role, actor_id=current_user.id)
    db.session.commit()
    return jsonify(ser.membership(membership)), 201


@bp.post("/api/v1/memberships/<int:membership_id>/end")
def end_membership(membership_id: int):
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        abort(404)
    _visible_team(membership.team_id, manage=True)
    teams.end_membership(membership, actor_id=current_user.id)
    db.session.commit()
    return jsonify(ser.membership(membership))


@bp.get("/api/v1/people")
def list_people():
    page, per_page = paging()
    rows = directory(current_scope(), request.args.get("q", ""), limit=per_page + 1, offset=(page - 1) * per_page)
    return jsonify(page_of(rows, page, per_page, ser.person))


def _visible_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or not permissions.can_view_person(current_scope(), person):
        abort(404)
    return person


@bp.get("/api/v1/people/<int:person_id>")
def get_person(person_id: int):
    person = _visible_person(person_id)
    body = ser.person(person)
    body["memberships"] = [ser.membership(m, with_person=False)
                           for m in overview.person_memberships(person.id, current_first=False)]
    return jsonify(body)


@bp.patch("/api/v1/people/<int:person_id>")
def patch_person(person_id: int):
    person = _visible_person(person_id)
    refused_over(person, "edit", permissions.can_edit_person(current_scope(), person))
    update_person(person, _person_input(json_body(), base=person), actor_id=current_user.id)
    db.session.commit()
    return jsonify(ser.person(person))

"""/api/v1 duty endpoints: my duty state, check-in batches, who is on duty now, hours, shifts."""
from __future__ import annotations

from datetime import date, time, timedelta

from flask import abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from models import Shift, Team, db

from coordination.duty import changes, checkins, queries as duty
from coordination.core import metrics, permissions
from coordination.org import overview
from coordination.web.login import current_scope
from coordination.clock import local_now, local_to_utc, local_today, to_local, utcnow
from coordination.core.errors import Unprocessable, ValidationError
from coordination.web.api.core import bp, not_signed_in
from coordination.web.api import duty_changes
from coordination.web.api.json_input import json_body, query_int


def _shift(s) -> dict:
    return {"id": s.id, "team_id": s.team_id, "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
            "local": f"{to_local(s.starts_at):%d/%m %H:%M}–{to_local(s.ends_at):%H:%M}", "required": s.required}


def _session(session) -> dict | None:
    if session is None:
        return None
    return {"id": session.id, "started_at": session.started_at.isoformat(),
            "local": f"{to_local(session.started_at):%d/%m %H:%M}", "shift_id": session.shift_id}


def _my_shifts(mine, person_id: int, names: dict, team_ids: list[int]) -> tuple[list[dict], list[dict]]:
    """My current and next shifts with my role on each and, on shifts of teams I am still a member
    of, who else is on it and the team's leads with their phones (to call): two queries for both lists."""
    shifts = mine.current + mine.upcoming
    people = duty.people_on([s.id for s in shifts])
    leads = duty.leads_of({s.team_id for s in shifts if s.team_id in team_ids})
    pending = changes.open_for_places([s.id for s in shifts])
    now, limit = utcnow(), changes.cutoff()

    def one(s) -> dict:
        on, member = people.get(s.id, []), s.team_id in team_ids
        change = next((c for c in pending.get(s.id, []) if c.from_person_id == person_id), None)
        return dict(_shift(s), team=names.get(s.team_id),
                    role=next((p.role for p in on if p.person_id == person_id), None),
                    others=[{"name": p.full_name, "phone": p.phone, "role": p.role}
                            for p in on if member and p.person_id != person_id],
                    leads=[{"name": n, "phone": ph} for n, ph in leads.get(s.team_id, [])],
                    change=duty_changes.change_json(change) if change else None,
                    can_change=member and change is None and changes.can_still_give_back(s.starts_at, now, limit))
    return [one(s) for s in mine.current], [one(s) for s in mine.upcoming]


MAX_LED_TEAMS = 10


def _led(t) -> dict:
    return {"team_id": t.team_id, "team": t.name,
            "rota": url_for("duty.rota_page", team_id=t.team_id),
            "on_duty": [{"name": n, "phone": p, "since": f"{to_local(at):%H:%M}"} for n, p, at in t.on_duty],
            "gaps_today": [dict(_shift(r.shift), staffed=r.staffed) for r in t.gaps_today]}


@bp.get("/api/v1/duty/me")
def duty_me():
    """Everything the check-in app shows: my open session, current and next shifts (my role, who
    else, the leads to call), open shifts."""
    person_id = current_user.person_id
    mine = duty.person_duty(person_id, team_ids := overview.active_team_ids(person_id))
    names = duty.team_names({s.team_id for s in mine.current + mine.upcoming} |
                            {r.shift.team_id for r in mine.open_shifts})
    current, upcoming = _my_shifts(mine, person_id, names, team_ids)
    given = changes.open_for_places([r.shift.id for r in mine.open_shifts])
    teammates = {str(t): [{"id": i, "name": n} for i, n in overview.member_choices(t) if i != person_id]
                 for t in {s["team_id"] for s in upcoming + current if s["can_change"]}}
    hours = duty.month_hours(person_id)
    scope = current_scope()
    led = duty.led_teams_duty(sorted(scope.led_teams)[:MAX_LED_TEAMS])
    province = url_for("provinces.show", code=min(scope.provinces)) if scope.provinces else None
    return jsonify(
        person={"id": person_id, "full_name": current_user.person.full_name},
        on_duty=mine.open_session is not None, session=_session(mine.open_session),
        current=current, upcoming=upcoming,
        open_shifts=[dict(_shift(r.shift), team=names.get(r.shift.team_id), staffed=r.staffed,
                          given_back_by=[c.from_person.full_name for c in given.get(r.shift.id, [])
                                         if c.kind == "give_back" and c.from_person])
                     for r in mine.open_shifts],
        asked=[duty_changes.change_json(c) for c in changes.asked_of(person_id)], teammates=teammates,
        hours={"this_month": hours.this_month, "last_month": hours.last_month},
        led=[_led(t) for t in led], province=province,
        csrf_token=generate_csrf(), server_time=local_now().isoformat())


def _checkin_settings() -> dict:
    """The deployment's check-in limits and this login's session version, for checkins.submit."""
    return {"far_km": current_app.config.get("CHECKIN_FAR_KM", checkins.DEFAULT_FAR_KM),
            "session_version": g.get("session_version", -1),
            "min_session": timedelta(seconds=current_app.config.get("CHECKOUT_MIN_SECONDS",
                                                                    checkins.MIN_SESSION.total_seconds()))}


@bp.post("/api/v1/checkins")
def post_checkins():
    """A batch of my check-ins/outs (1–500). Answers per item; idempotent on client_uuid."""
    try:
        results = checkins.submit(g.get("session_user_id") or current_user.id, json_body().get("items"),
                                  **_checkin_settings())
    except checkins.NotSignedIn:
        return not_signed_in()
    body = [r.as_dict() for r in results]
    counts = {k: sum(1 for r in body if r["status"] == k)
              for k in (checkins.ACCEPTED, checkins.DUPLICATE, checkins.REJECTED)}
    for result, n in counts.items():
        if n:
            metrics.CHECKINS.labels(result).inc(n)
    return jsonify(results=body, **counts)


@bp.post("/api/v1/shifts/<int:shift_id>/claim")
def claim_shift(shift_id: int):
    """I take an open place on a shift of my team: one tap on /duty/ (the rota page's "Take this shift")."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or not permissions.can_claim_shift(current_scope(), shift):
        abort(404)
    return duty_changes.claim(shift, _shift(shift))


@bp.get("/api/v1/duty/now")
def duty_now():
    """People on duty now: per province (ministry), or per commune team of one province."""
    scope = current_scope()
    province = request.args.get("province")
    if province:
        if not permissions.can_view_province(scope, province):
            abort(404)
        return jsonify(province=province, teams={str(k): v for k, v in duty.on_duty_by_team(province).items()})
    if not scope.national:
        abort(404)
    return jsonify(provinces=duty.on_duty_by_province())


MAX_RANGE_DAYS = 366
WINDOW = timedelta(days=3653)  # dates more than ten years from today name no shift


def _local_day(key: str, default: date) -> date:
    raw = request.args.get(key)
    if raw is None:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(_("Use a date like 2026-12-31."), field=key) from None
    today = local_today()
    if not today - WINDOW <= day <= today + WINDOW:
        raise Unprocessable(_("Choose a date within ten years of today."), field=key)
    return day


def _local_days(default_first: date, default_last) -> tuple[date, date]:
    """?from= and ?to= (local dates, inclusive): in order, near today, at most MAX_RANGE_DAYS apart."""
    first = _local_day("from", default_first)
    last = _local_day("to", default_last(first))
    if last < first:
        raise Unprocessable(_("The last day is before the first day."), field="to")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise Unprocessable(_("At most %(n)d days at a time.", n=MAX_RANGE_DAYS), field="to")
    return first, last


@bp.get("/api/v1/duty/hours")
def duty_hours():
    """Hours on duty per person of a team, between two local dates (inclusive)."""
    team = db.session.get(Team, query_int("team", 0, low=0) or 0)
    if team is None or not permissions.can_view_team(current_scope(), team):
        abort(404)
    first, last = _local_days(local_today().replace(day=1), lambda _first: local_today())
    start, end = local_to_utc(first, time(0)), local_to_utc(last + timedelta(days=1), time(0))
    hours = duty.hours_on_duty(start, end, team_id=team.id)
    if not permissions.can_manage_team(current_scope(), team):  # a member sees their own figure
        hours = {k: v for k, v in hours.items() if k == current_user.person_id}
    return jsonify(team_id=team.id, first_day=first.isoformat(), last_day=last.isoformat(),
                   hours={str(k): v for k, v in hours.items()}, total=round(sum(hours.values()), 2))


@bp.get("/api/v1/teams/<int:team_id>/shifts")
def team_shifts(team_id: int):
    team = db.session.get(Team, team_id)
    if team is None or not permissions.can_view_team(current_scope(), team):
        abort(404)
    first, last = _local_days(local_today(), lambda first: first + timedelta(days=7))
    rows = duty.team_shifts(team.id, local_to_utc(first, time(0)), local_to_utc(last + timedelta(days=1), time(0)))
    staffing = duty.assignments_for([r.shift.id for r in rows])
    return jsonify(items=[dict(_shift(r.shift), staffed=r.staffed, gap=r.gap, people=[
        {"assignment_id": a.id, "person_id": a.person_id, "name": name, "role": a.role}
        for a, name in staffing[r.shift.id]]) for r in rows])

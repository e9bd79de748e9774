"""Home (by role) and commune search."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coordination.duty import queries as duty
from coordination.org import overview
from coordination.core import permissions
from coordination.web.login import current_scope
from coordination.geography.search import search_communes
from coordination.web.helpers import require

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    scope = current_scope()
    if scope.national:
        return render_template("national.html", provinces=overview.national_summary(),
                               on_duty=duty.on_duty_by_province())
    if len(scope.provinces) == 1:
        return redirect(url_for("provinces.show", code=next(iter(scope.provinces))))
    if len(scope.led_teams) == 1 and not scope.provinces:
        return redirect(url_for("teams.show", team_id=next(iter(scope.led_teams))))
    memberships = overview.person_memberships(current_user.person_id)
    provinces = sorted(scope.provinces)
    return render_template("me.html", memberships=memberships, provinces=provinces)


@bp.get("/search")
@login_required
def search():
    scope = current_scope()
    require(permissions.can_search_units(scope))
    q = (request.args.get("q") or "").strip()[:200]
    results = search_communes(q) if q else []
    return render_template("search.html", q=q, results=results)

"""The coverage map and dashboards: national (/map) and per province (/map/<code>), CSV exports.
Counts only — no names of volunteers, no phone numbers — so every signed-in user may see them."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from maps import coverage_map

from coordination.reports import coverage
from coordination.web.login import current_scope
from coordination.clock import local_today
from coordination.core.exports import to_csv
from coordination.org.overview import home_province
from coordination.web.helpers import province_or_404

bp = Blueprint("maps", __name__, url_prefix="/map")


def _tiles() -> tuple[Optional[str], str]:
    return current_app.config.get("MAP_TILES_URL"), current_app.config.get("MAP_TILES_ATTRIBUTION", "")


@coverage.live
def _national_parts(locale: str) -> coverage_map.MapParts:
    url, attribution = _tiles()
    return coverage_map.national_map(coverage.provinces(), coverage.communes(None),
                                     province_url=url_for("maps.province", code="").rstrip("/") + "/",
                                     tiles_url=url, tiles_attribution=attribution)


@coverage.live
def _province_parts(code: str, locale: str) -> coverage_map.MapParts:
    url, attribution = _tiles()
    return coverage_map.province_map(code, coverage.communes(code), tiles_url=url, tiles_attribution=attribution)


@bp.get("")
@login_required
def national():
    scope = current_scope()
    home = None if scope.national else home_province(scope)
    if home and request.args.get("all") != "1":
        return redirect(url_for(".province", code=home))
    return render_template("map.html", parts=_national_parts(str(get_locale())), provinces=coverage.provinces(),
                           dash=coverage.dashboard(None), province=None, communes=None, home=home,
                           legend=coverage_map)


@bp.get("/<code>")
@login_required
def province(code: str):
    unit = province_or_404(code)
    communes = coverage.communes(code)
    row = coverage.roll_up(code, unit.name, communes)  # this province only: no national query
    return render_template("map.html", parts=_province_parts(code, str(get_locale())), province=unit, row=row,
                           communes=communes, dash=coverage.dashboard(code), provinces=None,
                           home=home_province(current_scope()), legend=coverage_map)


def _csv(filename: str, header: list[str], rows) -> Response:
    return Response("".join(to_csv(rows, header)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/coverage.csv")
@login_required
def national_csv():
    rows = [(p.code, p.name, p.communes, p.covered, p.coverage_pct, p.members, p.on_duty, p.tasks, p.tasks_done,
             p.gaps) for p in coverage.provinces()]
    return _csv(f"bao-phu-toan-quoc-{local_today():%Y-%m-%d}.csv",
                [_("Code"), _("Province"), _("Communes"), _("Communes with a team"), _("Coverage %"),
                 _("Members"), _("On duty now"), _("Tasks"), _("Tasks done"), _("Open gaps (7 days)")], rows)


@bp.get("/<code>/coverage.csv")
@login_required
def province_csv(code: str):
    province_or_404(code)
    status = {coverage.NO_TEAM: _("No team"), coverage.TEAM: _("Has a team"), coverage.ON_DUTY: _("On duty now")}
    rows = [(c.code, c.name, status[c.status], c.members, c.on_duty, c.tasks, c.tasks_done, c.gaps)
            for c in coverage.communes(code)]
    return _csv(f"bao-phu-{code}-{local_today():%Y-%m-%d}.csv",
                [_("Code"), _("Commune"), _("Status"), _("Members"), _("On duty now"), _("Tasks"), _("Tasks done"),
                 _("Open gaps (7 days)")], rows)

"""The coverage map and dashboards: national (/map) and per province (/map/<code>), CSV and Excel downloads.
Counts only — no names of volunteers, no phone numbers — so every signed-in user may see them."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import login_required

from maps import coverage_map

from coordination.reports import coverage
from coordination.web.login import current_scope
from coordination.org.overview import home_province
from coordination.web import map_export
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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(code: Optional[str], ext: str) -> Response:
    header, rows = (map_export.PROVINCE, map_export.province_rows(code)) if code else \
        (map_export.NATIONAL, map_export.national_rows())
    body = map_export.csv(header, rows) if ext == "csv" else map_export.xlsx(header, rows)
    return Response(body, mimetype="text/csv; charset=utf-8" if ext == "csv" else XLSX,
                    headers={"Content-Disposition": f"attachment; filename={map_export.filename(code, ext)}"})


@bp.get("/coverage.<any(csv, xlsx):ext>")
@login_required
def national_download(ext: str):
    return _download(None, ext)


@bp.get("/<code>/coverage.<any(csv, xlsx):ext>")
@login_required
def province_download(code: str, ext: str):
    province_or_404(code)
    return _download(code, ext)

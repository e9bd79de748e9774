"""A campaign's page (/tasks/campaigns/<id>): its figures, per-commune table, map and exports.
Seen by those who see the board of its province (a nationwide one: the ministry, and each province's
leads for their own province); anyone else gets 404 and the refusal is audited."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context
from flask_login import login_required

from maps.campaign_map import STATE_COLOURS, campaign_map
from models import Campaign

from coordination.clock import local_today
from coordination.core import permissions
from coordination.org.overview import home_province
from coordination.tasks import campaigns
from coordination.web import campaign_export, labels
from coordination.web.helpers import get_or_404, page_arg, province_or_404, refuse_unless, require
from coordination.web.login import current_scope

bp = Blueprint("campaigns", __name__, url_prefix="/tasks/campaigns")


def _area(campaign: Campaign) -> Optional[str]:
    """The province the page shows: the campaign's own, else ?province=, else a lead's home province."""
    scope = current_scope()
    code = campaign.province_code or request.args.get("province") or (None if scope.national else home_province(scope))
    return province_or_404(code).code if code else None


def _campaign(campaign_id: int) -> tuple[Campaign, Optional[str]]:
    campaign = get_or_404(Campaign, campaign_id)
    area = _area(campaign)
    scope = current_scope()
    allowed = permissions.can_view_province(scope, area) if area else scope.national
    refuse_unless(allowed, "view", "campaign", campaign.id, area or campaign.province_code)
    return campaign, area


def _sort() -> tuple[str, bool]:
    sort = request.args.get("sort", "commune")
    return (sort if sort in campaigns.SORTS else "commune"), request.args.get("desc") == "1"


@bp.get("")
@login_required
def index():
    """The newest campaigns one may watch, with their figures (a lead's: in their own province)."""
    scope = current_scope()
    require(scope.national or bool(scope.provinces))
    home = None if scope.national else home_province(scope) or sorted(scope.provinces)[0]
    listed = campaigns.listed(None if scope.national else set(scope.provinces))
    figures = campaigns.figures_of([c for c in listed if c.province_code])  # a province's: its own figures
    figures.update(campaigns.figures_of([c for c in listed if not c.province_code], home))
    return render_template("tasks/campaigns.html", listed=listed, figures=figures, home=home)


@bp.get("/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    campaign, area = _campaign(campaign_id)
    sort, descending = _sort()
    page, figures = page_arg(), campaigns.summary(campaign, area)
    parts = campaign_map(campaigns.map_points(campaign, area), area, labels.CAMPAIGN_STATE,
                         current_app.config.get("MAP_TILES_URL"), current_app.config.get("MAP_TILES_ATTRIBUTION", ""))
    return render_template(
        "tasks/campaign.html", campaign=campaign, area=area and province_or_404(area), figures=figures,
        rows=campaigns.communes(campaign, area, sort, descending, page), page=page, size=campaigns.PAGE_SIZE,
        provinces=campaigns.by_province(campaign) if area is None else None, sort=sort, descending=descending,
        parts=parts, colours=STATE_COLOURS, today=local_today())


@bp.get("/<int:campaign_id>.<fmt>")
@login_required
def export(campaign_id: int, fmt: str):
    campaign, area = _campaign(campaign_id)
    rows = campaigns.export_rows(campaign, area, *_sort())
    name = f"dot-{campaign.id}-{area or 'toan-quoc'}-{local_today().isoformat()}"
    if fmt == "csv":
        return Response(stream_with_context(campaign_export.csv(rows)), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return Response(campaign_export.xlsx(rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    abort(404)

"""The audit trail for leads: who changed what inside their area, filterable, newest first."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from coordination.core import audit
from coordination.web import audit_view
from coordination.geography.units import province_choices, unit_names
from coordination.web.login import current_scope
from coordination.web.forms import read_date
from coordination.web.helpers import require, small_int

bp = Blueprint("audit_log", __name__, url_prefix="/audit")
PAGE = 50


def _date(name: str, errors: list):
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    day = read_date(raw)
    if day is None:
        errors.append(_("“%(value)s” is not a date (write it as dd/mm/yyyy).", value=raw[:20]))
    return day


def _filters(scope, errors: list) -> audit.Filters:
    """The query string's filters; what cannot be read is dropped and explained in `errors`."""
    entity = request.args.get("entity", "")
    if entity and entity not in audit.ENTITIES:
        errors.append(_("Choose a kind from the list."))
        entity = ""
    filters = audit.Filters(actor=request.args.get("actor", ""), entity=entity,
                            province=request.args.get("province", "") if scope.national else "",
                            since=_date("since", errors), until=_date("until", errors),
                            before_id=small_int(request.args.get("before")) or None)
    if filters.since and filters.until and filters.until < filters.since:
        errors.append(_("The end date is before the start date."))
    return filters


@bp.get("")
@login_required
def index():
    scope = current_scope()
    require(audit.can_read(scope))
    errors: list[str] = []
    filters = _filters(scope, errors)
    rows = audit.search(scope, filters, limit=PAGE + 1)
    provinces = province_choices() if scope.national else []
    names = dict(provinces) if provinces else unit_names(scope.provinces)
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("audit.html", rows=audit_view.page(rows[:PAGE]), has_more=len(rows) > PAGE, filters=filters,
                           errors=errors, provinces=provinces, province_names=names, args=args,
                           entities=audit.ENTITIES), 400 if errors else 200

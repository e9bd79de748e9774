"""Monthly reports: a printable page with charts, and the same figures as an Excel workbook."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from coordination.emulation import monthly as emulation_month
from coordination.reports import completeness, monthly as monthly_report
from coordination.web.login import current_scope
from coordination.clock import local_today
from coordination.web import labels
from coordination.web.helpers import province_or_404, require
from coordination.web.report_xlsx import workbook

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _month() -> date:
    raw = (request.args.get("month") or "").strip()
    try:
        first = monthly_report.month_start(raw or None)
    except ValueError:
        abort(400, _("The month must look like 2026-11."))
    if first.year < 2020 or first > local_today():
        abort(400, _("Choose a month between 01/2020 and this month."))
    return first


def _province():
    """The province asked for, or None for the national report; only inside the user's scope."""
    scope = current_scope()
    code = request.args.get("province") or None
    if code is None:
        require(scope.national)
        return None
    province = province_or_404(code)
    require(scope.national or code in scope.provinces)
    return province


@bp.get("/monthly")
@login_required
def monthly():
    scope = current_scope()
    if "province" not in request.args and not scope.national:
        require(bool(scope.provinces))
        return redirect(url_for("reports.monthly", province=sorted(scope.provinces)[0], **request.args))
    province, first = _province(), _month()
    code = province.code if province else None
    report = monthly_report.build(first, code)
    return render_template("reports/monthly.html", r=report, metrics=monthly_report.HEADLINE,
                           em=emulation_month.build(first, code, report.generated_at),
                           rates=completeness.build(first, code, report.generated_at),
                           metric_labels=labels.REPORT_METRIC, month_value=first.strftime("%Y-%m"),
                           months=_months())


def _months() -> list[date]:
    """The months one can pick, newest first: from 01/2020 to this month (Vietnam time)."""
    today, months = local_today(), []
    year, month = today.year, today.month
    while (year, month) >= (2020, 1):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@bp.get("/monthly.xlsx")
@login_required
def monthly_xlsx():
    province, first = _province(), _month()
    code = province.code if province else None
    report = monthly_report.build(first, code)
    extra = (emulation_month.build(first, code, report.generated_at),
             completeness.build(first, code, report.generated_at))
    name = f"bao-cao-{province.code if province else 'toan-quoc'}-{first:%Y-%m}.xlsx"
    return Response(workbook(report, *extra), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})

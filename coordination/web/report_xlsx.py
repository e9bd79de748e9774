"""The monthly report as an Excel workbook: summary with the change from last month, one row per
province (or commune team), members by affiliation, tasks done by kind."""
from __future__ import annotations

import io

from flask_babel import gettext as _

from coordination.core.exports import xlsx_append
from coordination.reports.monthly import HEADLINE, MonthlyReport
from coordination.web import labels
from coordination.web.report_xlsx_emulation import emulation_sheet


def workbook(report: MonthlyReport, emulation=None, rates=None) -> bytes:
    # lazy: openpyxl adds ~70 ms at start-up; only the .xlsx report uses it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, header: list, rows, widths=()):
        ws = book.create_sheet(title[:31])
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(65 + i)].width = width
        ws.freeze_panes = "A2"
        cells = []
        for value in header:
            cell = WriteOnlyCell(ws, value=str(value))
            cell.font = bold
            cells.append(cell)
        xlsx_append(ws, cells)
        for row in rows:
            xlsx_append(ws, row)

    where = report.province.name if report.province else _("Whole country")
    month = report.month.strftime("%m/%Y")
    sheet(_("Summary"), [f"{where} · {month}", _("This month"), _("Previous month"), _("Change")],
          ([str(labels.REPORT_METRIC[n]), getattr(report.total, n), getattr(report.previous, n), report.change(n)]
           for n in HEADLINE), widths=(42, 16, 16, 12))
    unit = _("Commune") if report.province else _("Province")
    sheet(_("By commune") if report.province else _("By province"),
          [unit] + [str(labels.REPORT_METRIC[n]) for n in HEADLINE if not (report.province and n.startswith("alerts"))],
          ([line.name] + [getattr(line.figures, n) for n in HEADLINE if not (report.province and n.startswith("alerts"))]
           for line in report.lines), widths=(30,) + (14,) * len(HEADLINE))
    sheet(_("Members by affiliation"), [_("Affiliation"), _("This month"), _("Previous month")],
          ([str(label), report.total.members_by_affiliation.get(code, 0),
            report.previous.members_by_affiliation.get(code, 0)] for code, label in labels.AFFILIATION.items()),
          widths=(30, 16, 16))
    sheet(_("Tasks done by kind"), [_("Kind"), _("This month"), _("Previous month")],
          ([str(label), report.total.tasks_done_by_kind.get(code, 0), report.previous.tasks_done_by_kind.get(code, 0)]
           for code, label in labels.kinds().items()), widths=(44, 16, 16))
    if emulation is not None and rates is not None:
        emulation_sheet(book, emulation, rates, f"{where} · {month}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

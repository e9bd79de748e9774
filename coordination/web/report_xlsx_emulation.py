"""The monthly report's "Thi đua" sheet: movements, top movers, good practices, commendations and
reporting completeness, one block under the other (a bold header row each), every cell formula-safe."""
from __future__ import annotations

from flask_babel import gettext as _

from coordination.clock import to_local
from coordination.core.exports import xlsx_append
from coordination.emulation.monthly import EmulationMonth
from coordination.reports.completeness import Completeness


def emulation_sheet(book, em: EmulationMonth, rates: Completeness, title: str) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    ws = book.create_sheet(_("Emulation")[:31])
    for column, width in zip("ABCDEFGHI", (44, 24, 16, 14, 14, 14, 14, 14, 16)):
        ws.column_dimensions[column].width = width
    bold = Font(bold=True)

    def header(*values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=str(value))
            cell.font = bold
            cells.append(cell)
        xlsx_append(ws, cells)

    def block(head, rows):
        xlsx_append(ws, [])
        header(*head)
        for row in rows:
            xlsx_append(ws, row)

    header(f"{_('Emulation')} · {title}")
    block([_("Movement"), _("Area"), _("Period"), _("Teams taking part"), _("Registered"),
           _("Registration rate (%)"), _("On track"), _("Behind"), _("Expected progress (%)")],
          ([m.movement.name, em.provinces.get(m.movement.province_code) or _("Whole country"),
            f"{m.movement.start_date:%d/%m/%Y} – {m.movement.end_date:%d/%m/%Y}", m.participating, m.registered,
            m.registration_rate, m.on_track, m.behind, m.expected] for m in em.movements))
    block([_("Top movers"), _("Commune"), _("Province"), _("Score at the month's start"),
           _("Score at the month's end"), _("Gain")],
          ([m.movement.name, mover.name, em.provinces.get(mover.province, mover.province), mover.before,
            mover.after, mover.gain]
           for m in em.movements for mover in m.movers))
    block([_("Good practices published"), _("Commune"), _("Province"), _("Published"), _("Teams that applied it")],
          ([title_, team, em.provinces.get(province, province), to_local(at).strftime("%d/%m/%Y"), applied]
           for title_, team, province, at, applied in em.practices))
    w = em.commendations
    block([_("Good practices and commendations"), _("Figure")], [
        [_("Good practices published"), em.practices_published], [_("Times a practice was applied"),
                                                                   em.practices_applied],
        [_("Commendations proposed"), w.proposed], [_("Approved"), w.approved], [_("Rejected"), w.rejected],
        [_("Median days from proposal to decision"), w.median_days],
        [_("Longest days from proposal to decision"), w.longest_days],
        [_("Open at the month's end"), w.open_at_end], [_("Of which waiting too long"), w.overdue],
        [_("Longest wait still open (days)"), w.longest_open_days]])
    block([_("Reporting completeness"), _("Teams with open tasks"), _("Reported"), _("Reporting rate (%)"),
           _("On time"), _("On-time rate (%)")],
          ([line.name or _("Total"), line.expected, line.reported, line.reporting_rate, line.on_time, line.on_time_rate]
           for line in rates.lines + [rates.total] if line.expected or line is rates.total))
    block([_("Teams that did not report"), _("Province")], (list(row) for row in rates.missing))

"""A campaign's per-commune table as CSV and Excel, read the Vietnamese way (like task_export.py):
headings in the reader's language, states named, dates dd/mm/yyyy, counts as numbers, formula-safe
cells (coordination.core.exports)."""
from __future__ import annotations

import io
from typing import Iterator

from flask_babel import lazy_gettext as _l

from coordination.core import exports
from coordination.tasks.campaigns import CommuneRow
from coordination.web import labels

HEADER = [_l("No."), _l("Province"), _l("Commune"), _l("Progress"), _l("Status"), _l("Done"), _l("Target"),
          _l("Percent done"), _l("Due date"), _l("Reason blocked")]


def readable(row: CommuneRow) -> list:
    return [row.task_id, row.province, row.commune, str(labels.CAMPAIGN_STATE.get(row.state, row.state)),
            str(labels.STATUS.get(row.status, row.status)), row.done, row.target if row.target is not None else "",
            row.percent if row.percent is not None else "", row.due_date.strftime("%d/%m/%Y") if row.due_date else "",
            row.blocked_reason or ""]


def csv(rows: Iterator[CommuneRow]) -> Iterator[str]:
    return exports.to_csv((readable(r) for r in rows), [str(h) for h in HEADER])


def xlsx(rows: Iterator[CommuneRow]) -> bytes:
    from openpyxl import Workbook  # lazy, as in coordination.tasks.board.to_xlsx

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("campaign")
    exports.xlsx_append(sheet, [str(h) for h in HEADER])
    for row in rows:
        exports.xlsx_append(sheet, readable(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

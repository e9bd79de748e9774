"""The board's CSV and Excel files as a Vietnamese official reads them: headings and labels in the
reader's language, dates as dd/mm/yyyy, times in Vietnam time, counts as numbers (issue 18 §6)."""
from __future__ import annotations

from typing import Iterator

from flask_babel import gettext as _, lazy_gettext as _l

from coordination.tasks import board
from coordination.web import labels
from coordination.web.i18n import local_time

HEADER = [_l("No."), _l("Commune"), _l("Kind"), _l("Title"), _l("Status"), _l("Priority"), _l("Due date"),
          _l("Target"), _l("Unit"), _l("Done"), _l("Percent done"), _l("Assigned to"), _l("Reason blocked"),
          _l("Created at")]


def readable(row: list) -> list:
    """One board row (board.export_rows) with its codes named and its moments written the local way."""
    (task_id, commune, kind, title, status, priority, due, target, unit, done, percent, assignee, blocked,
     created) = row
    return [task_id, commune, labels.kind(kind), title, str(labels.STATUS.get(status, status)),
            str(labels.PRIORITY.get(priority, priority)), due.strftime("%d/%m/%Y") if due else "",
            target if target is not None else "", unit or "", done, percent if percent is not None else "",
            assignee or "", blocked or "", local_time(created)]


def csv(rows: Iterator[list]) -> Iterator[str]:
    return board.to_csv((readable(r) for r in rows), [str(h) for h in HEADER])


def xlsx(rows: Iterator[list]) -> bytes:
    return board.to_xlsx((readable(r) for r in rows), [str(h) for h in HEADER], _("Tasks"))

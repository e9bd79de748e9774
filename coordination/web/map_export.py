"""The coverage map's downloads (CSV and Excel) as a Vietnamese official reads them: headings and
statuses in the reader's language, counts and shares as numbers (number cells in Excel; a code
such as 00004 stays text so its zeros are kept). Each heading says what its count is: the share of
communes that have a team is not the shift coverage of the monthly report (issue 18 §6)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coordination.clock import local_today
from coordination.core import exports
from coordination.reports import coverage

NATIONAL = [_l("Code"), _l("Province"), _l("Communes"), _l("Communes with a team"),
            _l("Communes with a team (%)"), _l("Members"), _l("On duty now"), _l("Tasks"), _l("Tasks done"),
            _l("Open gaps (7 days)")]
PROVINCE = [_l("Code"), _l("Commune"), _l("Status"), _l("Members"), _l("On duty now"), _l("Tasks"),
            _l("Tasks done"), _l("Open gaps (7 days)")]


def national_rows() -> list[list]:
    return [[p.code, p.name, p.communes, p.covered, p.coverage_pct, p.members, p.on_duty, p.tasks, p.tasks_done,
             p.gaps] for p in coverage.provinces()]


def province_rows(code: str) -> list[list]:
    status = {coverage.NO_TEAM: _("No team"), coverage.TEAM: _("Has a team"), coverage.ON_DUTY: _("On duty now"),
              coverage.EMPTY_TEAM: _("Team without members")}
    return [[c.code, c.name, status[c.status], c.members, c.on_duty, c.tasks, c.tasks_done, c.gaps]
            for c in coverage.communes(code)]


def filename(code: str | None, ext: str) -> str:
    return f"bao-phu-{code or 'toan-quoc'}-{local_today():%Y-%m-%d}.{ext}"


def csv(header: list, rows: list[list]) -> str:
    return "".join(exports.to_csv(rows, [str(h) for h in header]))


def xlsx(header: list, rows: list[list]) -> bytes:
    return exports.to_xlsx(rows, [str(h) for h in header], _("Coverage"))

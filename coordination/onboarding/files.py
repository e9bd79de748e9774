"""The spreadsheets around a member import: the blank template to fill in (CSV or Excel, with a
guide sheet) and a user's recent uploads."""
from __future__ import annotations

import io
from typing import Iterator

import sqlalchemy as sa

from models.imports import ImportBatch
from models import db

from coordination.core.exports import to_csv, xlsx_append
from coordination.onboarding.columns import TEMPLATE_EXAMPLES, TEMPLATE_GUIDE, TEMPLATE_HEADER

COLUMN_WIDTHS = (24, 16, 26, 26, 18, 22, 14)  # columns A to G of the template


def template_csv() -> Iterator[str]:
    """The template as CSV: the header and two example rows."""
    return to_csv(TEMPLATE_EXAMPLES, header=TEMPLATE_HEADER)


def template_xlsx() -> bytes:
    """The template as an Excel workbook: the members sheet (phones kept as text) and a guide sheet."""
    from openpyxl import Workbook  # lazy: openpyxl adds ~70 ms at start-up; only the .xlsx template uses it

    book = Workbook()
    sheet = book.active
    sheet.title = "Thành viên"
    for row in [TEMPLATE_HEADER, *TEMPLATE_EXAMPLES]:
        xlsx_append(sheet, row)
    for column, width in zip("ABCDEFG", COLUMN_WIDTHS):
        sheet.column_dimensions[column].width = width
    sheet.column_dimensions["B"].number_format = "@"
    guide = book.create_sheet("Hướng dẫn")
    for line in TEMPLATE_GUIDE:
        xlsx_append(guide, [line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def recent_batches(user_id: int, limit: int = 10) -> list[ImportBatch]:
    """The user's latest uploads, newest first."""
    return list(db.session.scalars(sa.select(ImportBatch).where(ImportBatch.user_id == user_id)
                                   .order_by(ImportBatch.id.desc()).limit(limit)))

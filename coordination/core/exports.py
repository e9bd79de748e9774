"""Every CSV and XLSX the platform writes goes through `safe_row`, so a value that people typed — a
task title, a name, an organisation — can never become a live spreadsheet formula (CSV/formula
injection, OWASP's rule): a text cell starting with = + - @ tab or CR gets a leading single quote.

Numbers stay numbers (a change of -3 from last month is the number -3). Text that is only a number
— a phone such as +84912345678, "-3" — is left alone: Excel reads it as that number, and a number
calls no function and reads no cell, so there is nothing to neutralise (and phones stay readable).
In XLSX a text cell is always written as a string cell (never a formula: openpyxl would take a
leading "=" for one), and it is quote-prefixed too, so copying it into a CSV stays safe."""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Iterator

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as it may go into a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list:
    return [safe_cell(value) for value in row]


def to_csv(rows: Iterable[list], header: list) -> Iterator[str]:
    """CSV with a BOM so Excel on Windows opens the Vietnamese text correctly, in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(safe_row(str(h) for h in header))
    for i, row in enumerate(rows, 1):
        writer.writerow(safe_row(row))
        if i % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_append(sheet, row: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet (normal or write-only) with every text cell a string cell."""
    from openpyxl.cell import Cell, WriteOnlyCell  # lazy: openpyxl adds ~70 ms at start-up; only .xlsx files use it

    cells = []
    for value in safe_row(row):
        if isinstance(value, Cell):
            if isinstance(value.value, str):
                value.value = safe_cell(value.value)
                value.data_type = "s"
            cells.append(value)
        elif isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)


def to_xlsx(rows: Iterable[list], header: list, title: str) -> bytes:
    """A one-sheet workbook: `header` then `rows`, numbers as number cells, text as string cells."""
    from openpyxl import Workbook  # lazy: openpyxl adds ~70 ms at start-up; only .xlsx files use it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title)[:31])
    xlsx_append(sheet, [str(h) for h in header])
    for row in rows:
        xlsx_append(sheet, row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

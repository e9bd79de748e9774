"""Read an uploaded table (CSV or XLSX) into rows of text, whatever Excel or LibreOffice made of it.

CSV arrives as UTF-8 (with or without the BOM Excel adds), UTF-16 ("Unicode text") or the
Windows-1258 Vietnamese code page of older Excel exports, which spells diacritics with
combining marks: everything is normalised to NFC so "Nguyễn" matches "Nguyễn". The delimiter
(comma, semicolon, tab) is detected. XLSX is read with openpyxl in read-only mode; phone numbers
that Excel turned into numbers come back without ".0".
"""
from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import PurePath

from flask_babel import lazy_gettext as _l

from coordination.core.errors import ValidationError
from coordination.core.text import num

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 50
XLSX_MAGIC = b"PK\x03\x04"
# An XLSX is a zip of XML parts. A few hundred KB can expand to hundreds of MB (a "zip bomb": one
# shared-strings part of repeated text), which openpyxl would parse into memory. What a real
# 20,000-row member list needs is far below these limits; the zip's directory is checked before
# openpyxl sees the file (Python's zipfile never inflates a part beyond the size it declares).
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_PART = 30 * 1024 * 1024
MAX_XLSX_PARTS = 500
MAX_XLSX_RATIO = 200  # uncompressed ÷ compressed, for parts over 1 MB


def _file_error(message) -> ValidationError:
    return ValidationError(message, field="file")


def decode(data: bytes) -> str:
    """Bytes of a CSV file as NFC text: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1258."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1258")
            except UnicodeDecodeError:
                raise _file_error(_l("The file's text encoding is not readable. Save it as “CSV UTF-8” "
                                     "and upload it again.")) from None
    return unicodedata.normalize("NFC", text)


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return unicodedata.normalize("NFC", " ".join(str(value).split()))


def _limited(rows) -> list[list[str]]:
    """Non-empty rows (header first), refusing files beyond MAX_ROWS data rows."""
    out: list[list[str]] = []
    for row in rows:
        cells = [_cell(v) for v in list(row)[:MAX_COLUMNS]]
        if not any(cells):
            continue
        out.append(cells)
        if len(out) > MAX_ROWS + 1:
            raise _file_error(_l("The file has more than %(n)s rows. Split it into smaller files.",
                                 n=num(MAX_ROWS)))
    return out


def read_csv(data: bytes) -> list[list[str]]:
    text = decode(data)
    try:
        return _limited(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as err:
        raise _file_error(_l("The CSV file is malformed: %(reason)s.", reason=str(err))) from None


def check_xlsx_size(data: bytes) -> None:
    """Refuse an XLSX whose parts would expand beyond the limits, before anything inflates it."""
    unreadable = _l("This is not a readable Excel file. Save it as .xlsx or CSV and try again.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error(unreadable) from None
    total = sum(p.file_size for p in parts)
    too_big = (len(parts) > MAX_XLSX_PARTS or total > MAX_XLSX_UNCOMPRESSED
               or any(p.file_size > MAX_XLSX_PART for p in parts)
               or any(p.file_size > 1024 * 1024 and p.file_size > MAX_XLSX_RATIO * max(p.compress_size, 1)
                      for p in parts))
    if too_big:
        raise _file_error(_l("This Excel file expands to %(size)s MB when opened (at most %(max)s MB), or is "
                             "packed in a suspicious way. Nothing was imported: save it as CSV, or split it "
                             "into smaller files.",
                             size=f"{total / 1048576:.0f}", max=MAX_XLSX_UNCOMPRESSED // 1048576))


def read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # lazy: openpyxl adds ~70 ms at start-up; only .xlsx uploads use it

    check_xlsx_size(data)

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _file_error(_l("This is not a readable Excel file. Save it as .xlsx or CSV and try again.")) from None
    try:
        sheet = book.worksheets[0]
        return _limited(sheet.iter_rows(values_only=True))
    finally:
        book.close()


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """Rows of the first sheet, header first. File-level problems raise ValidationError(field='file')."""
    if not data:
        raise _file_error(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _file_error(_l("The file is too large (%(size)s MB; at most %(max)s MB). Split it into smaller files.",
                             size=f"{len(data) / 1048576:.1f}", max=MAX_BYTES // 1048576))
    suffix = PurePath(filename or "").suffix.lower()
    if data.startswith(XLSX_MAGIC) or suffix in (".xlsx", ".xlsm"):
        rows = read_xlsx(data)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _file_error(_l("This does not look like a text (CSV) file."))
        rows = read_csv(data)
    elif suffix == ".xls":
        raise _file_error(_l("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
    else:
        raise _file_error(_l("Choose a CSV or Excel (.xlsx) file."))
    if not rows:
        raise _file_error(_l("The file is empty."))
    if len(rows) < 2:
        raise _file_error(_l("The file has a header but no rows to import."))
    return rows

"""XLSX zip bomb (issue 15 part 4): a workbook of ~200 KB whose shared strings expand to 200 MB is
refused, with a clear message, before openpyxl parses it; nothing is imported."""
from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
import sqlalchemy as sa

from coordination.core import spreadsheet
from coordination.core.errors import ValidationError
from models import ImportBatch, Person, db
from tests.test_imports_web import upload

PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.'
    'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
    'http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>',
    "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
    'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>',
}


def bomb(shared_mb: int = 200) -> bytes:
    """A valid workbook whose sharedStrings.xml is `shared_mb` MB of one repeated string."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main"><si><t>H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan</t></si><si><t>An')
            chunk = b"A" * (1024 * 1024)
            for _ in range(shared_mb):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb_bytes() -> bytes:
    data = bomb()
    assert len(data) < 300 * 1024  # small on disk, like the reported 205 KB file
    return data


def test_the_bomb_is_refused_before_it_is_inflated(bomb_bytes):
    import openpyxl  # noqa: F401  (its import is not what we measure)

    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as err:
            spreadsheet.read_table("members.xlsx", bomb_bytes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.field == "file"
    assert peak < 5 * 1024 * 1024  # nothing near the 200 MB the part would expand to


def test_a_small_honest_workbook_still_reads():
    rows = spreadsheet.read_table("ok.xlsx", bomb(shared_mb=0))
    assert rows == [["Họ và tên"], ["An"]]


def test_the_upload_page_explains_and_imports_nothing(world, auth, bomb_bytes):
    people = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    auth.as_user(world.lead_a)
    response = upload(auth.client, bomb_bytes, "members.xlsx")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tệp Excel này khi mở ra chiếm 200 MB (tối đa 50 MB)" in html and "Chưa nhập gì cả" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == people

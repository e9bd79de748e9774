"""Formula injection (issue 15 part 4): text people typed never becomes a live formula in an export,
through the real download routes, and the text is kept (behind a single quote)."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from coordination.tasks import assignment, rules as tasks
from coordination.core.exports import safe_cell
from models import Task, db
from tests.factories import HANOI, make_person

TITLE = '=HYPERLINK("http://evil.example","x")'
NAME = "@SUM(1+1)"
REASON = "-2+3+cmd|' /C calc'!A0"


def test_safe_cell_follows_owasp_and_keeps_numbers():
    for bad in ("=1+1", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell(-3) == -3 and safe_cell(-33.3) == -33.3 and safe_cell(0) == 0
    assert safe_cell("+84912345678") == "+84912345678"  # a phone is only a number: nothing to run
    assert safe_cell("-3") == "-3" and safe_cell("Phường Ba Đình") == "Phường Ba Đình"


def _blocked_task(world):
    assignment.assign(tasks.TaskSpec(kind="other", title=TITLE, target_count=10), assignment.Targeting(HANOI),
                      world.lead_a.id)
    db.session.commit()
    task = db.session.scalar(sa.select(Task))
    task.assignee_person_id = make_person(full_name=NAME).id
    tasks.change_status(task, "blocked", world.lead_a.id, None, REASON)
    db.session.commit()
    return task


def test_task_board_csv_neutralises_formulas(world, client, auth):
    _blocked_task(world)
    auth.as_user(world.lead_a)
    text = client.get(f"/provinces/{HANOI}/tasks.csv").get_data(as_text=True).lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, row))
    assert record["Tên nhiệm vụ"] == "'" + TITLE
    assert record["Người được giao"] == "'" + NAME
    assert record["Lý do vướng mắc"] == "'" + REASON
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_task_board_xlsx_has_no_formula_cell(world, client, auth):
    _blocked_task(world)
    auth.as_user(world.lead_a)
    book = load_workbook(io.BytesIO(client.get(f"/provinces/{HANOI}/tasks.xlsx").data))
    sheet = book.active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [c.value for c in sheet[2]]
    assert "'" + TITLE in values and "'" + NAME in values and "'" + REASON in values
    done = [c for c in sheet[2] if c.value == 0]
    assert done and done[0].data_type == "n"  # numbers stay numbers


def test_every_xlsx_download_is_formula_free(world, client, auth):
    auth.as_user(world.lead_a)
    for path in ("/imports/template.xlsx", "/reports/monthly.xlsx?province=01"):
        response = client.get(path)
        assert response.status_code == 200, path
        book = load_workbook(io.BytesIO(response.data))
        assert not [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row
                    if c.data_type == "f"], path

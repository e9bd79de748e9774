"""Numbers the reader's way (issue 18 §6): 100.066 and 9,5 % in Vietnamese, 100,066 and 9.5% in
English, on pages and map tooltips; the map's downloads say what each count is, in the reader's
language, with counts as numbers in Excel."""
from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from coordination.core.text import num, pct
from models import db
from tests.factories import HANOI

NBSP = "\u00a0"


def test_counts_and_shares_in_both_languages(app):
    with app.test_request_context():
        assert (num(100066), pct(9.5), pct(100), pct(None)) == ("100.066", f"9,5{NBSP}%", f"100{NBSP}%", "—")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert (num(100066), pct(9.5), pct(100)) == ("100,066", "9.5%", "100%")


def test_the_map_writes_shares_the_vietnamese_way(world, client, auth):
    auth.as_user(world.ministry)
    html = client.get("/map?all=1").get_data(as_text=True)
    table = html.split("<table", 1)[1]
    assert re.search(rf">0,8{NBSP}%", table)  # Hà Nội: 1 commune in 126 has a team
    legend = html.split('id="legend"', 1)[1].split("</div>", 1)[0]
    assert f"0,8{NBSP}%" in legend  # the legend's class for Hà Nội's share, chosen from the figures
    assert f"1/126 (0,8{NBSP}%)" in html or "1/126 (0,8\\u00a0%)" in html  # Hà Nội's tooltip
    world.ministry.locale = "en"
    db.session.commit()
    english = client.get("/map?all=1").get_data(as_text=True).split("<table", 1)[1]
    assert ">0.8%" in english and f"{NBSP}%" not in english


def test_the_map_downloads_say_what_they_count_in_the_readers_language(world, client, auth):
    auth.as_user(world.ministry)
    rows = list(csv.reader(io.StringIO(client.get("/map/coverage.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][4] == "Tỷ lệ xã/phường đã có tổ (%)"  # not the monthly report's shift coverage
    book = load_workbook(io.BytesIO(client.get(f"/map/{HANOI}/coverage.xlsx").data))
    sheet = book.active
    head = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert head[:3] == ["Mã", "Xã/phường", "Trạng thái"]
    mine = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == world.commune_team.admin_unit_code)
    assert mine[0].data_type == "s" and mine[2].value == "Đã có tổ"
    assert mine[3].value == 2 and mine[3].data_type == "n"
    national = load_workbook(io.BytesIO(client.get("/map/coverage.xlsx").data)).active
    hanoi = next(r for r in national.iter_rows(min_row=2) if r[0].value == HANOI)
    assert hanoi[2].value == 126 and isinstance(hanoi[4].value, float)
    world.ministry.locale = "en"
    db.session.commit()
    english = list(csv.reader(io.StringIO(client.get("/map/coverage.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert english[0][:5] == ["Code", "Province", "Communes", "Communes with a team", "Communes with a team (%)"]


def test_the_province_header_writes_large_counts_with_dots(world, client, auth, monkeypatch):
    from coordination.web import provinces

    team = world.commune_team.id
    monkeypatch.setattr(provinces.duty, "province_gaps", lambda code, **kw: {team: 12345})
    monkeypatch.setattr(provinces.duty, "on_duty_by_team", lambda code: {team: 1500})
    auth.as_user(world.lead_a)
    html = client.get(f"/provinces/{HANOI}").get_data(as_text=True)
    assert "12.345 ca thiếu người trong 7 ngày tới" in html and "<b>1.500</b>" in html
    assert ">12.345</td>" in html and ">1.500</td>" in html

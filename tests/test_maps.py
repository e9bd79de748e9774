"""The coverage map: real boundaries, who lands where, counts only, exports, compression, and the map
in Chromium with no request leaving 127.0.0.1."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from maps import coverage_map
from maps.build_boundaries import OUTPUT
from models import AdminUnit, db
from tests.factories import HANOI, HCM, browser_login


def test_boundaries_are_the_34_provinces_and_hold_their_communes(ctx):
    import geopandas as gpd

    shapes = gpd.read_file(OUTPUT)
    codes = set(db.session.scalars(sa.select(AdminUnit.code).where(AdminUnit.level == "province")))
    assert len(shapes) == 34 and set(shapes["code"]) == codes
    assert shapes.geometry.is_valid.all()
    communes = db.session.execute(sa.select(AdminUnit.code, AdminUnit.province_code, AdminUnit.lat, AdminUnit.lon)
                                  .where(AdminUnit.level == "commune")).all()
    points = gpd.GeoDataFrame({"province": [c.province_code for c in communes]},
                              geometry=gpd.points_from_xy([c.lon for c in communes], [c.lat for c in communes]),
                              crs=shapes.crs)
    joined = gpd.sjoin(points, shapes, how="left", predicate="within")
    share = (joined["province"] == joined["code"]).mean()
    print(f"commune centroids inside their own province polygon: {share:.2%} of {len(communes)}")
    assert share >= 0.98  # measured 99.1%: the misses are islands and a few communes on a border


def test_colour_bins():
    assert coverage_map.colour_for(None, coverage_map.PCT_BINS) == coverage_map.NO_DATA
    assert coverage_map.colour_for(0, coverage_map.PCT_BINS) == "#d73027"
    assert coverage_map.colour_for(90, coverage_map.PCT_BINS) == "#1b7837"
    assert coverage_map.colour_for(4, coverage_map.COUNT_BINS["gaps"]) == "#fcae91"


@pytest.mark.parametrize("role, lands", [("ministry", "/map"), ("lead_a", f"/map/{HANOI}"),
                                         ("lead_b", f"/map/{HCM}"), ("volunteer", f"/map/{HANOI}"),
                                         ("anonymous", "/login")])
def test_each_role_lands_on_its_map(world, auth, role, lands):
    if role != "anonymous":
        auth.as_user(world.users()[role])
    response = auth.client.get("/map")
    if lands == "/map":
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response.headers["Location"].startswith(lands)


def test_national_map_shows_counts_never_names_or_phones(world, auth):
    auth.as_user(world.lead_a)
    html = auth.client.get("/map?all=1").get_data(as_text=True)
    assert "Bản đồ bao phủ toàn quốc" in html
    assert html.count("tcn-province") >= 1 and '"n":"Phường' in html
    volunteer = world.volunteer.person
    for secret in (volunteer.full_name, volunteer.phone, "0987654321", world.lead_a.person.full_name):
        assert secret not in html
    assert "cdn." not in html and "unpkg" not in html and "googleapis" not in html
    province = auth.client.get(f"/map/{HANOI}").get_data(as_text=True)
    assert volunteer.full_name not in province and volunteer.phone not in province


def test_unknown_province_is_404(world, auth):
    auth.as_user(world.ministry)
    assert auth.client.get("/map/99").status_code == 404
    assert auth.client.get(f"/map/{world.commune_team.admin_unit_code}").status_code == 404


def test_coverage_csv_exports(world, auth):
    auth.as_user(world.ministry)
    national = auth.client.get("/map/coverage.csv")
    assert national.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(national.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 35 and rows[0][0] == "Mã"
    hanoi = next(r for r in rows if r[0] == HANOI)
    assert hanoi[2:4] == ["126", "1"]
    communes = list(csv.reader(io.StringIO(auth.client.get(f"/map/{HANOI}/coverage.csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert len(communes) == 127
    mine = next(r for r in communes if r[0] == world.commune_team.admin_unit_code)
    assert mine[2] == "Đã có tổ" and mine[3] == "2"


def test_the_map_page_is_served_compressed(world, auth):
    auth.as_user(world.ministry)
    plain = auth.client.get("/map")
    packed = auth.client.get("/map", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(plain.get_data()) <= 800_000
    assert len(packed.get_data()) < len(plain.get_data()) / 4


@pytest.mark.browser
def test_map_in_chromium_draws_provinces_and_communes_and_opens_a_province(world, live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    outside, errors = [], []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:")) else outside.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, live_server, "bo@example.vn")
    page.wait_for_load_state()
    page.goto(live_server + "/map")
    page.wait_for_function("() => document.querySelectorAll('path.tcn-province').length === 34")
    assert page.locator("path.tcn-commune").count() == 3321
    legend = page.locator("#legend").inner_text()
    assert "không phải ranh giới" in legend
    # Hà Nội is drawn where Hà Nội is: click the middle of its shape.
    hanoi = json.loads(page.evaluate(
        "JSON.stringify(Object.values(window[%s]._layers).filter(l => l.feature && l.feature.properties.code === %s"
        " && l._path).map(l => l._path.getBoundingClientRect())[0])" % (
            json.dumps(page.locator(".folium-map").get_attribute("id")), json.dumps(HANOI))))
    page.mouse.click(hanoi["x"] + hanoi["width"] / 2, hanoi["y"] + hanoi["height"] / 2 + 6)
    page.wait_for_url(f"{live_server}/map/{HANOI}")
    assert "Thành phố Hà Nội" in page.locator("h1").inner_text()
    page.wait_for_function("() => document.querySelectorAll('path.tcn-commune').length === 126")
    assert "2" in page.locator("tr", has_text=world.commune_team.admin_unit.name).inner_text()
    assert outside == [] and errors == []
    context.close()

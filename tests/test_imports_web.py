"""The import pages: who may use them, errors on the page, preview, confirm, and Chromium end to end."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from coordination.onboarding import member_import
from coordination.core.permissions import scope_for_person
from models import ImportBatch, Membership, Person, db
from tests.factories import browser_login
from tests.test_member_import import ROWS, csv_bytes

BAD_ROWS = ["Số Sai,12345,Phường Hoàn Kiếm,,,,", "Xã Lạ,0912345099,Xã Không Tồn Tại,,,,"]


def upload(client, data: bytes, name: str = "members.csv"):
    return client.post("/imports", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("role,status", [("ministry", 200), ("lead_a", 200), ("commune_lead", 200),
                                         ("volunteer", 404)])
def test_who_may_import(world, auth, role, status):
    auth.as_user(world.users()[role])
    assert auth.client.get("/imports").status_code == status


def test_a_wrong_file_is_explained_on_the_page_and_nothing_is_kept(world, auth):
    auth.as_user(world.lead_a)
    response = upload(auth.client, b"%PDF-1.4 not a table", "report.pdf")
    assert response.status_code == 400
    assert "Excel (.xlsx)" in response.get_data(as_text=True)
    response = upload(auth.client, "Họ và tên\nAn\n".encode(), "a.csv")
    assert response.status_code == 400 and "Số điện thoại" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_preview_lists_problems_then_confirm_imports_the_good_rows(world, auth):
    auth.as_user(world.lead_a)
    response = upload(auth.client, csv_bytes(ROWS + BAD_ROWS))
    assert response.status_code == 302
    preview = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Số Sai" not in preview  # problems name the row, not a copy of the data
    assert "<td class=\"num\">5</td>" in preview and "<td class=\"num\">6</td>" in preview
    assert "Nhập 3 dòng" in preview
    assert db.session.scalar(sa.select(Person.id).where(Person.phone == "+84912345001")) is None

    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    done = auth.client.post(f"/imports/{batch_id}/confirm", data={"mode": "skip"})
    assert done.status_code == 302
    page = auth.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Đã nhập" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
        Person.phone.in_(["+84912345001", "+84912345002", "+84912345003"]))) == 3
    again = auth.client.post(f"/imports/{batch_id}/confirm", data={"mode": "skip"}, follow_redirects=True)
    assert "đã được nhập" in again.get_data(as_text=True)  # imported once only


def test_someone_elses_import_is_not_found(world, auth):
    batch = member_import.preview(world.lead_b.id, "x.csv", csv_bytes(["An,0912345001,Phường Sài Gòn,,,,"]),
                                  scope_for_person(world.lead_b.person_id))
    db.session.commit()
    auth.as_user(world.lead_a)
    assert auth.client.get(f"/imports/{batch.id}").status_code == 404
    assert auth.client.post(f"/imports/{batch.id}/confirm", data={"mode": "skip"}).status_code == 404


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_the_downloadable_template_imports_cleanly(world, auth, ext):
    auth.as_user(world.ministry)
    response = auth.client.get(f"/imports/template.{ext}")
    assert response.status_code == 200
    plan = member_import.check(f"t.{ext}", response.get_data(), scope_for_person(world.ministry.person_id))
    assert len(plan.rows) == 2 and plan.problems == []


def test_problems_download_as_csv(world, auth):
    auth.as_user(world.lead_a)
    location = upload(auth.client, csv_bytes(ROWS + BAD_ROWS)).headers["Location"]
    text = auth.client.get(location + "/problems.csv").get_data(as_text=True)
    assert text.splitlines()[1].startswith("5,Số điện thoại,")


@pytest.mark.browser
def test_upload_two_bad_rows_see_them_confirm_and_see_the_good_rows_in(world, live_server, browser, tmp_path):
    path = tmp_path / "thanh-vien.csv"
    path.write_bytes(csv_bytes(ROWS + BAD_ROWS))
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_login(page, live_server, "hn@example.vn")
        page.goto(live_server + "/people")
        page.click("text=Nhập thành viên từ bảng tính")
        page.set_input_files("#file", str(path))
        page.click("#send")
        page.wait_for_selector("#problems")
        rows = page.locator("#problems tbody tr")
        assert rows.count() == 2
        assert rows.nth(0).locator("td").nth(0).inner_text() == "5"
        assert "Xã Không Tồn Tại" in rows.nth(1).inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width == 360:
            context.close()
            continue
        page.click("#do-import")
        page.wait_for_selector("#result")
        assert "Đã nhập" in page.locator(".flash.success").inner_text()
        context.close()
    team_members = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).join(Person).where(
        Person.phone.in_(["+84912345001", "+84912345002", "+84912345003"])))
    assert team_members == 3

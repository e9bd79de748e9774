"""In Chromium at 360 px: a volunteer writes in a task's conversation with a photo from the phone
(set_input_files), sees it in the thread; offline, the message waits on the phone and is stored once
the network returns."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from coordination.tasks import assignment, rules as tasks
from models import Task, TaskComment, db
from tests import photo_samples as samples
from tests.factories import HANOI, browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def task(world) -> Task:
    batch, _n = assignment.assign(tasks.TaskSpec(kind="other", title="Hướng dẫn kích hoạt VNeID mức 2",
                                                 target_count=100, target_unit="người dân"),
                                  assignment.Targeting(HANOI), world.lead_a.id)
    db.session.commit()
    return db.session.scalar(sa.select(Task).where(Task.batch == batch))


def _comments() -> list[TaskComment]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(TaskComment).order_by(TaskComment.id)))


def test_a_volunteer_sends_a_photo_from_the_phone_and_sees_it_in_the_thread(world, task, live_server, phone_page,
                                                                         tmp_path):
    page = phone_page
    photo = tmp_path / "IMG_20261123_091200.jpg"
    photo.write_bytes(samples.jpeg(4000, 3000, noise=True, quality=40))
    browser_login(page, live_server, "0987 654 321")
    page.wait_for_load_state()
    page.goto(f"{live_server}/tasks/{task.id}")
    assert "Chưa có tin nhắn nào." in page.locator("#comments").inner_text()
    page.fill("#body", "Đã hướng dẫn 12 hộ ở thôn Đông, ảnh buổi hướng dẫn")
    page.set_input_files("#photo", str(photo))
    page.click("#comment-form button.primary")
    page.wait_for_selector("#comments .thread img")
    item = page.locator("#comments .thread li").first
    assert "Tình Nguyện Viên" in item.inner_text() and "Đã hướng dẫn 12 hộ ở thôn Đông" in item.inner_text()
    assert re.search(r"\b\d\d/\d\d/20\d\d \d\d:\d\d\b", item.inner_text())  # Vietnam time, dd/mm/yyyy HH:MM
    image = item.locator("img")
    image.evaluate("i => i.complete || new Promise(r => { i.onload = r; i.onerror = r; })")  # loaded, under load too
    assert image.evaluate("i => i.complete && i.naturalWidth") == 1600
    assert image.bounding_box()["width"] <= 360 and page.evaluate("document.documentElement.scrollWidth") <= 360
    button = page.locator("#comment-form button.primary").bounding_box()
    assert button["height"] >= 44
    (stored,) = _comments()
    assert stored.photo and stored.client_uuid  # it went through the phone's queue
    page.locator("#comments").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/shots/comments-360.png", full_page=True)


def test_a_file_that_is_not_a_photo_is_refused_on_the_phone_with_the_reason(world, task, live_server, phone_page,
                                                                           tmp_path):
    page = phone_page
    fake = tmp_path / "anh-buoi-sang.jpg"
    fake.write_bytes(b"%PDF-1.4 a document renamed like a photo")
    browser_login(page, live_server, "0987 654 321")
    page.wait_for_load_state()
    page.goto(f"{live_server}/tasks/{task.id}")
    page.fill("#body", "Biên bản buổi sáng")
    page.set_input_files("#photo", str(fake))
    page.click("#comment-form button.primary")
    refused = page.locator("#pending-comments li.error")
    refused.wait_for()
    assert refused.inner_text() == "Không được chấp nhận: Biên bản buổi sáng [ảnh] — Ảnh phải là tệp JPEG, PNG hoặc WebP."
    assert _comments() == [] and page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#comments").screenshot(path="/tmp/shots/comments-refused-360.png")


def test_offline_a_message_waits_on_the_phone_and_is_stored_once_back_online(world, task, live_server, phone_page):
    page = phone_page
    browser_login(page, live_server, "0987 654 321")
    page.wait_for_load_state()
    page.goto(f"{live_server}/tasks/{task.id}")
    page.context.set_offline(True)
    page.fill("#body", "Mất sóng ở thôn Tây, gửi sau")
    page.click("#comment-form button.primary")
    pending = page.locator("#pending-comments")
    pending.wait_for(state="visible")
    assert "Mất sóng ở thôn Tây, gửi sau — đang chờ gửi" in pending.inner_text()
    assert _comments() == []
    page.context.set_offline(False)  # the page notices and sends the queue by itself, then reloads
    page.wait_for_function("() => document.querySelector('#comments .thread').innerText.includes('Mất sóng ở thôn Tây')")
    assert [c.body for c in _comments()] == ["Mất sóng ở thôn Tây, gửi sau"]
    page.reload()
    page.wait_for_timeout(500)
    assert len(_comments()) == 1


def test_the_thread_at_1280_px(world, task, live_server, browser):
    import io

    from flask import current_app

    from coordination.tasks import comments, photos

    photo = photos.process(io.BytesIO(samples.jpeg(3000, 2000)))
    first, _ = comments.add(task, "Thôn Đông xong 12 hộ, kèm ảnh", world.volunteer.id, world.volunteer.person_id, photo)
    comments.save(first, photo, current_app.config["TASK_PHOTO_DIR"])
    comments.add(task, "Cảm ơn em, tuần sau làm tiếp thôn Tây.", world.commune_lead.id, world.commune_lead.person_id)
    db.session.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    browser_login(page, live_server, "hn@example.vn")
    page.wait_for_load_state()
    page.goto(f"{live_server}/tasks/{task.id}")
    page.wait_for_selector("#comments .thread img")
    assert page.locator("#comments .thread li").nth(1).inner_text().startswith("Tổ Trưởng Xã")
    page.screenshot(path="/tmp/shots/comments-1280.png", full_page=True)

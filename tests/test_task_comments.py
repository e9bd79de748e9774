"""A conversation on every task (issue 18 §4): the team's members and leads and those above write
messages with an optional photo; the photo is checked by content, resized, stripped of EXIF/GPS and
served only to those who may see the task; anyone else gets 404 (audited)."""
from __future__ import annotations

import io
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from coordination.core.errors import ValidationError
from coordination.tasks import assignment, comments, photos, rules as tasks
from models import AuditEvent, Task, TaskComment, db
from tests import photo_samples as samples
from tests.factories import HANOI

pytestmark = pytest.mark.clock_at(datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc))  # 10:00 in Hà Nội


@pytest.fixture
def task(world) -> Task:
    batch, _n = assignment.assign(tasks.TaskSpec(kind="other", title="Hỗ trợ VNeID mức 2", target_count=100),
                                  assignment.Targeting(HANOI), world.lead_a.id)
    db.session.commit()
    return db.session.scalar(sa.select(Task).where(Task.batch == batch))


@pytest.fixture
def photo_dir(ctx, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(ctx.config, "TASK_PHOTO_DIR", str(folder))
    return folder


def _stored(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []


def _rows() -> list[TaskComment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(TaskComment).order_by(TaskComment.id)))


# --- the photo ---------------------------------------------------------------------------

def test_a_phone_photo_is_resized_and_loses_its_gps_and_exif():
    raw = samples.jpeg(4000, 3000)
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the phone wrote where it was
    photo = photos.process(io.BytesIO(raw))
    kept = Image.open(io.BytesIO(photo.data))
    assert kept.format == "JPEG" and kept.size == (1600, 1200) == (photo.width, photo.height)
    assert dict(kept.getexif()) == {} and "exif" not in kept.info and "icc_profile" not in kept.info
    assert b"Samsung" not in photo.data and b"GPS" not in photo.data


def test_a_photo_taken_sideways_is_turned_upright():
    photo = photos.process(io.BytesIO(samples.jpeg(3000, 2000, orientation=6)))  # phone held upright
    kept = Image.open(io.BytesIO(photo.data))
    assert kept.size == (1067, 1600)
    assert kept.getpixel((kept.width - 10, 10))[0] > 180  # the red corner is now top right


def test_png_and_webp_are_kept_as_jpeg_on_white():
    kept = Image.open(io.BytesIO(photos.process(io.BytesIO(samples.png(300, 200))).data))
    assert kept.format == "JPEG" and kept.size == (300, 200)
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), "green").save(out, "WEBP")
    assert photos.process(io.BytesIO(out.getvalue())).width == 1600


@pytest.mark.parametrize("data, message", [
    (samples.gif(), "Ảnh phải là tệp JPEG, PNG hoặc WebP."),
    (b"%PDF-1.4 not a photo", "Ảnh phải là tệp JPEG, PNG hoặc WebP."),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Ảnh phải là tệp JPEG, PNG hoặc WebP."),
    (samples.jpeg(400, 300, noise=True)[:20_000], "Không đọc được ảnh: tệp bị hỏng hoặc chưa tải hết."),
    (samples.bomb(), "Ảnh có quá nhiều điểm ảnh (tối đa 50 megapixel)."),
    (b"", "Tệp ảnh trống."),
    (b"\xff\xd8" + os.urandom(photos.MAX_BYTES), "Ảnh quá lớn (tối đa 10 MB)."),
], ids=["gif", "pdf", "svg", "truncated", "bomb", "empty", "too-large"])
def test_anything_but_a_photo_is_refused_naming_the_field(ctx, data, message):
    with pytest.raises(ValidationError) as err:
        photos.process(io.BytesIO(data))
    assert err.value.field == "photo" and str(err.value) == message


# --- the rules ---------------------------------------------------------------------------

def test_a_message_needs_text_or_a_photo_and_a_bounded_length(world, task):
    for body, message in ((None, "Hãy viết tin nhắn hoặc thêm ảnh."), ("   \n ", "Hãy viết tin nhắn hoặc thêm ảnh."),
                          ("x" * 2001, "Tin nhắn quá dài (tối đa 2000 ký tự).")):
        with pytest.raises(ValidationError) as err:
            comments.add(task, body, world.volunteer.id, world.volunteer.person_id)
        assert err.value.field == "body" and str(err.value) == message
    photo = photos.process(io.BytesIO(samples.jpeg(40, 30)))
    comment, created = comments.add(task, "  ", world.volunteer.id, world.volunteer.person_id, photo)
    assert created and comment.body is None and comment.photo  # a photo alone is a message


def test_a_failed_commit_leaves_no_file_behind(world, task, photo_dir, monkeypatch):
    photo = photos.process(io.BytesIO(samples.jpeg(400, 300)))
    comment, _created = comments.add(task, "Ảnh buổi hướng dẫn", world.volunteer.id, world.volunteer.person_id, photo)

    def broken_commit():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(sa.exc.OperationalError):
        comments.save(comment, photo, photo_dir)
    monkeypatch.undo()
    assert _rows() == [] and _stored(photo_dir) == []


def test_a_queued_message_sent_twice_is_stored_once(world, task):
    key = str(uuid.uuid4())
    first, created = comments.add(task, "Đã xong thôn 3", world.volunteer.id, world.volunteer.person_id, client_uuid=key)
    db.session.commit()
    again, created_again = comments.add(task, "Đã xong thôn 3", world.volunteer.id, world.volunteer.person_id,
                                        client_uuid=key)
    assert created and not created_again and again.id == first.id and len(_rows()) == 1


# --- the page ----------------------------------------------------------------------------

def test_a_volunteer_writes_with_a_photo_and_everyone_above_reads_it(client, auth, world, task, photo_dir):
    auth.as_user(world.volunteer)
    answer = client.post(f"/tasks/{task.id}/comments", content_type="multipart/form-data", data={
        "body": "Đã hướng dẫn 12 hộ ở thôn Đông", "photo": (io.BytesIO(samples.jpeg(4000, 3000)), "IMG_2041.jpg")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#comment-1")
    auth.as_user(world.commune_lead)
    client.post(f"/tasks/{task.id}/comments", data={"body": "Cảm ơn, tiếp tục thôn Tây nhé"})
    (stored,) = _stored(photo_dir)
    assert "IMG_2041" not in stored.name and stored.name == _rows()[0].photo
    assert Image.open(stored).size == (1600, 1200) and dict(Image.open(stored).getexif()) == {}
    for user in (world.lead_a, world.ministry, world.volunteer):
        auth.as_user(user)
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        thread = page[page.index('id="comments"'):page.index('id="comment-form"')]
        assert thread.index("Tình Nguyện Viên") < thread.index("Tổ Trưởng Xã")  # newest last
        assert "23/11/2026 10:00" in thread and "Đã hướng dẫn 12 hộ ở thôn Đông" in thread
        image = client.get(f"/tasks/{task.id}/comments/1/photo")
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert "private" in image.headers["Cache-Control"] and "public" not in image.headers["Cache-Control"]
        assert image.data == stored.read_bytes()


def test_a_wrong_file_is_refused_on_the_page_with_nothing_stored(client, auth, world, task, photo_dir):
    auth.as_user(world.volunteer)
    answer = client.post(f"/tasks/{task.id}/comments", content_type="multipart/form-data", data={
        "body": "Xem tệp", "photo": (io.BytesIO(b"MZ\x90\x00 an exe named like a photo"), "anh.jpg")})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Ảnh phải là tệp JPEG, PNG hoặc WebP." in page
    assert 'id="photo-error"' in page and "Xem tệp" in page  # beside the field, the text kept
    assert _rows() == [] and _stored(photo_dir) == []
    empty = client.post(f"/tasks/{task.id}/comments", data={"body": " "})
    assert empty.status_code == 400 and "Hãy viết tin nhắn hoặc thêm ảnh." in empty.get_data(as_text=True)


def test_a_photo_up_to_ten_megabytes_is_taken_above_the_apps_six(client, auth, world, task, photo_dir):
    auth.as_user(world.volunteer)
    data = samples.jpeg(4000, 3000, noise=True, quality=85)
    assert 6 * 1024 * 1024 < len(data) < photos.MAX_BYTES
    answer = client.post(f"/tasks/{task.id}/comments", content_type="multipart/form-data",
                         data={"body": "", "photo": (io.BytesIO(data), "big.jpg")})
    assert answer.status_code == 302 and len(_stored(photo_dir)) == 1


@pytest.mark.parametrize("role", ["lead_b", "outsider"])
def test_outside_the_team_and_above_it_the_conversation_is_not_found(client, auth, world, task, photo_dir, role):
    from coordination.org import teams
    from tests.factories import communes_of, make_person, make_user

    auth.as_user(world.volunteer)
    client.post(f"/tasks/{task.id}/comments", content_type="multipart/form-data",
                data={"body": "Ảnh", "photo": (io.BytesIO(samples.jpeg(40, 30)), "a.jpg")})
    if role == "outsider":  # a volunteer of another commune of the same province
        other = teams.create_commune_team(communes_of(HANOI, 2)[1].code)
        user = make_user(teams.add_member(other, make_person(full_name="Xã Bên Cạnh"), "member").person)
        db.session.commit()
    else:
        user = world.lead_b
    auth.as_user(user)
    for answer in (client.get(f"/tasks/{task.id}/comments/1/photo"),
                   client.post(f"/tasks/{task.id}/comments", data={"body": "Tôi xem được không?"}),
                   client.get(f"/api/v1/tasks/{task.id}/comments"),
                   client.post(f"/api/v1/tasks/{task.id}/comments", json={"body": "Còn API?"})):
        body = answer.data.split(b"<main", 1)[-1]  # the page's own content, not the menu ("Tin nhắn")
        assert answer.status_code == 404 and b"Tin nh" not in body and "Ảnh".encode() not in body
    assert "Tôi xem được không?" not in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    refused = db.session.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "refused")).all()
    assert refused == [{"attempted": "comment"}] * 4 and len(_rows()) == 1


# --- the API -----------------------------------------------------------------------------

def test_the_api_takes_json_and_multipart_and_a_resend_once(client, auth, world, task, photo_dir):
    auth.as_user(world.volunteer)
    key = str(uuid.uuid4())
    body = {"body": "Gửi lúc mất sóng", "client_uuid": key, "occurred_at": "2026-11-23T10:02:00+07:00"}
    first = client.post(f"/api/v1/tasks/{task.id}/comments", json=body)
    again = client.post(f"/api/v1/tasks/{task.id}/comments", json=body)
    assert (first.status_code, first.json["created"], again.status_code, again.json["created"]) == (201, True, 200, False)
    assert first.json["at"] == "2026-11-23T03:02:00+00:00" and again.json["id"] == first.json["id"]
    with_photo = client.post(f"/api/v1/tasks/{task.id}/comments", content_type="multipart/form-data", data={
        "body": "", "photo": (io.BytesIO(samples.png(2400, 1200)), "x.png")})
    assert with_photo.status_code == 201 and (with_photo.json["photo_width"], with_photo.json["photo_height"]) == (1600, 800)
    wrong = client.post(f"/api/v1/tasks/{task.id}/comments", content_type="multipart/form-data", data={
        "body": "gif", "photo": (io.BytesIO(samples.gif()), "x.jpg")})
    assert wrong.status_code == 400 and wrong.json["field"] == "photo"
    assert wrong.json["error"] == "Ảnh phải là tệp JPEG, PNG hoặc WebP."
    listed = client.get(f"/api/v1/tasks/{task.id}/comments").json["items"]
    assert [c["body"] for c in listed] == [None, "Gửi lúc mất sóng"]  # in the order written (the phone's 10:02)
    assert listed[1]["author"] == "Tình Nguyện Viên" and len(_stored(photo_dir)) == 1
    assert client.get(listed[0]["photo_url"]).mimetype == "image/jpeg"


def test_a_photo_above_ten_megabytes_is_refused_with_the_limit_named(client, auth, world, task, photo_dir):
    auth.as_user(world.volunteer)
    answer = client.post(f"/tasks/{task.id}/comments", content_type="multipart/form-data", data={
        "body": "Ảnh to", "photo": (io.BytesIO(b"\xff\xd8" + b"\0" * (11 * 1024 * 1024)), "big.jpg")})
    assert answer.status_code == 413 and "tối đa 10 MB" in answer.get_data(as_text=True)
    assert _rows() == [] and _stored(photo_dir) == []
    other = client.post("/imports", content_type="multipart/form-data",  # every other form keeps its 6 MB
                        data={"file": (io.BytesIO(b"a" * (7 * 1024 * 1024)), "x.csv")})
    assert other.status_code == 413 and "tối đa 6 MB" in other.get_data(as_text=True)


def test_one_queued_message_sent_from_four_connections_at_once_is_stored_once(world, task, app, photo_dir):
    """A phone that lost the answers resends on every reconnect: the same client_uuid, in parallel."""
    from tests.factories import at_once

    session_id, task_id = world.volunteer.get_id(), task.id
    body = {"body": "Đã xong thôn 3", "client_uuid": str(uuid.uuid4()), "occurred_at": "2026-11-23T10:00:00+07:00"}

    def phone():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
        return client.post(f"/api/v1/tasks/{task_id}/comments", json=body).status_code

    assert sorted(at_once(app, 4, phone)) == [200, 200, 200, 201]
    assert [c.body for c in _rows()] == ["Đã xong thôn 3"]

"""Attacker pass (December 2026) over the endpoints added in the last session: task conversations
and photos, confirmation links, campaigns, the duty week grid and patterns, /duty/ and
/api/v1/duty/me — as a volunteer, another commune's lead, another province's lead and anonymous.
Each test here failed before its fix."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import rota
from models import Shift, ShiftAssignment, db
from tests.factories import make_person

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday 2 Dec 2026, 10:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOW)
H = timedelta(hours=1)
FETCH = {"X-Requested-With": "fetch"}
SECRET = "Người Lạ Cà Mau"


@pytest.fixture
def shift(world):
    s = rota.add_shift(world.commune_team, NOW + 24 * H, NOW + 32 * H)
    db.session.commit()
    return s


def _on(shift) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ShiftAssignment)
                             .where(ShiftAssignment.shift_id == shift.id))


@pytest.mark.parametrize("path,data,headers", [
    ("/shifts/{id}/staff", {"role": "auto"}, {}),
    ("/shifts/{id}/staff", {"role": "auto"}, FETCH),
    ("/shifts/{id}/assign", {"role": "member"}, {}),
])
def test_a_commune_lead_cannot_read_anyones_name_by_putting_their_id_on_a_shift(world, shift, client, auth,
                                                                                path, data, headers):
    """Any person id (another province's volunteer) on one's own shift was refused with their full
    name: counting ids up read the whole country's names."""
    stranger = make_person(full_name=SECRET)
    db.session.commit()
    auth.as_user(world.commune_lead)
    r = client.post(path.format(id=shift.id), data=dict(data, person_id=stranger.id), headers=headers,
                    follow_redirects=True)
    body = str(r.json) if r.is_json else r.get_data(as_text=True)
    assert SECRET not in body and "Chọn một thành viên của tổ." in body
    assert _on(shift) == 0


@pytest.mark.parametrize("start", ["0001-01-01", "0001-01-03", "9999-12-27", "9999-12-31"])
def test_a_week_at_the_ends_of_the_calendar_is_not_a_server_error(world, shift, client, auth, start):
    auth.as_user(world.commune_lead)
    team = world.commune_team.id
    assert client.get(f"/teams/{team}/week?start={start}").status_code == 404
    assert client.post(f"/teams/{team}/week/copy?start={start}", data={"weeks": "12"}).status_code == 404
    r = client.post(f"/teams/{team}/patterns?start={start}",
                    data={"name": "P", "required": "2", "text": "hằng ngày 06:00-14:00", "weeks": "12"})
    assert r.status_code == 404


@pytest.mark.parametrize("start", ["1900-01-01", "3000-01-06"])
def test_patterns_and_copies_cannot_fill_weeks_centuries_away(world, shift, client, auth, start):
    auth.as_user(world.commune_lead)
    team = world.commune_team.id
    r = client.post(f"/teams/{team}/patterns?start={start}",
                    data={"name": "P", "required": "2", "text": "hằng ngày 06:00-14:00", "weeks": "12"})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 1  # only the fixture's


# --- photos: memory per upload ----------------------------------------------------------

def _image(fmt: str, width: int, height: int, **options) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA" if fmt != "JPEG" else "RGB", (width, height), "white").save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("fmt,options", [("WEBP", {"lossless": True}), ("PNG", {}),
                                         ("JPEG", {"progressive": True, "subsampling": 0})],
                         ids=["webp", "png", "progressive-jpeg"])
def test_a_tiny_file_of_many_pixels_that_decodes_whole_is_refused_before_decoding(ctx, fmt, options):
    """These decode whole (no 1/8-scale draft): a 2 KB WebP of 49 megapixels took 750 MB of the
    server's memory, a 160 KB PNG 375 MB — a few volunteers' uploads at once, and it was gone."""
    import io

    from coordination.core.errors import ValidationError
    from coordination.tasks import photos

    data = _image(fmt, 3000, 3000, **options)  # 9 megapixels
    with pytest.raises(ValidationError) as err:
        photos.process(io.BytesIO(data))
    assert err.value.field == "photo" and str(err.value) == "Ảnh có quá nhiều điểm ảnh (tối đa 8 megapixel)."


def test_a_phones_large_photo_and_a_screenshot_are_still_taken(ctx):
    import io

    from coordination.tasks import photos

    assert photos.process(io.BytesIO(_image("JPEG", 6000, 4000))).width == 1600  # a 24-megapixel camera
    assert photos.process(io.BytesIO(_image("PNG", 1440, 3200))).height == 1600  # a phone's screenshot


# --- rota patterns: one long line ---------------------------------------------------------

def test_a_long_pattern_line_is_refused_at_once_naming_the_line(world, client, auth):
    """The line pattern backtracks on "a", spaces, "b": 16 KB took 16 s of a worker and the form took
    6 MB. Now a line is at most MAX_LINE_CHARS, checked before it is read."""
    import time

    from coordination.duty import rota_rules

    auth.as_user(world.commune_lead)
    text = "T2 06:00-14:00\na" + " " * 200_000 + "b"
    began = time.monotonic()
    r = client.post(f"/teams/{world.commune_team.id}/patterns?start=2026-12-07",
                    data={"name": "P", "required": "2", "text": text, "weeks": "1"})
    assert time.monotonic() - began < 2
    assert r.status_code == 400
    assert f"Dòng 2: tối đa {rota_rules.MAX_LINE_CHARS} ký tự." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 0


def test_a_pattern_of_hundreds_of_shifts_a_week_is_refused_before_any_is_made(world, client, auth):
    """100 lines of "hằng ngày" at different times: 700 shifts a week, × 12 weeks = 8,064 shifts
    made by one request in 30 s. At most 24 a day now (rota_rules.MAX_SLOTS)."""
    from coordination.duty import rota_rules

    auth.as_user(world.commune_lead)
    text = "\n".join(f"hằng ngày {h:02d}:{m:02d}-{(h + 1) % 24:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45))
    r = client.post(f"/teams/{world.commune_team.id}/patterns?start=2026-12-07",
                    data={"name": "P", "required": "2", "text": "\n".join(text.splitlines()[:100]), "weeks": "12"})
    assert r.status_code == 400
    assert f"Tối đa {rota_rules.MAX_SLOTS} ca một tuần." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 0


# --- one-tap links -------------------------------------------------------------------------

def test_a_broadcasts_confirmation_token_does_not_open_the_alert_page(world, client):
    """Both links sign "ack/<message id>" with one key: a broadcast's /x/ token opened /a/ as an
    alert ("I am handling it") and a tap there confirmed."""
    import re

    from coordination.messaging import broadcasts, confirmations
    from models import Message
    from tests.factories import HANOI

    broadcasts.send(world.lead_a.id, HANOI, "province", None, "Họp 14:00", urgent=True, confirm=True)
    db.session.commit()
    body = db.session.scalar(sa.select(Message.body).where(Message.person_id == world.volunteer.person_id))
    token = re.search(r"/x/(\S+)$", body).group(1)
    assert client.get(f"/a/{token}").status_code == 404
    assert client.post(f"/a/{token}").status_code == 404
    db.session.expire_all()
    assert confirmations.summaries(sa.true())[0].confirmed == 0
    assert client.get(f"/x/{token}").status_code == 200


def test_a_jpegs_comment_is_not_kept(ctx):
    """Pillow writes the source's COM marker again on save: 'without … comments' kept them."""
    import io

    from PIL import Image

    from coordination.tasks import photos

    source = io.BytesIO()
    Image.new("RGB", (800, 600), "red").save(source, "JPEG", comment="Nhà số 12 ngõ 34 Kim Mã".encode())
    kept = photos.process(io.BytesIO(source.getvalue())).data
    assert "comment" not in Image.open(io.BytesIO(kept)).info and "Kim Mã".encode() not in kept

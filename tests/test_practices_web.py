"""Good practices through the pages (issue 22 §3): writing one with photos, field errors beside the field,
review, "Chúng tôi đã áp dụng", the library, the photos sent only to who may see the practice, an attacker
reading drafts and other provinces' practices by id, and the public honour board without phones."""
from __future__ import annotations

import io
import re
from html import escape, unescape
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from coordination.core.permissions import scope_for_person
from coordination.emulation import practices
from coordination.tasks import photos
from models import AuditEvent, Practice, PracticeApplication, db
from tests import photo_samples as samples
from tests.test_practices import fields, more  # noqa: F401 - the fixture

pytestmark = pytest.mark.clock_at(datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc))


@pytest.fixture
def photo_dir(ctx, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(ctx.config, "TASK_PHOTO_DIR", str(folder))
    return folder


def _form(**kw):
    data = {"team": "", "title": "Tổ QR lưu động ở chợ", "problem": "Tiểu thương không biết tạo mã QR.",
            "action": "Đặt bàn ở cổng chợ mỗi sáng thứ Bảy.", "result": "Nhiều tiểu thương đã có mã.",
            "work_kind": "support_vneid_level2", "started_on": "15/10/2026", "then": "submit"}
    data.update(kw)
    return data


def _publish(w, team_user, team, reach="province") -> Practice:
    p, _files = practices.create(scope_for_person(team_user.person_id), team_user.id, team.id, [], **fields())
    practices.submit(scope_for_person(team_user.person_id), team_user.id, p)
    practices.review(scope_for_person(w.ministry.person_id), w.ministry.id, p, publish=True, reach=reach)
    db.session.commit()
    return p


def test_a_volunteer_sends_a_practice_with_photos_and_the_province_lead_publishes_it(client, auth, more, photo_dir):
    w = more
    auth.as_user(w.volunteer)
    page = client.get("/thi-dua/practices/new")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    sent = client.post("/thi-dua/practices/new", content_type="multipart/form-data", data={
        **_form(team=str(w.commune_team.id)),
        "photos": [(io.BytesIO(samples.jpeg(4000, 3000)), "IMG_1.jpg"), (io.BytesIO(samples.jpeg(800, 600)), "b.jpg")]})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    p = db.session.scalar(sa.select(Practice))
    assert (p.state, p.team_id, len(p.photos), p.started_on) == ("submitted", w.commune_team.id, 2, date(2026, 10, 15))
    stored = sorted(photo_dir.iterdir())
    assert len(stored) == 2 and all(Image.open(f).getexif() == {} for f in stored)  # no GPS, no EXIF
    assert max(Image.open(photo_dir / p.photos[0].name).size) == 1600
    auth.as_user(w.lead_a)
    shown = client.get(f"/thi-dua/practices/{p.id}").get_data(as_text=True)
    assert "Tổ QR lưu động ở chợ" in shown and 'id="review"' in shown
    assert 'value="national"' not in shown  # a province lead publishes to the province only
    assert client.get(f"/thi-dua/practices/{p.id}/photos/{p.photos[0].id}").mimetype == "image/jpeg"
    client.post(f"/thi-dua/practices/{p.id}/publish", data={"reach": "province", "reason": ""})
    db.session.expire_all()
    assert (p.state, p.reach) == ("published", "province")
    assert client.get("/thi-dua/practices?q=cho+luu+dong").get_data(as_text=True).count(f"/thi-dua/practices/{p.id}\"") == 1


def test_each_field_error_is_shown_beside_its_field_and_nothing_is_stored(client, auth, more, photo_dir):
    w = more
    auth.as_user(w.volunteer)
    cases = [({"title": ""}, "title"), ({"problem": ""}, "problem"), ({"work_kind": ""}, "work_kind"),
             ({"started_on": "21/11/2026"}, "started_on"), ({"team": str(w.team_c.id)}, "team")]
    for change, field in cases:
        answer = client.post("/thi-dua/practices/new", data=_form(**{"team": str(w.commune_team.id), **change}))
        assert answer.status_code == 400, change
        assert re.search(f'id="{field}-error" role="alert"', answer.get_data(as_text=True)), change
    answer = client.post("/thi-dua/practices/new", content_type="multipart/form-data", data={
        **_form(team=str(w.commune_team.id)), "photos": [(io.BytesIO(b"%PDF-1.4 not a photo"), "scan.pdf")]})
    assert answer.status_code == 400 and 'id="photos-error"' in answer.get_data(as_text=True)
    answer = client.post("/thi-dua/practices/new", content_type="multipart/form-data", data={
        **_form(team=str(w.commune_team.id)),
        "photos": [(io.BytesIO(samples.jpeg(40, 30)), f"{i}.jpg") for i in range(4)]})
    assert answer.status_code == 400 and 'id="photos-error"' in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Practice)) == 0
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


def test_an_attacker_reads_no_draft_and_no_other_provinces_practice_by_id(client, auth, more, photo_dir):
    w = more
    draft, files = practices.create(scope_for_person(w.volunteer.person_id), w.volunteer.id, w.commune_team.id,
                                    [photos.process(io.BytesIO(samples.jpeg(40, 30)))], **fields())
    practices.commit_with_files(str(photo_dir), files)
    photos_practice, p_photo = draft.id, draft.photos[0].id
    province = _publish(w, w.lead_c, w.team_c)
    urls = [f"/thi-dua/practices/{photos_practice}", f"/thi-dua/practices/{photos_practice}/photos/{p_photo}",
            f"/thi-dua/practices/{photos_practice}/edit"]
    for user in (w.teammate, w.member_c, w.lead_b, w.lead_d):
        auth.as_user(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.person.full_name, url)
        assert client.post(f"/thi-dua/practices/{photos_practice}/submit").status_code in (400, 404)
    for user in (w.lead_b, w.lead_d):  # a province practice of Hà Nội, from TP. HCM
        auth.as_user(user)
        assert client.get(f"/thi-dua/practices/{province.id}").status_code == 404
        assert client.post(f"/thi-dua/practices/{province.id}/apply", data={"team": w.team_d.id, "note": "x"}).status_code == 404
        assert f'/thi-dua/practices/{province.id}"' not in client.get("/thi-dua/practices").get_data(as_text=True)
    auth.as_user(w.lead_c)  # a photo of one practice through another practice's address
    assert client.get(f"/thi-dua/practices/{province.id}/photos/{p_photo}").status_code == 404


def test_a_review_by_someone_not_above_the_team_is_refused_and_audited(client, auth, more):
    w = more
    p, _f = practices.create(scope_for_person(w.volunteer.person_id), w.volunteer.id, w.commune_team.id, [], **fields())
    practices.submit(scope_for_person(w.volunteer.person_id), w.volunteer.id, p)
    db.session.commit()
    auth.as_user(w.commune_lead)  # sees it (the team's lead) but is not above the team
    assert client.post(f"/thi-dua/practices/{p.id}/publish", data={"reach": "province"}).status_code == 404
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.entity == "practice",
                                                                AuditEvent.action == "refused")) == "refused"
    auth.as_user(w.lead_a)
    client.post(f"/thi-dua/practices/{p.id}/publish", data={"reach": "national"})
    db.session.expire_all()
    assert p.state == "submitted"  # only the ministry publishes nationally
    client.post(f"/thi-dua/practices/{p.id}/send_back", data={"reason": ""})
    db.session.expire_all()
    assert p.state == "submitted"
    client.post(f"/thi-dua/practices/{p.id}/send_back", data={"reason": "Cần ảnh rõ hơn"})
    db.session.expire_all()
    assert (p.state, p.return_reason) == ("returned", "Cần ảnh rõ hơn")
    trail = unescape(client.get("/audit").get_data(as_text=True))  # the Vietnamese sentences, with names
    assert f"đã trả lại cách làm hay “{p.title}” cho {w.commune_team.name}" in trail
    assert f"đã gửi duyệt cách làm hay “{p.title}”" in trail
    assert "duyệt một cách làm hay" in trail  # the commune lead's refused attempt, without naming it
    auth.as_user(w.volunteer)
    assert "Cần ảnh rõ hơn" in client.get(f"/thi-dua/practices/{p.id}").get_data(as_text=True)


def test_we_applied_it_once_per_team_shown_in_the_list_and_on_the_map(client, auth, more):
    w = more
    p = _publish(w, w.volunteer, w.commune_team, reach="national")
    auth.as_user(w.lead_d)
    page = client.get(f"/thi-dua/practices/{p.id}").get_data(as_text=True)
    assert 'id="apply"' in page
    done = client.post(f"/thi-dua/practices/{p.id}/apply", data={"team": w.team_d.id, "note": "Làm theo ở chợ Bến Thành"})
    assert done.status_code == 302
    again = client.post(f"/thi-dua/practices/{p.id}/apply", data={"team": w.team_d.id, "note": "Lần hai"})
    assert again.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeApplication)) == 1
    auth.as_user(w.commune_lead)  # the writing team cannot mark its own practice
    page = client.get(f"/thi-dua/practices/{p.id}").get_data(as_text=True)
    assert 'id="apply"' not in page and "Làm theo ở chợ Bến Thành" in page
    assert w.team_d.name in page.split('id="applied-teams"')[1]
    assert "tcn-commune" in page or "circleMarker" in page  # the small map's points


def test_the_honour_board_lists_published_practices_with_titles_and_teams_only(client, more):
    w = more
    p = _publish(w, w.volunteer, w.commune_team)
    draft, _f = practices.create(scope_for_person(w.lead_c.person_id), w.lead_c.id, w.team_c.id, [],
                                 **fields(title="Bản nháp bí mật"))
    db.session.commit()
    page = client.get("/recognition").get_data(as_text=True)  # signed out
    section = page.split('id="honour-practices"')[1]
    assert "Chủ nhật số" in section and escape(w.commune_team.name) in section
    assert "Bản nháp bí mật" not in page
    assert "+84" not in section and "0987" not in section
    assert client.get(f"/thi-dua/practices/{p.id}").status_code == 302  # the practice's page needs a login


def test_the_demo_has_three_published_practices_one_applied_by_two_other_teams(ctx):
    from dev.demo import load_demo

    load_demo()
    published = list(db.session.scalars(sa.select(Practice).where(Practice.state == "published")))
    assert len(published) == 3
    applied = {p.id: len(practices.applications(p)) for p in published}
    assert sorted(applied.values()) == [0, 0, 2]
    sunday = next(p for p in published if applied[p.id] == 2)
    assert sunday.reach == "national" and len(sunday.photos) == 1
    assert {a.province_code for a in practices.applications(sunday)} == {"01", "79"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Practice).where(Practice.state == "submitted")) == 1


def test_a_practice_sent_back_is_changed_with_one_more_photo_and_sent_again(client, auth, more, photo_dir):
    w = more
    first = photos.process(io.BytesIO(samples.jpeg(40, 30)))
    p, files = practices.create(scope_for_person(w.volunteer.person_id), w.volunteer.id, w.commune_team.id,
                                [first, first], **fields())
    practices.commit_with_files(str(photo_dir), files)
    practices.submit(scope_for_person(w.volunteer.person_id), w.volunteer.id, p)
    practices.review(scope_for_person(w.lead_a.person_id), w.lead_a.id, p, publish=False, reason="Thêm một ảnh")
    db.session.commit()
    auth.as_user(w.commune_lead)  # the team's lead may change it too
    page = client.get(f"/thi-dua/practices/{p.id}/edit").get_data(as_text=True)
    assert "Thêm một ảnh" in page and "Người cao tuổi không tự kích hoạt được VNeID." in page
    two_more = [(io.BytesIO(samples.jpeg(40, 30)), "a.jpg"), (io.BytesIO(samples.jpeg(40, 30)), "b.jpg")]
    answer = client.post(f"/thi-dua/practices/{p.id}/edit", content_type="multipart/form-data",
                         data={**_form(title="Chủ nhật số, bản hai"), "photos": two_more})
    assert answer.status_code == 400 and 'id="photos-error"' in answer.get_data(as_text=True)  # 2 + 2 > 3
    answer = client.post(f"/thi-dua/practices/{p.id}/edit", content_type="multipart/form-data",
                         data={**_form(title="Chủ nhật số, bản hai"),
                               "photos": [(io.BytesIO(samples.jpeg(40, 30)), "c.jpg")]})
    assert answer.status_code == 302
    db.session.expire_all()
    assert (p.state, p.title, len(p.photos), p.return_reason) == ("submitted", "Chủ nhật số, bản hai", 3, None)
    assert len(list(photo_dir.iterdir())) == 3
    assert client.get(f"/thi-dua/practices/{p.id}/edit").status_code == 404  # waiting for review: no changes

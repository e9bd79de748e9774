"""The public honour board (issue 22 §4): approved commendations only, a page per commendation that
previews when shared (Open Graph, absolute addresses), a PNG card with no phone number."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from PIL import Image

from coordination.emulation import card, commendations, honour
from coordination.core.permissions import scope_for_person
from models import db

# 16:30 UTC on 15 November is 23:30 in Vietnam: still the 15th there; 17:30 UTC is already the 16th.
NOW = datetime(2026, 11, 15, 17, 30, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock_at(NOW)
REASON = "Hỗ trợ 500 người dân cài đặt ứng dụng trong mùa mưa bão"


def scope(user):
    return scope_for_person(user.person_id)


@pytest.fixture
def three(world):
    """An approved commendation of the volunteer, one still proposed, one rejected."""
    lead, province = world.commune_lead, world.lead_a
    ok = commendations.propose(scope(lead), lead.id, world.commune_team, world.volunteer.person, REASON)
    commendations.review(scope(province), ok, province.id)
    commendations.decide(scope(province), ok, province.id, approve=True)
    pending = commendations.propose(scope(lead), lead.id, world.commune_team, None, "Đề xuất chưa được duyệt")
    refused = commendations.propose(scope(lead), lead.id, world.commune_team, None, "Đề xuất bị từ chối")
    commendations.review(scope(province), refused, province.id)
    commendations.decide(scope(province), refused, province.id, approve=False, reason="Chưa đủ bằng chứng")
    db.session.commit()
    world.ok, world.pending, world.refused = ok, pending, refused
    return world


def _phones(text: str) -> list[str]:
    return re.findall(r"(?:\+84|\b0)\d{9}\b|987\s?654\s?321", text)


def test_the_board_lists_approved_commendations_only(three, client):
    html = client.get("/recognition").get_data(as_text=True)  # no login
    assert REASON in html and "Tình Nguyện Viên" in html
    assert f'href="/recognition/{three.ok.id}"' in html
    assert "Đề xuất chưa được duyệt" not in html and "Đề xuất bị từ chối" not in html
    assert _phones(html) == []
    assert "16/11/2026" in html  # decided at 17:30 UTC on the 15th: the 16th in Vietnam
    rows, total = honour.board()
    assert [h.id for h in rows] == [three.ok.id] and total == 1


def test_the_board_filters_by_month_and_province(three, client):
    assert honour.board(month=honour.parse_month("2026-11"))[1] == 1
    assert honour.board(month=honour.parse_month("2026-10"))[1] == 0
    assert honour.board(province_code="79")[1] == 0
    assert honour.parse_month("2026-13") is None and honour.parse_month("x") is None
    assert client.get("/recognition?province=zz").status_code == 404
    assert REASON not in client.get("/recognition?month=2026-10").get_data(as_text=True)


def test_a_commendations_page_previews_when_shared(three, client, ctx):
    ctx.config["PUBLIC_BASE_URL"] = "https://tcn.example.vn/"
    response = client.get(f"/recognition/{three.ok.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html))
    assert meta["og:url"] == f"https://tcn.example.vn/recognition/{three.ok.id}"
    assert meta["og:image"].startswith(f"https://tcn.example.vn/recognition/{three.ok.id}/card.png?v=")
    assert meta["twitter:card"] == "summary_large_image" and meta["twitter:image"] == meta["og:image"]
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert "Tình Nguyện Viên" in meta["og:title"] and REASON in meta["og:description"]
    assert 'id="share-button"' in html and "js/share.js" in html and "<script>" not in html
    assert _phones(html) == []
    image = client.get(meta["og:image"].removeprefix("https://tcn.example.vn"))
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_the_card_is_a_png_of_the_preview_size_cached_by_content(three, client):
    first = client.get(f"/recognition/{three.ok.id}/card.png")
    assert first.status_code == 200 and first.mimetype == "image/png"
    picture = Image.open(io.BytesIO(first.data))
    assert picture.format == "PNG" and picture.size == (1200, 630)
    assert len(picture.convert("L").getcolors(maxcolors=1 << 16)) > 10  # something is drawn on it
    again = client.get(f"/recognition/{three.ok.id}/card.png", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("which", ["pending", "refused", "missing"])
def test_a_commendation_not_approved_is_404_everywhere(three, client, auth, which):
    cid = {"pending": three.pending.id, "refused": three.refused.id, "missing": 999999}[which]
    for who in (None, "ministry"):
        if who:
            auth.as_user(getattr(three, who))
        for path in (f"/recognition/{cid}", f"/recognition/{cid}/card.png"):
            response = client.get(path)
            assert response.status_code == 404, (who, path)
            body = response.get_data(as_text=True)
            assert "Đề xuất" not in body and "Tình Nguyện Viên" not in body
    assert honour.approved(cid) is None


def test_the_card_draws_vietnamese_and_cuts_a_long_reason():
    face = card.font(32)
    lines = card.wrap("Trực đủ ca đêm " * 40, face, 1072, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(face.getlength(line) <= 1072 for line in lines)
    assert face.getmask("ễ").getbbox() != face.getmask("\ufffd").getbbox()  # a real glyph, not a box
    text = card.CardText("Tổ Công nghệ", "Vinh danh", "Nguyễn Thị Hằng", "Tổ xã", "Xã A, Hà Nội", "Lý do",
                         "Ngày 16/11/2026", "tcn.example.vn")
    png = card.render(text)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(io.BytesIO(png)).size == (1200, 630)
    assert text.key() != card.CardText(*("x" if f == "who" else getattr(text, f)
                                         for f in text.__dataclass_fields__)).key()

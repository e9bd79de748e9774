"""Bulk onboarding: reading files in every encoding Excel produces, checking rows, importing at once."""
from __future__ import annotations

import io
import unicodedata

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from coordination.onboarding import member_import
from coordination.core import spreadsheet
from coordination.core.permissions import scope_for_person
from coordination.core.errors import Conflict, ValidationError
from models import AuditEvent, ImportBatch, Membership, Person, Team, db
from tests.factories import make_person

HEADER = "Họ và tên,Số điện thoại,Xã/phường,Tỉnh/thành phố,Lực lượng,Tổ chức/doanh nghiệp,Vai trò\n"
ROWS = [
    "Nguyễn Thị Hường,0912 345 001,Phường Hoàn Kiếm,,Đoàn thanh niên,,Thành viên",
    "Trần Văn Đức,0912345002,00070,,Doanh nghiệp,Viettel,",
    "Lê Thị Hoa,+84 912 345 003,\"Phường Hàng Bạc, Thành phố Hà Nội\",,Trạm y tế,,thanh vien",
]


def csv_bytes(rows=ROWS, header=HEADER, encoding="utf-8") -> bytes:
    return (header + "\n".join(rows) + "\n").encode(encoding)


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # the combining marks Windows-1258 has


def cp1258(text: str) -> bytes:
    """Text as older Vietnamese Excel exports write it: base letters plus combining tone marks."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:  # e.g. "ệ" = "ê" + combining dot below
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(m for m in parts[1:] if m in TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in TONE_MARKS))
            out += base.encode("cp1258") + tones.encode("cp1258")
    return out


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lead_scope(world):
    return scope_for_person(world.lead_a.person_id)


# --- reading ------------------------------------------------------------------------------

def test_the_same_rows_come_out_of_utf8_utf8_bom_utf16_and_windows_1258(ctx):
    text = HEADER + "\n".join(ROWS) + "\n"
    expected = spreadsheet.read_table("a.csv", text.encode("utf-8"))
    assert expected[1][0] == "Nguyễn Thị Hường" and len(expected) == 4
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-16"), cp1258(text)):
        assert spreadsheet.read_table("a.csv", data) == expected
    assert cp1258(text) != text.encode("utf-8")  # the Windows-1258 bytes really differ


def test_semicolons_tabs_and_xlsx_numbers_are_read_as_people_write_them(ctx):
    semi = spreadsheet.read_table("a.csv", "Họ và tên;Số điện thoại;Xã\nAn;0912345001;00070\n".encode())
    assert semi[1] == ["An", "0912345001", "00070"]
    tabs = spreadsheet.read_table("a.txt", "Họ và tên\tSố điện thoại\tXã\nAn\t0912345001\t00070\n".encode())
    assert tabs[1] == ["An", "0912345001", "00070"]
    rows = spreadsheet.read_table("a.xlsx", xlsx_bytes([["Họ và tên", "Số điện thoại", "Xã"], [" An  Bình ", 912345001, 70],
                                                        [None, None, None]]))
    assert rows == [["Họ và tên", "Số điện thoại", "Xã"], ["An Bình", "912345001", "70"]]


@pytest.mark.parametrize("name,data,words", [
    ("a.csv", b"", "empty"),
    ("a.csv", HEADER.encode(), "no rows"),
    ("a.xls", b"\xd0\xcf\x11\xe0old", ".xls"),
    ("a.pdf", b"%PDF-1.4", "CSV or Excel"),
    ("a.xlsx", b"PK\x03\x04broken", "not a readable Excel"),
    ("a.csv", b"\x00\x01\x02binary", "not look like a text"),
])
def test_file_level_problems_are_named(ctx, name, data, words):
    with force_locale("en"):
        with pytest.raises(ValidationError) as err:
            spreadsheet.read_table(name, data)
        assert words in str(err.value) and err.value.field == "file"


def test_a_file_too_large_or_too_long_is_refused_with_the_limit(ctx, monkeypatch):
    with force_locale("en"):
        with pytest.raises(ValidationError, match="at most 5 MB"):
            spreadsheet.read_table("a.csv", b"x" * (spreadsheet.MAX_BYTES + 1))
        monkeypatch.setattr(spreadsheet, "MAX_ROWS", 2)
        with pytest.raises(ValidationError, match="more than 2 rows"):
            spreadsheet.read_table("a.csv", csv_bytes())


# --- checking -----------------------------------------------------------------------------

def test_communes_resolve_by_code_old_code_name_old_name_and_province(ctx):
    communes = member_import.Communes()
    assert communes.resolve("00070") == communes.resolve("70") == "00070"
    assert communes.resolve("Phường Hoàn Kiếm") == communes.resolve("hoan kiem") == "00070"
    assert communes.resolve("Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh") == "26740"  # merged into Sài Gòn
    assert communes.resolve("Phường Hàng Bạc") == "00070"  # a pre-2025 ward, now in Hoàn Kiếm
    assert communes.resolve("00061") == "00070"  # its old code
    assert communes.resolve("Xã Tân Phú", "Đồng Nai") == "26116"
    # Accents decide when they are written: Sơn Hà and Sơn Hạ are two communes of Quảng Ngãi.
    assert communes.resolve("Xã Sơn Hạ, Quảng Ngãi") == "21292"
    assert communes.resolve("Xã Văn Lăng") == "05665" and communes.resolve("Xã Văn Lang, Thái Nguyên") == "02143"
    assert communes.resolve("Xã Tân Phú, Tỉnh Đồng Nai") == "26116"
    with force_locale("en"):
        with pytest.raises(ValidationError, match="matches 5 communes"):
            communes.resolve("Xã Tân Phú")
        with pytest.raises(ValidationError, match="No commune is called"):
            communes.resolve("Phường Không Có")
        with pytest.raises(ValidationError, match="No commune has the code"):
            communes.resolve("99999")


def test_every_problem_is_listed_by_row_and_column_and_valid_rows_are_kept(world):
    rows = ROWS + [
        "Bad Phone,12345,Phường Hoàn Kiếm,,Đoàn thanh niên,,",  # row 5
        ",0912345006,Nowhere,,Sao Hỏa,,Trưởng phòng",  # row 6: name, commune, affiliation, role
        "Doanh Nghiệp Thiếu,0912345007,Phường Hoàn Kiếm,,Doanh nghiệp,,",  # row 7: enterprise needs its name
        "Trùng Số,0912 345 001,Phường Hoàn Kiếm,,,,",  # row 8: same phone as row 2
        "Ngoài Tỉnh,0912345009,Phường Sài Gòn,,,,",  # row 9: Hồ Chí Minh City is not lead_a's
    ]
    with db.session.no_autoflush:
        with force_locale("en"):
            plan = member_import.check("m.csv", csv_bytes(rows), lead_scope(world))
    assert plan.total == 8 and [r.row for r in plan.rows] == [2, 3, 4]
    got = {(p.row, p.column) for p in plan.problems}
    assert got == {(5, "phone"), (6, "full_name"), (6, "commune"), (6, "affiliation"), (6, "role"),
                   (7, "organisation"), (8, "phone"), (9, "commune")}
    messages = {(p.row, p.column): p.message for p in plan.problems}
    assert "row 2" in messages[(8, "phone")] and "outside the area" in messages[(9, "commune")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.phone.like("+8491234500%"))) == 0


def test_missing_columns_are_named(world):
    with force_locale("en"):
        with pytest.raises(ValidationError, match="Missing columns: Phone, Commune"):
            member_import.check("m.csv", "Họ và tên,Ghi chú\nAn,x\n".encode(), lead_scope(world))


def test_phones_already_registered_are_found_and_a_second_lead_refused(world):
    rows = ["Tình Nguyện Viên Mới Tên,0987654321,00004,,Đoàn thanh niên,,",  # the world's volunteer
            "Lead Hai,0912345010,00004,,,,Tổ trưởng"]  # commune_team (00004) already has a lead
    with force_locale("en"):
        plan = member_import.check("m.csv", csv_bytes(rows), lead_scope(world))
    assert [(r.row, r.existing_name) for r in plan.rows] == [(2, "Tình Nguyện Viên")]
    assert [(p.row, p.column) for p in plan.problems] == [(3, "role")]


# --- importing ----------------------------------------------------------------------------

def _batch(world, data: bytes, name="m.csv") -> ImportBatch:
    batch = member_import.preview(world.lead_a.id, name, data, lead_scope(world))
    db.session.commit()
    return batch


def test_preview_writes_nothing_then_confirm_imports_all_valid_rows_with_teams_and_audit(world):
    people_before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    batch = _batch(world, csv_bytes(ROWS + ["Bad,1,Phường Hoàn Kiếm,,,,"]))
    assert batch.summary["valid"] == 3 and batch.summary["rows_with_problems"] == 1
    assert batch.summary["new_teams"] == 1  # Hoàn Kiếm has no team yet
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == people_before

    result = member_import.run(batch, "skip", lead_scope(world), world.lead_a.id)
    db.session.commit()
    assert (result["created"], result["memberships"], result["teams_created"]) == (3, 3, 1)
    team = db.session.scalar(sa.select(Team).where(Team.admin_unit_code == "00070", Team.level == "commune"))
    members = db.session.execute(sa.select(Person.full_name, Person.phone, Person.affiliation, Person.organisation,
                                           Membership.role).join(Membership).where(Membership.team_id == team.id)
                                 .order_by(Person.phone)).all()
    assert members == [("Nguyễn Thị Hường", "+84912345001", "youth_union", None, "member"),
                       ("Trần Văn Đức", "+84912345002", "enterprise", "Viettel", "member"),
                       ("Lê Thị Hoa", "+84912345003", "health_station", None, "member")]
    events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.entity, sa.func.count())
                                .where(AuditEvent.actor_user_id == world.lead_a.id)
                                .group_by(AuditEvent.action, AuditEvent.entity)).all()
    assert set(events) == {("create", "team", 1), ("create", "person", 3), ("create", "membership", 3),
                           ("import", "import_batch", 1)}
    with pytest.raises(Conflict):  # the same preview cannot be imported twice
        member_import.run(db.session.get(ImportBatch, batch.id), "skip", lead_scope(world), world.lead_a.id)
    db.session.rollback()


def test_registered_phones_are_skipped_or_updated_as_the_lead_chooses(world):
    rows = ["Tên Mới Của Tình Nguyện Viên,0987654321,00070,,Trạm y tế,,"]
    skipped = member_import.run(_batch(world, csv_bytes(rows)), "skip", lead_scope(world), world.lead_a.id)
    db.session.commit()
    volunteer = world.volunteer.person
    db.session.refresh(volunteer)
    assert skipped["skipped"] == 1 and volunteer.full_name == "Tình Nguyện Viên"

    updated = member_import.run(_batch(world, csv_bytes(rows)), "update", lead_scope(world), world.lead_a.id)
    db.session.commit()
    db.session.refresh(volunteer)
    assert (updated["updated"], updated["memberships"]) == (1, 1)
    assert (volunteer.full_name, volunteer.affiliation) == ("Tên Mới Của Tình Nguyện Viên", "health_station")
    change = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "person", AuditEvent.action == "update"))
    assert change.before == {"full_name": "Tình Nguyện Viên", "affiliation": "youth_union"}


def test_an_xlsx_in_windows_excel_style_imports_like_the_csv(world):
    data = xlsx_bytes([["HỌ VÀ TÊN", "SĐT", "Mã xã", "Lực lượng"], ["An Bình", 912345020, 70, "doan thanh nien"]])
    result = member_import.run(_batch(world, data, "m.xlsx"), "skip", lead_scope(world), world.lead_a.id)
    db.session.commit()
    assert result["created"] == 1
    assert db.session.scalar(sa.select(Person.full_name).where(Person.phone == "+84912345020")) == "An Bình"


def test_a_commune_lead_imports_into_their_own_commune_only(world):
    scope = scope_for_person(world.commune_lead.person_id)
    rows = ["Ở Xã Mình,0912345030,00004,,,,", "Ở Xã Khác,0912345031,00070,,,,"]
    with force_locale("en"):
        plan = member_import.check("m.csv", csv_bytes(rows), scope)
    assert [r.row for r in plan.rows] == [2] and [(p.row, p.column) for p in plan.problems] == [(3, "commune")]


def test_an_existing_person_already_in_the_team_is_not_added_twice(world):
    make_person(full_name="Đã Có", phone="0912345040")
    db.session.commit()
    rows = ["Đã Có,0912345040,00004,,Đoàn thanh niên,,"]
    first = member_import.run(_batch(world, csv_bytes(rows)), "update", lead_scope(world), world.lead_a.id)
    db.session.commit()
    second = member_import.run(_batch(world, csv_bytes(rows)), "update", lead_scope(world), world.lead_a.id)
    db.session.commit()
    assert (first["memberships"], second["memberships"], second["skipped"]) == (1, 0, 1)


def test_confirmation_sees_what_changed_since_the_preview(world):
    batch = _batch(world, csv_bytes())
    assert batch.summary["existing"] == 0
    make_person(full_name="Đăng Ký Trước", phone="0912345002")  # registered between preview and confirm
    db.session.commit()
    result = member_import.run(batch, "skip", lead_scope(world), world.lead_a.id)
    db.session.commit()
    assert (result["created"], result["skipped"]) == (2, 1)
    assert db.session.scalar(sa.select(Person.full_name).where(Person.phone == "+84912345002")) == "Đăng Ký Trước"


# --- spreadsheets as people make them (issue 18 §7) ---------------------------------------

def test_the_unit_headings_people_use_and_organisation_names_say_the_affiliation(world):
    """No Lực lượng column: the organisation says it (Đoàn TN → youth union, VNPT → enterprise);
    'Đơn vị', 'Cơ quan' or 'Đơn vị công tác' is the organisation, whichever the file uses."""
    rows = ["Nguyễn Thị Hường,0912 345 001,Phường Hoàn Kiếm,Đoàn TN phường Hoàn Kiếm",
            "Trần Văn Đức,0912345002,00070,VNPT Hà Nội",
            "Lê Thị Hoa,0912345003,Phường Hàng Bạc,Trạm Y tế phường Hàng Bạc",
            "Phạm Văn Nam,0912345004,Phường Hàng Bạc,"]
    for heading in ("Đơn vị", "Cơ quan", "Đơn vị công tác", "Tổ chức"):
        with db.session.no_autoflush:
            plan = member_import.check("m.csv", csv_bytes(rows, f"Họ và tên,Số điện thoại,Xã/phường,{heading}\n"),
                                       lead_scope(world))
        assert plan.problems == [] and plan.unused_columns == []
        assert [(r.affiliation, r.organisation) for r in plan.rows] == [
            ("youth_union", "Đoàn TN phường Hoàn Kiếm"), ("enterprise", "VNPT Hà Nội"),
            ("health_station", "Trạm Y tế phường Hàng Bạc"), ("other", None)], heading


def test_a_written_affiliation_wins_over_the_organisations_name(world):
    rows = ["Nguyễn Thị Hường,0912 345 001,Phường Hoàn Kiếm,,Chính quyền,Viettel,"]
    with db.session.no_autoflush:
        plan = member_import.check("m.csv", csv_bytes(rows), lead_scope(world))
    assert [(r.affiliation, r.organisation) for r in plan.rows] == [("government", "Viettel")]


def test_columns_the_import_does_not_read_are_named_in_the_preview(world, client, auth):
    header = "STT,Họ và tên,Số điện thoại,Ngày sinh,Xã/phường,Ghi chú\n"
    rows = ["1,Nguyễn Thị Hường,0912 345 001,01/02/2000,Phường Hoàn Kiếm,trực tối thứ 7"]
    with db.session.no_autoflush:
        plan = member_import.check("m.csv", csv_bytes(rows, header), lead_scope(world))
    assert plan.unused_columns == ["STT", "Ngày sinh", "Ghi chú"] and len(plan.rows) == 1
    auth.as_user(world.lead_a)
    page = client.post("/imports", data={"file": (io.BytesIO(csv_bytes(rows, header)), "m.csv")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Cột không dùng: STT, Ngày sinh, Ghi chú" in page


def test_provinces_written_as_people_write_them(world):
    rows = ["Nguyễn Thị Hường,0912 345 001,Phường Bến Nghé,TP HCM,,,",
            "Trần Văn Đức,0912345002,Phường Bến Nghé,Sài Gòn,,,",
            "Lê Thị Hoa,0912345003,Phường Bến Nghé,TP. Hồ Chí Minh,,,"]
    with db.session.no_autoflush:
        plan = member_import.check("m.csv", csv_bytes(rows), scope_for_person(world.ministry.person_id))
    assert plan.problems == [] and {r.commune_code for r in plan.rows} == {"26740"}  # Phường Sài Gòn

"""Demo good practices (issue 22 §3): three published (one nationally, with a photo, applied by two other
teams — one in Hà Nội, one in TP. HCM), one waiting for the Hà Nội lead's review; progress reports
around the start dates so the before/after figures show a change."""
from __future__ import annotations

import io
from datetime import date, time, timedelta

import sqlalchemy as sa
from flask import current_app

from models import AdminUnit, Membership, Person, Task, TaskUpdate, Team, db
from models.teams import LEAD

from coordination.clock import local_to_utc, local_today
from coordination.core.permissions import scope_for_person
from coordination.emulation import practices
from coordination.org.accounts import ensure_user
from coordination.tasks import photos
from dev import sample_photos

VNEID = "support_vneid_level2"


def _person(email: str) -> Person:
    return db.session.scalar(sa.select(Person).where(Person.email == email))


def _lead_of(team_id: int) -> Person:
    return db.session.scalar(sa.select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.team_id == team_id, Membership.role == LEAD, Membership.end_date.is_(None)).order_by(Person.id))


def _communes(province: str) -> list[int]:
    return list(db.session.scalars(sa.select(Team.id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                                   .where(Team.level == "commune", Team.province_code == province)
                                   .order_by(AdminUnit.code)))


def _reports(team_id: int, start: date, before: int, after: int) -> None:
    """Weekly progress on the team's VNeID task: `before` a week in the 4 weeks before `start`, `after` since."""
    task = db.session.scalar(sa.select(Task).where(Task.team_id == team_id, Task.kind == VNEID).order_by(Task.id))
    if task is None:
        return
    today = local_today()
    for week in range(-4, 4):
        day = start + timedelta(days=7 * week + 2)
        if day < today:
            db.session.add(TaskUpdate(task_id=task.id, delta=before if week < 0 else after,
                                      at=local_to_utc(day, time(9)), note="Số liệu mẫu"))


def _write(person: Person, team_id: int, reviewer: Person | None, reach: str, new_photos=(), **fields):
    user = ensure_user(person)
    scope = scope_for_person(person.id)
    practice, files = practices.create(scope, user.id, team_id, list(new_photos), **fields)
    practices.submit(scope, user.id, practice)
    if reviewer is not None:
        practices.review(scope_for_person(reviewer.id), ensure_user(reviewer).id, practice, True, reach)
    for name, data in files:
        photos.write(current_app.config["TASK_PHOTO_DIR"], name, data)
    return practice


def seed_practices() -> None:
    ministry, hanoi = _person("bo@tocongnghe.vn"), _person("hanoi@tocongnghe.vn")
    commune_lead = _person("xa@tocongnghe.vn")
    volunteer = db.session.scalar(sa.select(Person).where(Person.phone == "+84987654321"))
    hn, hcm = _communes("01"), _communes("79")
    if len(hn) < 4 or not hcm:
        return
    today = local_today()
    start = today - timedelta(days=35)
    sunday = _write(
        volunteer, hn[0], ministry, "national", [photos.process(io.BytesIO(sample_photos.help_desk_photo()))],
        title="“Chủ nhật số” tại nhà văn hoá thôn",
        problem="Nhiều cụ cao tuổi không tự kích hoạt được tài khoản VNeID mức 2 và ngại lên phường.",
        action="Mỗi sáng Chủ nhật, hai thành viên của tổ ngồi tại nhà văn hoá thôn từ 7 đến 10 giờ.\n"
               "Trưởng thôn đọc thông báo trên loa từ tối thứ Bảy; con cháu đưa ông bà đến, mang theo CCCD và điện thoại.",
        result="Số người được hỗ trợ mỗi tuần tăng gần gấp đôi; các cụ hỏi nhau và tự rủ nhau đến.",
        work_kind=VNEID, started_on=start)
    _reports(hn[0], start, 12, 23)
    _write(commune_lead, hn[0], hanoi, "province", title="Tổ QR lưu động ở chợ phiên",
           problem="Tiểu thương ở chợ không có thời gian lên phường để đăng ký mã QR thanh toán.",
           action="Đặt một bàn ở cổng chợ vào sáng thứ Bảy; mỗi thành viên phụ trách một dãy hàng.",
           result="Cả chợ có mã QR sau ba buổi.", work_kind="venue_qr_registration", started_on=None)
    second_lead = _lead_of(hn[1])
    _write(second_lead, hn[1], hanoi, "province", title="Danh sách gọi lại người chưa hoàn tất hồ sơ",
           problem="Người dân nộp hồ sơ trực tuyến dở dang rồi bỏ.",
           action="Ghi số điện thoại người đến hỏi; sau hai ngày tổ gọi lại để hướng dẫn nốt.",
           result="Ít hồ sơ bỏ dở hơn.", work_kind="support_online_public_services", started_on=None)
    waiting = _lead_of(hn[2])
    _write(waiting, hn[2], None, "province", title="Nhóm Zalo hỏi đáp của khu phố",
           problem="Người dân hỏi cùng một câu nhiều lần.", action="Lập nhóm Zalo, ghim câu trả lời thường gặp.",
           result="Tổ trả lời nhanh hơn.", work_kind=VNEID, started_on=None)
    for team_id, days_ago, note in ((hn[1], 21, "Làm theo mỗi Chủ nhật ở nhà văn hoá khu dân cư số 3"),
                                    (hcm[0], 14, "Áp dụng vào sáng Chủ nhật tại nhà văn hoá khu phố")):
        lead = _lead_of(team_id)
        applied_on = today - timedelta(days=days_ago)
        practices.apply(scope_for_person(lead.id), ensure_user(lead).id, sunday, team_id, note, applied_on)
        _reports(team_id, applied_on, 8, 13)
    db.session.flush()

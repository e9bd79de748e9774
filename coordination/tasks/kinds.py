"""The catalogue of kinds of work (models.WorkKind): which a new task may be, which count as
"residents helped" in thi đua, and the ministry adding and retiring kinds.

A retired kind is hidden from new tasks; its old tasks keep it and still show its name. `SEED` is the
one list of the kinds the platform starts with: the migration and a fresh test or demo database both
write it through `ensure_catalogue`."""
from __future__ import annotations

import re
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import WorkKind, db

from coordination.core import audit
from coordination.core.errors import NotFound, ValidationError
from coordination.core.text import clean_line

RESIDENTS, VENUES, LISTS, CAMPAIGNS = "người dân", "địa điểm", "bản ghi", "việc"

# (code, name_vi, name_en, unit, counts as residents helped); the order is the form's order.
SEED = (
    ("support_vneid_level2", "Hướng dẫn người dân kích hoạt VNeID mức 2",
     "Help residents activate VNeID (level 2)", RESIDENTS, True),
    ("support_online_public_services", "Hướng dẫn người dân dùng dịch vụ công trực tuyến",
     "Help residents use online public services", RESIDENTS, True),
    ("support_cashless_payment", "Hướng dẫn thanh toán không dùng tiền mặt, ngân hàng số",
     "Help residents with cashless payment and digital banking", RESIDENTS, True),
    ("digital_skills_training", "Bình dân học vụ số: phổ cập kỹ năng số",
     "Digital skills training (Bình dân học vụ số)", RESIDENTS, True),
    ("support_online_fraud_awareness", "Phòng chống lừa đảo trực tuyến",
     "Online fraud awareness", RESIDENTS, True),
    ("ecommerce_local_producers", "Đưa sản phẩm địa phương lên sàn thương mại điện tử",
     "E-commerce for local producers", "hộ sản xuất", False),
    ("support_health_declaration", "Hỗ trợ người dân: khai báo y tế", "Help residents: health declaration",
     RESIDENTS, True),
    ("support_qr_checkin", "Hỗ trợ người dân: quét mã QR", "Help residents: QR check-in", RESIDENTS, True),
    ("support_vaccination_registration", "Hỗ trợ người dân: đăng ký tiêm chủng",
     "Help residents: vaccination registration", RESIDENTS, True),
    ("support_vaccination_certificate", "Hỗ trợ người dân: chứng nhận tiêm chủng",
     "Help residents: vaccination certificate", RESIDENTS, True),
    ("support_home_care", "Hỗ trợ người dân: theo dõi sức khỏe tại nhà", "Help residents: home-care monitoring",
     RESIDENTS, True),
    ("venue_qr_registration", "Đăng ký mã QR cho địa điểm", "Register venues for QR codes", VENUES, False),
    ("data_verification", "Xác minh, làm sạch dữ liệu", "Verify and clean a data list", LISTS, False),
    ("vaccination_drive", "Hỗ trợ chiến dịch tiêm chủng", "Support a vaccination drive", CAMPAIGNS, False),
    ("other", "Khác", "Other", CAMPAIGNS, False),
)
VENUE_KIND = "venue_qr_registration"  # thi đua's "venues registered"
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def seed_rows() -> list[dict]:
    return [dict(code=code, name_vi=vi, name_en=en, unit=unit, counts_as_residents_helped=helped, retired=False,
                 sort_order=10 * (i + 1)) for i, (code, vi, en, unit, helped) in enumerate(SEED)]


def ensure_catalogue() -> int:
    """Write the seed kinds that are missing (an existing kind is left as the ministry set it)."""
    have = set(db.session.scalars(sa.select(WorkKind.code)))
    rows = [WorkKind(**row) for row in seed_rows() if row["code"] not in have]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def catalogue() -> list[WorkKind]:
    """Every kind, retired ones too (history, filters), in the form's order."""
    return list(db.session.scalars(sa.select(WorkKind).order_by(WorkKind.sort_order, WorkKind.code)))


def active() -> list[WorkKind]:
    return [k for k in catalogue() if not k.retired]


def codes() -> list[str]:
    return [k.code for k in catalogue()]


def residents_helped_kinds() -> list[str]:
    return list(db.session.scalars(sa.select(WorkKind.code).where(WorkKind.counts_as_residents_helped.is_(True))))


def check_active(code: str) -> str:
    """The kind of a new task: in the catalogue and not retired."""
    kind = db.session.get(WorkKind, code) if isinstance(code, str) and code else None
    if kind is None:
        raise ValidationError(_l("Choose a kind of task from the list."), field="kind")
    if kind.retired:
        raise ValidationError(_l("This kind of work is retired: choose another."), field="kind")
    return code


def _text(value: Optional[str], field: str, label, limit: int) -> str:
    text = clean_line(value, field, label) or ""
    if not text:
        raise ValidationError(_l("Fill in %(field)s.", field=label), field=field)
    if len(text) > limit:
        raise ValidationError(_l("Too long (at most %(n)d characters).", n=limit), field=field)
    return text


def add_kind(code: str, name_vi: str, name_en: str, unit: str, counts_as_residents_helped: bool,
             actor_user_id: Optional[int]) -> WorkKind:
    code = (code or "").strip().lower()
    if not CODE.match(code):
        raise ValidationError(_l("The code is 2 to 40 lower-case letters, digits or _, starting with a letter."),
                              field="code")
    if db.session.get(WorkKind, code) is not None:
        raise ValidationError(_l("A kind with this code exists already."), field="code")
    top = db.session.scalar(sa.select(sa.func.max(WorkKind.sort_order))) or 0
    kind = WorkKind(code=code, name_vi=_text(name_vi, "name_vi", _l("Name (Vietnamese)"), 120),
                    name_en=_text(name_en, "name_en", _l("Name (English)"), 120),
                    unit=_text(unit, "unit", _l("Unit"), 60), counts_as_residents_helped=bool(counts_as_residents_helped),
                    retired=False, sort_order=top + 10)
    db.session.add(kind)
    audit.record(actor_user_id, "create", "work_kind", code, after=dict(
        name_vi=kind.name_vi, name_en=kind.name_en, unit=kind.unit,
        counts_as_residents_helped=kind.counts_as_residents_helped))
    db.session.flush()
    return kind


def set_retired(code: str, retired: bool, actor_user_id: Optional[int]) -> WorkKind:
    kind = db.session.get(WorkKind, code)
    if kind is None:
        raise NotFound(_l("No such kind of work."))
    if kind.retired != retired:
        audit.record(actor_user_id, "update", "work_kind", code, before={"retired": kind.retired},
                     after={"retired": retired})
        kind.retired = retired
        db.session.flush()
    return kind

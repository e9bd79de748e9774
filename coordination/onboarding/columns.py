"""The vocabulary of a members' spreadsheet: the column headings people actually write, the words
for affiliations and roles, the organisations whose name says the affiliation, and the template.
Everything is compared folded (no accents, case, spaces or punctuation: `core.text.fold`)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from models.teams import ENTERPRISE, GOVERNMENT, HEALTH_STATION, LEAD, MEMBER, OTHER, YOUTH_UNION

from coordination.core.errors import ValidationError
from coordination.core.text import fold, unaccent

# Column -> accepted header spellings (compared folded: no accents, case, spaces or punctuation).
COLUMNS = {
    "full_name": ("họ và tên", "họ tên", "tên", "full name", "name"),
    "phone": ("số điện thoại", "điện thoại", "sđt", "sdt", "phone", "phone number", "mobile"),
    "commune": ("xã/phường", "xã phường", "xã", "phường", "mã xã", "đơn vị hành chính", "commune", "commune code",
                "ward"),
    "province": ("tỉnh/thành phố", "tỉnh thành phố", "tỉnh", "province"),
    "affiliation": ("lực lượng", "thành phần", "affiliation"),
    "organisation": ("tổ chức/doanh nghiệp", "tổ chức", "doanh nghiệp", "đơn vị công tác", "đơn vị", "cơ quan",
                     "cơ quan/đơn vị", "đơn vị/tổ chức", "cơ quan công tác", "nơi công tác", "organisation",
                     "organization", "unit"),
    "role": ("vai trò", "chức vụ", "role"),
}
REQUIRED = ("full_name", "phone", "commune")
COLUMN_LABELS = {
    "full_name": _l("Full name"), "phone": _l("Phone"), "commune": _l("Commune"), "province": _l("Province"),
    "affiliation": _l("Affiliation"), "organisation": _l("Organisation"), "role": _l("Role"), "file": _l("File"),
}
TEMPLATE_HEADER = ["Họ và tên", "Số điện thoại", "Xã/phường", "Tỉnh/thành phố", "Lực lượng",
                   "Tổ chức/doanh nghiệp", "Vai trò"]
TEMPLATE_EXAMPLES = [
    ["Nguyễn Văn An", "0912 345 678", "Phường Sài Gòn", "Thành phố Hồ Chí Minh", "Đoàn thanh niên", "", "Thành viên"],
    ["Trần Thị Bình", "0987654321", "26734", "", "Doanh nghiệp", "Viettel", "Tổ trưởng"],
]
TEMPLATE_GUIDE = [
    "Mỗi dòng là một người. Dòng đầu tiên giữ nguyên tên cột.",
    "Bắt buộc: Họ và tên, Số điện thoại, Xã/phường (tên hoặc mã; tên cũ trước 1/7/2025 cũng được).",
    "Nếu tên xã trùng ở nhiều tỉnh, điền cột Tỉnh/thành phố hoặc dùng mã xã.",
    "Lực lượng: Đoàn thanh niên, Doanh nghiệp, Trạm y tế, Chính quyền hoặc Khác (bỏ trống = Khác).",
    "Doanh nghiệp: điền tên doanh nghiệp (Viettel, VNPT, MobiFone, FPT…).",
    "Vai trò: Thành viên (mặc định) hoặc Tổ trưởng (mỗi tổ một người).",
    "Số điện thoại đã có trên hệ thống: khi xác nhận, chọn bỏ qua hoặc cập nhật.",
]
AFFILIATION_WORDS = {
    YOUTH_UNION: ("đoàn thanh niên", "thanh niên", "đoàn viên", "youth union", "youth_union"),
    ENTERPRISE: ("doanh nghiệp", "enterprise"),
    HEALTH_STATION: ("trạm y tế", "y tế", "health station", "health_station"),
    GOVERNMENT: ("chính quyền", "cán bộ", "công an", "government"),
    OTHER: ("khác", "other", ""),
}
ROLE_WORDS = {MEMBER: ("thành viên", "member", ""), LEAD: ("tổ trưởng", "trưởng tổ", "lead", "team lead")}


def _lookup(words: dict) -> dict[str, str]:
    return {fold(w): key for key, spellings in words.items() for w in spellings}


HEADERS, AFFILIATIONS_BY_WORD, ROLES_BY_WORD = _lookup(COLUMNS), _lookup(AFFILIATION_WORDS), _lookup(ROLE_WORDS)


# An organisation's name that says its affiliation, when the Lực lượng column is missing or empty:
# "Đoàn thanh niên phường Bến Nghé" is the youth union, "Viettel Hà Nội" an enterprise. Whole words,
# compared unaccented and in lower case.
ORGANISATION_WORDS = {
    YOUTH_UNION: ("đoàn thanh niên", "đoàn tn", "tỉnh đoàn", "thành đoàn", "huyện đoàn", "chi đoàn"),
    ENTERPRISE: ("viettel", "vnpt", "vinaphone", "mobifone", "fpt", "vietnamobile", "cmc", "vnpost", "bưu điện",
                 "công ty", "doanh nghiệp", "tập đoàn"),
    HEALTH_STATION: ("trạm y tế", "trung tâm y tế"),
    GOVERNMENT: ("ubnd", "ủy ban nhân dân", "uỷ ban nhân dân", "công an", "hđnd", "mặt trận tổ quốc"),
}
_WORDS = re.compile(r"[a-z0-9]+")


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(unaccent(text or "").lower()))


_ORGANISATION_PHRASES = [(f" {_words(w)} ", key) for key, spellings in ORGANISATION_WORDS.items() for w in spellings]


def affiliation_of(organisation: str) -> str | None:
    """The affiliation an organisation's name says, or None: 'Đoàn TN xã Tân Lập' -> youth union,
    'VNPT Lào Cai' -> enterprise. Youth union first: 'Chi đoàn công ty X' is the union's."""
    text = f" {_words(organisation)} "
    found = [key for phrase, key in _ORGANISATION_PHRASES if phrase in text]
    return found[0] if found else None


def columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column holds what, and the headings of the columns nobody uses (listed in the preview,
    never silently dropped). Raises when a required column is missing."""
    found: dict[str, int] = {}
    unused = []
    for index, title in enumerate(header):
        key = HEADERS.get(fold(title))
        if key and key not in found:
            found[key] = index
        elif (title or "").strip():
            unused.append(title.strip())
    missing = [k for k in REQUIRED if k not in found]
    if missing:
        raise ValidationError(_l("Missing columns: %(columns)s. The first row must name the columns, as in the template.",
                                 columns=", ".join(str(COLUMN_LABELS[k]) for k in missing)), field="file")
    return found, unused

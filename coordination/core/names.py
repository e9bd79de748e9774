"""Deterministic Vietnamese-looking names and phone numbers for demo and benchmark data."""
from __future__ import annotations

import random

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Đức", "Ngọc", "Quốc", "Thu", "Hoàng", "Gia", "Bảo"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Nhung", "Phong", "Phúc", "Quang", "Quỳnh", "Sơn",
         "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Vy", "Yến"]
MOBILE_PREFIXES = ["90", "91", "94", "98", "86", "88", "32", "33", "70", "76", "77", "78", "79", "81", "82",
                   "83", "84", "85", "96", "97", "56", "58", "59", "39"]
ENTERPRISES = ["Viettel", "VNPT", "MobiFone", "FPT", "CMC", "Vietnamobile"]


def full_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def phone(n: int) -> str:
    """The n-th distinct valid Vietnamese mobile number in E.164 (n < 240,000,000)."""
    prefix = MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)]
    return f"+84{prefix}{n // len(MOBILE_PREFIXES):07d}"

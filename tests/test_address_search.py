"""Old addresses as people write them find the new commune (issue 18 §7). The addresses are built
from the geography package's own legacy data — every 40th old ward across all 63 old provinces,
not hand-picked — in three forms people use: the full names, the abbreviations ("Q. 1", "H. Đan
Phượng", "TP Hồ Chí Minh", the province without "Tỉnh"), and the same without diacritics in lower
case. The hit rate is printed (`pytest -s`) and held above a floor."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordination.core.text import unaccent
from coordination.geography.search import context_keys, search_communes
from models import LegacyUnit, db

ABBREVIATIONS = (("Thành phố ", "TP "), ("Thị xã ", "TX "), ("Quận ", "Q. "), ("Huyện ", "H. "), ("Tỉnh ", ""))


def _abbreviated(name: str) -> str:
    for long, short in ABBREVIATIONS:
        if name.startswith(long):
            return short + name[len(long):]
    return name


def _sample() -> list[LegacyUnit]:
    wards = db.session.scalars(sa.select(LegacyUnit).where(LegacyUnit.level == "ward",
                                                           LegacyUnit.new_unit_code.is_not(None))
                               .order_by(LegacyUnit.code)).all()
    return wards[::40]


FORMS = {
    "full": lambda w: f"{w.name}, {w.district_name}, {w.province_name}",
    "abbreviated": lambda w: f"{w.name}, {_abbreviated(w.district_name)}, {_abbreviated(w.province_name)}",
    "unaccented": lambda w: unaccent(f"{w.name}, {_abbreviated(w.district_name)}, "
                                     f"{_abbreviated(w.province_name)}").lower(),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_old_addresses_from_the_package_find_their_new_commune(ctx, form):
    sample = _sample()
    assert len({w.province_code for w in sample}) >= 10 and len(sample) >= 200
    first = anywhere = 0
    for ward in sample:
        codes = [m.unit.code for m in search_communes(FORMS[form](ward))]
        first += bool(codes) and codes[0] == ward.new_unit_code
        anywhere += ward.new_unit_code in codes
    print(f"\n{form}: {len(sample)} old addresses in {len({w.province_code for w in sample})} old provinces: "
          f"first result right {first / len(sample):.1%}, among the results {anywhere / len(sample):.1%}")
    assert anywhere / len(sample) >= 0.98 and first / len(sample) >= 0.9


@pytest.mark.parametrize("query", ["Phường Bến Nghé, Quận 1, TP HCM", "Phường Bến Nghé, Q.1, TP.HCM",
                                   "Phường Bến Nghé, Quận 1, Sài Gòn", "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
                                   "phuong ben nghe, q1, tp hcm"])
def test_the_ways_people_write_ho_chi_minh_city(ctx, query):
    assert search_communes(query)[0].unit.name == "Phường Sài Gòn"


def test_thua_thien_hue_and_ba_ria_vung_tau_as_people_still_write_them(ctx):
    assert search_communes("Phường Phú Hội, Thành phố Huế, Thừa Thiên Huế")[0].unit.name == "Phường Thuận Hóa"
    assert search_communes("Phường 1, TP Vũng Tàu, BR-VT")[0].unit.name == "Phường Vũng Tàu"
    assert search_communes("Phường 1, TP Vũng Tàu, Bà Rịa - Vũng Tàu")[0].unit.name == "Phường Vũng Tàu"


def test_a_part_nobody_knows_is_left_out_but_a_wrong_province_is_not(ctx):
    """A misspelt district still finds the ward in the province written after it; a real province
    that does not hold the ward finds nothing (the address contradicts itself)."""
    assert search_communes("Phường Bến Nghé, Quận Nhứt, TP HCM")[0].unit.name == "Phường Sài Gòn"
    assert search_communes("Phường Bến Nghé, Quận 1, Tỉnh Đồng Nai") == []


def test_context_keys_strip_unit_types_and_know_common_names():
    assert set(context_keys("tphcm")) >= {"tphcm", "hcm"}
    assert "1" in context_keys("q1") and "hochiminh" in context_keys("saigon")
    assert "bariavungtau" in context_keys("brvt") and "hue" in context_keys("thuathienhue")


@pytest.mark.parametrize("query, special_zone", [
    ("Huyện Bạch Long Vĩ, Hải Phòng", "Đặc khu Bạch Long Vĩ"), ("H. Cồn Cỏ, Quảng Trị", "Đặc khu Cồn Cỏ"),
    ("Huyện Côn Đảo, BR-VT", "Đặc khu Côn Đảo"),
    ("Xã An Vĩnh, Huyện Lý Sơn, Quảng Ngãi", "Đặc khu Lý Sơn"),  # the package lists no commune of Lý Sơn
])
def test_island_districts_find_their_special_zone(ctx, query, special_zone):
    assert search_communes(query)[0].unit.name == special_zone


def test_an_unknown_commune_in_an_ordinary_district_finds_nothing_rather_than_a_guess(ctx):
    assert search_communes("Xã Không Có, Huyện Đan Phượng, Hà Nội") == []


def test_a_commune_under_its_older_type_is_found(ctx):
    """Old wards that were thị trấn before they became phường, written as "Thị trấn X" with their
    district as a huyện (Sa Pa was Huyện Sa Pa until 2019): every 5th such ward of the package."""
    wards = db.session.scalars(sa.select(LegacyUnit).where(
        LegacyUnit.level == "ward", LegacyUnit.name.like("Phường %"), LegacyUnit.district_name.like("Thị xã %"),
        LegacyUnit.new_unit_code.is_not(None)).order_by(LegacyUnit.code)).all()
    wards = [w for w in wards if not w.short_name.isdigit() and not w.short_name.startswith("Phường")][::5]  # not "Phường 3"
    assert len(wards) >= 30
    hits = sum(w.new_unit_code in [m.unit.code for m in search_communes(
        f"Thị trấn {w.short_name}, Huyện {w.district_name.removeprefix('Thị xã ')}, {w.province_name}")]
               for w in wards)
    print(f"\nthị trấn → phường: {hits} of {len(wards)} found")
    assert hits / len(wards) >= 0.95

"""Geography: real counts from vietnamadminunits, idempotent offline load, search old and new names."""
from __future__ import annotations

import socket

import pytest

from coordination.geography.units import load_geography, unit_counts
from coordination.geography.search import search_communes


def test_counts_match_the_2025_and_legacy_structures(ctx):
    counts = unit_counts()
    assert counts["province"] == 34
    assert counts["commune"] == 3321
    assert (counts["type:Phường"], counts["type:Xã"], counts["type:Đặc khu"]) == (687, 2621, 13)
    assert counts["legacy_province"] == 63
    assert counts["legacy_district"] == 696
    # The package lists 10,035 old wards (+5 island districts that had none).
    assert counts["legacy_ward"] == 10035


def test_second_load_changes_nothing_and_never_touches_the_network(ctx, monkeypatch):
    def refuse(*_args, **_kw):
        raise AssertionError("geo load tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = load_geography()
    assert (result.inserted, result.updated) == (0, 0)
    assert result.unchanged == 34 + 3321 + 63 + 696 + 10035


@pytest.mark.parametrize("query, expected, province", [
    ("Phường Bến Nghé, Quận 1", "Phường Sài Gòn", "Thành phố Hồ Chí Minh"),
    ("ben nghe", "Phường Sài Gòn", "Thành phố Hồ Chí Minh"),
    ("phuong ben nghe, quan 1, ho chi minh", "Phường Sài Gòn", "Thành phố Hồ Chí Minh"),
    ("Phường Ba Đình", "Phường Ba Đình", "Thành phố Hà Nội"),
    ("hoang sa", "Đặc khu Hoàng Sa", "Thành phố Đà Nẵng"),
])
def test_search_finds_communes_by_new_or_old_name(ctx, query, expected, province):
    results = search_communes(query)
    assert results, query
    assert results[0].unit.name == expected
    assert results[0].province.name == province


def test_search_by_old_name_says_what_the_unit_was(ctx):
    match = search_communes("Phường Bến Nghé, Quận 1")[0]
    assert match.legacy.name == "Phường Bến Nghé"
    assert match.legacy.district_name == "Quận 1"


def test_district_part_narrows_an_ambiguous_old_ward(ctx):
    # "Phường 1" existed in many districts; with the district it names one new unit first.
    first = search_communes("Phường 1, Quận 3")[0]
    assert first.legacy.district_name == "Quận 3"
    assert first.province.code == "79"


def test_search_nonsense_and_empty_find_nothing(ctx):
    assert search_communes("zzqxw") == []
    assert search_communes("   ") == []
    assert search_communes("x" * 500) == []

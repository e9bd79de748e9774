"""Staffing a week in minutes (issue 19 §1): pattern lines, expansion in Vietnam time (22–06 ends
the next morning), the warnings before saving (headcount, 12 h in a row, 8 h rest), overlaps
refused, copying a week forward with the unavailable skipped and named."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.core.errors import Conflict, ValidationError
from coordination.duty import patterns, rota, rota_rules, week
from coordination.org import teams
from models import Membership, Shift, ShiftAssignment, db
from models.shifts import BACKUP, MEMBER, PRIMARY
from tests.factories import make_person

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday 2 Dec 2026, 10:00 in Hà Nội
MONDAY = date(2026, 12, 7)
pytestmark = pytest.mark.clock_at(NOW)
H = timedelta(hours=1)


def at(day: int, hour: int) -> datetime:
    """A local (UTC+7) time in December 2026, in UTC."""
    return datetime(2026, 12, day, hour, tzinfo=UTC) - 7 * H


def members(team, *names):
    out = []
    for name in names:
        person = make_person(full_name=name)
        teams.add_member(team, person)
        out.append(person)
    db.session.flush()
    return out


MEMBERS = [(1, "Nguyễn Văn An"), (2, "Trần Thị Bình"), (3, "Lê Văn Chi"), (4, "Phạm An")]


def test_a_pattern_line_reads_as_a_lead_writes_it(ctx):
    slots = rota_rules.parse_pattern("T2 22:00-06:00: Nguyễn Văn An chính, Bình dự phòng\n"
                                     "hằng ngày 6-14: Chi, Bình", MEMBERS, 2)
    monday_night = [s for s in slots if s.weekday == 1 and s.start == "22:00"][0]
    assert (monday_night.end, monday_night.people) == ("06:00", [(1, PRIMARY), (2, BACKUP)])
    mornings = [s for s in slots if s.start == "06:00"]
    assert [s.weekday for s in mornings] == [1, 2, 3, 4, 5, 6, 7]
    assert mornings[0].people == [(3, PRIMARY), (2, BACKUP)]  # no role written: first primary, second backup
    assert [s.weekday for s in rota_rules.parse_pattern("T6-T2 8-16: Chi", MEMBERS, 2)] == [1, 5, 6, 7]


@pytest.mark.parametrize("text, says", [
    ("T2 22:00-06:00: Dũng", "Dòng 1"),  # not a member
    ("T2 22-06: Chi\nT2 22-06: Bình", "Dòng 2"),  # the same shift twice
    ("T2 22-06: An", "nhiều thành viên"),  # two members called An
    ("T2 22-06: Chi, Bình, Nguyễn Văn An", "3 người"),  # more than the headcount
    ("X9 22-06: Chi", "T2"),
    ("T2 25-06: Chi", "22:00"),
])
def test_a_bad_pattern_line_is_named(ctx, text, says):
    with pytest.raises(ValidationError) as err:
        rota_rules.parse_pattern(text, MEMBERS, 2)
    assert err.value.field == "text" and says in str(err.value)


def test_a_22_to_06_shift_ends_the_next_morning_in_vietnam_time(ctx):
    slots = rota_rules.parse_pattern("T2 22:00-06:00: Chi", MEMBERS, 2)
    planned = rota_rules.expand(slots, MONDAY, 2)
    assert [(p.starts_at, p.ends_at) for p in planned] == [
        (datetime(2026, 12, 7, 15, tzinfo=UTC), datetime(2026, 12, 7, 23, tzinfo=UTC)),  # Mon 22:00 → Tue 06:00
        (datetime(2026, 12, 14, 15, tzinfo=UTC), datetime(2026, 12, 14, 23, tzinfo=UTC))]
    # Copying it back from the database gives the same weekly slot (a Monday, not the Tuesday it ends on).
    assert rota_rules.slot_of(planned[0].starts_at, planned[0].ends_at, 2, []).weekday == 1
    with pytest.raises(ValidationError):
        rota_rules.expand(slots, MONDAY, 0)


def test_warnings_before_saving(ctx):
    morning, evening = (at(7, 6), at(7, 14)), (at(7, 14), at(7, 22))
    assert rota_rules.warnings(*evening, 2, 0, "An", []) == []
    run = rota_rules.warnings(*evening, 2, 0, "An", [morning])
    assert len(run) == 1 and "16" in run[0]  # 06–14 then 14–22: 16 hours in a row
    rest = rota_rules.warnings(at(8, 4), at(8, 12), 2, 0, "An", [evening])  # 22:00 → 04:00: 6 h rest
    assert len(rest) == 1 and "6" in rest[0]
    assert rota_rules.warnings(at(8, 6), at(8, 14), 2, 0, "An", [evening]) == []  # 8 h rest is enough
    over = rota_rules.warnings(*evening, 2, 2, "An", [])
    assert len(over) == 1 and "2" in over[0] and "3" in over[0]


def test_staffing_warns_then_saves_when_confirmed_and_refuses_overlaps(world):
    team = world.commune_team
    an, binh, chi = members(team, "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi")
    morning = rota.add_shift(team, at(7, 6), at(7, 14))
    evening = rota.add_shift(team, at(7, 14), at(7, 22))
    assert patterns.staff(morning, an, "auto", False)[0].role == PRIMARY
    assert patterns.staff(morning, binh, "auto", False)[0].role == BACKUP
    saved, found = patterns.staff(morning, chi, "auto", False)  # a third on a two-person shift
    assert saved is None and len(found) == 1
    assert patterns.staff(morning, chi, "auto", True)[0].role == MEMBER
    saved, found = patterns.staff(evening, an, "auto", False)  # 06–14 and 14–22
    assert saved is None and "16" in found[0]
    # On another team's shift at the same time: refused, confirmed or not.
    teams.add_member(world.province_team_a, binh)
    other = rota.add_shift(world.province_team_a, at(7, 15), at(7, 19))
    rota.assign(other, binh)
    with pytest.raises(Conflict):
        patterns.staff(evening, binh, "auto", True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftAssignment)
                             .where(ShiftAssignment.shift_id == evening.id)) == 0


def test_a_pattern_then_copy_week_staffs_weeks_and_names_who_was_skipped(world):
    team = world.commune_team
    people = members(team, "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi", "Phạm Văn Dũng", "Hồ Thị Giang",
                     "Vũ Văn Hải")
    pattern = patterns.save_pattern(team, "3 ca", "hằng ngày 06:00-14:00: An, Bình\nhằng ngày 14:00-22:00: Chi, Dũng\n"
                                    "hằng ngày 22:00-06:00: Giang, Hải", 2)
    done = patterns.apply_slots(team, patterns.pattern_slots(pattern), MONDAY, 1)
    assert (done.shifts_created, done.assigned, done.skipped) == (21, 42, [])
    wk = week.team_week(team.id, MONDAY)
    assert len(wk.cells) == 21 and wk.gaps == 0
    sunday_night = wk.cells[(date(2026, 12, 13), "22:00–06:00")]
    assert sunday_night.shift.ends_at == datetime(2026, 12, 13, 23, tzinfo=UTC)  # Monday 14/12 06:00
    # Giang leaves the team; Hải is on the province team's shift on Tuesday 15/12 night.
    giang = db.session.scalar(sa.select(Membership).where(Membership.person_id == people[4].id))
    teams.end_membership(giang, NOW.date())
    teams.add_member(world.province_team_a, people[5])
    rota.assign(rota.add_shift(world.province_team_a, at(15, 23), at(16, 3)), people[5])
    done = patterns.copy_week(team, MONDAY, 2)
    assert (done.shifts_created, done.assigned) == (42, 84 - 14 - 1)
    assert len(done.skipped) == 15
    assert sum("Hồ Thị Giang" in s for s in done.skipped) == 14
    assert [s for s in done.skipped if "Vũ Văn Hải" in s][0].startswith("Vũ Văn Hải, 15/12 22:00")
    assert week.team_week(team.id, MONDAY + timedelta(days=7)).gaps == 7
    # Running it again adds nothing and skips only the same people.
    again = patterns.copy_week(team, MONDAY, 2)
    assert (again.shifts_created, again.assigned) == (0, 0)


def test_free_members_come_first_in_a_cells_picker(world):
    team = world.commune_team
    an, binh, chi = members(team, "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi")
    morning = rota.add_shift(team, at(7, 6), at(7, 14))
    evening = rota.add_shift(team, at(7, 14), at(7, 22))
    rota.assign(morning, an)
    teams.add_member(world.province_team_a, binh)
    rota.assign(rota.add_shift(world.province_team_a, at(7, 16), at(7, 18)), binh)
    picks = week.cell(evening).picks
    states = {p.name: p.state for p in picks}
    assert states["Nguyễn Văn An"] == week.WARN and states["Trần Thị Bình"] == week.BUSY
    assert states["Lê Văn Chi"] == week.FREE
    assert picks[-1].name == "Trần Thị Bình" and picks[0].state == week.FREE


def test_saving_a_pattern_twice_replaces_it(world):
    team = world.commune_team
    members(team, "Lê Văn Chi")
    first = patterns.save_pattern(team, "Đêm", "T2 22-06: Chi", 2)
    second = patterns.save_pattern(team, "Đêm", "T3 22-06: Chi", 2)
    assert first.id == second.id and [s.weekday for s in patterns.pattern_slots(second)] == [2]
    with pytest.raises(ValidationError) as err:
        patterns.save_pattern(team, "", "T2 22-06: Chi", 2)
    assert err.value.field == "name"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 0

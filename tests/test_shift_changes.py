"""Giving a shift back, asking a teammate to take it, a lead's refusal and override (issue 19 §2),
as plain functions: the cut-off, the deadline that releases a given-back place (a gap, the lead
alerted by SMS through the outbox), rota rules for whoever takes the place, a double tap, and a
pattern applied again that does not undo a change."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.core.errors import Conflict, ValidationError
from coordination.duty import alerts, changes, patterns, queries, rota
from coordination.org import teams
from models import Message, ShiftAssignment, ShiftChange, db
from models.shifts import ACCEPTED, BACKUP, EXPIRED, OPEN, PRIMARY, REFUSED
from tests.factories import make_person

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Wednesday 2 Dec 2026, 10:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOW)
H = timedelta(hours=1)


@pytest.fixture
def team(world):
    """The commune team with An (primary) and Bình (backup) on a shift tomorrow 06–14 (20 h away),
    Chi free, the commune lead reachable by SMS."""
    t = world.commune_team
    an, binh, chi = (make_person(full_name=n) for n in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi"))
    for p in (an, binh, chi):
        teams.add_member(t, p)
    start = NOW + 20 * H
    shift = rota.add_shift(t, start, start + 8 * H, 2)
    rota.assign(shift, an, PRIMARY)
    rota.assign(shift, binh, BACKUP)
    db.session.commit()
    return dict(team=t, shift=shift, an=an, binh=binh, chi=chi, world=world)


def _on(shift) -> dict:
    return dict(db.session.execute(sa.select(ShiftAssignment.person_id, ShiftAssignment.role)
                                   .where(ShiftAssignment.shift_id == shift.id)).all())


def _sms(person) -> list[str]:
    return list(db.session.scalars(sa.select(Message.body).where(Message.person_id == person.id)))


def test_giving_back_opens_the_place_to_teammates_and_one_takes_it(team):
    shift, an, chi = team["shift"], team["an"], team["chi"]
    change = changes.give_back(shift, an)
    db.session.commit()
    assert change.state == OPEN and _on(shift)[an.id] == PRIMARY  # An stays responsible until someone takes it
    assert change.deadline_at == shift.starts_at - 4 * H
    # Chi (free, a teammate) sees it among open shifts on /duty/ though the shift has its 2 people
    mine = queries.person_duty(chi.id, [team["team"].id])
    assert [r.shift.id for r in mine.open_shifts] == [shift.id]
    lead = team["world"].commune_lead.person
    assert any("trả ca" in body for body in _sms(lead))
    taken = changes.take(shift, chi)
    db.session.commit()
    assert taken.change.state == ACCEPTED and _on(shift) == {chi.id: PRIMARY, team["binh"].id: BACKUP}
    assert any("trực thay" in body for body in _sms(lead))  # the lead is told, and can refuse
    with pytest.raises(Conflict):  # a second tap: one change
        changes.take(shift, make_person(full_name="Người Khác"))


def test_a_given_back_place_nobody_takes_is_released_and_the_lead_alerted(team, ctx):
    shift, an = team["shift"], team["an"]
    changes.give_back(shift, an)
    db.session.commit()
    assert alerts.tick(NOW + 15 * H)["released"] == 0  # before the deadline: nothing
    counts = alerts.tick(shift.starts_at - 4 * H)
    assert counts["released"] == 1
    assert an.id not in _on(shift)
    assert queries.team_shifts(team["team"].id, NOW, NOW + 48 * H)[0].gap  # a gap like any other
    lead = team["world"].commune_lead.person
    alert = db.session.scalar(sa.select(Message).where(Message.person_id == lead.id, Message.body.contains("thiếu")))
    assert alert is not None and alert.urgent
    assert alerts.tick(shift.starts_at - 3 * H)["released"] == 0  # once
    assert db.session.scalar(sa.select(ShiftChange.state)) == EXPIRED


def test_the_cut_off_and_a_past_shift(team, ctx):
    shift, an = team["shift"], team["an"]
    with pytest.raises(ValidationError) as err:
        changes.give_back(shift, an, now=shift.starts_at - 11 * H)  # the cut-off is 12 h
    assert "12" in str(err.value)
    with pytest.raises(ValidationError):
        changes.give_back(shift, an, now=shift.ends_at + H)
    ctx.config["SHIFT_GIVE_BACK_CUTOFF_HOURS"] = 6
    try:
        assert changes.give_back(shift, an, now=shift.starts_at - 11 * H).state == OPEN
    finally:
        ctx.config["SHIFT_GIVE_BACK_CUTOFF_HOURS"] = 12
    with pytest.raises(ValidationError):  # Chi is not on the shift: nothing to give back
        changes.give_back(shift, team["chi"])


def test_a_double_tap_gives_back_once(team):
    changes.give_back(team["shift"], team["an"])
    with pytest.raises(Conflict):
        changes.give_back(team["shift"], team["an"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShiftChange)) == 1


def test_a_swap_is_accepted_by_the_teammate_asked_and_refused_by_the_lead(team):
    shift, an, chi, binh = team["shift"], team["an"], team["chi"], team["binh"]
    change = changes.ask_swap(shift, an, chi)
    db.session.commit()
    assert any("nhờ bạn trực thay" in b and "/duty/" in b for b in _sms(chi))
    assert changes.asked_of(chi.id) == [change]
    with pytest.raises(ValidationError):  # only the one asked accepts
        changes.accept(change, binh)
    changes.accept(change, chi)
    db.session.commit()
    assert _on(shift)[chi.id] == PRIMARY and an.id not in _on(shift)
    changes.refuse(change, actor_id=team["world"].commune_lead.id)
    db.session.commit()
    assert change.state == REFUSED and _on(shift)[an.id] == PRIMARY and chi.id not in _on(shift)
    assert any("không đồng ý" in b for b in _sms(an))
    with pytest.raises(Conflict):
        changes.refuse(change)


def test_two_shifts_at_once_are_refused_and_rest_is_warned_for_the_taker(team):
    shift, an, chi = team["shift"], team["an"], team["chi"]
    other = rota.add_shift(team["team"], shift.starts_at + 2 * H, shift.starts_at + 6 * H, 2)  # overlaps
    rota.assign(other, chi, PRIMARY)
    with pytest.raises(Conflict):
        changes.ask_swap(shift, an, chi)
    dung = make_person(full_name="Đỗ Văn Dũng")
    teams.add_member(team["team"], dung)
    night = rota.add_shift(team["team"], shift.starts_at - 10 * H, shift.starts_at - 4 * H, 2)  # ends 4 h before
    rota.assign(night, dung, PRIMARY)
    change = changes.ask_swap(shift, an, dung)
    first = changes.accept(change, dung)
    assert first.change is None and "4" in " ".join(first.warnings)  # nothing saved until confirmed
    assert change.state == OPEN
    assert changes.accept(change, dung, confirmed=True).change.state == ACCEPTED


def test_an_override_survives_the_pattern_applied_again(team):
    shift, an, chi, t = team["shift"], team["an"], team["chi"], team["team"]
    day = (shift.starts_at + 7 * H).date()
    monday = day - timedelta(days=day.weekday())
    slots = patterns.pattern_slots(patterns.save_pattern(
        t, "Sáng", f"{['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'][day.weekday()]} 6-14: An, Bình", 3))
    place = db.session.scalar(sa.select(ShiftAssignment).where(ShiftAssignment.shift_id == shift.id,
                                                               ShiftAssignment.person_id == an.id))
    shift.required = 3  # room for An again, if the pattern were to put him back
    changes.override(place, chi, actor_id=team["world"].commune_lead.id)
    db.session.commit()
    done = patterns.apply_slots(t, slots, monday, 1)
    assert an.id not in _on(shift) and _on(shift)[chi.id] == PRIMARY
    assert any("Nguyễn Văn An" in s for s in done.skipped)


def test_an_override_closes_an_open_request(team):
    shift, an, chi, binh = team["shift"], team["an"], team["chi"], team["binh"]
    asked = changes.ask_swap(shift, an, chi)
    place = db.session.get(ShiftAssignment, asked.assignment_id)
    dung = make_person(full_name="Đỗ Văn Dũng")
    teams.add_member(team["team"], dung)
    changes.override(place, dung)
    db.session.commit()
    assert asked.state == "cancelled" and _on(shift)[dung.id] == PRIMARY
    with pytest.raises(Conflict):
        changes.accept(asked, chi)
    with pytest.raises(Conflict):
        changes.override(db.session.get(ShiftAssignment, asked.assignment_id), binh)


def test_can_still_give_back_and_deadline_are_plain_times():
    start = datetime(2026, 12, 3, 23, tzinfo=UTC)
    assert changes.can_still_give_back(start, start - 12 * H, 12 * H)
    assert not changes.can_still_give_back(start, start - 11 * H, 12 * H)
    assert changes.deadline("give_back", start, start - 20 * H, 4 * H) == start - 4 * H
    assert changes.deadline("swap", start, start - 20 * H, 4 * H) == start


def test_two_teammates_taking_one_given_back_place_at_once_make_one_change(team, ctx):
    from tests.factories import at_once

    changes.give_back(team["shift"], team["an"])
    dung = make_person(full_name="Đỗ Văn Dũng")
    teams.add_member(team["team"], dung)
    db.session.commit()
    shift_id, takers = team["shift"].id, [team["chi"].id, dung.id]

    def tap():
        from models import Person, Shift
        try:
            changes.take(db.session.get(Shift, shift_id), db.session.get(Person, takers.pop()), confirmed=True)
            db.session.commit()
            return True
        except Conflict:
            db.session.rollback()
            return False

    assert sorted(at_once(ctx, 2, tap)) == [False, True]
    db.session.expire_all()
    assert len(set(_on(team["shift"])) & {team["chi"].id, dung.id}) == 1

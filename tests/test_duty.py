"""Duty rules as plain functions: rota generation in Vietnam time, staffing, gaps, check-ins,
on duty now, automatic closing, hours."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.duty import checkins, queries as duty, rota
from coordination.core.errors import Conflict, ValidationError
from models import AdminUnit, CheckIn, DutySession, Shift, db
from tests.factories import HANOI, HCM, make_person

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
pytestmark = pytest.mark.clock_at(NOW)


def item(kind="in", at=NOW, **kw):
    return dict(client_uuid=str(uuid.uuid4()), kind=kind, occurred_at=at.isoformat(), **kw)


def test_three_eight_hour_shifts_a_day_in_vietnam_time(world):
    spec = rota.RotaSpec(name="24/7", first_start="06:00", shift_hours=8, shifts_per_day=3, required=2)
    _rota, created, skipped = rota.generate(world.commune_team, spec, date(2026, 12, 1), date(2026, 12, 2))
    assert (created, skipped) == (6, 0)
    shifts = db.session.scalars(sa.select(Shift).where(Shift.team_id == world.commune_team.id)
                                .order_by(Shift.starts_at)).all()
    # 06:00 on 1 Dec in Hà Nội is 23:00 UTC on 30 Nov; shifts follow each other without gaps, across midnight.
    assert shifts[0].starts_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert all(a.ends_at == b.starts_at for a, b in zip(shifts, shifts[1:]))
    assert shifts[-1].ends_at == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    assert {s.required for s in shifts} == {2}
    # Running it again adds nothing.
    assert rota.generate(world.commune_team, spec, date(2026, 12, 1), date(2026, 12, 2))[1:] == (0, 6)


def test_rota_on_chosen_weekdays_only(world):
    spec = rota.RotaSpec(name="Cuối tuần", first_start="08:00", shift_hours=4, shifts_per_day=2, weekdays="67")
    _r, created, _s = rota.generate(world.commune_team, spec, date(2026, 11, 23), date(2026, 12, 6))  # Mon..Sun x2
    assert created == 2 * 2 * 2


@pytest.mark.parametrize("change, field", [
    (dict(shift_hours=9), "shifts_per_day"), (dict(first_start="25:00"), "first_start"),
    (dict(required=0), "required"), (dict(weekdays="9"), "weekdays"), (dict(shift_hours=True), "shift_hours"),
])
def test_bad_rota_templates_name_the_field(change, field):
    with pytest.raises(ValidationError) as err:
        rota.clean_rota(rota.RotaSpec(**dict(dict(name="x"), **change)))
    assert err.value.field == field


def test_rota_range_limits(world):
    spec = rota.RotaSpec(name="x")
    with pytest.raises(ValidationError):
        rota.generate(world.commune_team, spec, date(2026, 12, 2), date(2026, 12, 1))
    with pytest.raises(ValidationError):
        rota.generate(world.commune_team, spec, date(2026, 1, 1), date(2026, 6, 1))


def _shift(team, start_hour: int, hours: int = 8, day: int = 24, required: int = 2) -> Shift:
    starts = datetime(2026, 11, day, start_hour, tzinfo=UTC)
    return rota.add_shift(team, starts, starts + timedelta(hours=hours), required)


def test_single_shift_rules(world):
    with pytest.raises(ValidationError) as err:
        rota.add_shift(world.commune_team, NOW, NOW - timedelta(hours=1))
    assert err.value.field == "ends_at"
    _shift(world.commune_team, 1)
    with pytest.raises(Conflict):
        _shift(world.commune_team, 1)


def test_staffing_rules(world):
    first = _shift(world.commune_team, 0)
    overlapping = _shift(world.commune_team, 4)
    vol = world.volunteer.person
    rota.assign(first, vol, "primary")
    with pytest.raises(Conflict):
        rota.assign(overlapping, vol, "member")  # same person, overlapping hours
    with pytest.raises(Conflict):
        rota.assign(first, world.commune_lead.person, "primary")  # one primary per shift
    with pytest.raises(ValidationError):
        rota.assign(first, make_person(), "backup")  # not a member of the team
    rota.assign(first, world.commune_lead.person, "backup")
    with pytest.raises(Conflict):
        rota.claim(first, world.commune_lead.person, now=NOW)  # already full (2/2)


def test_claim_fills_primary_then_backup(world):
    shift = _shift(world.commune_team, 0)
    a = rota.claim(shift, world.volunteer.person, now=NOW)
    b = rota.claim(shift, world.commune_lead.person, now=NOW)
    assert (a.role, b.role) == ("primary", "backup")


def test_swap_exchanges_places(world):
    s1, s2 = _shift(world.commune_team, 0), _shift(world.commune_team, 8)
    a1 = rota.assign(s1, world.volunteer.person, "primary")
    a2 = rota.assign(s2, world.commune_lead.person, "backup")
    rota.swap(a1, a2)
    db.session.commit()
    on = {(a.shift_id, a.role): a.person_id for a in (a1, a2)}
    assert on == {(s2.id, "backup"): world.volunteer.person_id, (s1.id, "primary"): world.commune_lead.person_id}


def test_gaps_count_understaffed_shifts_in_the_next_seven_days(world):
    full = _shift(world.commune_team, 0, required=1)
    rota.assign(full, world.volunteer.person)
    _shift(world.commune_team, 8)  # 0/2
    _shift(world.commune_team, 8, day=28)  # 0/2, within 7 days
    _shift(world.commune_team, 8, day=30)  # beyond 7 days
    assert duty.province_gaps(HANOI, now=NOW) == {world.commune_team.id: 2}


def test_check_in_and_out_keep_device_time_and_are_idempotent(world):
    vid = world.volunteer.id
    first = item("in", NOW - timedelta(hours=2))
    results = checkins.record_checkins(vid, [first, item("out", NOW - timedelta(minutes=30))], now=NOW)
    assert [r.status for r in results] == ["accepted", "accepted"]
    again = checkins.record_checkins(vid, [first], now=NOW)
    assert again[0].status == "duplicate" and again[0].id == results[0].id
    db.session.commit()
    row = db.session.get(CheckIn, results[0].id)
    assert row.occurred_at == NOW - timedelta(hours=2) and row.received_at == NOW
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 2
    session = db.session.scalar(sa.select(DutySession))
    assert session.ended_at == NOW - timedelta(minutes=30) and not session.automatic


def test_a_bad_item_never_sinks_the_others(world):
    vid = world.volunteer.id
    batch = [
        item("out"),  # check-out without check-in
        {"client_uuid": "nope", "kind": "in", "occurred_at": NOW.isoformat()},
        item("in", NOW + timedelta(minutes=10)),  # beyond 5 minutes of clock skew
        item("in", NOW - timedelta(days=8)),
        dict(item("in"), occurred_at="2026-11-23T10:00:00"),  # no time zone
        dict(item("in"), kind="maybe"),
        "not an object",
        item("in", NOW + timedelta(minutes=4)),  # within the skew: fine
    ]
    results = checkins.record_checkins(vid, batch, now=NOW)
    assert [r.status for r in results] == ["rejected"] * 7 + ["accepted"]
    assert [r.field for r in results[:7]] == ["kind", "client_uuid", "occurred_at", "occurred_at", "occurred_at",
                                               "kind", "item"]
    assert str(results[0].error) == "Kết thúc ca khi chưa vào ca."  # in the user's language


def test_a_check_out_seconds_after_the_check_in_counts_only_if_confirmed(world):
    """Two taps 250 ms apart on an old app (no confirm step): the second is not a check-out."""
    vid = world.volunteer.id
    tap_in = NOW - timedelta(seconds=30)
    checkins.record_checkins(vid, [item("in", tap_in)], now=NOW)
    double = checkins.record_checkins(vid, [item("out", tap_in + timedelta(milliseconds=250))], now=NOW)[0]
    assert (double.status, double.field, double.code) == ("rejected", "confirmed", checkins.TOO_SOON)
    assert str(double.error) == ("Ra ca chỉ 0 giây sau khi vào ca, có vẻ là bấm nhầm hai lần nên chưa được tính. "
                                 "Hãy xác nhận ra ca để kết thúc ca.")
    session = db.session.scalar(sa.select(DutySession).where(DutySession.person_id == world.volunteer.person_id))
    assert session.ended_at is None  # still on duty
    confirmed = checkins.record_checkins(vid, [item("out", tap_in + timedelta(seconds=20), confirmed=True)],
                                         now=NOW)[0]
    assert confirmed.status == "accepted"
    db.session.refresh(session)
    assert session.ended_at == tap_in + timedelta(seconds=20)


def test_the_minimum_is_a_setting_and_a_later_check_out_needs_no_confirmation(world):
    vid = world.volunteer.id
    batch = [item("in", NOW - timedelta(minutes=10)), item("out", NOW - timedelta(minutes=9)),  # 60 s: fine
             item("in", NOW - timedelta(minutes=5)), item("out", NOW - timedelta(minutes=3))]
    assert [r.status for r in checkins.record_checkins(vid, batch, now=NOW)] == ["accepted"] * 4
    strict = [item("in", NOW - timedelta(minutes=2)), item("out", NOW)]
    results = checkins.record_checkins(vid, strict, now=NOW, min_session=timedelta(minutes=5))
    assert [r.status for r in results] == ["accepted", "rejected"] and results[1].field == "confirmed"
    bad = checkins.record_checkins(vid, [item("out", NOW, confirmed="yes")], now=NOW)[0]
    assert (bad.status, bad.field) == ("rejected", "confirmed")


def test_second_check_in_is_refused_while_on_duty(world):
    vid = world.volunteer.id
    checkins.record_checkins(vid, [item("in", NOW - timedelta(hours=1))], now=NOW)
    result = checkins.record_checkins(vid, [item("in", NOW)], now=NOW)[0]
    assert result.status == "rejected" and result.field == "kind" and result.code == checkins.ALREADY_IN


def test_check_in_is_linked_to_the_shift_being_stood(world):
    shift = _shift(world.commune_team, 2, day=23)
    rota.assign(shift, world.volunteer.person, "primary")
    result = checkins.record_checkins(world.volunteer.id, [item("in", NOW)], now=NOW)[0]
    db.session.commit()
    assert db.session.get(CheckIn, result.id).shift_id == shift.id
    unknown = checkins.record_checkins(world.volunteer.id, [item("out", NOW, shift_id=999999)], now=NOW)[0]
    assert unknown.status == "rejected" and unknown.field == "shift_id"


def test_far_check_ins_are_flagged_never_refused(world):
    unit = db.session.get(AdminUnit, world.commune_team.admin_unit_code)
    near = checkins.record_checkins(world.volunteer.id, [item("in", NOW - timedelta(hours=1), lat=unit.lat,
                                                                     lon=unit.lon + 0.01, accuracy_m=20)], now=NOW)[0]
    far = checkins.record_checkins(world.volunteer.id, [item("out", NOW, lat=10.77, lon=106.70)], now=NOW)[0]
    assert (near.status, near.far, far.status, far.far) == ("accepted", False, "accepted", True)
    db.session.commit()
    row = db.session.get(CheckIn, far.id)
    assert row.distance_km > 1000  # Hà Nội -> TP. HCM
    assert db.session.scalar(sa.select(DutySession.far)) is True


def test_a_queued_batch_keeps_each_taps_time_place_and_shift(world):
    """What a phone sends after a day offline: every value arrives as it was tapped, and the sessions
    open and close at the taps' own times (PostgreSQL stores a batch as one unnest INSERT)."""
    unit = db.session.get(AdminUnit, world.commune_team.admin_unit_code)
    shift = _shift(world.commune_team, 2, day=23)  # 02:00-10:00 UTC
    rota.assign(shift, world.volunteer.person, "primary")
    t = [NOW - timedelta(hours=h) for h in (20, 18, 1)]
    batch = [item("in", t[0]), item("out", t[1], lat=10.77, lon=106.70, accuracy_m=35.5),
             item("in", t[2], lat=unit.lat, lon=unit.lon, accuracy_m=8)]
    results = checkins.record_checkins(world.volunteer.id, batch, now=NOW)
    db.session.commit()
    assert [r.status for r in results] == ["accepted"] * 3
    rows = [db.session.get(CheckIn, r.id) for r in results]
    assert [(c.client_uuid, c.kind, c.occurred_at, c.received_at) for c in rows] == [
        (b["client_uuid"], b["kind"], when, NOW) for b, when in zip(batch, t)]
    assert [(c.lat, c.accuracy_m, c.far, c.shift_id) for c in rows] == [
        (None, None, False, None), (10.77, 35.5, True, None), (unit.lat, 8.0, False, shift.id)]
    assert rows[1].distance_km > 1000 and rows[2].distance_km == 0
    sessions = db.session.execute(sa.select(DutySession.started_at, DutySession.ended_at, DutySession.far,
                                            DutySession.shift_id).order_by(DutySession.started_at)).all()
    assert sessions == [(t[0], t[1], True, None), (t[2], None, False, shift.id)]


def test_on_duty_now_per_province_and_team(world):
    checkins.record_checkins(world.volunteer.id, [item("in", NOW)], now=NOW)
    checkins.record_checkins(world.commune_lead.id, [item("in", NOW)], now=NOW)
    db.session.commit()
    by_province = duty.on_duty_by_province()
    assert len(by_province) == 34 and by_province[HANOI] == 2 and by_province[HCM] == 0
    assert duty.on_duty_by_team(HANOI) == {world.commune_team.id: 2}
    checkins.record_checkins(world.volunteer.id, [item("out", NOW + timedelta(minutes=1))],
                             now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert duty.on_duty_by_province()[HANOI] == 1


def test_open_check_in_is_closed_two_hours_after_its_shift(world):
    shift = _shift(world.commune_team, 0, hours=4, day=23)  # 00:00-04:00 UTC
    rota.assign(shift, world.volunteer.person, "primary")
    checkins.record_checkins(world.volunteer.id, [item("in", datetime(2026, 11, 23, 0, 5, tzinfo=UTC))],
                             now=NOW)
    assert duty.close_stale_sessions(now=datetime(2026, 11, 23, 5, 59, tzinfo=UTC)) == 0
    assert duty.close_stale_sessions(now=datetime(2026, 11, 23, 6, 1, tzinfo=UTC)) == 1
    db.session.commit()
    session = db.session.scalar(sa.select(DutySession))
    assert session.automatic and session.ended_at == shift.ends_at
    auto = db.session.scalar(sa.select(CheckIn).where(CheckIn.automatic.is_(True)))
    assert auto.kind == "out" and auto.occurred_at == shift.ends_at


def test_a_week_sent_again_is_not_counted_again(world):
    """occurred_at may be 7 days old (a phone offline), but one person is on duty once at a time:
    the same back-dated week, sent three times, gave 501 hours in 7 days."""
    vid, pid = world.volunteer.id, world.volunteer.person_id
    week = [item("in", NOW - timedelta(days=6, hours=23)), item("out", NOW - timedelta(minutes=1))]
    assert [r.status for r in checkins.record_checkins(vid, week, now=NOW)] == ["accepted", "accepted"]
    db.session.commit()
    again = checkins.record_checkins(vid, [item("in", NOW - timedelta(days=6, hours=22)), item("out", NOW)], now=NOW)
    assert [r.status for r in again] == ["rejected", "rejected"]
    assert again[0].field == "occurred_at" and again[0].code == "overlaps_session"
    assert "không tính hai lần" in again[0].error
    around = checkins.record_checkins(vid, [item("in", NOW - timedelta(days=6, hours=23, minutes=30)),
                                            item("out", NOW)], now=NOW)  # a session that would cover it
    assert [r.status for r in around] == ["accepted", "rejected"] and around[1].code == "overlaps_session"
    after = checkins.record_checkins(vid, [item("out", NOW - timedelta(days=6, hours=23, minutes=10))], now=NOW)
    assert after[0].status == "accepted"  # ended before the week began: counted
    db.session.commit()
    hours = duty.hours_on_duty(NOW - timedelta(days=7), NOW, person_id=pid, now=NOW)[pid]
    assert hours == pytest.approx(6 * 24 + 23 - 1 / 60 + 1 / 3, abs=0.01)  # the week once, and 20 minutes


def test_hours_on_duty_per_person_and_team_clipped_to_the_period(world):
    vid, lid = world.volunteer.person_id, world.commune_lead.person_id
    base = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    checkins.record_checkins(world.volunteer.id, [item("in", base), item("out", base + timedelta(hours=4))], now=NOW)
    checkins.record_checkins(world.commune_lead.id, [item("in", base + timedelta(hours=1)), item("out", base + timedelta(hours=3))],
                             now=NOW)
    db.session.commit()
    day = (base - timedelta(hours=1), base + timedelta(hours=23))
    assert duty.hours_on_duty(*day, now=NOW) == {vid: 4.0, lid: 2.0}
    assert duty.hours_on_duty(*day, by="team", now=NOW) == {world.commune_team.id: 6.0}
    window = (base + timedelta(hours=2), base + timedelta(hours=3))
    assert duty.hours_on_duty(*window, now=NOW) == {vid: 1.0, lid: 1.0}
    # An open session counts until now.
    checkins.record_checkins(world.volunteer.id, [item("in", NOW - timedelta(minutes=90))], now=NOW)
    db.session.commit()
    assert duty.hours_on_duty(NOW - timedelta(hours=3), NOW, person_id=vid, now=NOW) == {vid: 1.5}


def test_overnight_shift_entered_in_local_time():
    starts, ends = rota.local_shift_times(date(2026, 12, 1), "22:00", "06:00")
    assert starts == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 22:00 in Hà Nội
    assert ends == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 06:00 the next morning
    with pytest.raises(ValidationError):
        rota.local_shift_times(date(2026, 12, 1), "7h", "09:00")

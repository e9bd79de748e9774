"""The check-in rules as a pure function: checkins.plan decides a batch against a context built
by hand, with no database (the SQL is tested through record_checkins in test_duty.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coordination.core.errors import ValidationError
from coordination.duty import checkins
from coordination.duty.checkin_store import ClosedSession, Context, OpenSession, Place, SessionEnd

T = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội
TEAM = 7
COMMUNE = Place("01", 21.03, 105.85)  # Hoàn Kiếm


def context(**kw) -> Context:
    return Context(person_id=1, home_team_id=TEAM, places={TEAM: COMMUNE}, **kw)


def item(uuid: str, kind: str, at: datetime, **kw) -> checkins.Item:
    return checkins.Item(uuid, kind, at, **kw)


def test_a_check_in_then_a_check_out_is_one_session():
    decision = checkins.plan(context(), [item("a", "in", T), item("b", "out", T + timedelta(hours=4))], T)
    assert [r.status for r in decision.results] == [checkins.ACCEPTED, checkins.ACCEPTED]
    assert [row["kind"] for row in decision.changes.checkins] == ["in", "out"]
    [session] = decision.changes.opened
    assert (session["team_id"], session["province_code"]) == (TEAM, "01")
    assert (session["started_at"], session["ended_at"]) == (T, T + timedelta(hours=4))
    assert decision.changes.ended is None


def test_a_check_out_ends_the_stored_open_session():
    ctx = context(open_session=OpenSession(5, T - timedelta(hours=3)))
    decision = checkins.plan(ctx, [item("a", "out", T)], T)
    assert decision.results[0].status == checkins.ACCEPTED
    assert decision.changes.ended == SessionEnd(5, T, False)
    assert decision.changes.opened == []


def test_a_check_in_while_on_duty_is_refused():
    ctx = context(open_session=OpenSession(5, T - timedelta(hours=3)))
    [result] = checkins.plan(ctx, [item("a", "in", T)], T).results
    assert (result.status, result.code, result.field) == (checkins.REJECTED, checkins.ALREADY_IN, "kind")


def test_a_stored_or_repeated_client_uuid_is_a_duplicate_and_written_once():
    ctx = context(stored={"old": 42})
    decision = checkins.plan(ctx, [item("old", "in", T), item("new", "in", T), item("new", "in", T)], T)
    assert [(r.status, r.id) for r in decision.results] == [
        (checkins.DUPLICATE, 42), (checkins.ACCEPTED, None), (checkins.DUPLICATE, None)]
    assert [row["client_uuid"] for row in decision.changes.checkins] == ["new"]


def test_a_tap_far_from_the_commune_is_accepted_and_marked_far():
    thirty_km_south = dict(lat=COMMUNE.lat - 0.27, lon=COMMUNE.lon)
    taps = [item("a", "in", T, **thirty_km_south), item("b", "out", T + timedelta(hours=1), lat=21.03, lon=105.85)]
    decision = checkins.plan(context(), taps, T, far_km=10)
    assert [(r.status, r.far) for r in decision.results] == [(checkins.ACCEPTED, True), (checkins.ACCEPTED, False)]
    assert 29 < decision.changes.checkins[0]["distance_km"] < 31
    assert decision.changes.opened[0]["far"] is True  # the session keeps the far check-in
    assert checkins.plan(context(), taps[:1], T, far_km=50).results[0].far is False


def test_a_session_overlapping_a_recorded_one_is_refused():
    ctx = context(closed=[ClosedSession(T - timedelta(hours=5), T - timedelta(hours=2))])
    inside = checkins.plan(ctx, [item("a", "in", T - timedelta(hours=3))], T)
    assert (inside.results[0].status, inside.results[0].code) == (checkins.REJECTED, checkins.OVERLAP)
    assert inside.changes.checkins == [] and inside.changes.opened == []
    covering = checkins.plan(ctx, [item("a", "in", T - timedelta(hours=6)), item("b", "out", T)], T)
    assert [r.status for r in covering.results] == [checkins.ACCEPTED, checkins.REJECTED]
    assert covering.results[1].code == checkins.OVERLAP
    after = checkins.plan(ctx, [item("a", "in", T - timedelta(hours=2))], T)  # sessions are [start, end)
    assert after.results[0].status == checkins.ACCEPTED


def test_an_unconfirmed_check_out_seconds_after_the_check_in_is_a_double_tap():
    taps = [item("a", "in", T), item("b", "out", T + timedelta(seconds=20))]
    assert checkins.plan(context(), taps, T).results[1].code == checkins.TOO_SOON
    taps[1].confirmed = True
    assert checkins.plan(context(), taps, T).results[1].status == checkins.ACCEPTED


def test_a_batch_is_a_list_of_1_to_500_items():
    for bad in (None, {}, [], "x", [{}] * (checkins.MAX_BATCH + 1)):
        with pytest.raises(ValidationError) as err:
            checkins.check_batch(bad)
        assert err.value.field == "items"
    assert checkins.check_batch([{}] * checkins.MAX_BATCH) == [{}] * checkins.MAX_BATCH

"""Good practices (issue 22 §3) as plain rules: the states, who reviews (never the writer; national reach
only by the ministry), who sees a draft or a published practice, "we applied it" once per team, the
before/after figures counted by hand on a small dataset, and the movement criterion."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.permissions import scope_for_person
from coordination.emulation import movements, practice_figures, practices, standings
from coordination.org import teams
from coordination.tasks import photos
from models import AuditEvent, Practice, Task, TaskUpdate, db
from tests import photo_samples as samples
from tests.factories import HANOI, HCM, communes_of, make_person, make_user

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)  # 10:00 on 20/11/2026 in Vietnam
pytestmark = pytest.mark.clock_at(NOW)
KIND = "support_vneid_level2"


def vn(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=VN).astimezone(timezone.utc)


def scope(user):
    return scope_for_person(user.person_id)


def fields(**kw):
    data = dict(title="Tổ chức 'Chủ nhật số' tại nhà văn hoá", problem="Người cao tuổi không tự kích hoạt được VNeID.",
                action="Mỗi Chủ nhật, hai thành viên ngồi tại nhà văn hoá thôn\nhướng dẫn từng người.",
                result="Số người được hỗ trợ tăng rõ.", work_kind=KIND, started_on=None)
    data.update(kw)
    return data


def write(user, team, submit=True, new_photos=(), **kw) -> Practice:
    practice, _files = practices.create(scope(user), user.id, team.id, list(new_photos), **fields(**kw))
    if submit:
        practices.submit(scope(user), user.id, practice)
    db.session.commit()
    return practice


@pytest.fixture
def more(world):
    """Team C (another Hà Nội commune) with a lead and a member; team D in TP. HCM with a lead; a second
    member of the world's commune team."""
    c = teams.create_commune_team(communes_of(HANOI, 3)[2].code)
    d = teams.create_commune_team(communes_of(HCM, 2)[1].code)
    world.team_c, world.team_d = c, d
    world.lead_c, world.member_c, world.lead_d = (make_person(full_name=n) for n in ("Trưởng C", "Thành viên C", "Trưởng D"))
    teams.add_member(c, world.lead_c, "lead")
    teams.add_member(c, world.member_c, "member")
    teams.add_member(d, world.lead_d, "lead")
    other = make_person(full_name="Thành viên khác của A")
    teams.add_member(world.commune_team, other, "member")
    world.lead_c, world.member_c, world.lead_d, world.teammate = (make_user(p) for p in
                                                                  (world.lead_c, world.member_c, world.lead_d, other))
    db.session.commit()
    return world


# --- states and reviewers ----------------------------------------------------------------------

def test_a_draft_is_sent_published_or_sent_back_with_a_reason_and_sent_again(more):
    w = more
    p = write(w.volunteer, w.commune_team, submit=False)
    assert p.state == "draft"
    with pytest.raises(Conflict):  # not waiting for review
        practices.review(scope(w.lead_a), w.lead_a.id, p, publish=True, reach="province")
    practices.submit(scope(w.volunteer), w.volunteer.id, p)
    with pytest.raises(ValidationError) as err:
        practices.review(scope(w.lead_a), w.lead_a.id, p, publish=False, reason="  ")
    assert err.value.field == "reason"
    practices.review(scope(w.lead_a), w.lead_a.id, p, publish=False, reason="Thêm số liệu trước và sau")
    db.session.commit()
    assert (p.state, p.return_reason) == ("returned", "Thêm số liệu trước và sau")
    practices.edit(scope(w.volunteer), w.volunteer.id, p, [], **fields(started_on=date(2026, 10, 15)))
    practices.submit(scope(w.volunteer), w.volunteer.id, p)
    assert (p.state, p.return_reason) == ("submitted", None)
    with pytest.raises(NotFound):  # a practice waiting for review is not changed any more
        practices.edit(scope(w.volunteer), w.volunteer.id, p, [], **fields(title="Khác"))
    practices.review(scope(w.lead_a), w.lead_a.id, p, publish=True, reach="province")
    db.session.commit()
    assert (p.state, p.reach, p.published_at) == ("published", "province", NOW)
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "practice",
                                                                          AuditEvent.entity_id == str(p.id))
                                      .order_by(AuditEvent.id)))
    assert actions == ["create", "submit", "send_back", "update", "submit", "publish"]


def test_only_a_lead_above_the_team_reviews_never_the_writer_and_only_the_ministry_nationally(more):
    w = more
    p = write(w.volunteer, w.commune_team)
    for outsider in (w.commune_lead, w.teammate, w.lead_c, w.lead_b, w.lead_d):  # the team's own lead is not above it
        with pytest.raises(NotFound):
            practices.review(scope(outsider), outsider.id, p, publish=True, reach="province")
        assert not practices.can_review(scope(outsider), p, outsider.id)
    with pytest.raises(ValidationError) as err:
        practices.review(scope(w.lead_a), w.lead_a.id, p, publish=True, reach="national")
    assert err.value.field == "reach"
    assert p.state == "submitted"
    practices.review(scope(w.ministry), w.ministry.id, p, publish=True, reach="national")
    assert (p.state, p.reach) == ("published", "national")
    # a province lead who is also a member of a commune team writes one: another lead reviews it
    teams.add_member(w.team_c, w.lead_a.person, "member")
    db.session.commit()
    own = write(w.lead_a, w.team_c)
    assert not practices.can_review(scope(w.lead_a), own, w.lead_a.id)
    with pytest.raises(Conflict):
        practices.review(scope(w.lead_a), w.lead_a.id, own, publish=True, reach="province")
    practices.review(scope(w.ministry), w.ministry.id, own, publish=True, reach="province")
    assert own.state == "published"


def test_a_team_is_one_of_the_writers_own_and_every_field_is_checked(more):
    w = more
    s = scope(w.volunteer)
    cases = [(dict(team_id=w.team_c.id), "team"), (dict(title=""), "title"), (dict(problem="  \n "), "problem"),
             (dict(action="a\u202eb"), "action"), (dict(result="x" * 4001), "result"), (dict(work_kind="nope"), "work_kind"),
             (dict(started_on=date(2026, 11, 21)), "started_on")]
    for change, field in cases:
        team_id = change.pop("team_id", w.commune_team.id)
        with pytest.raises(ValidationError) as err:
            practices.create(s, w.volunteer.id, team_id, [], **fields(**change))
        assert err.value.field == field, change
        db.session.rollback()
    four = [photos.process(io.BytesIO(samples.jpeg(40, 30))) for _ in range(4)]
    with pytest.raises(ValidationError) as err:
        practices.create(s, w.volunteer.id, w.commune_team.id, four, **fields())
    assert err.value.field == "photos"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Practice)) == 0  # nothing half-written
    with pytest.raises(ValidationError):  # the ministry has no commune team of its own
        practices.create(scope(w.ministry), w.ministry.id, w.commune_team.id, [], **fields())


# --- who sees what --------------------------------------------------------------------------------

def _sees(user, practice) -> tuple[bool, bool]:
    """(the rule, the library's SQL) must agree."""
    s = scope(user)
    listed = practice.id in {p.id for p, _n in practices.library(s, user.id)} | \
        {p.id for p in practices.unpublished(s, user.id)}
    return practices.can_view(s, practice, user.id), listed


def test_drafts_are_seen_by_the_writer_the_teams_leads_and_reviewers_only(more):
    w = more
    p = write(w.volunteer, w.commune_team, submit=False)
    for user in (w.volunteer, w.commune_lead, w.lead_a, w.ministry):
        assert _sees(user, p) == (True, True), user.person.full_name
    for user in (w.teammate, w.lead_c, w.member_c, w.lead_b, w.lead_d):  # a teammate too: not yet theirs to read
        assert _sees(user, p) == (False, False), user.person.full_name
        with pytest.raises(NotFound):
            practices.get_visible(scope(user), user.id, p.id)


def test_published_to_the_province_reaches_its_teams_nationally_everyone(more):
    w = more
    p = write(w.volunteer, w.commune_team)
    practices.review(scope(w.lead_a), w.lead_a.id, p, publish=True, reach="province")
    db.session.commit()
    for user in (w.teammate, w.lead_c, w.member_c, w.lead_a, w.ministry):
        assert _sees(user, p) == (True, True), user.person.full_name
    for user in (w.lead_b, w.lead_d):
        assert _sees(user, p) == (False, False), user.person.full_name
    national = write(w.commune_lead, w.commune_team)
    practices.review(scope(w.ministry), w.ministry.id, national, publish=True, reach="national")
    db.session.commit()
    for user in (w.lead_b, w.lead_d, w.member_c, w.volunteer):
        assert _sees(user, national) == (True, True), user.person.full_name


def test_the_library_searches_without_diacritics_by_kind_and_province(more):
    w = more
    a = write(w.volunteer, w.commune_team, title="Chủ nhật số ở thôn Đông")
    b = write(w.lead_c, w.team_c, title="Tổ QR lưu động", work_kind="support_qr_checkin", problem="Chợ đông người",
              action="Đặt bàn ở cổng chợ", result="Nhiều tiểu thương quét mã")
    for p in (a, b):
        practices.review(scope(w.ministry), w.ministry.id, p, publish=True, reach="national")
    db.session.commit()
    s = scope(w.lead_d)
    ids = lambda **kw: [p.id for p, _n in practices.library(s, w.lead_d.id, **kw)]  # noqa: E731
    assert ids(text="chu nhat SO") == [a.id]
    assert ids(text="đông") == [b.id, a.id]  # "thôn Đông" and "Chợ đông người"
    assert ids(kind="support_qr_checkin") == [b.id]
    assert ids(province_code=HANOI) == [b.id, a.id] and ids(province_code=HCM) == []
    assert ids(text="100%_") == []


# --- applied it ----------------------------------------------------------------------------------

def test_a_team_marks_it_applied_once_never_its_own_and_only_when_published(more):
    w = more
    p = write(w.volunteer, w.commune_team)
    with pytest.raises(NotFound):
        practices.apply(scope(w.lead_c), w.lead_c.id, p, w.team_c.id, "Đã làm")
    practices.review(scope(w.lead_a), w.lead_a.id, p, publish=True, reach="province")
    with pytest.raises(ValidationError) as err:
        practices.apply(scope(w.commune_lead), w.commune_lead.id, p, w.commune_team.id, "Của chính mình")
    assert err.value.field == "team"
    with pytest.raises(ValidationError) as err:  # a team that is not one's own
        practices.apply(scope(w.lead_c), w.lead_c.id, p, w.team_d.id, "Không phải tổ mình")
    assert err.value.field == "team"
    with pytest.raises(ValidationError) as err:
        practices.apply(scope(w.lead_c), w.lead_c.id, p, w.team_c.id, " ")
    assert err.value.field == "note"
    practices.apply(scope(w.lead_c), w.lead_c.id, p, w.team_c.id, "Làm theo từ tháng 11", date(2026, 11, 2))
    db.session.commit()
    assert practices.teams_that_may_apply(scope(w.member_c), p) == []
    with pytest.raises(Conflict):  # a teammate at another moment: the team is listed once
        practices.apply(scope(w.member_c), w.member_c.id, p, w.team_c.id, "Lần nữa")
    db.session.commit()
    assert [(a.team_id, a.note) for a in practices.applications(p)] == [(w.team_c.id, "Làm theo từ tháng 11")]


# --- the figures, counted by hand ---------------------------------------------------------------

def _reports(team, kind, *reports):
    t = Task(kind=kind, title="Hỗ trợ", team_id=team.id, province_code=team.province_code, status="in_progress",
             created_at=vn("2026-09-01", "08:00"), updated_at=vn("2026-09-01", "08:00"))
    db.session.add(t)
    db.session.flush()
    for delta, at in reports:
        db.session.add(TaskUpdate(task_id=t.id, delta=delta, at=at))


def test_before_and_after_per_week_counted_by_hand(more):
    """Start 15/10/2026 (Vietnam). Before: 17/09 00:00 – 14/10 24:00 → 10 + 14 = 24 → 6.0 a week (6 at
    16/09 23:30 is 29 days before: out). After: 15/10 00:00 – 11/11 24:00 → 20 + 16 = 36 → 9.0 a week
    (50 on 12/11 00:30 is out; 100 of another kind never counts). Change +50 %."""
    w = more
    _reports(w.commune_team, KIND, (6, vn("2026-09-16", "23:30")), (10, vn("2026-09-17", "00:00")),
             (14, vn("2026-10-14", "23:59")), (20, vn("2026-10-15", "00:00")), (16, vn("2026-11-11", "23:00")),
             (50, vn("2026-11-12", "00:30")))
    _reports(w.commune_team, "support_qr_checkin", (100, vn("2026-10-20", "09:00")))
    # team C applied it on 13/11: 7 days since → a week; before 16/10–12/11: 8; after: 12 → +50 %... of 2.0 a week
    _reports(w.team_c, KIND, (8, vn("2026-10-20", "09:00")), (12, vn("2026-11-15", "09:00")))
    # team D applied it on 18/11: less than a week → too early
    _reports(w.team_d, KIND, (4, vn("2026-11-01", "09:00")), (9, vn("2026-11-19", "09:00")))
    db.session.commit()
    got = practice_figures.before_after(KIND, {w.commune_team.id: date(2026, 10, 15), w.team_c.id: date(2026, 11, 13),
                                               w.team_d.id: date(2026, 11, 18)}, now=NOW)
    a, c, d = got[w.commune_team.id], got[w.team_c.id], got[w.team_d.id]
    assert (a.before, a.after, a.after_weeks) == (24.0, 36.0, 4.0)
    assert (a.before_per_week, a.after_per_week, a.change_percent) == (6.0, 9.0, 50.0)
    # C: now is 20/11 10:00, 7 days 10 hours after 13/11 00:00 → 1.06 weeks; 12 ÷ 1.06 = 11.3; 8 ÷ 4 = 2.0
    assert (c.before, c.after, c.after_weeks, c.before_per_week) == (8.0, 12.0, 1.06, 2.0)
    assert c.after_per_week == 11.3 and c.change_percent == 466.0
    assert d.too_early and d.after_per_week is None and d.change_percent is None and d.before == 4.0
    assert practice_figures.before_after(KIND, {}, now=NOW) == {}


def test_the_movement_criterion_counts_practices_published_and_applied_by_others(more):
    w = more
    m = movements.launch(scope(w.lead_a), w.lead_a.id, name="Sáng kiến 2026", theme="Nhân rộng cách làm hay",
                         first=date(2026, 11, 1), last=date(2026, 12, 31), province_code=HANOI,
                         weights={"practices_applied": 2, "residents_helped": 1}, floors={})
    db.session.commit()
    p = write(w.volunteer, w.commune_team)
    q = write(w.commune_lead, w.commune_team)
    practices.review(scope(w.lead_a), w.lead_a.id, p, publish=True, reach="province")
    practices.review(scope(w.lead_a), w.lead_a.id, q, publish=True, reach="province")
    practices.apply(scope(w.lead_c), w.lead_c.id, p, w.team_c.id, "Áp dụng")
    db.session.commit()
    later = NOW + timedelta(hours=1)
    by_metric = {c.metric: c.id for c in m.criteria}
    assert standings.team_figures(m, w.commune_team.id, now=later)[by_metric["practices_applied"]] == 3.0  # 2 + 1
    assert standings.team_figures(m, w.team_c.id, now=later)[by_metric["practices_applied"]] == 0.0  # applying: not
    write(w.lead_c, w.team_c)  # waiting for review: not counted
    assert standings.team_figures(m, w.team_c.id, now=later)[by_metric["practices_applied"]] == 0.0
    weekly = standings.weekly(m, now=later)
    assert sum(week["figures"][by_metric["practices_applied"]] for week in weekly) == 3.0

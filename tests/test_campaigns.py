"""Campaigns (issue 18 §2): a bulk assignment to many commune teams is one thing to watch — its
figures counted right, its page and exports, who may see it, and the board collapsed by campaign."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from coordination.clock import local_today
from coordination.org import teams
from coordination.tasks import assignment, campaigns, rules as tasks
from models import AuditEvent, Campaign, Task, db
from tests.factories import HANOI, HCM, communes_of

pytestmark = pytest.mark.clock_at(datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc))

SPEC = dict(kind="support_vneid_level2", title="Hướng dẫn kích hoạt VNeID mức 2", target_count=100,
            target_unit="người dân")


@pytest.fixture
def campaign(world) -> Campaign:
    """Five Hà Nội commune teams: one done, one started, one blocked, one overdue, one not started."""
    for unit in communes_of(HANOI, 5)[1:]:
        teams.create_commune_team(unit.code)
    today = local_today()
    batch, n = assignment.assign(tasks.TaskSpec(**SPEC, due_date=today + timedelta(days=5)),
                                 assignment.Targeting(HANOI), world.lead_a.id)
    assert n == 5
    done, started, blocked, late, _idle = db.session.scalars(
        sa.select(Task).where(Task.batch == batch).order_by(Task.id)).all()
    tasks.report_progress(done, 100, world.lead_a.id, None)
    tasks.change_status(done, "done", world.lead_a.id, None)
    tasks.report_progress(started, 30, world.lead_a.id, None)
    tasks.change_status(blocked, "blocked", world.lead_a.id, None, reason="Mất điện")
    late.due_date = today - timedelta(days=1)
    db.session.commit()
    return db.session.scalar(sa.select(Campaign).where(Campaign.batch == batch))


def test_a_bulk_assignment_to_many_teams_is_one_campaign_and_one_team_is_not(world, campaign):
    assert (campaign.title, campaign.kind, campaign.province_code) == (SPEC["title"], "support_vneid_level2", HANOI)
    assignment.assign(tasks.TaskSpec(kind="other", title="Một xã"), assignment.Targeting(
        HCM), world.lead_b.id)  # TP. HCM has one commune team
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1


def test_figures_count_teams_started_done_overdue_blocked(campaign):
    f = campaigns.summary(campaign)
    assert (f.teams, f.target, f.done, f.started, f.finished, f.overdue, f.blocked) == (5, 500, 130, 3, 1, 1, 1)
    assert (f.share(f.started), f.share(f.finished), f.percent_done) == (60.0, 20.0, 26.0)
    states = sorted(r.state for r in campaigns.communes(campaign))
    assert states == ["blocked", "done", "not_started", "overdue", "started"]
    by_done = [r.done for r in campaigns.communes(campaign, sort="done", descending=True)]
    assert by_done == [100, 30, 0, 0, 0]


def test_a_cancelled_task_leaves_the_figures(world, campaign):
    task = db.session.scalars(sa.select(Task).where(Task.batch == campaign.batch, Task.status == "open")
                              .order_by(Task.id)).first()
    tasks.cancel(task, world.lead_a.id, None, "Nhầm xã")
    db.session.commit()
    assert campaigns.summary(campaign).teams == 4


def test_campaign_page_shows_vietnamese_figures_and_sorts(world, campaign, client, auth):
    auth.as_user(world.lead_a)
    html = client.get(f"/tasks/campaigns/{campaign.id}").get_data(as_text=True)
    assert SPEC["title"] in html and "130 / 500" in html and "60\u00a0%" in html and "Mất điện" in html
    assert "Quá hạn" in html and "Chưa bắt đầu" in html and "folium-map" in html
    html = client.get(f"/tasks/campaigns/{campaign.id}?sort=done&desc=1").get_data(as_text=True)
    assert 'aria-sort="descending"' in html
    body = html.split('id="campaign-communes"')[1]
    assert body.index("100 / 100") < body.index("30 / 100")


def test_another_province_lead_gets_404_and_the_refusal_is_audited(world, campaign, client, auth):
    for user in (world.lead_b, world.volunteer):
        auth.as_user(user)
        assert client.get(f"/tasks/campaigns/{campaign.id}").status_code == 404
        assert client.get(f"/tasks/campaigns/{campaign.id}.csv").status_code == 404
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "refused",
                                                             AuditEvent.entity == "campaign")).all()
    assert len(refused) == 4 and {e.actor_user_id for e in refused} == {world.lead_b.id, world.volunteer.id}
    auth.as_user(world.ministry)
    assert client.get(f"/tasks/campaigns/{campaign.id}").status_code == 200
    assert client.get("/tasks/campaigns/999999").status_code == 404


def test_nationwide_campaign_a_province_lead_sees_only_their_province(world, client, auth):
    assignment.assign(tasks.TaskSpec(kind="support_online_public_services", title="Dịch vụ công toàn quốc"),
                      assignment.Targeting(None), world.ministry.id)
    db.session.commit()
    nationwide = db.session.scalar(sa.select(Campaign))
    assert nationwide.province_code is None
    auth.as_user(world.ministry)
    html = client.get(f"/tasks/campaigns/{nationwide.id}").get_data(as_text=True)
    assert "Toàn quốc" in html and "Thành phố Hồ Chí Minh" in html
    auth.as_user(world.lead_a)
    assert client.get(f"/tasks/campaigns/{nationwide.id}?province={HCM}").status_code == 404
    page = client.get(f"/tasks/campaigns/{nationwide.id}")
    assert page.status_code == 200 and "Thành phố Hồ Chí Minh" not in page.get_data(as_text=True)


def test_exports_have_vietnamese_headers_and_safe_cells(world, campaign, client, auth):
    auth.as_user(world.lead_a)
    text = client.get(f"/tasks/campaigns/{campaign.id}.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["STT", "Tỉnh/thành phố", "Xã/phường", "Tiến độ"] and len(rows) == 6
    assert {r[3] for r in rows[1:]} == {"Hoàn thành", "Đã bắt đầu", "Vướng mắc", "Quá hạn", "Chưa bắt đầu"}
    xlsx = client.get(f"/tasks/campaigns/{campaign.id}.xlsx")
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:3] == ["STT", "Tỉnh/thành phố", "Xã/phường"]


def test_board_shows_the_campaign_as_one_row_beside_other_tasks(world, campaign, client, auth):
    assignment.assign(tasks.TaskSpec(kind="other", title="Việc riêng một xã"),
                      assignment.Targeting(HANOI, mode="one", commune_codes=[world.commune_team.admin_unit_code]),
                      world.lead_a.id)
    db.session.commit()
    auth.as_user(world.lead_a)
    html = client.get(f"/provinces/{HANOI}/tasks").get_data(as_text=True)
    assert html.count('class="card campaign-row"') == 1 and "Việc riêng một xã" in html
    board = html.split('id="board"')[1]
    assert SPEC["title"] not in board  # the campaign's five tasks are inside its row, not on the list
    assert f"/tasks/campaigns/{campaign.id}" in html and "130 / 500" in html
    row = html.split('class="card campaign-row"')[1].split("</details>")[0]
    assert row.index("s-blocked") < row.index("s-open") < row.index("s-done")  # what needs the lead comes first
    flat = client.get(f"/provinces/{HANOI}/tasks?view=tasks").get_data(as_text=True)
    assert "campaign-row" not in flat and flat.split('id="board"')[1].count(SPEC["title"]) == 5


def test_a_typed_reason_cannot_become_a_formula_in_the_export(world, campaign, client, auth):
    task = db.session.scalar(sa.select(Task).where(Task.batch == campaign.batch, Task.status == "blocked"))
    task.blocked_reason = '=HYPERLINK("http://x.example","bấm")'
    db.session.commit()
    auth.as_user(world.lead_a)
    rows = list(csv.reader(io.StringIO(client.get(f"/tasks/campaigns/{campaign.id}.csv").get_data(as_text=True))))
    assert ["'=HYPERLINK(\"http://x.example\",\"bấm\")"] == [r[-1] for r in rows if "HYPERLINK" in r[-1]]


def test_batches_from_before_campaigns_are_backfilled_and_read_the_same(world, campaign, client, auth):
    db.session.delete(campaign)  # as if assigned before campaigns existed: only tasks sharing a batch
    db.session.commit()
    db.session.execute(sa.text(campaigns.BACKFILL_SQL))
    db.session.commit()
    again = db.session.scalar(sa.select(Campaign))
    assert (again.title, again.kind, again.province_code, again.created_by_id) == (
        SPEC["title"], "support_vneid_level2", HANOI, world.lead_a.id)
    assert campaigns.summary(again).finished == 1
    db.session.execute(sa.text(campaigns.BACKFILL_SQL))  # a second run adds nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1


def test_confirming_a_bulk_assignment_opens_its_campaign_and_the_list_shows_it(world, client, auth):
    for unit in communes_of(HANOI, 3)[1:]:
        teams.create_commune_team(unit.code)
    db.session.commit()
    auth.as_user(world.lead_a)
    form = {"kind": "other", "title": "Rà soát hộ nghèo", "mode": "all", "priority": "normal"}
    client.post(f"/provinces/{HANOI}/tasks/new", data=dict(form, action="preview"))
    done = client.post(f"/provinces/{HANOI}/tasks/new", data=dict(form, action="confirm", expected="3"))
    made = db.session.scalar(sa.select(Campaign))
    assert done.headers["Location"].endswith(f"/tasks/campaigns/{made.id}")
    assert "Rà soát hộ nghèo" in client.get("/tasks/campaigns").get_data(as_text=True)
    auth.as_user(world.lead_b)
    assert "Rà soát hộ nghèo" not in client.get("/tasks/campaigns").get_data(as_text=True)
    auth.as_user(world.volunteer)
    assert client.get("/tasks/campaigns").status_code == 404


def test_the_demo_has_a_campaign_of_todays_work_in_progress(client):
    from dev.demo import load_demo

    load_demo()
    hanoi = db.session.scalar(sa.select(Campaign).where(Campaign.province_code == HANOI,
                                                        Campaign.kind == "support_online_public_services"))
    f = campaigns.summary(hanoi)
    assert f.teams > 4 and f.finished >= 2 and f.blocked >= 1 and f.overdue >= 1 and f.started > f.finished
    assert db.session.scalar(sa.select(Campaign).where(Campaign.province_code.is_(None),
                                                       Campaign.kind == "support_vneid_level2"))

"""Bulk import, monthly report and audit trail on national data (after seed_national.py).

- import of 10,000 members (CSV and XLSX) spread over every commune of the country, as the
  ministry: the preview (upload through Flask: read, check every row, store the batch) and the
  confirmation (`member_import.run`: teams, people, memberships, audit events; all statements
  executed, then rolled back so the data set stays as seeded — the commit itself is not timed);
- the national and a province's monthly report (this month and the previous one), as SQL and as
  the page and the Excel file through Flask;
- the audit page for the ministry and for a province lead.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_onboarding.py"""
from __future__ import annotations

import io
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_pages import login_id, ministry_user  # noqa: E402
from coordination.clock import local_today  # noqa: E402
from coordination.core.names import full_name, phone  # noqa: E402
from coordination.core.permissions import scope_for_person  # noqa: E402
from coordination.emulation import targets as emulation  # noqa: E402
from coordination.onboarding import member_import  # noqa: E402
from coordination.onboarding.columns import TEMPLATE_HEADER  # noqa: E402
from coordination.org.accounts import ensure_user  # noqa: E402
from coordination.reports import monthly as monthly_report  # noqa: E402
from coordination.tasks.board import to_csv  # noqa: E402
from models import AdminUnit, AuditEvent, ImportBatch, Person, Team, User, db  # noqa: E402

ROWS = 10_000
RUNS = 5


def _timed(fn, runs: int = RUNS) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result


def _client(app, user_id: int):
    app.config["WTF_CSRF_ENABLED"] = False  # the test client posts forms without fetching a token first
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(app, user_id)
        session["_fresh"] = True
    return client


def members_file(app, kind: str) -> bytes:
    """10,000 new members, one commune after another across the country, codes and names mixed."""
    rng = random.Random(8)
    with app.app_context():
        communes = db.session.execute(sa.select(AdminUnit.code, AdminUnit.name, AdminUnit.province_code)
                                      .where(AdminUnit.level == "commune").order_by(AdminUnit.code)).all()
        provinces = dict(db.session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                            .where(AdminUnit.level == "province")).all())
    rows = []
    for i in range(ROWS):
        code, name, province = communes[i % len(communes)]
        where = [code, ""] if i % 2 else [name, provinces[province]]
        affiliation = ("Đoàn thanh niên", "Doanh nghiệp", "Trạm y tế", "Chính quyền", "Khác")[i % 5]
        rows.append([full_name(rng), phone(2_000_000 + i)] + where +
                    [affiliation, "Viettel" if affiliation == "Doanh nghiệp" else "", "Thành viên"])
    if kind == "csv":  # as the platform's own exports write it: UTF-8 with a BOM

        return "".join(to_csv(rows, header=TEMPLATE_HEADER)).encode("utf-8")

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(TEMPLATE_HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bench_import(app, user_id: int, log=print) -> dict:
    results = {}
    client = _client(app, user_id)
    for kind in ("csv", "xlsx"):
        data = members_file(app, kind)
        t = time.perf_counter()
        response = client.post("/imports", data={"file": (io.BytesIO(data), f"members.{kind}")},
                               content_type="multipart/form-data")
        preview_ms = (time.perf_counter() - t) * 1000
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with app.app_context():
            batch = db.session.get(ImportBatch, batch_id)
            assert batch.summary["valid"] == ROWS, batch.summary["problems"][:5]
            scope = scope_for_person(db.session.get(User, user_id).person_id)
            t = time.perf_counter()
            result = member_import.run(batch, "skip", scope, user_id)
            db.session.flush()
            run_ms = (time.perf_counter() - t) * 1000
            db.session.rollback()
            db.session.execute(sa.delete(ImportBatch).where(ImportBatch.id == batch_id))
            db.session.commit()
        results[kind] = dict(bytes=len(data), preview_ms=round(preview_ms), import_ms=round(run_ms),
                             created=result["created"], teams_created=result["teams_created"])
        log(f"  import {ROWS:,} rows from {kind.upper()} ({len(data) / 1024:.0f} KB): preview {preview_ms:.0f} ms, "
            f"import {run_ms:.0f} ms ({result['created']:,} people, {result['memberships']:,} memberships, "
            f"{result['teams_created']} teams), total {(preview_ms + run_ms) / 1000:.1f} s (goal ≤ 10 s)")
    return results


def bench_report(app, user_id: int, log=print) -> dict:
    first = local_today().replace(day=1)
    results = {}
    with app.app_context():
        largest = db.session.execute(sa.text(
            "SELECT province_code FROM admin_units WHERE level = 'commune' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )).scalar()
        for label, code in (("national", None), (f"province {largest}", largest)):
            ms, report = _timed(lambda: monthly_report.build(first, code))
            db.session.rollback()
            results[label] = round(ms)
            log(f"  monthly report {label} (SQL, this month + previous): {ms:.0f} ms (goal ≤ 2,000); "
                f"members {report.total.members:,}, hours {report.total.hours:,.0f}, shifts {report.total.shifts:,}")
    client = _client(app, user_id)
    for label, path in (("page", f"/reports/monthly?month={first:%Y-%m}"),
                        ("xlsx", f"/reports/monthly.xlsx?month={first:%Y-%m}")):
        ms, response = _timed(lambda: client.get(path))
        assert response.status_code == 200
        results[label] = round(ms)
        log(f"  national report {label} through Flask: {ms:.0f} ms, {len(response.get_data()) / 1024:.0f} KB")
    return results


AUDIT_EVENTS = 1_000_000


def bench_audit(app, user_id: int, log=print) -> dict:
    """The trail is append-only, so a national one is large: 1,000,000 events over a year, spread over
    the provinces and commune teams, are added once (generate_series) if the bench database has fewer."""
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        if events < AUDIT_EVENTS:
            db.session.execute(sa.text("""
                INSERT INTO audit_events (at, actor_user_id, action, entity, entity_id, province_code, team_id, after)
                SELECT now() - (g % 525600) * interval '1 minute', :user_id,
                       (ARRAY['create', 'update', 'assign', 'status', 'login'])[1 + g % 5],
                       (ARRAY['membership', 'person', 'shift', 'task', 'user'])[1 + g % 5],
                       g::text, t.province_code, t.id, '{"bench": true}'::json
                FROM generate_series(1, :n) AS g
                JOIN (SELECT id, province_code, row_number() OVER (ORDER BY id) - 1 AS k FROM teams
                      WHERE level = 'commune') t ON t.k = g % 3321"""), {"user_id": user_id, "n": AUDIT_EVENTS - events})
            db.session.commit()
            db.session.execute(sa.text("ANALYZE audit_events"))
            db.session.commit()
            events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

        lead_person = db.session.execute(sa.text(
            "SELECT m.person_id FROM memberships m JOIN teams t ON t.id = m.team_id WHERE t.level = 'province' "
            "AND t.province_code = '79' AND m.end_date IS NULL AND m.role <> 'member' LIMIT 1")).scalar()
        lead = ensure_user(db.session.get(Person, lead_person)).id if lead_person else None
        db.session.commit()
    results = {}
    for label, who, path in (("ministry, newest", user_id, "/audit"),
                             ("ministry, logins", user_id, "/audit?entity=user"),
                             ("ministry, one province", user_id, "/audit?province=79"),
                             ("ministry, one person", user_id, "/audit?actor=Bench"),
                             ("province lead 79, newest", lead, "/audit"),
                             ("province lead 79, one month ago", lead,
                              f"/audit?until={(date.today() - timedelta(days=30)).isoformat()}")):
        if who is None:
            continue
        client = _client(app, who)
        ms, response = _timed(lambda: client.get(path))
        assert response.status_code == 200, response.status_code
        results[label] = round(ms)
        log(f"  audit page ({label}; {events:,} events): {ms:.0f} ms")
    return results


def bench_leaderboard(app, user_id: int, log=print) -> dict:
    """Targets for every commune team this month (rolled back afterwards), then the national and a
    province's leaderboard: progress from task updates, shifts and duty sessions in four GROUP BYs."""
    first = local_today().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    results = {}
    with app.app_context():
        by_province = db.session.execute(sa.select(Team.province_code, Team.id).where(Team.level == "commune")).all()
        for province in sorted({p for p, _t in by_province}):
            emulation.set_targets(province, [t for p, t in by_province if p == province],
                                  {"residents_helped": 100, "shift_coverage": 80, "tasks_on_time": 2}, first, last, user_id)
        db.session.flush()
        for label, code in (("national", None), ("province 79", "79")):
            ms, board = _timed(lambda: emulation.leaderboard(first, last, code))
            results[label] = round(ms)
            log(f"  leaderboard {label} ({len(board):,} teams with targets): {ms:.0f} ms")
        db.session.rollback()
    return results


def run(app, log=print) -> dict:
    user_id = ministry_user(app)
    return dict(imports=bench_import(app, user_id, log), report=bench_report(app, user_id, log),
                audit=bench_audit(app, user_id, log), leaderboard=bench_leaderboard(app, user_id, log))


if __name__ == "__main__":
    from app import create_app

    run(create_app())

"""Seed national-scale data on PostgreSQL, set-based in SQL (no Python loop over rows):
34 province teams, 3,321 commune teams, 500,000 people with memberships,
1,000,000 check-ins (500,000 finished duty sessions) and two people on duty in every commune team.

    DATABASE_URL=postgresql://… .venv/bin/python bench/seed_national.py [--people 500000]
Wipes every non-geography table of that database first."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from coordination.core import names  # noqa: E402
from coordination.geography.units import load_geography  # noqa: E402
from models import db  # noqa: E402

KEEP = {"admin_units", "legacy_units", "alembic_version"}


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def seed(engine, people: int = 500_000, checkins: int = 1_000_000, log=print) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, conn, sql: str, **params):
        t = time.perf_counter()
        conn.execute(sa.text(sql), params)
        timings[name] = time.perf_counter() - t
        log(f"  {name:<22} {timings[name]:6.2f} s")

    tables = [t.name for t in db.metadata.sorted_tables if t.name not in KEEP]
    with engine.begin() as conn:
        step("truncate", conn, "TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
        step("national team", conn, "INSERT INTO teams (level, name, created_at) VALUES ('national', 'Tổ công tác Bộ', now())")
        step("province teams", conn, """
            INSERT INTO teams (level, name, admin_unit_code, province_code, parent_id, created_at)
            SELECT 'province', 'Tổ công nghệ ' || name, code, code, 1, now()
            FROM admin_units WHERE level = 'province' ORDER BY code""")
        step("commune teams", conn, """
            INSERT INTO teams (level, name, admin_unit_code, province_code, parent_id, created_at)
            SELECT 'commune', 'Tổ Công nghệ cộng đồng ' || c.name, c.code, c.province_code, p.id, now()
            FROM admin_units c JOIN teams p ON p.level = 'province' AND p.admin_unit_code = c.province_code
            WHERE c.level = 'commune' ORDER BY c.code""")
        prefixes, n_pref = _sql_array(names.MOBILE_PREFIXES), len(names.MOBILE_PREFIXES)
        fam, mid, giv = (_sql_array(names.FAMILY), _sql_array(names.MIDDLE), _sql_array(names.GIVEN))
        orgs = _sql_array(names.ENTERPRISES)
        step("people", conn, f"""
            INSERT INTO people (full_name, phone, affiliation, organisation, sms_ascii, consent_sms, created_at)
            SELECT ({fam})[1 + n % {len(names.FAMILY)}] || ' ' || ({mid})[1 + (n / 16) % {len(names.MIDDLE)}]
                   || ' ' || ({giv})[1 + (n / 192) % {len(names.GIVEN)}],
                   '+84' || ({prefixes})[1 + n % {n_pref}] || lpad((n / {n_pref})::text, 7, '0'),
                   (ARRAY['youth_union','youth_union','enterprise','health_station','government','other'])[1 + n % 6],
                   CASE WHEN n % 6 = 2 THEN ({orgs})[1 + n % {len(names.ENTERPRISES)}] END,
                   n % 5 = 0, true, now()
            FROM generate_series(1, :people) AS n""", people=people)
        # People 1..170 lead the 34 province teams (3 leading roles + 2 members each);
        # everyone else joins a commune team round-robin, the first of each team as its lead.
        step("province memberships", conn, """
            INSERT INTO memberships (person_id, team_id, role, start_date, created_at)
            SELECT p.id, t.id,
                   (ARRAY['co_chair_health','co_chair_ict','leader_in_charge','member','member'])[1 + (p.id - 1) % 5],
                   current_date - 400, now()
            FROM people p
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM teams WHERE level = 'province') t
              ON t.k = 1 + (p.id - 1) / 5
            WHERE p.id <= 170""")
        n_communes = conn.execute(sa.text("SELECT count(*) FROM teams WHERE level = 'commune'")).scalar()
        step("commune memberships", conn, """
            WITH ct AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM teams WHERE level = 'commune')
            INSERT INTO memberships (person_id, team_id, role, start_date, created_at)
            SELECT p.id, ct.id, CASE WHEN (p.id - 171) < :n THEN 'lead' ELSE 'member' END,
                   current_date - ((p.id * 7) % 700)::int, now()
            FROM people p JOIN ct ON ct.k = (p.id - 171) % :n
            WHERE p.id > 170""", n=n_communes)
    with engine.begin() as conn:
        # Duty: checkins/2 finished sessions over the last 30 days (an in and an out each), linked
        # to the person's commune team, plus two people on duty now in every commune team.
        sessions = checkins // 2
        step("closed duty sessions", conn, """
            INSERT INTO duty_sessions (person_id, team_id, province_code, started_at, ended_at, automatic, far)
            SELECT p, m.team_id, t.province_code, s, s + interval '8 hours', false, false
            FROM (SELECT (171 + (g::bigint * 7919) % (:people - 170))::int AS p,
                         now() - interval '31 days' + (g % 43000) * interval '1 minute' AS s
                  FROM generate_series(1, :n) AS g) x
            JOIN memberships m ON m.person_id = x.p AND m.role IN ('lead', 'member')
            JOIN teams t ON t.id = m.team_id""", people=people, n=sessions)
        step("check-ins (in + out)", conn, """
            INSERT INTO checkins (client_uuid, person_id, team_id, kind, occurred_at, received_at, far, automatic)
            SELECT md5(d.id::text || k.kind)::uuid::text, d.person_id, d.team_id, k.kind,
                   CASE k.kind WHEN 'in' THEN d.started_at ELSE d.ended_at END,
                   CASE k.kind WHEN 'in' THEN d.started_at ELSE d.ended_at END, false, false
            FROM duty_sessions d CROSS JOIN (VALUES ('in'), ('out')) AS k(kind)""")
        step("on duty now", conn, """
            INSERT INTO duty_sessions (person_id, team_id, province_code, started_at, automatic, far)
            SELECT m.person_id, m.team_id, t.province_code, now() - interval '2 hours', false, false
            FROM memberships m JOIN teams t ON t.id = m.team_id
            WHERE t.level = 'commune' AND m.person_id IN (
                SELECT person_id FROM (SELECT person_id, row_number() OVER (PARTITION BY team_id ORDER BY person_id) AS r
                                       FROM memberships WHERE role = 'member') q WHERE r <= 2)""")
    t = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    timings["vacuum analyze"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    log(f"  {'vacuum analyze':<22} {timings['vacuum analyze']:6.2f} s")
    log(f"  {'total':<22} {timings['total']:6.2f} s")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    args = parser.parse_args()


    app = create_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("seed_national.py is for PostgreSQL: set DATABASE_URL=postgresql://…")
        upgrade()
        load_geography()
        print(f"seeding {args.people:,} people, {args.checkins:,} check-ins…")
        seed(db.engine, args.people, args.checkins)


if __name__ == "__main__":
    main()

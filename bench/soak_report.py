"""The soak's accounting (bench/soak.py): taps and messages checked from the database against what
the client was answered and what the fake Twilio server accepted; single taps against the floor."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from flask import session
from flask_wtf.csrf import generate_csrf

from bench import bench_duty
from coordination.messaging import receipts
from models import User, db

ROOT = Path(__file__).resolve().parent.parent


def signed_in(app, user_id: int, version: int) -> dict:
    """A signed-in phone's session cookie and CSRF token, as flask-login and Flask-WTF make them."""
    with app.test_request_context():
        session["_user_id"], session["_fresh"] = f"{user_id}:{version}", True
        csrf = generate_csrf()
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return {"cookie": f"session={value}", "csrf": csrf}


def _taps(record) -> dict:
    answers = Counter(record.taps.values())
    uuids = list(record.taps)
    stored = set(db.session.scalars(sa.text("SELECT client_uuid FROM checkins WHERE client_uuid = ANY(:u)"),
                                    {"u": uuids}))
    rows = db.session.scalar(sa.text("SELECT count(*) FROM checkins WHERE client_uuid = ANY(:u)"), {"u": uuids})
    kept = {u for u, a in record.taps.items() if a in ("accepted", "duplicate")}
    two_open = db.session.scalar(sa.text("SELECT count(*) FROM (SELECT person_id FROM duty_sessions WHERE ended_at "
                                         "IS NULL GROUP BY person_id HAVING count(*) > 1) d"))
    return {"offered": record.offered, "requests": record.attempts, "answered": len(record.taps),
            "unanswered": record.unanswered, "accepted": answers["accepted"], "duplicate": answers["duplicate"],
            "rejected": answers["rejected"], "stored": len(stored),
            "lost": len(kept - stored) + record.unanswered,
            "doubled": rows - len(stored) + len(stored - kept) + two_open}


def _messages(fake: dict) -> dict:
    by_status = dict(db.session.execute(sa.text("SELECT status, count(*) FROM messages GROUP BY status")).all())
    rows = db.session.execute(sa.text("SELECT id, to_phone, body, status, provider_sid, error_message, "
                                      "in_flight_since IS NOT NULL FROM messages WHERE provider_sid IS NOT NULL "
                                      "OR status IN ('sending', 'failed')")).all()
    by_sid: dict[str, list] = {}
    for r in rows:
        if r[4]:
            by_sid.setdefault(r[4], []).append(r)
    accepted = {m["sid"]: m for m in fake["sent"]}
    per_pair = Counter((m["to"], m["body"]) for m in fake["sent"])
    rows_per_pair = dict(((to, body), n) for to, body, n in db.session.execute(sa.text(
        "SELECT to_phone, body, count(*) FROM messages GROUP BY to_phone, body")).all())
    sent_twice = sum(max(n - rows_per_pair.get(pair, 0), 0) for pair, n in per_pair.items())
    sent_twice += sum(len(v) - 1 for v in by_sid.values())  # one SID on two rows
    # Accepted by Twilio, SID never written: the dispatcher died or lost the database mid-request.
    # Visible if a row for that phone and text says "outcome unknown" (or is still in flight).
    unknown_rows = Counter((r[1], r[2]) for r in rows if not r[4] and (r[6] or "outcome unknown" in (r[5] or "")))
    unrecorded = [m for sid, m in accepted.items() if sid not in by_sid]
    visible, lost = 0, 0
    for m in unrecorded:
        pair = (m["to"], m["body"])
        if unknown_rows[pair] > 0:
            unknown_rows[pair] -= 1
            visible += 1
        else:
            lost += 1
    invented = sum(1 for sid in by_sid if sid not in accepted)
    delivered_told = {c["sid"] for c in fake["callbacks"]
                      if c["status"] == "delivered" and str(c["answer"]).startswith("2")}
    refused = {c["sid"] for c in fake["callbacks"] if not str(c["answer"]).startswith("2")} - delivered_told
    status_of = {sid: v[0][3] for sid, v in by_sid.items()}
    receipts_lost = sum(1 for sid in delivered_told if sid in status_of and status_of[sid] != "delivered")
    failed = Counter("outcome unknown" if "outcome unknown" in (r[5] or "") else
                     ("gave up (transient)" if (r[5] or "").startswith("gave up") else "permanent")
                     for r in rows if r[3] == "failed")
    return {"rows": sum(by_status.values()), "by_status": by_status, "twilio_requests": fake["requests"],
            "twilio_accepted": len(accepted), "callbacks": len(fake["callbacks"]),
            "callbacks_refused": sum(1 for c in fake["callbacks"] if not str(c["answer"]).startswith("2")),
            "receipts_refused_sids": len(refused), "receipts_lost": receipts_lost, "sent_twice": sent_twice,
            "unrecorded_visible": visible, "lost": lost + invented, "failed": dict(failed)}


def account(app, record, fake: dict, recipients: int) -> dict:
    with app.app_context():
        receipts.sweep()  # what the scheduler does each minute: kept receipts whose SID is now known
        return {"taps": _taps(record), "messages": dict(_messages(fake), broadcast=recipients),
                "seconds": record.now()}


def floor_vs_ours(app, floor_port: int, ours_port: int, rounds: int = 1) -> dict:
    """bench_duty's single-tap measurement (wrk, 4 sync workers each) on the soak's ports, `rounds`
    times interleaved (floor, ours, floor, ours…): on a shared machine the ratio of one pair swings."""
    users = bench_duty._volunteers(app, bench_duty.USERS)
    with app.app_context():
        versions = dict(db.session.execute(sa.select(User.id, User.session_version).where(User.id.in_(users))).all())
    script = ROOT / "bench" / ".soak-checkin.lua"
    cookies = [signed_in(app, u, versions[u]) for u in users]
    sessions = ",\n".join(f'{{cookie="{c["cookie"]}", csrf="{c["csrf"]}"}}' for c in cookies)
    script.write_text(f"USERS = {{{sessions}}}\nNTHREADS = {bench_duty.NTHREADS}\n"
                      + (ROOT / "bench/checkin.lua").read_text())
    out = {"rounds": []}
    try:
        for _ in range(rounds):
            pair = {}
            for label, target, port in (("floor", "bench.floor_app:app", floor_port),
                                        ("ours", "app:create_app()", ours_port)):
                server = bench_duty._serve(target, port, dict(os.environ))
                try:
                    bench_duty._warm_up(f"http://127.0.0.1:{port}/", script)
                    bench_duty._off_duty(app, users)
                    pair[label] = dict(bench_duty._wrk(f"http://127.0.0.1:{port}/", script),
                                       load_average=os.getloadavg()[0])
                finally:
                    server.terminate()
                    server.wait()
            pair["ratio"] = pair["ours"]["rps"] / pair["floor"]["rps"]
            out["rounds"].append(pair)
    finally:
        script.unlink(missing_ok=True)
        bench_duty._off_duty(app, users)
    out.update(out["rounds"][-1])
    return out


def show(result: dict, log=print) -> int:
    """Print the figures; 1 if a tap was lost or doubled, or a message lost or sent twice."""
    t, m = result["taps"], result["messages"]
    seconds = result["args"]["seconds"]
    c = result["cpu"]
    log(f"CPU seconds during the load ({seconds:.0f} s × 2 cores = {2 * seconds:.0f}; load average "
        f"{c['load_average_at_start']:.1f} at the start): "
        + ", ".join(f"{k} {v:.0f}" for k, v in c["seconds_by_kind"].items()))
    if "machine_busy" in c:
        counted = sum(c["seconds_by_kind"].values())
        log(f"  the whole machine: busy {c['machine_busy']:.0f} of {c['machine_all']:.0f} CPU-seconds "
            f"({max(c['machine_busy'] - counted, 0):.0f} by processes that ended during the load, mostly other "
            f"sessions' tests and browsers); load average {c['load_average_at_end']:.1f} at the end")
    log("events: " + ", ".join(f"{name} at {at:.0f} s" for name, at in result["events"]))
    log(f"{'phase':<28} {'route':<16} {'requests':>8} {'per s':>6} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for r in result["routes"]:
        per_s = f"{r['per_s']:.0f}"
        log(f"{r['phase']:<28} {r['route']:<16} {r['requests']:>8} {per_s:>6} {r['p50_ms']:>7.0f} {r['p99_ms']:>7.0f} "
            f"{r['errors']:>6}")
    log(f"taps: offered at {result['args']['rate']:.0f}/s, taken {t['offered'] / seconds:.0f}/s: {t['offered']:,} "
        f"offered ({t['requests']:,} requests with retries), {t['answered']:,} answered ({t['accepted']:,} accepted, "
        f"{t['duplicate']:,} duplicate on retry, {t['rejected']:,} rejected), {t['stored']:,} stored; "
        f"lost {t['lost']}, doubled {t['doubled']}")
    s = m["by_status"]
    log(f"messages: {m['rows']:,} queued ({m['broadcast']:,} broadcast + alerts); at the end: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(s.items())))
    log(f"  fake Twilio: {m['twilio_requests']:,} requests, {m['twilio_accepted']:,} accepted (201); "
        f"{m['callbacks']:,} callbacks posted, {m['callbacks_refused']:,} not taken by the app "
        f"({m['receipts_refused_sids']:,} messages whose receipts were all refused: app or database down)")
    log(f"  failed: {m['failed'] or 0}; accepted by Twilio but SID not written, shown as outcome unknown: "
        f"{m['unrecorded_visible']}")
    log(f"  sent twice {m['sent_twice']}, lost {m['lost']}, receipts taken but not applied {m['receipts_lost']}")
    bad = t["lost"] + t["doubled"] + m["sent_twice"] + m["lost"] + m["receipts_lost"]
    log("soak: OK" if not bad else f"soak: FAILED ({bad} taps or messages lost, doubled or receipts dropped)")
    return 1 if bad else 0


def show_floor(f: dict, log=print) -> None:
    for r in f.get("rounds", [f] if f else []):
        log(f"single taps (wrk, 4 sync workers, after the soak): floor {r['floor']['rps']:.0f} req/s "
            f"p99 {r['floor']['p99_ms']:.1f} ms; ours {r['ours']['rps']:.0f} req/s p99 {r['ours']['p99_ms']:.1f} ms "
            f"= {100 * r['ratio']:.0f} % of the floor (load average {r['ours'].get('load_average', 0):.1f})")
    if len(f.get("rounds", [])) > 1:
        ratios = [r["ratio"] for r in f["rounds"]]
        log(f"  {len(ratios)} rounds interleaved: {100 * min(ratios):.0f}–{100 * max(ratios):.0f} % of the floor")

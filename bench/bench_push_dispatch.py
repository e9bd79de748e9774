"""A push to 10,000 devices, queued and dispatched (issue 20: "queued ≤ 2 s, dispatched through 4
dispatchers with … ≤ 2 ms of our CPU per message"), on PostgreSQL, as in production:

- dev/fake_push.py in its own process (10,000 subscriptions, one per person; its decryption of each
  push is its CPU, not ours);
- one outbox row per person, channel 'push', queued with the broadcast's bulk insert
  (outbox.put_select, one INSERT … SELECT over the people with a device: there is no broadcast-by-push
  path yet, this is what one would run) — timed here;
- 4 real `flask dispatcher run --interval 0.5` processes started (and idle) before the push is
  queued; our CPU is their process CPU time (/proc, user + system) from the queueing to the last row
  done, divided by the messages, plus the CPU of this database's PostgreSQL backends (`tcn_pushperf`
  in their process title: no other database's work) over the same span.

With several checkouts it runs them interleaved (A B B A …) on the same database and fake push
service, so the machine's noise falls on both; the dispatchers run from each checkout's own tree:

    git archive <commit> | tar -x -C /tmp/before       # the baseline
    DATABASE_URL=postgresql://tcn:tcn@127.0.0.1:5432/tcn_pushperf \\      (or a copy of the national set)
        .venv/bin/python bench/bench_push_dispatch.py [--people 10000] [--rounds 3] [--keep-alive] [/tmp/before] .

--keep-alive: the fake push service keeps connections open, as a real one does (werkzeug's server,
the default, closes each: a TCP connect per push on our side).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.cpu import TICK  # noqa: E402

PORT = 5811
PREFIX = "+84199"  # an unallocated range: never a person of the national set (bench/seed_national.py)
BODY = "[TCN] Thông báo: họp Tổ lúc 19:00 tối nay tại nhà văn hoá phường."


def _serve(conn, n: int, key: str, keep_alive: bool = False) -> None:
    import logging

    from dev.fake_push import FakePush

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per push
    fake = FakePush().start(PORT, keep_alive=keep_alive)
    conn.send((fake.url, [fake.subscribe(key) for _ in range(n)]))
    while conn.recv() == "count":
        per_device: dict[str, int] = {}
        for r in fake.received:
            per_device[r["device"]] = per_device.get(r["device"], 0) + 1
        conn.send((len(fake.received), max(per_device.values(), default=0), len(fake.refused)))
        fake.received.clear()
        fake.refused.clear()


def _cpu(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            data = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def _backends(database: str) -> list[int]:
    out = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text.startswith("postgres: ") and f" {database} " in text:
            out.append(int(cmdline.parent.name))
    return out


def _seed(app, subs: list[dict]) -> None:
    import sqlalchemy as sa

    from coordination.clock import utcnow
    from models import Message, Person, PushSubscription, db

    with app.app_context():
        db.session.execute(sa.delete(Message))
        db.session.execute(sa.delete(PushSubscription))
        db.session.execute(sa.delete(Person).where(Person.phone.like(PREFIX + "%")))
        db.session.execute(sa.insert(Person), [dict(full_name=f"Người Thử {i}", phone=f"{PREFIX}{i:07d}",
                                                    affiliation="other") for i in range(len(subs))])
        ids = db.session.scalars(sa.select(Person.id).where(Person.phone.like(PREFIX + "%")).order_by(Person.phone)).all()
        now = utcnow()
        db.session.execute(sa.insert(PushSubscription), [
            dict(person_id=pid, endpoint=s["endpoint"], p256dh=s["keys"]["p256dh"], auth=s["keys"]["auth"],
                 created_at=now) for pid, s in zip(ids, subs)])
        db.session.commit()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def _queue(app) -> tuple[float, int]:
    """The push queued as a broadcast would: one INSERT … SELECT, one row per person with a device."""
    import sqlalchemy as sa

    from coordination.clock import utcnow
    from coordination.messaging import outbox
    from models import Message, Person, PushSubscription, db

    with app.app_context():
        db.session.execute(sa.delete(Message))
        db.session.execute(sa.update(PushSubscription).values(last_success_at=None))  # each round stamps all
        db.session.commit()
        t = time.perf_counter()
        people = sa.select(PushSubscription.person_id).distinct().scalar_subquery()
        recipients = sa.select(Person.id.label("person_id"), Person.phone.label("to_phone"),
                               sa.literal(BODY).label("body"), sa.literal("broadcast").label("purpose"),
                               sa.literal(False).label("urgent"), sa.literal("push").label("channel")
                               ).where(Person.id.in_(people))
        outbox.put_select(recipients, utcnow())
        db.session.commit()
        seconds = time.perf_counter() - t
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    return seconds, n


def _left(app) -> dict:
    import sqlalchemy as sa

    from models import Message, db

    with app.app_context():
        rows = db.session.execute(sa.select(Message.status, sa.func.count()).group_by(Message.status)).all()
        db.session.rollback()
    return dict(rows)


def one_round(app, tree: Path, env: dict, conn, dispatchers: int) -> dict:
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app", "dispatcher", "run", "--interval", "0.5"]
    procs = [subprocess.Popen(flask, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(dispatchers)]
    try:
        time.sleep(3)
        pids = [p.pid for p in procs]
        last = -1.0
        while (now := _cpu(pids)) - last > 0.1:  # started and idle (polling): their imports are not counted
            last = now
            time.sleep(1.5)
        database = env["DATABASE_URL"].rsplit("/", 1)[1]
        backends = _backends(database)
        before_ours, before_db = _cpu(pids), _cpu(backends)
        queue_s, n = _queue(app)
        t = time.perf_counter()
        while True:
            left = _left(app)
            if not left.get("queued") and not left.get("sending"):
                break
            time.sleep(0.1)
        wall = time.perf_counter() - t
        ours, database_cpu = _cpu(pids) - before_ours, _cpu(backends) - before_db
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
    conn.send("count")
    received, most, refused = conn.recv()
    return {"queued": n, "queue s": queue_s, "wall s": wall, "msg/s": n / wall,
            "dispatcher CPU ms/msg": ours * 1000 / n, "PostgreSQL CPU ms/msg": database_cpu * 1000 / n,
            "delivered": left.get("delivered", 0), "pushes received": received, "most to one device": most,
            "refused": refused, "other statuses": {k: v for k, v in left.items() if k != "delivered"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="*", type=Path, default=[ROOT])
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dispatchers", type=int, default=4)
    parser.add_argument("--keep-alive", action="store_true",
                        help="the fake push service keeps connections open, as a real one does (werkzeug closes each)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        sys.exit("set DATABASE_URL to a PostgreSQL database of your own (tcn_pushperf)")
    from flask_migrate import upgrade
    from py_vapid import Vapid

    from app import create_app
    from coordination.messaging import push

    os.environ.setdefault("SECRET_KEY", "bench-push-dispatch-" + "x" * 40)
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    app = create_app({"VAPID_PRIVATE_KEY": pem})
    with app.app_context():
        upgrade()
        key = push.public_key()
    ctx = mp.get_context("fork")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(theirs, args.people, key, args.keep_alive), daemon=True)
    server.start()
    url, subs = ours.recv()
    _seed(app, subs)
    env = dict(os.environ, VAPID_PRIVATE_KEY=pem, PUSH_INSECURE_ORIGINS=url, PYTHONPATH="")
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE"):
        env.pop(name, None)
    runs: dict[Path, list[dict]] = {tree: [] for tree in args.trees}
    for i in range(args.rounds):
        order = args.trees if i % 2 == 0 else list(reversed(args.trees))
        for tree in order:
            r = one_round(app, tree.resolve(), env, ours, args.dispatchers)
            runs[tree].append(r)
            print(f"round {i + 1} {tree}: " + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()), flush=True)
    ours.send("stop")
    print(f"\nmedians of {args.rounds} round(s), {args.people:,} people with one device, "
          f"{args.dispatchers} dispatchers, fake push service {'keep-alive' if args.keep_alive else 'werkzeug'}:")
    for key in ("queue s", "wall s", "msg/s", "dispatcher CPU ms/msg", "PostgreSQL CPU ms/msg"):
        line = "   ".join(f"{tree}: {statistics.median(r[key] for r in rs):.2f}" for tree, rs in runs.items())
        print(f"  {key:24} {line}")


if __name__ == "__main__":
    main()

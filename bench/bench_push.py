"""Our CPU per pushed device (issue 20 §2): send_push_message to N people with one device each through
pywebpush, against dev/fake_push.py running in another process (so its decryption is not counted).
Per device: building the payload once, an ECDH key and aes128gcm encryption, the VAPID ES256
signature, the HTTP request on a kept-alive session, and the subscription rows' update.

    .venv/bin/python bench/bench_push.py [devices]      (SQLite in a temporary directory)
"""
from __future__ import annotations

import multiprocessing
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace


def _serve(conn, n: int, key: str) -> None:
    from dev.fake_push import FakePush

    fake = FakePush().start()
    conn.send((fake.url, [fake.subscribe(key) for _ in range(n)]))
    conn.recv()  # until told to stop
    conn.send(len(fake.received))


def main(n: int = 200) -> None:
    from flask_migrate import upgrade
    from py_vapid import Vapid

    from app import create_app
    from coordination.messaging import push, push_devices
    from models import Message, Person, db

    vapid = Vapid()
    vapid.generate_keys()
    folder = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/b.db",
                      "VAPID_PRIVATE_KEY": vapid.private_pem().decode()})
    with app.app_context():
        upgrade()
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.Process(target=_serve, args=(theirs, n, push.public_key()))
        server.start()
        url, subs = ours.recv()
        app.config["PUSH_INSECURE_ORIGINS"] = (url,)
        messages = []
        for i, s in enumerate(subs):
            person = Person(full_name=f"Người Thử {i}", phone=f"+8490{i:07d}", affiliation="other")
            db.session.add(person)
            db.session.flush()
            push_devices.subscribe(person.id, s["endpoint"], s["keys"]["p256dh"], s["keys"]["auth"])
            messages.append(Message(person_id=person.id, to_phone=person.phone, purpose="escalation", urgent=True,
                                    body="[TCN] Người Thử chưa vào ca trực Tổ Phường Ba Đình 08:00–16:00 ngày "
                                         "24/11. Bấm để nhận xử lý: https://x.vn/a/1z.abc"))
        db.session.add_all(messages)
        db.session.commit()
        # What a dispatcher holds: the claimed rows' values, not 200 ORM objects for every commit to expire.
        messages = [SimpleNamespace(id=m.id, person_id=m.person_id, body=m.body, purpose=m.purpose, urgent=m.urgent,
                                    shift_id=m.shift_id) for m in messages]
        db.session.expunge_all()
        if "--profile" in sys.argv:
            import cProfile
            import pstats
            profile = cProfile.Profile()
            profile.enable()
            for message in messages:
                push.send_push_message(message)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
        runs = []
        for _ in range(3):
            cpu, wall = time.process_time(), time.perf_counter()
            for message in messages:
                assert push.send_push_message(message).sent == 1
            runs.append(((time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n))
        ours.send("stop")
        received = ours.recv()
        server.join(5)
    cpu = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    print(f"{n} devices x 3 runs ({received} pushes decrypted by the fake): "
          f"our CPU {cpu:.2f} ms per device, wall {wall:.2f} ms per device (medians)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200)

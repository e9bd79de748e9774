"""One active scheduler among several (docs/scaling.md): the one holding a PostgreSQL session
advisory lock runs the jobs, the others wait as standbys and take the lock when it is freed.

The lock lives as long as the session that took it: a scheduler that dies (SIGKILL, OOM, its
host rebooted) loses its connection and with it the lock, at once when the kernel closes the
socket, within the TCP keepalives set below when the host vanished without a word. A scheduler
that hangs (stopped, its disk frozen) stops touching its session, which `idle_session_timeout`
then ends: so the lock is a lease of LEASE_SECONDS that the holder renews every RENEW seconds
from a thread of its own. A lock lost while holding it (PostgreSQL restarted) is taken again at
the next renewal if nobody else was quicker. Reminders and escalations carry dedupe keys, so even
the moment when an old holder finishes a run the new one started never queues an alert twice.

SQLite (one machine, development): no lock, the process always holds the lease."""
from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
KEY = 7_212_021  # the scheduler's advisory lock (any constant; only ours uses it)
LEASE_SECONDS = 30  # a silent holder's session is ended after this long
RENEW = 5.0  # the holder touches its session, a standby tries the lock, this often


class Lease:
    def __init__(self, url: sa.URL, key: int = KEY, lease_seconds: int = LEASE_SECONDS,
                 on_acquire: Callable[[], None] = lambda: None):
        self.key, self.on_acquire = key, on_acquire
        self.postgresql = url.get_backend_name() == "postgresql"
        keepalive = max(1, lease_seconds // 6)  # a vanished host: keepalive idle + 3 probes ≈ the lease
        self._engine = sa.create_engine(url, poolclass=NullPool, connect_args={"options": (
            f"-c idle_session_timeout={lease_seconds * 1000} -c tcp_keepalives_idle={keepalive} "
            f"-c tcp_keepalives_interval={keepalive} -c tcp_keepalives_count=3")}) if self.postgresql else None
        self._conn: Optional[sa.Connection] = None
        self._stop = threading.Event()
        self.held = not self.postgresql

    def renew(self) -> bool:
        """Keep the lock (one round trip) or try to take it; answers whether this process holds it."""
        if not self.postgresql:
            return True
        was = self.held
        try:
            if self._conn is None:
                conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                if conn.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}):
                    self._conn = conn
                else:
                    conn.close()
            else:
                self._conn.scalar(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as err:  # the session is gone, and the lock with it
            log.warning("scheduler lease: database connection lost: %s", str(err).splitlines()[0][:200])
            self._drop()
        self.held = self._conn is not None
        if self.held and not was:
            log.info("scheduler lease taken: this process runs the jobs")
            self.on_acquire()
        elif was and not self.held:
            log.warning("scheduler lease lost: standing by")
        return self.held

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except sa.exc.DBAPIError:
                pass
        self._conn = None

    def keep(self, every: float = RENEW) -> threading.Thread:
        """Renew from a daemon thread until `release`."""
        def loop():
            while not self._stop.wait(every):
                self.renew()
        thread = threading.Thread(target=loop, name="scheduler-lease", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        self._stop.set()
        if self._conn is not None:
            try:
                self._conn.scalar(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except sa.exc.DBAPIError:
                pass
            self._drop()
        self.held = not self.postgresql

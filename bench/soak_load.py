"""The soak's load (bench/soak.py): a bounded asyncio client (aiohttp) that keeps a record of every
request, because the soak must account for each tap — offered, answered, stored — which wrk cannot.

- taps: volunteers check in and out at a target rate; each tap has its client UUID and is retried
  with the same UUID until the server answers it (a phone's offline queue), so none is given up;
  a volunteer's next tap waits for the answer to the previous one;
- leads: each loads their province board or team page, then reads it for a while (think time);
- the national map: one ministry user reloads /map every few seconds."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass
class Sample:
    t: float  # seconds since the load started, when the request left
    route: str
    ms: float
    ok: bool


@dataclass
class Record:
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    taps: dict[str, str] = field(default_factory=dict)  # client uuid -> final answer (accepted/duplicate/rejected)
    offered: int = 0  # taps made by the volunteers (each one a new UUID)
    attempts: int = 0  # requests sent for them, retries included
    unanswered: int = 0  # taps still without an answer at the end (must be 0)

    def now(self) -> float:
        return time.monotonic() - self.started


async def _get(http, record: Record, route: str, url: str, headers: dict) -> bool:
    t, sent = time.monotonic(), record.now()
    try:
        async with http.get(url, headers=headers) as response:
            await response.read()
            ok = response.status == 200
    except (OSError, asyncio.TimeoutError, Exception):  # noqa: BLE001 - any failure is an error of the route
        ok = False
    record.samples.append(Sample(sent, route, (time.monotonic() - t) * 1000, ok))
    return ok


async def _tap(http, record: Record, base: str, who: dict, kind: str, deadline: float) -> None:
    """One tap, retried with its UUID until answered (up to `deadline` + 60 s of grace)."""
    item = {"client_uuid": str(uuid.uuid4()), "kind": kind,
            "occurred_at": datetime.now(timezone.utc).isoformat()}
    if kind == "out":
        item["confirmed"] = True  # the app asks before a check-out (issue 16 §3)
    record.offered += 1
    headers = {"Cookie": who["cookie"], "X-CSRFToken": who["csrf"], "Content-Type": "application/json"}
    delay = 0.2
    while True:
        record.attempts += 1
        t, sent = time.monotonic(), record.now()
        status, body = None, None
        try:
            async with http.post(base + "/api/v1/checkins", json={"items": [item]}, headers=headers) as response:
                status = response.status
                body = await response.json(content_type=None) if status == 200 else await response.read()
        except Exception:  # noqa: BLE001 - refused, reset, timed out: the phone tries again
            pass
        ok = status == 200
        record.samples.append(Sample(sent, "tap", (time.monotonic() - t) * 1000, ok))
        if ok:
            record.taps[item["client_uuid"]] = body["results"][0]["status"]
            return
        if record.now() > deadline + 60:
            record.unanswered += 1
            return
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 3.0)


async def _volunteers(http, record: Record, base: str, people: list[dict], rate: float, deadline: float,
                      concurrency: int) -> None:
    """Taps at `rate` per second (a token bucket) from `concurrency` phones at a time, each tap by the
    next idle volunteer, alternating check-in and check-out per volunteer."""
    idle = asyncio.Queue()
    for p in people:
        p.setdefault("kind", "in")
        idle.put_nowait(p)
    slots = asyncio.Semaphore(concurrency)
    tasks = set()

    async def one(p):
        try:
            await _tap(http, record, base, p, p["kind"], deadline)
            p["kind"] = "out" if p["kind"] == "in" else "in"
        finally:
            slots.release()
            idle.put_nowait(p)

    next_at = time.monotonic()
    while record.now() < deadline:
        next_at += 1 / rate
        pause = next_at - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        elif pause < -1:  # the machine cannot keep up: do not pile up a burst to catch up
            next_at = time.monotonic()
        await slots.acquire()
        p = await idle.get()
        task = asyncio.create_task(one(p))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)


async def _lead(http, record: Record, base: str, who: dict, deadline: float, think: float) -> None:
    await asyncio.sleep(random.random() * min(think, deadline))  # they do not all arrive in the same second
    while record.now() < deadline:
        await _get(http, record, who["route"], base + who["path"], {"Cookie": who["cookie"]})
        await asyncio.sleep(min(random.expovariate(1 / think), max(deadline - record.now(), 0)))


async def _map(http, record: Record, base: str, who: dict, deadline: float, every: float) -> None:
    while record.now() < deadline:
        t = time.monotonic()
        await _get(http, record, "national map", base + "/map", {"Cookie": who["cookie"], "Accept-Encoding": "gzip"})
        await asyncio.sleep(max(every - (time.monotonic() - t), 0))


async def run(base: str, volunteers: list[dict], leads: list[dict], ministry: dict, seconds: float, rate: float,
              concurrency: int = 48, think: float = 10.0, map_every: float = 5.0, events=None,
              tap_base: str | None = None) -> Record:
    """Everything at once for `seconds`; `events(record)` is awaited beside the load (the faults).
    Taps go to `tap_base` when given (the duty API on workers of its own), else to `base`."""
    import aiohttp  # lazy: not in requirements*.txt; only the soak's load generator needs it

    record = Record()
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout) as taps, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64), timeout=timeout) as pages:
        jobs = [_volunteers(taps, record, tap_base or base, volunteers, rate, seconds, concurrency),
                _map(pages, record, base, ministry, seconds, map_every)]
        jobs += [_lead(pages, record, base, who, seconds, think) for who in leads]
        if events is not None:
            jobs.append(events(record))
        await asyncio.gather(*jobs)
    return record

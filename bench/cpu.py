"""CPU time by kind of process (PostgreSQL, gunicorn, wrk, …) across a run, read from /proc: where
a figure's time goes on a machine whose cores are shared by the server, the database and the load."""
from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _kind(pid: str, comm: str) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        cmdline = ""
    if comm.startswith("postgres") or "postgres" in cmdline.split(" ")[0]:
        return "postgres"
    if "gunicorn" in cmdline:
        return "gunicorn"
    return comm


def snapshot() -> dict[int, tuple[str, float]]:
    """pid -> (kind, CPU seconds so far) for every process."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            data = stat.read_text()
        except OSError:
            continue
        comm = data[data.index("(") + 1:data.rindex(")")]
        fields = data[data.rindex(")") + 2:].split()
        out[int(stat.parent.name)] = (_kind(stat.parent.name, comm), (int(fields[11]) + int(fields[12])) / TICK)
    return out


def spent(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds by kind between two snapshots (processes that ended meanwhile are not counted)."""
    by: dict[str, float] = {}
    for pid, (kind, seconds) in after.items():
        by[kind] = by.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    return by


def machine() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, from /proc/stat: unlike `spent`, it
    also counts processes that started and ended meanwhile (other sessions' tests, their browsers)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK, sum(fields[:8]) / TICK

"""One clock: rules ask coordination/clock.py for "now", never the wall clock."""
from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from coordination import clock

ROOT = Path(__file__).resolve().parent.parent
RULE_PACKAGES = ("coordination", "models", "maps", "dev")
# datetime.now(), datetime.utcnow(), datetime.today(), date.today(), time.time(): each reads the wall clock.
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
              ("time", "time"), ("time", "time_ns")}


def wall_clock_reads(source: str) -> list[int]:
    """Line numbers of calls that read the wall clock, however datetime or time was imported."""
    tree = ast.parse(source)
    aliases = {}  # local name -> datetime / date / time
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in node.names:
                real = name.name.rsplit(".", 1)[-1]
                if real in ("datetime", "date", "time"):
                    aliases[name.asname or real] = real
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else aliases.get(getattr(owner, "id", None))
            if (name, node.func.attr) in WALL_CLOCK:
                lines.append(node.lineno)
    return lines


def test_the_checker_sees_every_spelling_of_the_wall_clock():
    source = ("import datetime, time\nfrom datetime import date, datetime as dt\n"
              "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\nd = datetime.date.today()\n"
              "e = dt.utcnow()\nf = clock.utcnow()\n")
    assert wall_clock_reads(source) == [3, 4, 5, 6, 7]


def test_no_rule_reads_the_wall_clock_outside_clock_py():
    offenders = []
    for package in RULE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "coordination" / "clock.py":
                continue
            source = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}:{line}" for line in wall_clock_reads(source)]
    assert offenders == [], "read the time from coordination.clock (utcnow, local_today, local_now): " + \
        ", ".join(offenders)


def test_a_set_clock_is_what_every_rule_sees(ctx):
    moment = datetime.now(timezone.utc) + timedelta(days=3 * 365)  # a moment no test date can collide with
    clock.set_now(moment)
    assert clock.utcnow() == moment
    assert clock.local_today() == (moment + timedelta(hours=7)).date()
    assert clock.advance(timedelta(minutes=10)) == moment + timedelta(minutes=10)


def test_set_now_refuses_a_naive_moment():
    with pytest.raises(ValueError):
        clock.set_now(datetime(2030, 1, 1))

"""Rota rules as plain functions, no database: reading a pattern line ("T2 22:00-06:00: An chính,
Bình dự phòng"), expanding a weekly pattern into shifts in Vietnam time (a 22–06 shift ends the next
morning), and the warnings a lead sees before putting someone on a shift (over the headcount,
more than 12 h in a row, less than 8 h rest)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l

from models.shifts import BACKUP, MEMBER, PRIMARY

from coordination.clock import to_local
from coordination.core.errors import ValidationError
from coordination.duty.rota import local_shift_times, parse_hhmm

MAX_RUN = timedelta(hours=12)
MIN_REST = timedelta(hours=8)
MAX_WEEKS = 12
MAX_LINES = 100
MAX_SLOTS = 7 * 24  # a week's shifts in a pattern or a copy: 100 lines × 7 days × 12 weeks made 8,064 in 30 s
MAX_LINE_CHARS = 300  # LINE backtracks on a long line of spaces (16 KB: 16 s): checked before matching

DAY_WORDS = {"t2": 1, "t3": 2, "t4": 3, "t5": 4, "t6": 5, "t7": 6, "cn": 7, "mon": 1, "tue": 2, "wed": 3,
             "thu": 4, "fri": 5, "sat": 6, "sun": 7, "thứ 2": 1, "thứ 3": 2, "thứ 4": 3, "thứ 5": 4, "thứ 6": 5,
             "thứ 7": 6, "chủ nhật": 7, "thứ hai": 1, "thứ ba": 2, "thứ tư": 3, "thứ năm": 4, "thứ sáu": 5,
             "thứ bảy": 6}
EVERY_DAY = {"hằng ngày", "hàng ngày", "mỗi ngày", "daily", "every day", "t2-cn", "mon-sun"}
ROLE_WORDS = {"chính": PRIMARY, "primary": PRIMARY, "dự phòng": BACKUP, "backup": BACKUP, "trực": MEMBER,
              "on duty": MEMBER}
LINE = re.compile(r"^(?:every\s+|mỗi\s+)?(?P<days>.+?)\s+(?P<start>\d{1,2}(?::\d{2})?)h?\s*[-–—]\s*"
                  r"(?P<end>\d{1,2}(?::\d{2})?)h?\s*:?\s*(?P<people>.*)$")


@dataclass
class PlanSlot:
    """One weekly shift of a plan: a weekday, local start/end "HH:MM", headcount and who stands it."""
    weekday: int
    start: str
    end: str
    required: int
    people: list[tuple[int, str]] = field(default_factory=list)  # (person id, role)


@dataclass
class PlannedShift:
    starts_at: datetime
    ends_at: datetime
    required: int
    people: list[tuple[int, str]]


def fold(text: str) -> str:
    """Compare names and words as people type them: case and spacing do not matter (diacritics do)."""
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


def _hhmm(raw: str, line_no: int) -> str:
    value = raw if ":" in raw else f"{raw}:00"
    try:
        return parse_hhmm(value).strftime("%H:%M")
    except ValidationError:
        raise ValidationError(_l("Line %(n)d: use times like 22:00-06:00.", n=line_no), field="text") from None


def parse_days(raw: str, line_no: int = 1) -> list[int]:
    """"T2", "T2-T6", "T2, T4", "hằng ngày" → ISO weekdays."""
    words = fold(raw)
    if words in EVERY_DAY:
        return list(range(1, 8))
    out: list[int] = []
    for part in re.split(r"\s*,\s*", words):
        ends = [p.strip() for p in re.split(r"\s*[-–]\s*", part)] if part not in DAY_WORDS else [part]
        if not all(e in DAY_WORDS for e in ends) or len(ends) > 2:
            raise ValidationError(_l("Line %(n)d: write the day as T2…T7, CN or “hằng ngày”.", n=line_no),
                                  field="text")
        first, last = DAY_WORDS[ends[0]], DAY_WORDS[ends[-1]]
        out += list(range(first, last + 1)) if first <= last else list(range(first, 8)) + list(range(1, last + 1))
    return sorted(set(out))


def match_member(raw: str, members: list[tuple[int, str]], line_no: int) -> int:
    """The member a typed name means: the full name, or the given name (last word) if only one has it."""
    wanted = fold(raw)
    exact = [i for i, name in members if fold(name) == wanted]
    given = [i for i, name in members if fold(name).split(" ")[-1:] == [wanted]]
    found = exact or given
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError(_l("Line %(n)d: several members are called “%(name)s”; write the full name.",
                                 n=line_no, name=raw), field="text")
    raise ValidationError(_l("Line %(n)d: “%(name)s” is not a member of this team.", n=line_no, name=raw),
                          field="text")


def _people(raw: str, members: list[tuple[int, str]], line_no: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for chunk in [c.strip() for c in re.split(r"[,;]", raw) if c.strip()]:
        role, name = None, chunk
        for word, code in ROLE_WORDS.items():
            if fold(chunk).endswith(" " + word):
                role, name = code, chunk[: len(chunk) - len(word)].strip()
                break
        person = match_member(name, members, line_no)
        if any(p == person for p, _r in out):
            raise ValidationError(_l("Line %(n)d: “%(name)s” is written twice.", n=line_no, name=name), field="text")
        taken = {r for _p, r in out}
        role = role or (PRIMARY if PRIMARY not in taken else BACKUP if BACKUP not in taken else MEMBER)
        if role in (PRIMARY, BACKUP) and role in taken:
            raise ValidationError(_l("Line %(n)d: one primary and one backup per shift.", n=line_no), field="text")
        out.append((person, role))
    return out


def parse_pattern(text: str, members: list[tuple[int, str]], required: int) -> list[PlanSlot]:
    """The lines of a pattern, one weekly shift (or one per day named) per line."""
    lines = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), 1) if line.strip()]
    if not lines:
        raise ValidationError(_l("Write at least one line, e.g. “T2 22:00-06:00: An chính, Bình dự phòng”."),
                              field="text")
    if len(lines) > MAX_LINES:
        raise ValidationError(_l("At most %(n)d lines.", n=MAX_LINES), field="text")
    for n, line in lines:
        if len(line) > MAX_LINE_CHARS:
            raise ValidationError(_l("Line %(n)d: at most %(k)d characters.", n=n, k=MAX_LINE_CHARS), field="text")
    slots: dict[tuple[int, str], PlanSlot] = {}
    for n, line in lines:
        m = LINE.match(line)
        if not m:
            raise ValidationError(_l("Line %(n)d: write “T2 22:00-06:00: An chính, Bình dự phòng”.", n=n),
                                  field="text")
        start, end = _hhmm(m["start"], n), _hhmm(m["end"], n)
        people = _people(m["people"], members, n)
        if len(people) > required:
            raise ValidationError(_l("Line %(n)d: %(k)d people on a shift for %(r)d.", n=n, k=len(people), r=required),
                                  field="text")
        for day in parse_days(m["days"], n):
            if (day, start) in slots:
                raise ValidationError(_l("Line %(n)d: that shift is already written above.", n=n), field="text")
            slots[(day, start)] = PlanSlot(day, start, end, required, list(people))
    return sorted(slots.values(), key=lambda s: (s.weekday, s.start))


def week_start(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


def expand(slots: Iterable[PlanSlot], monday: date, weeks: int) -> list[PlannedShift]:
    """Every shift the weekly slots make over `weeks` weeks from a Monday, in UTC."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError(_l("Enter a whole number from %(a)d to %(b)d.", a=1, b=MAX_WEEKS), field="weeks")
    slots = list(slots)
    if len(slots) > MAX_SLOTS:
        raise ValidationError(_l("At most %(n)d shifts a week.", n=MAX_SLOTS), field="text")
    out = []
    for week in range(weeks):
        for slot in slots:
            day = monday + timedelta(days=7 * week + slot.weekday - 1)
            starts, ends = local_shift_times(day, slot.start, slot.end)
            out.append(PlannedShift(starts, ends, slot.required, list(slot.people)))
    return sorted(out, key=lambda p: p.starts_at)


def slot_of(starts_at: datetime, ends_at: datetime, required: int, people: list[tuple[int, str]]) -> PlanSlot:
    """A stored shift as a weekly slot (its weekday and times in Vietnam), for copying a week."""
    local_start, local_end = to_local(starts_at), to_local(ends_at)
    return PlanSlot(local_start.isoweekday(), f"{local_start:%H:%M}", f"{local_end:%H:%M}", required, people)


def overlaps(start: datetime, end: datetime, others: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(s < end and e > start for s, e in others)


def longest_run(start: datetime, end: datetime, others: Iterable[tuple[datetime, datetime]]) -> timedelta:
    """How long the person would be on duty without a break, counting shifts that touch this one."""
    spans = sorted([(start, end)] + [(s, e) for s, e in others])
    run_start, run_end, best = None, None, timedelta(0)
    for s, e in spans:
        if run_end is None or s > run_end:
            run_start, run_end = s, e
        else:
            run_end = max(run_end, e)
        if run_start <= start < run_end or run_start < end <= run_end:
            best = max(best, run_end - run_start)
    return best


def shortest_rest(start: datetime, end: datetime, others: Iterable[tuple[datetime, datetime]]) -> Optional[timedelta]:
    """The shortest break (more than none) between this shift and the person's others."""
    gaps = [s - end for s, _e in others if s > end] + [start - e for _s, e in others if e < start]
    return min(gaps) if gaps else None


def warnings(start: datetime, end: datetime, required: int, staffed: int, name: str,
             others: list[tuple[datetime, datetime]]) -> list[str]:
    """What a lead should confirm before putting `name` on a shift. Overlaps are refused elsewhere."""
    out = []
    if staffed + 1 > required:
        out.append(str(_l("The shift needs %(r)d people; %(name)s would be number %(k)d.",
                          r=required, name=name, k=staffed + 1)))
    run = longest_run(start, end, others)
    if run > MAX_RUN:
        out.append(str(_l("%(name)s would be on duty %(h)d hours in a row.", name=name, h=run // timedelta(hours=1))))
    rest = shortest_rest(start, end, others)
    if rest is not None and rest < MIN_REST:
        out.append(str(_l("%(name)s would have only %(h)s hours of rest between shifts.", name=name,
                          h=f"{rest / timedelta(hours=1):g}".replace(".", ","))))
    return out

"""Rate limits per person and channel (issue 20 §3), in the spirit of GoAlert's per contact method
throttle: at most 1 call in 5 minutes and 3 in 15, at most 1 escalation SMS a minute and 5 in 15
(RATE_LIMIT_VOICE="1/5,3/15", RATE_LIMIT_SMS="1/1,5/15": count/minutes, comma-separated), so a
flapping shift cannot flood one person. A limited message is deferred — back in the queue, due when
the window frees, marked so the messages page says *Hoãn do giới hạn* — never dropped.

The dispatcher applies them to the escalation rows it claimed (dispatch_due), with one query per
batch for what those people were sent recently on those channels (every purpose counts)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app

from models import Message, db
from models.messages import ESCALATION, QUEUED, SENDING, SMS, VOICE

RATE_LIMITED = "rate_limited"  # messages.error_code of a deferred row while it waits
DEFAULTS = {VOICE: "1/5,3/15", SMS: "1/1,5/15"}
LIMITED_PURPOSES = (ESCALATION,)


def parse_rules(text: str) -> tuple[tuple[int, int], ...]:
    """ "1/5,3/15" → ((1, 5), (3, 15)): at most `count` in `minutes`. Empty: no limit."""
    rules = []
    for part in (text or "").split(","):
        if "/" in part:
            count, minutes = part.split("/", 1)
            if int(count) > 0 and int(minutes) > 0:
                rules.append((int(count), int(minutes)))
    return tuple(rules)


def rules() -> dict[str, tuple[tuple[int, int], ...]]:
    config = current_app.config.get("RATE_LIMITS") or {}
    return {channel: parse_rules(config.get(channel, default)) for channel, default in DEFAULTS.items()}


def next_allowed(sent: Iterable[datetime], now: datetime, limits: tuple[tuple[int, int], ...]) -> Optional[datetime]:
    """None if one more message may go now; else the earliest moment it may (pure). `sent`: when
    this person was sent messages on this channel."""
    later = None
    for count, minutes in limits:
        window = timedelta(minutes=minutes)
        recent = sorted(t for t in sent if t > now - window)
        if len(recent) >= count:
            free_at = recent[len(recent) - count] + window  # when enough of them have left the window
            later = free_at if later is None else max(later, free_at)
    return later


def _recent(person_ids: set[int], channels: set[str], since: datetime) -> dict[tuple[int, str], list[datetime]]:
    out: dict[tuple[int, str], list[datetime]] = {}
    for person_id, channel, sent_at in db.session.execute(sa.select(
            Message.person_id, Message.channel, Message.sent_at).where(
            Message.person_id.in_(person_ids), Message.channel.in_(channels), Message.sent_at >= since)):
        out.setdefault((person_id, channel), []).append(sent_at)
    return out


def defer_limited(rows: list, now: datetime) -> tuple[list, int]:
    """Split a claimed batch: the rows that may go now, and how many were deferred (put back in the
    queue, due when their window frees, error_code 'rate_limited'; committed)."""
    limits = rules()
    limited = [m for m in rows if m.purpose in LIMITED_PURPOSES and limits.get(m.channel) and m.person_id]
    if not limited:
        return rows, 0
    longest = max(minutes for m in limited for _count, minutes in limits[m.channel])
    sent = _recent({m.person_id for m in limited}, {m.channel for m in limited}, now - timedelta(minutes=longest))
    deferred: dict[int, datetime] = {}
    for m in limited:  # in the claim's order: urgent first, the oldest due first
        key = (m.person_id, m.channel)
        when = next_allowed(sent.get(key, []), now, limits[m.channel])
        if when is None:
            sent.setdefault(key, []).append(now)  # the next one in this batch counts this one
        else:
            deferred[m.id] = when
    for message_id, when in deferred.items():
        db.session.execute(sa.update(Message).where(Message.id == message_id, Message.status == SENDING,
                                                    Message.updated_at == now).values(
            status=QUEUED, next_attempt_at=when, error_code=RATE_LIMITED, updated_at=now,
            error_message=f"deferred by the rate limit until {when.isoformat(timespec='seconds')}")
            .execution_options(synchronize_session=False))
    if deferred:
        db.session.commit()
    return [m for m in rows if m.id not in deferred], len(deferred)

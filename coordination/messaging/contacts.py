"""A person's contact chain (issue 20 §3): which channels an escalation step uses to reach them,
and how many minutes after the step began each is tried — in the spirit of GoAlert's notification
rules ("push at once, SMS after 2 minutes, a call after 5"). A later channel is only sent if nobody
acknowledged the alert by then (coordination/duty/alerts.py cancels the rows still queued).

The default chain is push (if the person has a subscribed device) → SMS after 2 min → a call after
5 min (only on the steps the deployment calls on: ALERT_CALL_STEPS). A person may change the delays
or switch push and the call off on /account, within CONTACT_MAX_DELAY_MINUTES; SMS is never off:
it is the fallback every phone has."""
from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from models import ContactMethod, Person, PushSubscription, db
from models.messages import PUSH, SMS, VOICE

from coordination.core.errors import ValidationError

ORDER = (PUSH, SMS, VOICE)  # ties in delay go in this order
DEFAULT_CHAIN = {PUSH: 0, SMS: 2, VOICE: 5}
DEFAULT_MAX_DELAY = 10
NAMES = {PUSH: _l("Push notification"), SMS: _l("SMS"), VOICE: _l("Voice call")}


class Step(NamedTuple):
    channel: str
    delay: int  # minutes after the escalation step began


def max_delay() -> int:
    return int(current_app.config.get("CONTACT_MAX_DELAY_MINUTES", DEFAULT_MAX_DELAY))


def _sorted(steps) -> list[Step]:
    return sorted(steps, key=lambda s: (s.delay, ORDER.index(s.channel)))


def default_chain() -> list[Step]:
    """The deployment's default (CONTACT_DEFAULT_CHAIN, e.g. {"push": 0, "sms": 2, "voice": 5})."""
    chain = current_app.config.get("CONTACT_DEFAULT_CHAIN") or DEFAULT_CHAIN
    return _sorted(Step(c, int(d)) for c, d in chain.items() if c in ORDER)


def chain_of(person_id: int) -> list[Step]:
    """The person's chain in order: their own if they changed it, else the default."""
    rows = db.session.scalars(sa.select(ContactMethod).where(ContactMethod.person_id == person_id)).all()
    if not rows:
        return default_chain()
    return _sorted(Step(r.channel, r.delay_minutes) for r in rows if r.enabled or r.channel == SMS)


def is_default(person_id: int) -> bool:
    return db.session.scalar(sa.select(ContactMethod.id).where(ContactMethod.person_id == person_id).limit(1)) is None


def plan(chain: list[Step], has_push: bool, calls: bool) -> list[tuple[str, timedelta]]:
    """When each channel goes out after the step began (pure): channels the person cannot be
    reached on are left out (push without a device, the call on a step that does not call), and
    nobody waits for a channel they do not have: the first channel left goes at once."""
    usable = [s for s in chain if (s.channel != PUSH or has_push) and (s.channel != VOICE or calls)]
    return [(s.channel, timedelta(minutes=s.delay if i else 0)) for i, s in enumerate(usable)]


def parse(form: dict) -> dict[str, Optional[int]]:
    """The /account form's choices: per channel a number of minutes, or "off" (None). Every field
    is checked; errors name the field."""
    limit = max_delay()
    out: dict[str, Optional[int]] = {}
    for channel in ORDER:
        raw = (form.get(f"delay_{channel}") or "").strip()
        if raw == "off":
            if channel == SMS:
                raise ValidationError(_l("SMS cannot be switched off: it is the fallback every phone has."),
                                      field=f"delay_{channel}")
            out[channel] = None
            continue
        if not (raw.isascii() and raw.isdigit()) or not 0 <= int(raw) <= limit:  # "²".isdigit() too
            raise ValidationError(_l("%(channel)s: choose a delay from 0 to %(n)d minutes.", channel=NAMES[channel],
                                     n=limit), field=f"delay_{channel}")
        out[channel] = int(raw)
    return out


def save(person: Person, choices: dict[str, Optional[int]]) -> None:
    """Store the person's chain, one row per channel (the caller commits)."""
    db.session.execute(sa.delete(ContactMethod).where(ContactMethod.person_id == person.id))
    db.session.add_all(ContactMethod(person_id=person.id, channel=c, delay_minutes=d or 0, enabled=d is not None)
                       for c, d in choices.items())
    db.session.flush()


def reset(person: Person) -> None:
    """Back to the deployment's default chain (the caller commits)."""
    db.session.execute(sa.delete(ContactMethod).where(ContactMethod.person_id == person.id))


class Reach(NamedTuple):
    """How an escalation can reach a person, as a lead sees it on the team page."""
    push: bool
    sms: bool
    voice: bool


def reachable(people: list[Person]) -> dict[int, Reach]:
    """Per person: a subscribed device, a number that takes SMS (and consent), a phone to call.
    Two queries whatever the number of people."""
    ids = [p.id for p in people]
    if not ids:
        return {}
    devices = set(db.session.scalars(sa.select(PushSubscription.person_id).where(PushSubscription.person_id.in_(ids))))
    off = {(r.person_id, r.channel) for r in db.session.execute(sa.select(
        ContactMethod.person_id, ContactMethod.channel).where(ContactMethod.person_id.in_(ids),
                                                               ContactMethod.enabled.is_(False)))}
    return {p.id: Reach(p.id in devices and (p.id, PUSH) not in off, bool(p.sms_capable and p.consent_sms),
                        bool(p.phone) and (p.id, VOICE) not in off) for p in people}

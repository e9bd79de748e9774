"""Duty alerts: reminders before a shift and escalation when the primary does not show up
(SMS replies to alerts: coordination/duty/replies.py).

The decisions are pure functions of times and facts (tested without a scheduler); `tick` gathers
the facts with a few queries and queues messages in the outbox with dedupe keys, so a restarted
scheduler never sends the same reminder or escalation twice."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from models import Message, Person, Shift, Team, db
from models.messages import ESCALATION, PUSH, REMINDER, SMS, VOICE

from coordination.messaging import contacts, outbox, push_devices
from coordination.messaging.links import ACK_TTL, ack_token, message_for_token  # noqa: F401 - the alert links' API
from coordination.duty import alert_store as store, changes, escalation_policy as policy
from coordination.duty.checkins import EARLY
from coordination.duty.queries import close_stale_sessions
from coordination.clock import utcnow
from coordination.duty.handoff import queue_handoffs
from coordination.messaging.sms import for_recipient, national, short_team, span

log = logging.getLogger(__name__)
REMINDER_MINUTES = (60, 10)
ESCALATION_WAIT = timedelta(minutes=10)
NUDGE_WAIT = timedelta(minutes=5)  # the absent primary's own nudge, before anyone else is alerted
NUDGE_STEP, BACKUP_STEP, COMMUNE_STEP, PROVINCE_STEP = 0, 1, 2, 3
# The reason a queued row of a contact chain was not sent (the messages page translates it).
ACKNOWLEDGED_BEFORE, DECLINED_BEFORE = "acknowledged before sending", "declined before sending"


# --- decisions (pure) ----------------------------------------------------------------------

def reminder_due(starts_at: datetime, now: datetime, minutes_before: int) -> bool:
    """The reminder `minutes_before` a shift is due from that moment until the shift starts."""
    return starts_at - timedelta(minutes=minutes_before) <= now < starts_at


def showed_up(shift: Shift, started_at: datetime) -> bool:
    """A duty session started from EARLY before the shift until its end means the primary came:
    their shift is not escalated (the same EARLY that lets a check-in count for a shift)."""
    return shift.starts_at - EARLY <= started_at < shift.ends_at


def escalation_step(starts_at: datetime, ends_at: datetime, now: datetime, wait: timedelta = ESCALATION_WAIT,
                    repeats: int = 1) -> int:
    """How far a no-show's escalation has gone by the clock: 0 nothing, 1 backup, 2 commune lead,
    3 the province's leads; one step per `wait` after the start. With `repeats` > 1 the whole
    policy runs again (4 is the backup again, …) up to 3 × repeats. (Whether it is a no-show —
    nobody showed up, nobody acknowledged — is the query's part: `_queue_escalations`.)"""
    if now >= ends_at or now < starts_at + wait:
        return 0
    return min(PROVINCE_STEP * max(repeats, 1), int((now - starts_at) / wait))


def due_steps(starts_at: datetime, ends_at: datetime, now: datetime, wait: timedelta = ESCALATION_WAIT,
              nudge: timedelta = NUDGE_WAIT, repeats: int = 1) -> list[int]:
    """The built-in policy's steps whose time has come, in order: the primary's own nudge
    (NUDGE_STEP) `nudge` after the start — before anyone else — then one step per `wait`
    (any policy: escalation_policy.due_steps)."""
    minutes = wait.total_seconds() / 60
    fixed = policy.Policy(tuple(policy.Step(minutes, (role,)) for role in policy.ROLES), max(repeats, 1) - 1)
    return policy.due_steps(fixed, starts_at, ends_at, now, nudge)


def policy_step(step: int) -> int:
    """Which step of the built-in policy a (possibly repeated) step is: 4 → 1 (the backup again), 6 → 3."""
    return (step - 1) % PROVINCE_STEP + 1 if step > 0 else step


def round_of(step: int) -> int:
    """Which run of the built-in policy a step belongs to: 0 the first, 1 the first repeat, …"""
    return (step - 1) // PROVINCE_STEP if step > 0 else 0


def repeats() -> int:
    """How many times the whole policy runs until someone acknowledges (ESCALATION_REPEATS, 1: once)."""
    return max(int(current_app.config.get("ESCALATION_REPEATS", 1)), 1)


# --- acknowledgement links (the signed tokens: coordination/messaging/links.py) ---------------

def alert_over(message: Message, now: Optional[datetime] = None) -> bool:
    """Is there nothing left to handle? The link lives ACK_TTL, but once its shift has ended the
    page offers no acknowledgement and no phone numbers (an old or forwarded link)."""
    if message.shift_id is None:
        return False
    ends_at = store.shift_end(message.shift_id)
    return ends_at is None or ends_at <= (now or utcnow())


def taken_by(shift_id: Optional[int]) -> Optional[tuple[int, str, datetime]]:
    """Who acknowledged this shift's escalation first, and when: (person id, name, moment) or None."""
    return None if shift_id is None else store.first_acknowledgement(shift_id)


def acknowledge(message: Message, now: Optional[datetime] = None) -> bool:
    """Record the acknowledgement — once, and only while nobody else has taken this escalation.
    Returns False if it was already recorded or someone else took it (two taps on two links at
    the same moment record one: `store.mark_acknowledged`)."""
    now = now or utcnow()
    if message.acknowledged_at is not None or not store.mark_acknowledged(message.id, message.shift_id, now):
        return False
    sa.orm.attributes.set_committed_value(message, "acknowledged_at", now)
    if message.shift_id is not None:  # the chain's later channels, to anyone: not sent, visibly
        store.cancel_queued(message.shift_id, now, ACKNOWLEDGED_BEFORE)
    return True


def ack_contacts(message: Message) -> list[tuple[str, Person]]:
    """Whom the holder of an alert link may call: the absent primary and the commune team's lead
    (('primary' | 'lead', person)); never the holder themself."""
    shift = db.session.get(Shift, message.shift_id) if message.shift_id else None
    if shift is None:
        return []
    primary, leads = store.primary_of(shift.id), store.commune_leads(shift.team_id)
    found = ([("primary", primary)] if primary else []) + [("lead", p) for p in leads]
    return [(kind, p) for kind, p in found if p.id != message.person_id]


# --- the scheduler's tick ------------------------------------------------------------------

def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def reminder_text(team_name: str, shift: Shift, minutes: int) -> str:
    return (f"[TCN] Nhắc ca trực {short_team(team_name)} {span(shift.starts_at, shift.ends_at)}, còn {minutes} phút."
            f" Vào ca: {_base_url()}/duty/")


def _queue_reminders(now: datetime, minutes: tuple[int, ...], since: Optional[datetime] = None) -> int:
    """Queue the reminders that fell due; already-queued ones are found in one query and the new
    ones inserted in one executemany (a tick stays cheap with thousands of shifts a day)."""
    due = []
    for assignment_id, shift, person, team_name in store.starting_soon(
            now, timedelta(minutes=max(minutes)), [timedelta(minutes=m) for m in minutes], since):
        # Only the nearest due reminder: after a restart there is no burst of stale ones.
        m = next((m for m in sorted(minutes) if reminder_due(shift.starts_at, now, m)), None)
        if m is not None:
            due.append((f"reminder/{assignment_id}/{m}", m, shift, person, team_name))
    if not due:
        return 0
    return outbox.put_many([outbox.to(person, reminder_text(team_name, shift, m), REMINDER, dedupe_key=key,
                                      province_code=shift.province_code, shift_id=shift.id)
                            for key, m, shift, person, team_name in due], now)


def _queue_escalations(now: datetime, wait: timedelta, since: Optional[datetime] = None,
                       nudge: timedelta = NUDGE_WAIT) -> int:
    """Shifts running for at least their nudge whose primary has not checked in and nobody
    acknowledged, each escalated along the policy it follows (escalation_policy.py): a handful of
    queries, whatever the number of shifts. With `since`, only shifts that crossed a moment of some
    policy in use (the nudge, a step) since then."""
    first_nudge, moments = policy.moments(int(wait.total_seconds() // 60), nudge)
    rows = store.running_unacknowledged(now, now - first_nudge, moments or [], since if moments else None)
    if not rows:
        return 0
    team_names = {r.shift.id: short_team(r.team_name) for r in rows}
    sessions = store.session_starts({r.primary.id for r in rows}, min(r.shift.starts_at for r in rows) - EARLY)
    late = [(r.shift, r.primary) for r in rows if not any(showed_up(r.shift, t) for t in sessions.get(r.primary.id, []))]
    if not late:
        return 0
    done = store.escalation_steps_taken([s.id for s, _p in late])  # in steady state: no per-shift work at all
    policies = policy.effective_for([s for s, _p in late], int(wait.total_seconds() // 60))
    queued, nudges = 0, []
    for shift, primary_person in late:
        followed = policies[shift.id]
        steps = [s for s in policy.due_steps(followed, shift.starts_at, shift.ends_at, now, nudge)
                 if (shift.id, s) not in done]
        if steps[:1] == [NUDGE_STEP]:
            steps = steps[1:]
            if primary_person.consent_sms and primary_person.sms_capable:
                nudges.append(_nudge(shift, primary_person, team_names[shift.id]))
        if not steps:
            continue
        backup = store.backup_of(shift.id)
        for s in steps:
            for person in policy.targets(followed, s, shift, backup):
                try:
                    if queue_alert(shift, s, person, now, primary_person, team_names[shift.id], followed):
                        queued += 1
                except Exception:  # noqa: BLE001 - one recipient never blocks the others
                    log.exception("escalation for shift %s to person %s", shift.id, person.id)
    # one executemany, as for reminders: at a national shift change they are thousands
    return queued + outbox.put_many(nudges, now)


def _team_name(shift: Shift) -> str:
    team = db.session.get(Team, shift.team_id)  # one query per team a tick, then the identity map
    return short_team(team.name if team else "")


def _nudge(shift: Shift, person: Person, team_name: str) -> outbox.Outgoing:
    """The absent primary's own nudge (an outbox row), with a link to the duty app: a reminder, so
    it has no acknowledgement link and a reply cannot stop the escalation."""
    text = f"[TCN] Bạn chưa vào ca trực {team_name} {span(shift.starts_at, shift.ends_at)} — bấm để vào ca: " \
           f"{_base_url()}/duty/"
    return outbox.to(person, text, REMINDER, urgent=True, dedupe_key=f"escalation/{shift.id}/{NUDGE_STEP}/{person.id}",
                     province_code=shift.province_code, shift_id=shift.id)


def queue_alert(shift: Shift, step: int, person: Person, now: datetime, primary: Optional[Person] = None,
                team_name: Optional[str] = None, followed: Optional[policy.Policy] = None) -> bool:
    """Queue one escalation step for a person by the channels of the policy's step (`followed`,
    default the one the shift's team follows): along their contact chain (messaging/contacts.py) —
    the SMS with its acknowledgement link, the push if they have a device, the call if the step
    calls — or the step's channels at once; rows still queued when someone acknowledges are not
    sent (`acknowledge`). False if it was queued before. The SMS names the absent primary and
    their phone, so the recipient can call them first."""
    followed = followed or policy.effective(shift.team_id, shift.province_code)
    when = policy.channel_plan(policy.step_of(followed, step).channels, contacts.chain_of(person.id),
                               push_devices.device_count(person.id) > 0)
    # Queued first with an empty text: the acknowledgement link in the text needs the row's id.
    message = outbox.enqueue(person, "", ESCALATION, urgent=True, dedupe_key=f"escalation/{shift.id}/{step}/{person.id}",
                             province_code=shift.province_code, shift_id=shift.id, now=now,
                             due=now + when.get(SMS, timedelta(0)))
    if message is None:
        return False
    primary = primary or store.primary_of(shift.id)
    link = f"{_base_url()}/a/{ack_token(message.id)}"
    who = f"{primary.full_name} ({national(primary.phone)})" if primary else "Người trực chính"
    run = policy.run_of(followed, step)
    again = f"(Lần {run + 1}) " if run else ""  # a repeat of the whole policy
    text = f"[TCN] {again}{who} chưa vào ca trực {team_name or _team_name(shift)} {span(shift.starts_at, shift.ends_at)}. " \
           f"Bấm để nhận xử lý: {link}"
    message.body = for_recipient(text, person.sms_ascii)
    if PUSH in when:
        queue_push(shift, step, person, text, now, now + when[PUSH])
    if VOICE in when:
        queue_call(shift, step, person, now, primary, team_name, now + when[VOICE])
    return True


def call_text(shift: Shift, primary: Optional[Person], team_name: str) -> str:
    """What an escalation call says (twice, then waits for a key: coordination/duty/voice.py)."""
    start, end = span(shift.starts_at, shift.ends_at).split("–", 1)
    who = f"Người trực chính {primary.full_name}" if primary else "Người trực chính"
    return (f"Tổ Công nghệ cộng đồng xin thông báo. {who} chưa vào ca trực {team_name}, từ {start} đến {end}. "
            "Chưa có người vào ca trực. Bấm phím 1 để nhận xử lý, phím 2 để chuyển người khác.")


def queue_call(shift: Shift, step: int, person: Person, now: datetime, primary: Optional[Person] = None,
               team_name: Optional[str] = None, due: Optional[datetime] = None) -> bool:
    """Queue the voice call of an escalation step beside its SMS (ALERT_CALL_STEPS): a row of the
    same outbox (channel 'voice'), its body what the call says; pressing 1 acknowledges it like the
    SMS's link. False if it was queued before."""
    primary = primary or store.primary_of(shift.id)
    text = call_text(shift, primary, team_name or _team_name(shift))
    return outbox.put(outbox.Outgoing(person.id, person.phone, text, ESCALATION, True,
                                      f"escalation/{shift.id}/{step}/{person.id}/voice", shift.province_code,
                                      shift.id, VOICE), now, due) is not None


def queue_push(shift: Shift, step: int, person: Person, text: str, now: datetime,
               due: Optional[datetime] = None) -> bool:
    """Queue the push of an escalation step beside its SMS, for a person with a subscribed device
    (the duty app's *Bật thông báo*): a row of the same outbox (channel 'push'); the notification's
    "Nhận xử lý" acknowledges it like the SMS's link. False if it was queued before."""
    return outbox.put(outbox.Outgoing(person.id, person.phone, text, ESCALATION, True,
                                      f"escalation/{shift.id}/{step}/{person.id}/push", shift.province_code,
                                      shift.id, PUSH), now, due) is not None


def tick(now: Optional[datetime] = None, since: Optional[datetime] = None) -> dict[str, int]:
    """One scheduler tick: reminders, escalations, handoff digests, closing stale check-ins. Commits.
    `since` (the previous tick's time, minus a margin) limits the work to moments that came since
    then; without it every due item is considered (the first tick after a start). Dedupe keys make
    both give the same messages."""
    now = now or utcnow()
    minutes = tuple(current_app.config.get("ALERT_REMINDER_MINUTES", REMINDER_MINUTES))
    wait = timedelta(minutes=current_app.config.get("ALERT_ESCALATION_MINUTES", 10))
    nudge = timedelta(minutes=current_app.config.get("ALERT_NUDGE_MINUTES", 5))
    counts = {"released": changes.expire_due(now),  # first: a released give-back is a gap like any other
              "reminders": _queue_reminders(now, minutes, since),
              "escalations": _queue_escalations(now, wait, since, nudge),
              "handoffs": queue_handoffs(now, since), "closed": close_stale_sessions(now)}
    db.session.commit()
    return counts


class Ticker:
    """The scheduler's job: remembers when it last ran, so a steady tick only looks at what came
    due since (with a minute of overlap); the first run after a start looks at everything."""
    OVERLAP = timedelta(minutes=1)

    def __init__(self):
        self.last: Optional[datetime] = None
        self.__name__ = "alerts.tick"

    def __call__(self, now: Optional[datetime] = None) -> dict[str, int]:
        now = now or utcnow()
        since = None if self.last is None else min(self.last, now) - self.OVERLAP
        counts = tick(now, since)
        self.last = now
        return counts

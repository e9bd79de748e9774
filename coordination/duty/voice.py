"""Escalation calls that can be acknowledged: the TwiML the platform serves to Twilio for a call
row of the outbox (channel 'voice'), and what a pressed key does.

The call says its message (the row's body, or a recorded file per kind: TWILIO_VOICE_AUDIO) twice
inside one <Gather numDigits=1>: 1 acknowledges exactly like the SMS's signed link (alerts.acknowledge:
once, and only while nobody else took it), 2 hands the alert to the next step now (replies.escalate_now,
as an SMS reply HUY does), any other key gets the prompt again. A call that ends without a key —
and a call nobody answers (busy, no-answer, failed: its status callbacks) — acknowledges nothing
and hands the alert on at once, as 2 does (call_ended), instead of leaving the next people to wait
for their step's time."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from models import Message, db
from models.messages import VOICE

from coordination.clock import to_local, utcnow
from coordination.duty.alerts import acknowledge, alert_over, taken_by
from coordination.duty.replies import escalate_now

ACK, DECLINE = "1", "2"
THANKS = "Đã ghi nhận: bạn nhận xử lý ca trực này. Cảm ơn bạn. Xin chào."
HANDED_ON = "Đã ghi nhận. Hệ thống báo cho người tiếp theo. Xin chào."
WRONG_KEY = "Phím không hợp lệ."
NO_KEY = "Không nhận được phím bấm. Hệ thống sẽ báo cho người tiếp theo. Xin chào."
OVER = "Ca trực này đã kết thúc, không cần xử lý nữa. Xin chào."


def _say(target, text: str) -> None:
    config = current_app.config
    target.say(text, voice=config.get("TWILIO_VOICE_NAME") or None, language=config.get("TWILIO_VOICE_LANGUAGE") or None)


def _prompt(response: VoiceResponse, message: Message, action: str) -> None:
    """The message, twice, inside a Gather of one key posted to `action`; after it (no key) a
    goodbye and the end of the call."""
    audio = (current_app.config.get("TWILIO_VOICE_AUDIO") or {}).get(message.purpose)
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=6,
                             action_on_empty_result=False)
    for _ in range(2):
        if audio:
            gather.play(audio)
        else:
            _say(gather, message.body)
        gather.pause(length=1)
    _say(response, NO_KEY)
    response.hangup()


def call_twiml(message: Message, action: str, now: Optional[datetime] = None) -> str:
    """What Twilio plays when the person answers: the prompt, unless the alert is already over or taken."""
    response = VoiceResponse()
    ending = _ending(message, now)
    if ending:
        _say(response, ending)
        response.hangup()
    else:
        _prompt(response, message, action)
    return str(response)


def _ending(message: Message, now: Optional[datetime]) -> Optional[str]:
    """What to say instead of the prompt: the shift has ended, or someone else took the alert."""
    if alert_over(message, now):
        return OVER
    taken = taken_by(message.shift_id)
    if taken and taken[0] != message.person_id:
        return f"{taken[1]} đã nhận xử lý lúc {to_local(taken[2]):%H:%M}. Cảm ơn bạn. Xin chào."
    return None


def pressed(message: Message, digits: str, action: str, now: Optional[datetime] = None) -> tuple[str, str]:
    """A key pressed during the call: (outcome, TwiML). 'ack' acknowledged (or had been by this
    person), 'decline' handed on, 'taken'/'over' nothing left to do, 'again' any other key. The
    caller commits. A replayed request does nothing twice (acknowledge and escalate_now are idempotent)."""
    now = now or utcnow()
    response = VoiceResponse()
    digit = (digits or "").strip()[:1]
    if digit not in (ACK, DECLINE):
        _say(response, WRONG_KEY)
        _prompt(response, message, action)
        return "again", str(response)
    ending = None if message.acknowledged_at is not None else _ending(message, now)
    if ending:
        outcome = "over" if ending == OVER else "taken"
    elif digit == ACK:
        if message.acknowledged_at is None and not acknowledge(message, now):
            ending, outcome = _ending(message, now) or THANKS, "taken"
        else:
            ending, outcome = THANKS, "ack"
    else:
        escalate_now(message, now)
        ending, outcome = HANDED_ON, "decline"
    _say(response, ending)
    response.hangup()
    return outcome, str(response)


def call_row(sid: str, message_id: Optional[int] = None) -> Optional[Message]:
    """The call a status callback names: by Twilio's CallSid, else by the callback URL's ?m= (a call
    whose SID was never written: its outcome was unknown)."""
    message = db.session.scalar(sa.select(Message).where(Message.provider_sid == sid[:64])) if sid else None
    if message is None and message_id is not None:
        message = db.session.get(Message, message_id)
    return message if message is not None and message.channel == VOICE else None


def call_ended(message: Message, now: Optional[datetime] = None) -> bool:
    """A call's final status (completed, busy, no-answer, failed, canceled) arrived without a 1: the
    line was busy, nobody answered, or the person hung up without a key. The next step's people are
    alerted now (escalate_now, as for 2) rather than at their step's time; the call said so ("Hệ
    thống sẽ báo cho người tiếp theo"). Nothing when the call acknowledged, the alert is over or
    someone else took it. A second callback, or one after a 2, queues nothing twice (the outbox's
    dedupe keys). The caller commits."""
    now = now or utcnow()
    if message.acknowledged_at is not None or _ending(message, now):
        return False
    return escalate_now(message, now) > 0

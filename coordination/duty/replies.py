"""SMS replies, where the number supports them: OK/1/CÓ/XÁC NHẬN/ĐÃ NHẬN acknowledge the latest
open alert, HỦY hands it to the next step now, STOP opts out — and once someone else took the alert,
a reply says who and when and alerts nobody more. With no open alert, the same words confirm the
latest broadcast that asked the sender for confirmation: an alert is urgent and lives for its shift,
so it comes first; a second OK then confirms the broadcast."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from models import AuditEvent, Message, Person, Shift, ShiftAssignment, db
from models.shifts import BACKUP

from coordination.duty.alerts import ACK_TTL, DECLINED_BEFORE, queue_alert, acknowledge, taken_by
from coordination.duty import escalation_policy as policy
from coordination.duty.alert_store import cancel_queued
from coordination.clock import to_local, utcnow
from coordination.org.people import normalise_phone
from coordination.core.errors import ValidationError
from coordination.core.text import unaccent
from coordination.messaging import confirmations

log = logging.getLogger(__name__)

ACK_WORDS = {"OK", "1", "CO", "YES", "NHAN"}
DECLINE_WORDS = {"HUY", "0", "KHONG", "NO"}
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "DUNG", "NGUNG"}
ACK_PHRASES = {"XAC NHAN", "DA NHAN", "DA XAC NHAN", "XN"}  # "xác nhận", "đã nhận", "đã xác nhận"


def classify_reply(text: str) -> str:
    """'ack', 'decline', 'stop' or 'unknown' for an SMS reply (diacritics and case ignored)."""
    words = [w.strip(".!,") for w in unaccent(text or "").strip().upper().split()[:3]]
    word = words[0] if words else ""
    if word in STOP_WORDS:
        return "stop"
    if word in ACK_WORDS or any(" ".join(words[:n]) in ACK_PHRASES for n in (1, 2, 3)):
        return "ack"
    if word in DECLINE_WORDS:
        return "decline"
    return "unknown"


def _latest_open_alert(person_id: int, now: datetime) -> Optional[Message]:
    """The person's latest alert still to handle: unacknowledged, of a shift that has not ended."""
    return db.session.scalar(sa.select(Message).join(Shift, Shift.id == Message.shift_id).where(
        Message.person_id == person_id, Message.purpose == "escalation", Message.acknowledged_at.is_(None),
        Message.created_at >= now - ACK_TTL, Shift.ends_at > now).order_by(Message.created_at.desc(), Message.id.desc()).limit(1))


def escalate_now(message: Message, now: datetime) -> int:
    """A recipient declined: alert the next step's people at once (same dedupe keys as the tick's)."""
    parts = (message.dedupe_key or "").split("/")
    shift = db.session.get(Shift, message.shift_id) if message.shift_id else None
    if shift is None or len(parts) not in (4, 5):  # escalation/<shift>/<step>/<person>[/voice]
        return 0
    followed = policy.effective(shift.team_id, shift.province_code)
    step = min(int(parts[2]) + 1, policy.last_number(followed))  # the next step (the next run's first, if it repeats)
    # The decliner's own later channels (a call 5 minutes after the SMS) are not sent, visibly.
    cancel_queued(shift.id, now, DECLINED_BEFORE, message.person_id)
    backup = db.session.scalar(sa.select(Person).join(ShiftAssignment).where(
        ShiftAssignment.shift_id == shift.id, ShiftAssignment.role == BACKUP))
    queued = 0
    for person in policy.targets(followed, step, shift, backup):
        if person.id != message.person_id and queue_alert(shift, step, person, now, followed=followed):
            queued += 1
    return queued


def already_handled(message_sid: Optional[str], now: Optional[datetime] = None) -> bool:
    """Was this inbound SMS (Twilio's MessageSid) handled before? Twilio may post it again, and a
    signed request can be replayed (its signature has no time): an OK must not acknowledge a second
    alert. Each handled reply leaves an audit event naming its SID; looked up within ACK_TTL (the
    audit's time index), beyond which no alert it could reach is open."""
    if not message_sid:
        return False
    now = now or utcnow()
    return db.session.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.at >= now - ACK_TTL, AuditEvent.entity == "sms", AuditEvent.entity_id == message_sid[:40])
        .limit(1)) is not None


def handle_reply(phone: str, text: str, now: Optional[datetime] = None) -> tuple[str, str]:
    """An inbound SMS: returns (outcome, reply text in Vietnamese). The caller commits."""
    now = now or utcnow()
    try:
        person = db.session.scalar(sa.select(Person).where(Person.phone == normalise_phone(phone)))
    except ValidationError:  # an unparseable sender is an unknown sender
        person = None
    if person is None:
        log.warning("SMS from unknown sender %s: %r", phone, (text or "")[:160])
        return "unknown_sender", "Số này chưa đăng ký với Tổ Công nghệ cộng đồng. Xin liên hệ tổ trưởng của bạn."
    kind = classify_reply(text)
    if kind == "stop":
        person.consent_sms = False
        return "stop", "Đã ngừng gửi SMS trực cho số này. Liên hệ tổ trưởng để nhận lại."
    alert = _latest_open_alert(person.id, now)
    if kind in ("ack", "decline") and alert is not None:  # someone else took it: say who, alert nobody more
        taken = taken_by(alert.shift_id) if kind == "decline" or not acknowledge(alert, now) else None
        if taken is not None:
            return f"{kind}_taken", f"{taken[1]} đã nhận xử lý lúc {to_local(taken[2]):%H:%M}. Cảm ơn bạn!"
    if kind == "ack" and alert is not None:
        return "ack", "Đã xác nhận. Cảm ơn bạn!"
    pending = confirmations.open_for(person.id, now) if kind == "ack" else None
    if pending is not None:
        confirmations.confirm(pending, now)
        return "confirm", "Đã ghi nhận xác nhận của bạn. Cảm ơn!"
    if kind == "decline" and alert is not None:
        escalate_now(alert, now)
        return "decline", "Đã ghi nhận. Hệ thống báo cho người tiếp theo."
    return "unknown", "Trả lời OK để nhận xử lý, HUY để chuyển người khác, STOP để ngừng nhận SMS."

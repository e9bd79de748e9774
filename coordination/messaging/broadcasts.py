"""Urgent broadcasts: write once, queue one SMS per recipient in one INSERT … SELECT.

Audiences: everyone in the province's teams, chosen commune teams, everyone on duty now, or the
on-call list (people on a shift running now). Non-urgent broadcasts respect quiet hours (QUIET_HOURS,
sent when they end: quiet_hours.py) and a per-person limit (at most 5 non-urgent SMS per 15 minutes; the rest wait 15 minutes).
Nothing is dropped: a limited message is deferred, never skipped."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Broadcast, DutySession, Membership, Message, Person, Shift, ShiftAssignment, Team, db
from models.messages import BROADCAST
from models.teams import VILLAGE

from coordination.core import audit
from coordination.clock import utcnow
from coordination.messaging import confirmations, outbox, quiet_hours
from coordination.messaging.quiet_hours import after_quiet_hours, in_quiet_hours  # noqa: F401 - their old home
from coordination.core.errors import Conflict, ValidationError
from coordination.messaging.sms import Segments, for_recipient, segments

AUDIENCES = ("province", "communes", "on_duty", "on_call")
MAX_BODY = 480
LIMIT_COUNT, LIMIT_WINDOW = 5, timedelta(minutes=15)


def in_audience(province_code: str, audience: str, team_ids: Optional[list[int]] = None, now=None,
                reachable_only: bool = True):
    """A condition on Person: in the audience, accepting duty SMS and (unless `reachable_only` is
    False) on a number SMS can reach — a fixed line is never queued to fail (a WHERE clause, so
    the callers read `people` once rather than joining it to a list of its own ids)."""
    now = now or utcnow()
    in_province = (lambda col: col == province_code) if province_code else (lambda col: sa.true())  # None: nationwide
    if audience == "province":
        people = (sa.select(Membership.person_id).join(Team, Team.id == Membership.team_id)
                  .where(in_province(Team.province_code), Membership.end_date.is_(None)))
    elif audience == "communes":
        ids = [int(t) for t in (team_ids or [])]
        if not ids:
            raise ValidationError(_l("Choose at least one commune."), field="communes")
        people = (sa.select(Membership.person_id).join(Team, Team.id == Membership.team_id)
                  .where(in_province(Team.province_code), Membership.end_date.is_(None),
                         sa.or_(Team.id.in_(ids), sa.and_(Team.level == VILLAGE, Team.parent_id.in_(ids)))))
    elif audience == "on_duty":
        people = sa.select(DutySession.person_id).where(in_province(DutySession.province_code),
                                                        DutySession.ended_at.is_(None))
    elif audience == "on_call":
        people = (sa.select(ShiftAssignment.person_id).join(Shift, Shift.id == ShiftAssignment.shift_id)
                  .where(in_province(Shift.province_code), Shift.starts_at <= now, Shift.ends_at > now))
    else:
        raise ValidationError(_l("Choose who receives the message."), field="audience")
    condition = sa.and_(Person.id.in_(people), Person.consent_sms.is_(True))
    return sa.and_(condition, Person.sms_capable.is_(True)) if reachable_only else condition


def clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError(_l("Write the message."), field="body")
    if len(text) > MAX_BODY:
        raise ValidationError(_l("The message is too long (at most %(n)d characters).", n=MAX_BODY), field="body")
    return text


@dataclass
class Preview:
    recipients: int
    ascii_recipients: int  # people who asked for SMS without diacritics
    no_sms: int  # in the audience, but on a fixed-line number: not sent
    accented: Segments
    unaccented: Segments
    unaccented_text: str


def preview(province_code: str, audience: str, team_ids, body: str) -> Preview:
    text = clean_body(body)
    reachable = Person.sms_capable.is_(True)
    total, ascii_count, no_sms = db.session.execute(
        sa.select(sa.func.count().filter(reachable), sa.func.count().filter(reachable, Person.sms_ascii.is_(True)),
                  sa.func.count().filter(Person.sms_capable.is_(False)))
        .select_from(Person).where(in_audience(province_code, audience, team_ids, reachable_only=False))).one()
    plain = for_recipient(text, True)
    return Preview(total or 0, ascii_count or 0, no_sms or 0, segments(text), segments(plain), plain)


def send(actor_user_id: Optional[int], province_code: str, audience: str, team_ids, body: str, urgent: bool,
         now: Optional[datetime] = None, confirm: bool = False) -> Broadcast:
    """Queue the broadcast for everyone in the audience with one INSERT … SELECT. With `confirm`,
    each SMS then gets its recipient's personal confirmation link (confirmations.py). The caller commits."""
    now = now or utcnow()
    text = clean_body(body)
    audience_filter = in_audience(province_code, audience, team_ids, now)
    broadcast = Broadcast(created_by_id=actor_user_id, province_code=province_code, audience=audience, body=text,
                          urgent=urgent, confirm=confirm, created_at=now)
    db.session.add(broadcast)
    db.session.flush()
    start = quiet_hours.send_at(urgent, now)
    due = sa.literal(start, Message.next_attempt_at.type)
    if not urgent:  # people who already got 5 non-urgent SMS in 15 minutes wait 15 more minutes
        recent = (sa.select(Message.person_id, sa.func.count().label("n"))
                  .where(Message.urgent.is_(False), Message.created_at > now - LIMIT_WINDOW,
                         Message.person_id.in_(sa.select(Person.id).where(audience_filter)))
                  .group_by(Message.person_id).subquery())
        due = sa.case((sa.func.coalesce(recent.c.n, 0) >= LIMIT_COUNT,
                       sa.literal(start + LIMIT_WINDOW, Message.next_attempt_at.type)), else_=due)
    recipients = (sa.select(Person.id.label("person_id"), Person.phone.label("to_phone"),
                            sa.case((Person.sms_ascii.is_(True), sa.literal(for_recipient(text, True))),
                                    else_=sa.literal(text)).label("body"),
                            sa.literal(BROADCAST).label("purpose"), sa.literal(urgent).label("urgent"),
                            sa.literal(province_code).label("province_code"), due.label("next_attempt_at"),
                            sa.literal(broadcast.id).label("broadcast_id"),
                            sa.literal(quiet_hours.marker(urgent, now), Message.error_code.type).label("error_code"))
                  .where(audience_filter))
    if not urgent:
        recipients = recipients.outerjoin(recent, recent.c.person_id == Person.id)
    outbox.put_select(recipients, now)
    if confirm:
        confirmations.add_links(Message.broadcast_id == broadcast.id)
    broadcast.recipients = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.broadcast_id == broadcast.id))  # rowcount of INSERT … SELECT is not reliable on SQLite
    audit.record(actor_user_id, "broadcast", "broadcast", broadcast.id, province_code=province_code,
                 after={"audience": audience, "recipients": broadcast.recipients, "urgent": urgent,
                        **({"confirm": True} if confirm else {})})
    return broadcast


def remind(broadcast: Broadcast, round_: int, actor_user_id: Optional[int], now: Optional[datetime] = None) -> int:
    """Send the broadcast again, with their personal links, only to those who have not confirmed
    (and still accept SMS on a number that takes one). `round_` is the round the page offered
    (reminded + 1): a double tap posts the same round twice and the second finds it taken. Returns
    how many were queued. The caller commits."""
    now = now or utcnow()
    taken = db.session.execute(sa.update(Broadcast).where(Broadcast.id == broadcast.id, Broadcast.confirm.is_(True),
                                                          Broadcast.reminded == round_ - 1)
                               .values(reminded=round_).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict(_l("This reminder was already sent."), field="round")
    sa.orm.attributes.set_committed_value(broadcast, "reminded", round_)
    text = f"[Nhắc lại] {broadcast.body}"
    start = quiet_hours.send_at(broadcast.urgent, now)
    pending = sa.select(Message.person_id).where(Message.broadcast_id == broadcast.id).group_by(
        Message.person_id).having(sa.func.count(Message.acknowledged_at) == 0)
    prefix = f"broadcast/{broadcast.id}/remind/{round_}/"
    recipients = sa.select(
        Person.id.label("person_id"), Person.phone.label("to_phone"),
        sa.case((Person.sms_ascii.is_(True), sa.literal(for_recipient(text, True))), else_=sa.literal(text)).label("body"),
        sa.literal(BROADCAST).label("purpose"), sa.literal(broadcast.urgent).label("urgent"),
        sa.literal(broadcast.province_code).label("province_code"),
        sa.literal(start, Message.next_attempt_at.type).label("next_attempt_at"),
        sa.literal(broadcast.id).label("broadcast_id"),
        sa.literal(quiet_hours.marker(broadcast.urgent, now), Message.error_code.type).label("error_code"),
        (sa.literal(prefix) + sa.cast(Person.id, sa.String)).label("dedupe_key"),
    ).where(Person.id.in_(pending), Person.consent_sms.is_(True), Person.sms_capable.is_(True))
    outbox.put_select(recipients, now)
    queued = confirmations.add_links(sa.and_(Message.broadcast_id == broadcast.id, Message.dedupe_key.like(prefix + "%")))
    audit.record(actor_user_id, "remind", "broadcast", broadcast.id, province_code=broadcast.province_code,
                 after={"round": round_, "recipients": queued})
    return queued

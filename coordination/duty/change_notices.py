"""SMS about rota changes, through the outbox (like task notices): the teammate asked to take a
shift, the team's leads when a place changes hands (they can refuse on the rota page) or when a
given-back place found nobody (a gap — sent at once), the one who asked when it is answered.

Only people who accept duty SMS on a number that takes one; each notice has a dedupe key (a double
tap queues one); notices that are not urgent wait out quiet hours; nobody is told what they did."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from models import Person, ShiftChange, db
from models.messages import OTHER
from models.teams import LEAD

from coordination.messaging import outbox
from coordination.messaging.links import base_url
from coordination.messaging.sms import short_team, span
from coordination.duty import alert_store as store


def _reachable(person: Optional[Person]) -> bool:
    return person is not None and bool(person.phone) and person.consent_sms and person.sms_capable


def _send(person: Optional[Person], text: str, key: str, change: ShiftChange, now: datetime,
          urgent: bool = False) -> None:
    if not _reachable(person):
        return
    # not urgent: the outbox holds it until quiet hours end
    outbox.put(outbox.to(person, text, OTHER, urgent=urgent, dedupe_key=f"shift-change/{change.id}/{key}/{person.id}",
                         province_code=change.shift.province_code, shift_id=change.shift_id), now)


def _what(change: ShiftChange) -> str:
    shift = change.shift
    return f"{short_team(shift.team.name)} {span(shift.starts_at, shift.ends_at)}"


def _name(person_id: Optional[int]) -> str:
    person = db.session.get(Person, person_id) if person_id else None
    return person.full_name if person else "?"


def _leads(change: ShiftChange, but: tuple[Optional[int], ...] = ()) -> list[Person]:
    return [p for p in store.holders(change.shift.team_id, (LEAD,)) if p.id not in but]


def _rota_link(change: ShiftChange) -> str:
    return f"{base_url()}/teams/{change.shift.team_id}/rota#changes"


def asked_text(change: ShiftChange) -> str:
    return f"[TCN] {_name(change.from_person_id)} nhờ bạn trực thay ca {_what(change)}. Nhận ca: {base_url()}/duty/"


def asked(change: ShiftChange, now: datetime) -> None:
    _send(db.session.get(Person, change.to_person_id), asked_text(change), "asked", change, now)


def given_back(change: ShiftChange, now: datetime) -> None:
    text = (f"[TCN] {_name(change.from_person_id)} trả ca {_what(change)}; thành viên tổ có thể nhận ca "
            f"trên {base_url()}/duty/. Xem: {_rota_link(change)}")
    for lead in _leads(change, (change.from_person_id,)):
        _send(lead, text, "given", change, now)


def taken(change: ShiftChange, now: datetime) -> None:
    text = (f"[TCN] Đổi ca {_what(change)}: {_name(change.to_person_id)} trực thay {_name(change.from_person_id)}. "
            f"Từ chối nếu không đồng ý: {_rota_link(change)}")
    for lead in _leads(change, (change.to_person_id,)):
        _send(lead, text, "taken", change, now)
    _send(db.session.get(Person, change.from_person_id),
          f"[TCN] {_name(change.to_person_id)} đã nhận ca {_what(change)} của bạn.", "taken", change, now)


def declined(change: ShiftChange, now: datetime) -> None:
    _send(db.session.get(Person, change.from_person_id),
          f"[TCN] {_name(change.to_person_id)} không nhận được ca {_what(change)}; ca vẫn là của bạn.",
          "declined", change, now)


def refused(change: ShiftChange, now: datetime) -> None:
    text = f"[TCN] Trưởng nhóm không đồng ý đổi ca {_what(change)}: {_name(change.from_person_id)} vẫn trực ca này."
    for pid in {change.from_person_id, change.to_person_id} - {None}:
        _send(db.session.get(Person, pid), text, "refused", change, now)


def overridden(change: ShiftChange, now: datetime) -> None:
    _send(db.session.get(Person, change.to_person_id),
          f"[TCN] Bạn được xếp trực thay {_name(change.from_person_id)} ca {_what(change)}.", "override", change, now)
    _send(db.session.get(Person, change.from_person_id),
          f"[TCN] {_name(change.to_person_id)} trực thay bạn ca {_what(change)}.", "override", change, now)


def released(change: ShiftChange, now: datetime) -> None:
    """Nobody took a given-back place by its deadline: the shift is short — an urgent alert."""
    text = (f"[TCN] Ca {_what(change)} thiếu người: {_name(change.from_person_id)} đã trả ca, chưa ai nhận. "
            f"Xếp người: {_rota_link(change)}")
    for lead in _leads(change):
        _send(lead, text, "released", change, now, urgent=True)

"""Demo: Hà Nội's province lead assesses the approved team of the Hà Nội movement (a lead-assessed
criterion with a note and an evidence link, issue 22 §1)."""
from __future__ import annotations

import sqlalchemy as sa

from models import Movement, MovementTeam, Person, db
from models.movements import APPROVED

from coordination.core.permissions import scope_for_person
from coordination.emulation import assessments
from coordination.org.accounts import ensure_user


def demo_assessment() -> None:
    lead = db.session.scalar(sa.select(Person).where(Person.email == "hanoi@tocongnghe.vn"))
    movement = db.session.scalar(sa.select(Movement).where(Movement.province_code == "01").order_by(Movement.id))
    if lead is None or movement is None or not assessments.assessed_criteria(movement):
        return
    entry = db.session.scalar(sa.select(MovementTeam).where(MovementTeam.movement_id == movement.id,
                                                            MovementTeam.state == APPROVED).order_by(MovementTeam.id))
    if entry is None:
        return
    assessments.assess(scope_for_person(lead.id), ensure_user(lead).id, movement, entry,
                       assessments.assessed_criteria(movement)[0].id, 85,
                       "Tổ đi từng ngõ hướng dẫn kích hoạt VNeID mức 2, có ảnh và danh sách hộ",
                       "https://tocongnghe.vn/minh-chung/ba-dinh-vneid")

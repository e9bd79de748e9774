"""Demo commendations (issue 22 §4): an ad-hoc commendation waiting too long, one decided within two
days, and a ministry bằng khen for a Hồ Chí Minh City team, so the proposals page shows waiting times, the
flag and the fairness figures."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from models import AdminUnit, Membership, Person, Team, db
from models.teams import MEMBER

from coordination.clock import local_today, utcnow
from coordination.core.permissions import scope_for_person
from coordination.emulation import commendations
from coordination.org.accounts import ensure_user


def _by_email(email: str) -> Person:
    return db.session.scalar(sa.select(Person).where(Person.email == email))


def _first_team(province_code: str) -> Team:
    return db.session.scalar(sa.select(Team).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                             .where(Team.level == "commune", Team.province_code == province_code)
                             .order_by(AdminUnit.code))


def _members(team: Team) -> list[Person]:
    return list(db.session.scalars(sa.select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.team_id == team.id, Membership.role == MEMBER, Membership.end_date.is_(None))
        .order_by(Person.id)))


def _backdate(c, days: float, decided_after: float | None = None) -> None:
    """Demo data only: as if proposed `days` ago (and decided `decided_after` days later)."""
    c.created_at = utcnow() - timedelta(days=days)
    if decided_after is not None:
        c.decided_at = c.created_at + timedelta(days=decided_after)
        if c.reviewed_at is not None:
            c.reviewed_at = c.created_at + timedelta(days=decided_after / 2)


def demo_commendations() -> None:
    ministry, hanoi, hcm, commune_lead = (_by_email(e) for e in (
        "bo@tocongnghe.vn", "hanoi@tocongnghe.vn", "hcm@tocongnghe.vn", "xa@tocongnghe.vn"))
    lead_user, hanoi_user = ensure_user(commune_lead), ensure_user(hanoi)
    team = _first_team("01")
    members = _members(team)
    waiting = commendations.propose(
        scope_for_person(commune_lead.id), lead_user.id, team, members[0],
        "Đêm mưa lũ, trực liên tục 14 giờ, giúp 37 hộ dân gửi tin báo ngập qua Zalo và đưa 3 cụ già đến điểm sơ tán",
        form_code="bang_khen_tinh", ad_hoc=True, act_on=local_today() - timedelta(days=10))
    _backdate(waiting, 9.2)  # chờ 9 ngày: more than the 7 allowed, flagged at the top
    decided = commendations.propose(
        scope_for_person(commune_lead.id), lead_user.id, team, members[1],
        "Phát hiện và chặn kịp một vụ lừa đảo giả danh cán bộ hướng dẫn VNeID, báo công an phường",
        form_code="giay_khen_so", ad_hoc=True, act_on=local_today() - timedelta(days=6))
    commendations.decide(scope_for_person(hanoi.id), decided, hanoi_user.id, approve=True)
    _backdate(decided, 5, decided_after=1.5)
    hcm_team = _first_team("79")
    if hcm_team is not None:
        c = commendations.propose(scope_for_person(hcm.id), ensure_user(hcm).id, hcm_team, None,
                                  "Cả tổ ba tháng liền đủ ca trực, hướng dẫn hơn 400 người dân dùng dịch vụ công trực tuyến",
                                  form_code="bang_khen_bo")
        commendations.review(scope_for_person(ministry.id), c, ensure_user(ministry).id)
        commendations.decide(scope_for_person(ministry.id), c, ensure_user(ministry).id, approve=True)
        _backdate(c, 20, decided_after=12)
    db.session.flush()

"""Small factories built on the real rules, and a `world` with one user per role."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import sqlalchemy as sa

from coordination.org import accounts, teams
from coordination.core.names import phone as nth_phone
from coordination.org.people import PersonInput, create_person
from models import AdminUnit, Membership, Person, Team, User, db
from models.teams import CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEAD, LEADER_IN_CHARGE, MEMBER

PASSWORD = "secret-pass-1"
_counter = itertools.count(1)

HANOI, HCM = "01", "79"
ROLES = ["ministry", "lead_a", "lead_b", "commune_lead", "volunteer", "anonymous"]  # permission matrix columns


def make_person(**kw) -> Person:
    n = next(_counter)
    data = dict(full_name=f"Người Thử {n}", phone=nth_phone(50_000 + n), affiliation="youth_union")
    data.update(kw)
    return create_person(PersonInput(**data))


def make_user(person: Person, password: str = PASSWORD) -> User:
    user = accounts.ensure_user(person)
    accounts.set_password(user, password)
    db.session.flush()
    return user


def communes_of(province_code: str, n: int) -> list[AdminUnit]:
    return list(db.session.scalars(sa.select(AdminUnit).where(
        AdminUnit.level == "commune", AdminUnit.province_code == province_code).order_by(AdminUnit.code).limit(n)))


@dataclass
class World:
    ministry: User
    lead_a: User  # province lead of Hà Nội (01)
    lead_b: User  # province lead of TP. Hồ Chí Minh (79)
    commune_lead: User  # lead of commune_team (in Hà Nội)
    volunteer: User  # member of commune_team
    province_team_a: Team
    province_team_b: Team
    commune_team: Team  # in Hà Nội
    commune_team_b: Team  # in TP. HCM
    volunteer_membership: Membership

    def users(self) -> dict[str, User]:
        return {"ministry": self.ministry, "lead_a": self.lead_a, "lead_b": self.lead_b,
                "commune_lead": self.commune_lead, "volunteer": self.volunteer}


def build_world() -> World:
    national = teams.create_national_team()
    ministry = make_person(full_name="Bộ Trưởng Thử", email="bo@example.vn")
    teams.add_member(national, ministry, LEAD)
    pa = teams.create_province_team(HANOI)
    pb = teams.create_province_team(HCM)
    lead_a = make_person(full_name="Trưởng Hà Nội", email="hn@example.vn")
    lead_b = make_person(full_name="Trưởng Sài Gòn", email="hcm@example.vn")
    teams.add_member(pa, lead_a, CO_CHAIR_ICT)
    teams.add_member(pb, lead_b, LEADER_IN_CHARGE)
    commune = communes_of(HANOI, 1)[0]
    ct = teams.create_commune_team(commune.code)
    ctb = teams.create_commune_team(communes_of(HCM, 1)[0].code)
    commune_lead = make_person(full_name="Tổ Trưởng Xã")
    teams.add_member(ct, commune_lead, LEAD)
    volunteer = make_person(full_name="Tình Nguyện Viên", phone="0987 654 321")
    vm = teams.add_member(ct, volunteer, MEMBER)
    teams.add_member(ctb, make_person(full_name="Thành Viên Sài Gòn"), MEMBER)
    world = World(make_user(ministry), make_user(lead_a), make_user(lead_b), make_user(commune_lead),
                  make_user(volunteer), pa, pb, ct, ctb, vm)
    db.session.commit()
    return world


def browser_login(page, base_url: str, identifier: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form in Chromium."""
    page.goto(base_url + "/login")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.click("button.primary")


def at_once(app, n: int, work) -> list:
    """Run `work()` in n threads started together, each with its own app context and database
    session (phones, dispatchers); returns what each returned. Any exception fails the test."""
    import threading

    results, errors, start = [], [], threading.Barrier(n)

    def run():
        with app.app_context():
            try:
                start.wait()
                results.append(work())
            except Exception as exc:  # noqa: BLE001 - raised below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


__all__ = ["at_once", "browser_login", "make_person", "make_user", "build_world", "communes_of", "PASSWORD", "HANOI",
           "HCM", "CO_CHAIR_HEALTH", "CO_CHAIR_ICT", "LEADER_IN_CHARGE", "Team"]

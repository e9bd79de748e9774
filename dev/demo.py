"""Demo data worth looking at: complete and incomplete province teams, commune teams of
mixed affiliations, a national spread of teams, and one login per role."""
from __future__ import annotations

import io
import random
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from models import AdminUnit, Membership, Message, Person, Shift, ShiftAssignment, Task, Team, db
from models.messages import DELIVERED, FAILED
from models.geography import COMMUNE as COMMUNE_UNIT
from models.geography import PROVINCE as PROVINCE_UNIT
from models.teams import (CO_CHAIR_HEALTH, CO_CHAIR_ICT, ENTERPRISE, GOVERNMENT, HEALTH_STATION, LEAD,
    LEADER_IN_CHARGE, MEMBER, OTHER, YOUTH_UNION)

from coordination.core import names
from coordination.clock import local_today, utcnow
from coordination.core.errors import DomainError
from coordination.core.permissions import scope_for_person
from coordination.duty import changes, checkins, patterns, rota
from coordination.emulation import commendations, movements, targets as emulation
from coordination.messaging import broadcasts, confirmations
from coordination.org.accounts import ensure_user, set_password
from coordination.geography.units import load_geography
from coordination.org.people import PersonInput, create_person, find_by_phone
from coordination.org.teams import (add_member, create_commune_team, create_national_team,
    create_province_team, end_membership)
from coordination.tasks.kinds import ensure_catalogue
from coordination.tasks import assignment, comments, photos, rules as tasks
from dev import sample_photos
from dev.demo_assessment import demo_assessment
from dev.demo_commend import demo_commendations
from dev.demo_policy import demo_policy
from dev.demo_practices import seed_practices

DEMO_PASSWORD = "demo12345"
# (role, login) of the demo accounts; the volunteer logs in with a phone number.
DEMO_LOGINS = [
    ("ministry / Bộ", "bo@tocongnghe.vn"),
    ("province lead / tổ trưởng tỉnh — Hà Nội", "hanoi@tocongnghe.vn"),
    ("province lead / tổ trưởng tỉnh — TP. HCM", "hcm@tocongnghe.vn"),
    ("commune lead / tổ trưởng xã", "xa@tocongnghe.vn"),
    ("volunteer / tình nguyện viên", "0987 654 321"),
]
PROVINCE_LEAD_EMAILS = {"01": "hanoi@tocongnghe.vn", "79": "hcm@tocongnghe.vn"}
# Province code -> which of the three required province roles to fill (the others stay missing).
FOCUS_PROVINCES = {
    "01": (CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEADER_IN_CHARGE),  # Hà Nội: complete
    "79": (CO_CHAIR_HEALTH, CO_CHAIR_ICT, LEADER_IN_CHARGE),  # TP. Hồ Chí Minh: complete
    "48": (CO_CHAIR_HEALTH, CO_CHAIR_ICT),  # Đà Nẵng: no leader in charge yet
    "15": (CO_CHAIR_ICT,),  # Lào Cai: only the Sở TT&TT co-chair
}
FOCUS_COMMUNES = 12
SPREAD_COMMUNES = 3


class _People:
    def __init__(self, seed: int = 2021):
        self.rng = random.Random(seed)
        self.n = 1000

    def make(self, affiliation: str | None = None, name: str | None = None, email: str | None = None,
             phone: str | None = None):
        self.n += 1
        affiliation = affiliation or self.rng.choice([YOUTH_UNION, YOUTH_UNION, ENTERPRISE, HEALTH_STATION,
                                                      GOVERNMENT, OTHER])
        org = self.rng.choice(names.ENTERPRISES) if affiliation == ENTERPRISE else None
        return create_person(PersonInput(full_name=name or names.full_name(self.rng), phone=phone or names.phone(self.n),
                                         email=email, affiliation=affiliation, organisation=org,
                                         sms_ascii=self.rng.random() < 0.2))


def _login(person) -> None:
    set_password(ensure_user(person), DEMO_PASSWORD)


def _fill_commune(team: Team, people: _People, size: int, lead_name: str | None = None, lead_email=None):
    lead = people.make(YOUTH_UNION, name=lead_name, email=lead_email)
    add_member(team, lead, LEAD, start=local_today() - timedelta(days=120))
    members = [people.make(HEALTH_STATION)] + [people.make() for _ in range(size - 2)]
    for person in members:
        add_member(team, person, MEMBER, start=local_today() - timedelta(days=people.rng.randint(10, 300)))
    return lead, members


def load_demo() -> list[tuple[str, str, str]]:
    """Idempotent: a second run only resets the demo passwords. Returns (role, login, name)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(AdminUnit)) == 0:
        load_geography()
    ensure_catalogue()  # the kinds of work (the migration wrote them; a fresh test database is emptied)
    people = _People()
    if db.session.scalar(sa.select(Team.id).where(Team.level == "national")) is None:
        national = create_national_team("Tổ công tác Bộ TT&TT")
        minister = people.make(GOVERNMENT, name="Trần Quốc Bảo", email="bo@tocongnghe.vn")
        add_member(national, minister, LEAD)
        for code, roles in FOCUS_PROVINCES.items():
            pteam = create_province_team(code)
            for role in roles:
                affiliation = {CO_CHAIR_HEALTH: HEALTH_STATION, CO_CHAIR_ICT: GOVERNMENT}.get(role, GOVERNMENT)
                email = PROVINCE_LEAD_EMAILS.get(code) if role == CO_CHAIR_ICT else None
                holder = people.make(affiliation, email=email)
                add_member(pteam, holder, role, start=local_today() - timedelta(days=400))
            add_member(pteam, people.make(ENTERPRISE), MEMBER)
            add_member(pteam, people.make(YOUTH_UNION), MEMBER)
            communes = db.session.scalars(sa.select(AdminUnit).where(
                AdminUnit.level == COMMUNE_UNIT, AdminUnit.province_code == code)
                .order_by(AdminUnit.code).limit(FOCUS_COMMUNES)).all()
            for j, unit in enumerate(communes):
                team = create_commune_team(unit.code)
                if code == "01" and j == 0:
                    _fill_commune(team, people, 6, "Lê Thị Hương", "xa@tocongnghe.vn")
                    volunteer = people.make(YOUTH_UNION, name="Nguyễn Văn An", phone="0987654321")
                    add_member(team, volunteer, MEMBER, start=local_today() - timedelta(days=60))
                    # One former member, to show that ending a membership keeps history.
                    former = people.make(YOUTH_UNION)
                    end_membership(add_member(team, former, MEMBER, start=local_today() - timedelta(days=200)),
                                   end=local_today() - timedelta(days=30))
                else:
                    _fill_commune(team, people, people.rng.randint(3, 9))
        spread = db.session.scalars(sa.select(AdminUnit.code).where(
            AdminUnit.level == PROVINCE_UNIT, AdminUnit.code.not_in(list(FOCUS_PROVINCES)))).all()
        for code in spread:
            communes = db.session.scalars(sa.select(AdminUnit).where(
                AdminUnit.level == COMMUNE_UNIT, AdminUnit.province_code == code)
                .order_by(AdminUnit.code).limit(SPREAD_COMMUNES)).all()
            for unit in communes:
                _fill_commune(create_commune_team(unit.code), people, people.rng.randint(3, 9))
        _demo_tasks(people.rng)
        _demo_duty()
        _demo_emulation()
        demo_commendations()  # dev/demo_commend.py: ad-hoc waiting and decided, fairness
        _demo_movements()
        demo_assessment()  # dev/demo_assessment.py: Hà Nội's lead scores its approved team, with evidence
        seed_practices()
        _demo_confirm_broadcast()
        demo_policy()  # Hà Nội's default escalation policy (dev/demo_policy.py)
    _demo_alerts()  # every run: fresh shifts starting soon, so each `make run` shows the alerting
    logins = []
    for role, login in DEMO_LOGINS:
        person = find_by_phone(login) if "@" not in login else db.session.scalar(
            sa.select(Person).where(Person.email == login))
        _login(person)  # a second run resets the demo passwords
        logins.append((role, login, person.full_name))
    db.session.commit()
    return logins


def _demo_tasks(rng: random.Random) -> None:
    """Two national campaigns (today's VNeID level 2, and a 2021 data check), Hà Nội assignments with
    progress (online public services among them), one overdue, one blocked."""
    ministry = ensure_user(_person("bo@tocongnghe.vn"))
    hanoi = ensure_user(_person("hanoi@tocongnghe.vn"))
    today = local_today()
    assignment.assign(tasks.TaskSpec(kind="support_vneid_level2",
                                     title="Hướng dẫn người dân kích hoạt tài khoản định danh điện tử VNeID mức 2",
                                     due_date=today + timedelta(days=45), priority="high", target_count=500,
                                     target_unit="người dân"), assignment.Targeting(province_code=None), ministry.id)
    assignment.assign(tasks.TaskSpec(kind="support_online_public_services",
                                     title="Hướng dẫn nộp hồ sơ trên Cổng dịch vụ công quốc gia",
                                     due_date=today + timedelta(days=21), target_count=100, target_unit="người dân"),
                      assignment.Targeting(province_code="01"), hanoi.id)
    assignment.assign(tasks.TaskSpec(kind="data_verification", title="Rà soát danh sách tiêm chủng toàn quốc",
                                     due_date=today + timedelta(days=30), priority="high", target_count=300,
                                     target_unit="hồ sơ"), assignment.Targeting(province_code=None), ministry.id)
    assignment.assign(tasks.TaskSpec(kind="support_vaccination_registration",
                                     title="Hỗ trợ người dân đăng ký tiêm mũi nhắc", due_date=today + timedelta(days=14),
                                     target_count=200, target_unit="người dân"),
                      assignment.Targeting(province_code="01"), hanoi.id)
    assignment.assign(tasks.TaskSpec(kind="venue_qr_registration", title="Đăng ký mã QR cho chợ và siêu thị",
                                     due_date=today + timedelta(days=3), target_count=40, target_unit="địa điểm"),
                      assignment.Targeting(province_code="01", unit_type="Phường"), hanoi.id)
    db.session.flush()
    for task in db.session.scalars(sa.select(Task).where(Task.province_code == "01")).all():
        worker = db.session.scalar(sa.select(Membership.person_id).where(
            Membership.team_id == task.team_id, Membership.end_date.is_(None)).limit(1))
        if rng.random() < 0.7:
            tasks.report_progress(task, rng.randint(1, (task.target_count or 10) // 2), hanoi.id, worker,
                                  "Cập nhật từ tổ")
    qr = db.session.scalars(sa.select(Task).where(Task.kind == "venue_qr_registration")).all()
    if qr:
        qr[0].due_date = today - timedelta(days=2)  # overdue, to show how it looks
        if qr[-1].status == "in_progress":
            tasks.change_status(qr[-1], "blocked", hanoi.id, None, reason="Chủ chợ chưa cung cấp thông tin")
    _demo_campaign(hanoi.id, today)
    volunteer = find_by_phone("0987654321")
    mine = db.session.scalar(sa.select(Task).join(Membership, Membership.team_id == Task.team_id).where(
        Membership.person_id == volunteer.id, Task.kind == "support_vaccination_registration"))
    if mine:
        tasks.assign_person(mine, volunteer, hanoi.id, None)
        _demo_comments(mine, volunteer)


def _demo_comments(task: Task, volunteer: Person) -> None:
    """A conversation on the volunteer's task: the volunteer's photo of the help desk (drawn by
    dev/sample_photos, with a phone's GPS that the upload strips), the commune lead's answer, a reply."""
    lead = _person("xa@tocongnghe.vn")
    photo = photos.process(io.BytesIO(sample_photos.help_desk_photo()))
    first, _new = comments.add(task, "Sáng nay tổ hỗ trợ 14 người ở nhà văn hoá thôn Đông, ảnh kèm theo.",
                               ensure_user(volunteer).id, volunteer.id, photo)
    photos.write(current_app.config["TASK_PHOTO_DIR"], first.photo, photo.data)
    comments.add(task, "Cảm ơn An. Chiều mai em hỗ trợ tiếp các cụ ở thôn Tây nhé, nhớ mang danh sách.",
                 ensure_user(lead).id, lead.id)
    comments.add(task, "Dạ vâng, em sẽ báo lại số liệu sau buổi chiều.", ensure_user(volunteer).id, volunteer.id)


def _demo_campaign(lead_user_id: int, today) -> None:
    """Hà Nội's online public services campaign in progress (its page, /tasks/campaigns/<id>): two
    communes done, one blocked, one overdue, the others started or not yet."""
    work = db.session.scalars(sa.select(Task).where(Task.province_code == "01",
                                                    Task.kind == "support_online_public_services")
                              .order_by(Task.id)).all()
    for task in work[:2]:
        tasks.report_progress(task, task.target_count - task.done_count, lead_user_id, None, "Đã hướng dẫn đủ")
        tasks.change_status(task, "done", lead_user_id, None)
    if len(work) > 3:
        tasks.change_status(work[2], "blocked", lead_user_id, None, reason="Mất mạng ở nhà văn hoá khu phố")
        work[3].due_date = today - timedelta(days=1)  # overdue, to show how it looks


def _demo_emulation() -> None:
    """This month's targets for Hà Nội's commune teams, an approved commendation and a pending one."""
    hanoi, commune_lead = _person("hanoi@tocongnghe.vn"), _person("xa@tocongnghe.vn")
    first = local_today().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    team_ids = list(db.session.scalars(sa.select(Team.id).where(Team.level == "commune", Team.province_code == "01")))
    emulation.set_targets("01", team_ids, {"residents_helped": 60, "shift_coverage": 80, "tasks_on_time": 1},
                          first, last, ensure_user(hanoi).id)
    team = db.session.scalar(sa.select(Team).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                             .where(Team.level == "commune", Team.province_code == "01").order_by(AdminUnit.code))
    lead_user, province_user = ensure_user(commune_lead), ensure_user(hanoi)
    volunteer = find_by_phone("0987654321")
    approved = commendations.propose(scope_for_person(commune_lead.id), lead_user.id, team, volunteer,
                                     "Trực đủ các ca đêm và hỗ trợ hơn 100 người dân đăng ký tiêm mũi nhắc")
    commendations.review(scope_for_person(hanoi.id), approved, province_user.id)
    commendations.decide(scope_for_person(hanoi.id), approved, province_user.id, approve=True)
    commendations.propose(scope_for_person(commune_lead.id), lead_user.id, team, None,
                          "Tổ duy trì trực 24/7 suốt đợt cao điểm, không bỏ ca nào")


def _demo_movements() -> None:
    """A national special campaign and a Hà Nội movement side by side: the commune lead's team registered
    and approved in both, a second Hà Nội team waiting for approval, a third sent back."""
    ministry, hanoi, commune_lead = (_person(e) for e in ("bo@tocongnghe.vn", "hanoi@tocongnghe.vn",
                                                           "xa@tocongnghe.vn"))
    users = {p.id: ensure_user(p) for p in (ministry, hanoi, commune_lead)}
    today = local_today()
    national = movements.launch(
        scope_for_person(ministry.id), users[ministry.id].id, name="Chiến dịch 90 ngày đêm VNeID mức 2",
        theme="Mỗi người dân một tài khoản định danh điện tử", first=today - timedelta(days=20),
        last=today + timedelta(days=70), province_code=None,
        weights={"residents_helped": 3, "shift_coverage": 1, "alerts_ack_minutes": 1}, floors={"residents_helped": 100})
    province = movements.launch(
        scope_for_person(hanoi.id), users[hanoi.id].id, name="Thi đua chuyển đổi số Hà Nội 2026",
        theme="Tổ công nghệ cộng đồng đi từng ngõ, gõ từng nhà", first=today.replace(month=1, day=1),
        last=today.replace(month=12, day=31), province_code="01",
        weights={"residents_helped": 2, "shift_coverage": 1, "tasks_on_time": 1, "lead_assessed": 1}, floors={})
    ranked = db.session.scalars(sa.select(Team.id).join(AdminUnit, AdminUnit.code == Team.admin_unit_code)
                                .where(Team.level == "commune", Team.province_code == "01")
                                .order_by(AdminUnit.code)).all()
    for m, values in ((national, {"residents_helped": 150, "shift_coverage": 90, "alerts_ack_minutes": 15}),
                      (province, {"residents_helped": 400, "shift_coverage": 85, "tasks_on_time": 6, "lead_assessed": 80})):
        targets = {c.id: values[c.metric] for c in m.criteria}
        for i, team_id in enumerate(ranked[:3] if m is province else ranked[:1]):
            entry = movements.entry_for(m, team_id)
            movements.propose(scope_for_person(hanoi.id if i else commune_lead.id),
                              users[hanoi.id if i else commune_lead.id].id, m, entry,
                              {k: v * (1 if i != 2 else 0.1) for k, v in targets.items()})
            if i == 0:
                movements.decide(scope_for_person(hanoi.id), users[hanoi.id].id, m, entry, approve=True)
            elif i == 2:
                movements.decide(scope_for_person(ministry.id), users[ministry.id].id, m, entry, approve=False,
                                 reason="Chỉ tiêu thấp hơn nhiều so với số dân của phường")


def _person(email: str):
    return db.session.scalar(sa.select(Person).where(Person.email == email))


def _demo_duty() -> None:
    """24/7 cover for Phường Ba Đình: three 8-hour shifts a day for two weeks, the volunteer on the
    shift running now with someone checked in, and the demo team's lead as backup."""
    team = db.session.scalar(sa.select(Team).join(Membership, Membership.team_id == Team.id).join(Person).where(
        Person.email == "xa@tocongnghe.vn", Team.level == "commune"))
    rota.generate(team, rota.RotaSpec(name="Trực 24/7", first_start="06:00", shift_hours=8, shifts_per_day=3,
                                      required=2), local_today() - timedelta(days=1), local_today() + timedelta(days=13))
    now = utcnow()
    current = db.session.scalar(sa.select(Shift).where(Shift.team_id == team.id, Shift.starts_at <= now,
                                                       Shift.ends_at > now))
    volunteer, lead = find_by_phone("0987654321"), _person("xa@tocongnghe.vn")
    members = db.session.scalars(sa.select(Person).join(Membership).where(
        Membership.team_id == team.id, Membership.end_date.is_(None), Person.id.not_in([volunteer.id, lead.id]))
        .order_by(Person.id)).all()
    upcoming = db.session.scalars(sa.select(Shift).where(Shift.team_id == team.id, Shift.starts_at > now)
                                  .order_by(Shift.starts_at).limit(6)).all()
    rota.assign(current, members[0], "primary")
    rota.assign(current, lead, "backup")
    for i, shift in enumerate(upcoming):
        rota.assign(shift, volunteer if i % 2 == 0 else members[(i % (len(members) - 1)) + 1], "primary")
    checkins.record_checkins(ensure_user(members[0]).id, [{  # they checked in from the duty app
        "client_uuid": str(uuid.uuid4()), "kind": "in", "occurred_at": (current.starts_at + timedelta(minutes=3)).isoformat()}])
    _demo_swap(upcoming, volunteer, now)
    _demo_pattern(team, [volunteer, lead] + list(members))


def _demo_pattern(team, people) -> None:
    """A named pattern on the week grid (issue 19 §1), saved, not applied: *Lịch trực tuần* lists it
    to apply to the coming weeks. Names as the lead would type them; saved again on a second load."""
    a, b, c, d = people[:4]
    patterns.save_pattern(team, "Ba ca mỗi ngày", f"hằng ngày 06:00-14:00: {a.full_name} chính, {b.full_name} dự phòng\n"
                                                  f"hằng ngày 14:00-22:00: {c.full_name} chính, {a.full_name} dự phòng\n"
                                                  f"T2-T6 22:00-06:00: {d.full_name} chính", 2)


def _demo_swap(upcoming, volunteer, now) -> None:
    """A teammate asks the volunteer to take their shift (issue 19 §2): /duty/ shows the request."""
    if changes.asked_of(volunteer.id, now):  # loaded again
        return
    for shift in upcoming:
        place = db.session.scalar(sa.select(ShiftAssignment).where(ShiftAssignment.shift_id == shift.id,
                                                                  ShiftAssignment.person_id != volunteer.id))
        if place is None or not changes.can_still_give_back(shift.starts_at, now, changes.cutoff()):
            continue
        try:
            changes.ask_swap(shift, place.person, volunteer, ensure_user(place.person).id, now)
            return
        except DomainError:
            continue


def _demo_alerts() -> None:
    """Two extra shifts so a new user sees the alerting within minutes of `make run`: one the
    volunteer starts in 9 minutes (the 10-minute reminder is due at once), and one that started
    9 minutes ago whose primary has not shown up (backup in a minute, then the commune lead with an
    acknowledgement link, then the province's leads)."""
    team = db.session.scalar(sa.select(Team).join(Membership, Membership.team_id == Team.id).join(Person).where(
        Person.email == "xa@tocongnghe.vn", Team.level == "commune"))
    volunteer, lead = find_by_phone("0987654321"), _person("xa@tocongnghe.vn")
    members = db.session.scalars(sa.select(Person).join(Membership).where(
        Membership.team_id == team.id, Membership.end_date.is_(None), Person.id.not_in([volunteer.id, lead.id]))
        .order_by(Person.id)).all()
    now = utcnow()
    next_own = db.session.scalar(sa.select(sa.func.min(Shift.starts_at)).join(
        ShiftAssignment, ShiftAssignment.shift_id == Shift.id).where(
        Shift.starts_at > now, ShiftAssignment.person_id == volunteer.id))
    soon = now + timedelta(minutes=9)
    end = min(soon + timedelta(hours=1), next_own or soon + timedelta(hours=1))
    plans = [(soon, end, 1, "Hỗ trợ tiêm chủng lưu động (demo)", [("primary", [volunteer])]),
             (now - timedelta(minutes=9), now + timedelta(hours=2), 2,
              "Trực điểm khai báo y tế (demo: người trực chưa đến)", [("primary", members), ("backup", members)])]
    for starts, ends, required, note, roles in plans:
        if ends - starts < timedelta(minutes=30) or db.session.scalar(sa.select(Shift.id).where(
                Shift.team_id == team.id, Shift.note == note, Shift.ends_at > now)):  # an earlier run's is still on
            continue
        try:
            with db.session.begin_nested():  # a clash with an earlier run's demo shift: skip this one
                shift = rota.add_shift(team, starts, ends, required=required, note=note)
                for role, candidates in roles:
                    if not any(_try_assign(shift, person, role) for person in candidates):
                        raise DomainError("nobody free")
        except DomainError:
            continue


def _demo_confirm_broadcast() -> None:
    """A broadcast that asked Hà Nội's first three commune teams to confirm, sent an hour ago: all
    delivered but one (failed), about half confirmed (by link or SMS reply); the demo volunteer has
    not answered yet, so the lead's broadcasts page shows who to remind."""
    now = utcnow()
    teams = db.session.scalars(sa.select(Team.id).where(Team.province_code == "01", Team.level == "commune")
                               .order_by(Team.id).limit(3)).all()
    lead_user = ensure_user(_person("hanoi@tocongnghe.vn"))
    sent = broadcasts.send(lead_user.id, "01", "communes", teams,
                           "Đề nghị các tổ xác nhận: họp trực tuyến triển khai Bình dân học vụ số lúc 14:00 thứ Sáu.",
                           urgent=False, now=now - timedelta(hours=1), confirm=True)
    rows = db.session.scalars(sa.select(Message).where(Message.broadcast_id == sent.id).order_by(Message.id)).all()
    volunteer = find_by_phone("0987654321")
    for i, message in enumerate(rows):
        message.status, message.attempts = (FAILED if i == 1 else DELIVERED), 1
        message.sent_at = message.updated_at = now - timedelta(minutes=59)
        if i == 1:
            message.error_code, message.error_message = "30003", "Unreachable destination handset"
        elif i % 2 == 0 and message.person_id != volunteer.id:
            db.session.flush()
            confirmations.confirm(message, now - timedelta(minutes=50 - i))


def _try_assign(shift, person, role: str) -> bool:
    """Assign if the person is free then (no overlapping shift); False otherwise."""
    try:
        with db.session.begin_nested():
            rota.assign(shift, person, role)
        return True
    except DomainError:
        return False

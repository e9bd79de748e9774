"""Human labels for stored codes, translated; available in templates as `labels`."""
from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from models.teams import (CO_CHAIR_HEALTH, CO_CHAIR_ICT, ENTERPRISE, GOVERNMENT, HEALTH_STATION, LEAD,
    LEADER_IN_CHARGE, MEMBER, OTHER, YOUTH_UNION)

from coordination.tasks import kinds as work_kinds
from coordination.web.i18n import get_locale

AFFILIATION = {
    YOUTH_UNION: _l("Youth union"),
    ENTERPRISE: _l("Enterprise"),
    HEALTH_STATION: _l("Health station"),
    GOVERNMENT: _l("Government"),
    OTHER: _l("Other"),
}
ROLE = {
    CO_CHAIR_HEALTH: _l("Co-chair (Department of Health)"),
    CO_CHAIR_ICT: _l("Co-chair (Department of ICT)"),
    LEADER_IN_CHARGE: _l("Provincial leader in charge"),
    LEAD: _l("Team lead"),
    MEMBER: _l("Member"),
}


def roles(codes) -> str:
    """Roles named in the reader's language, in order: 'Co-chair (Department of ICT), Provincial leader in charge'."""
    return ", ".join(str(ROLE[code]) for code in codes)


def kinds() -> dict[str, str]:
    """Every kind of work, retired ones too, {code: name in the reader's language} in the catalogue's
    order; read once per request."""
    if "work_kinds" not in g:
        language = get_locale()
        g.work_kinds = {k.code: k.name(language) for k in work_kinds.catalogue()}
    return g.work_kinds


def kind(code: str) -> str:
    """A task's kind named from the catalogue (its code if the catalogue lacks it)."""
    return kinds().get(code, code)


def active_kind_choices() -> list[tuple[str, str]]:
    """The kinds a new task may be: retired ones left out."""
    language = get_locale()
    return [(k.code, k.name(language)) for k in work_kinds.active()]


PRIORITY = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
STATUS = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "blocked": _l("Blocked"),
    "cancelled": _l("Cancelled"),
}
ACTION = {  # the button that moves a task to a status
    "in_progress": _l("Start"),
    "done": _l("Mark done"),
    "blocked": _l("Blocked…"),
    "open": _l("Back to open"),
}
CAMPAIGN_STATE = {  # a commune's task in a campaign (coordination.tasks.campaigns.STATES)
    "done": _l("Done"), "blocked": _l("Blocked"), "overdue": _l("Overdue"), "started": _l("Started"),
    "not_started": _l("Not started"), "cancelled": _l("Cancelled"),
}
UNIT_TYPE = {"Phường": _l("Wards (phường)"), "Xã": _l("Communes (xã)"), "Đặc khu": _l("Special zones (đặc khu)")}


def choices(mapping: dict) -> list[tuple[str, object]]:
    return list(mapping.items())
SMS_STATUS = {"queued": _l("queued"), "sending": _l("sending"), "sent": _l("sent"), "delivered": _l("delivered"),
              "failed": _l("failed"), "undelivered": _l("undelivered"), "not_sent": _l("not sent")}
SMS_PURPOSE = {"reminder": _l("Reminder"), "escalation": _l("Escalation"), "handoff": _l("Handoff digest"), "broadcast": _l("Broadcast"),
               "ack_request": _l("Please confirm"), "invitation": _l("Invitation"), "task_notice": _l("Task notice"), "other": _l("Other")}
MESSAGE_CHANNEL = {"sms": _l("SMS"), "voice": _l("Voice call"), "push": _l("Push notification")}
CALL_OUTCOME = {"busy": _l("The line was busy: not acknowledged."), "no-answer": _l("Nobody answered: not acknowledged."),
                "failed": _l("The call could not be placed."), "canceled": _l("The call was cancelled.")}
REPORT_METRIC = {
    "commune_teams": _l("Commune teams"),
    "teams_formed": _l("Teams formed this month"),
    "teams_complete": _l("Complete teams (a lead and 3+ members)"),
    "members": _l("Members"),
    "coverage": _l("Shift coverage (%)"),
    "hours": _l("Hours on duty"),
    "tasks_created": _l("Tasks created"),
    "tasks_done": _l("Tasks done"),
    "alerts": _l("SMS alerts"),
    "alerts_sent": _l("SMS sent"),
    "alerts_delivered": _l("SMS delivered"),
    "alerts_failed": _l("SMS failed"),
    "alerts_acknowledged": _l("SMS acknowledged"),
}
AUDIT_ENTITY = {
    "team": _l("Team"), "membership": _l("Membership"), "person": _l("Person"), "task": _l("Task"),
    "shift": _l("Shift"), "rota": _l("Rota"), "broadcast": _l("Broadcast"), "user": _l("Account and login"),
    "import_batch": _l("Import"), "api_token": _l("API token"), "sms": "SMS",
    "work_kind": _l("Kind of work"), "commendation": _l("Commendation"), "target": _l("Target"),
    "movement": _l("Emulation movement"),
    "practice": _l("Good practice"),
    "escalation_policy": _l("Escalation policy"),
}
AUDIT_ACTION = {
    "create": _l("added"), "update": _l("changed"), "end": _l("ended"), "login": _l("logged in"),
    "login_failed": _l("failed login"), "invite": _l("invited"), "accept_invitation": _l("accepted the invitation"),
    "revoke": _l("revoked"), "generate": _l("generated shifts"), "assign": _l("assigned"),
    "unassign": _l("removed from shift"), "reassign": _l("reassigned"), "swap": _l("swapped"),
    "give_back": _l("gave a shift back"), "ask_swap": _l("asked a teammate to take a shift"),
    "take_over": _l("took over a shift"), "decline_swap": _l("declined a shift"),
    "cancel_change": _l("withdrew a shift request"), "refuse_change": _l("refused a shift change"),
    "override": _l("put a replacement on a shift"), "release": _l("released a given-back shift"),
    "status": _l("changed status"), "progress": _l("reported progress"), "cancel": _l("cancelled"),
    "broadcast": _l("sent a broadcast"), "import": _l("imported a spreadsheet"),
    "reset_password": _l("issued a password reset"), "refused": _l("was refused (outside their scope)"),
    "launch": _l("launched a movement"), "register": _l("registered targets"),
    "approve_registration": _l("approved targets"), "return_registration": _l("sent targets back"),
    "remind": _l("sent a reminder"),
    "submit": _l("sent for review"), "publish": _l("published"), "send_back": _l("sent back"),
    "apply": _l("marked as applied"),
}
PRACTICE_STATE = {"draft": _l("Draft"), "submitted": _l("Waiting for review"), "published": _l("Published"),
                  "returned": _l("Sent back")}
PRACTICE_REACH = {"province": _l("Province-wide"), "national": _l("Nationwide")}
REPORT_SHORT = {  # column heads of the per-province / per-commune table
    "commune_teams": _l("Teams"), "teams_complete": _l("Complete"), "members": _l("Members"),
    "coverage": _l("Coverage %"), "hours": _l("Hours"), "tasks_done": _l("Tasks done"), "alerts_failed": _l("SMS failed"),
}
TARGET_METRIC = {
    "residents_helped": _l("Residents helped"), "venues_registered": _l("Venues registered"),
    "shift_coverage": _l("Shift coverage (%)"), "tasks_on_time": _l("Tasks done on time"),
}
CRITERION = {**TARGET_METRIC, "alerts_acknowledged": _l("Alerts acknowledged (%)"),
             "practices_applied": _l("Good practices applied"),
             "alerts_ack_minutes": _l("Median minutes to acknowledge an alert (lower is better)"),
             "lead_assessed": _l("Assessed by the level above (0–100)")}
CRITERION_METHOD = {  # how the platform computes each criterion, shown on the movement page
    "residents_helped": _l("The progress reported during the movement on the team's tasks of the kinds of work "
                           "that help residents (VNeID, online public services, cashless payments…), each report "
                           "counted once."),
    "venues_registered": _l("The progress reported during the movement on the team's venue QR registration "
                            "tasks."),
    "shift_coverage": _l("The share of the team's shifts started during the movement with at least one check-in "
                         "(a team without shifts counts 0 %)."),
    "tasks_on_time": _l("The team's tasks done during the movement on or before their due date (Vietnam dates)."),
    "alerts_acknowledged": _l("Of the team's shifts during the movement that needed an escalation alert, the share "
                              "where someone acknowledged it."),
    "practices_applied": _l("The team's good practices published during the movement, plus the times other teams "
                            "marked one of them as applied during the movement."),
    "alerts_ack_minutes": _l("For each of the team's shifts during the movement that needed an escalation alert: the "
                             "minutes from its first alert to the first acknowledgement; the figure is the median over "
                             "the acknowledged shifts. Lower is better: at or under the registered minutes counts in "
                             "full, above it registered ÷ measured. A team that needed no alert counts in full; one "
                             "whose alerts nobody acknowledged counts 0. Where the organiser set a maximum, a higher "
                             "registered figure is measured against the maximum."),
    "lead_assessed": _l("A score from 0 to 100 given by the level above the team (a lead of its province, or the "
                        "ministry) with a note and a link to the evidence; never by the team's own leads. A team "
                        "not yet assessed counts 0."),
}
REGISTRATION = {"unregistered": _l("Not registered"), "proposed": _l("Waiting for approval"),
                "approved": _l("Registered"), "returned": _l("Sent back")}
SHIFT_ROLE = {"primary": _l("Primary"), "backup": _l("Backup"), "member": _l("On duty")}
AUDIENCE = {  # who a broadcast goes to
    "province": _l("Everyone in the province's teams"), "communes": _l("The commune teams I tick"),
    "on_duty": _l("Everyone on duty now"), "on_call": _l("Everyone on a shift now (on-call list)"),
}
COMMENDATION_STATUS = {"proposed": _l("proposed"), "reviewed": _l("reviewed"), "approved": _l("approved"),
                       "rejected": _l("rejected")}

"""Every blueprint, registered on the app; the two that check their own requests are CSRF-exempt."""
from __future__ import annotations

from flask import Flask

from coordination.web import (  # one per line: branches that add a blueprint then merge cleanly
    audit_log,
    auth,
    broadcasts,
    calendar,
    campaigns,
    contacts,
    escalation_policies,
    duty,
    emulation,
    honour,
    imports,
    labels,
    main,
    maps,
    messages,
    movements,
    ops,
    people,
    practices,
    provinces,
    reports,
    rota_week,
    sms_hooks,
    task_comments,
    tasks,
    teams,
    voice_hooks,
    work_kinds,
)
from coordination.web.api import core as api, comments as api_comments, duty as api_duty, push as api_push, tasks as api_tasks  # noqa: F401,E501 - routes on api.bp
from coordination.web.api import duty_changes as api_duty_changes  # noqa: F401 - routes on api.bp
from coordination.web.extensions import csrf

BLUEPRINTS = [
    auth, main, maps, provinces, teams, people, imports, reports, audit_log, emulation, movements, tasks, campaigns,
    task_comments, work_kinds, duty, rota_week,
    calendar,
    contacts,
    escalation_policies,
    honour,
    messages, broadcasts, api, sms_hooks,
    voice_hooks,
    ops,
    practices,
]


def register_blueprints(app: Flask) -> None:
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    app.jinja_env.globals["labels"] = labels
    csrf.exempt(api.bp)  # the API checks CSRF itself for cookie sessions
    csrf.exempt(sms_hooks.bp)  # Twilio signs its requests instead
    csrf.exempt(voice_hooks.bp)

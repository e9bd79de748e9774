"""My contact chain on /account: the delay of each channel in an escalation, push and the call
switched off, back to the default (rules: coordination/messaging/contacts.py)."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coordination.messaging import contacts, push_devices
from coordination.web.forms import ActionForm
from coordination.web.helpers import saved

bp = Blueprint("contacts", __name__)


def view(person) -> dict:
    """What the /account section shows: the chain in order, each channel's delay (None: off), the
    choices, whether it is the default, and whether push and calls can reach this person at all."""
    chain = contacts.chain_of(person.id)
    delays = {c: None for c in contacts.ORDER} | {s.channel: s.delay for s in chain}
    return {"chain": chain, "delays": delays, "choices": list(range(contacts.max_delay() + 1)),
            "default": contacts.is_default(person.id), "devices": push_devices.device_count(person.id),
            "calls": bool(current_app.config.get("ALERT_CALL_STEPS"))}


@bp.post("/account/contacts")
@login_required
def save():
    person = current_user.person
    if ActionForm().validate_on_submit():
        with saved(_("Your contact chain is saved.")):
            if request.form.get("reset"):
                contacts.reset(person)
            else:
                contacts.save(person, contacts.parse(request.form))
    return redirect(url_for("auth.account") + "#contacts")

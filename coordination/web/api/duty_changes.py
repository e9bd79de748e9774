"""/api/v1 for rota changes from /duty/ (issue 19 §2): give my shift back, ask a teammate to take it,
answer a request, withdraw mine. Anything not mine is a plain 404, whoever asks; the rules (cut-off,
deadline, two shifts at once, a second tap) are coordination/duty/changes."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from models import Shift, ShiftChange, db

from coordination.duty import changes, rota
from coordination.web.login import current_scope
from coordination.clock import to_local
from coordination.core.errors import ValidationError
from coordination.web.api.core import bp
from coordination.web.api.json_input import flag, whole


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise ValidationError(_("Send a JSON object in the request body."))
    return data


def _my_shift(shift_id: int) -> Shift:
    """A shift of a team I am a member of, with a place of mine on it."""
    shift = db.session.get(Shift, shift_id)
    if (shift is None or shift.team_id not in current_scope().member_teams
            or changes.my_place(shift, current_user.person_id) is None):
        abort(404)
    return shift


def _change(change_id: int, mine_as: str) -> ShiftChange:
    change = db.session.get(ShiftChange, change_id)
    person_id = current_user.person_id
    if change is None or getattr(change, mine_as) != person_id:
        abort(404)
    return change


def change_json(c: ShiftChange) -> dict:
    return {"id": c.id, "shift_id": c.shift_id, "kind": c.kind, "state": c.state, "role": c.role,
            "from": c.from_person.full_name if c.from_person else None,
            "to": c.to_person.full_name if c.to_person else None,
            "deadline_at": c.deadline_at.isoformat(), "deadline": f"{to_local(c.deadline_at):%H:%M %d/%m}",
            "when": changes.when(c)}


def _taken(result: changes.Taken, ok_status: int = 200):
    if result.change is None and result.warnings:  # nothing saved: the person confirms first
        return jsonify(error=" ".join(result.warnings), warnings=result.warnings, needs_confirmation=True,
                       status=409), 409
    db.session.commit()
    return jsonify(change=change_json(result.change) if result.change else None, warnings=result.warnings), ok_status


@bp.post("/api/v1/shifts/<int:shift_id>/give-back")
def give_back(shift_id: int):
    """I cannot stand this shift: my teammates can take my place until the deadline."""
    shift = _my_shift(shift_id)
    change = changes.give_back(shift, current_user.person, current_user.id)
    db.session.commit()
    return jsonify(change=change_json(change)), 201


@bp.post("/api/v1/shifts/<int:shift_id>/swap")
def ask_swap(shift_id: int):
    """I ask one teammate (person_id) to take my place; they answer on /duty/."""
    shift = _my_shift(shift_id)
    teammate = rota.team_member(shift.team_id, whole(_body(), "person_id", required=True))
    if teammate is None:  # anyone else is not answered with their name; free then: changes.ask_swap
        raise ValidationError(_("Choose a member of the team."), field="person_id")
    change = changes.ask_swap(shift, current_user.person, teammate, current_user.id)
    db.session.commit()
    return jsonify(change=change_json(change)), 201


@bp.post("/api/v1/shift-changes/<int:change_id>/accept")
def accept_change(change_id: int):
    """The teammate asked takes the place (confirmed: true after the rest warnings)."""
    change = _change(change_id, "to_person_id")
    return _taken(changes.accept(change, current_user.person, flag(_body(), "confirmed", False), current_user.id))


@bp.post("/api/v1/shift-changes/<int:change_id>/decline")
def decline_change(change_id: int):
    change = _change(change_id, "to_person_id")
    changes.decline(change, current_user.person, current_user.id)
    db.session.commit()
    return jsonify(change=change_json(change))


@bp.post("/api/v1/shift-changes/<int:change_id>/cancel")
def cancel_change(change_id: int):
    """I withdraw my give-back or my request (I keep the shift)."""
    change = _change(change_id, "from_person_id")
    changes.cancel(change, current_user.person, current_user.id)
    db.session.commit()
    return jsonify(change=change_json(change))


def claim(shift: Shift, shift_json: dict):
    """The one-tap take from /duty/: a given-back place first, else an empty one; after rest
    warnings, nothing is saved until the person confirms (confirmed: true)."""
    result = changes.take(shift, current_user.person, flag(_body(), "confirmed", False), current_user.id)
    if result.change is None and result.warnings:
        return _taken(result)
    db.session.commit()
    place = changes.my_place(shift, current_user.person_id)
    return jsonify(shift=shift_json, role=place.role if place else None, warnings=result.warnings,
                   change=change_json(result.change) if result.change else None), 201

"""People: a scoped directory, a person's page, editing."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Person, db

from coordination.core import audit, permissions
from coordination.web.login import current_scope
from coordination.core.errors import DomainError
from coordination.org import accounts, overview
from coordination.org.people import directory, update_person
from coordination.web.forms import ActionForm, PersonForm
from coordination.web.helpers import form_error, get_or_404, page_arg, refuse_unless, require

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.get("")
@login_required
def index():
    scope = current_scope()
    q = request.args.get("q", "")
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    rows = directory(scope, q, limit=size + 1, offset=(page - 1) * size)
    return render_template("people.html", people=rows[:size], q=q, page=page, has_next=len(rows) > size)


@bp.get("/<int:person_id>")
@login_required
def show(person_id: int):
    person = get_or_404(Person, person_id)
    scope = current_scope()
    require(permissions.can_view_person(scope, person))
    memberships = overview.person_memberships(person.id)
    user = accounts.user_of(person.id)
    return render_template("person.html", person=person, memberships=memberships, user=user,
                           can_edit=permissions.can_edit_person(scope, person),
                           can_invite=permissions.can_invite(scope, person), action=ActionForm())


def refused_over(person: Person, action: str, allowed: bool) -> None:
    """404 unless allowed; a refusal over this (existing) person goes into the audit trail."""
    province, team = audit.person_home(person.id)
    refuse_unless(allowed, action, "person", person.id, province, team)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit(person_id: int):
    person = get_or_404(Person, person_id)
    refused_over(person, "edit", permissions.can_edit_person(current_scope(), person))
    form = PersonForm(obj=person)
    if form.validate_on_submit():
        try:
            update_person(person, form.person_input(), actor_id=current_user.id)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("people.show", person_id=person.id))
        except DomainError as err:
            form_error(form, err)
    return render_template("person_edit.html", form=form, person=person), 400 if form.is_submitted() else 200

"""Log in and out, accept an invitation, choose a language, manage personal API tokens."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import db

from coordination.core import permissions
from coordination.org import accounts
from coordination.core.errors import DomainError, RateLimited
from coordination.web.i18n import LANG_COOKIE
from coordination.web.forms import ActionForm, LoginForm, SetPasswordForm, TokenForm
from coordination.web import contacts
from coordination.web.helpers import client_ip, form_error, safe_next
from coordination.web.login import current_scope

bp = Blueprint("auth", __name__)


def _login_limits() -> tuple[int, int, int]:
    """Failures per account, the window in minutes, failures per address (accounts.authenticate)."""
    config = current_app.config
    return config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_MINUTES"], config["LOGIN_MAX_FAILURES_PER_IP"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.identifier.data, form.password.data, client_ip(), *_login_limits())
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next"), url_for(_landing())))
        except DomainError as err:
            form_error(form, err, "password")
            status = 429 if isinstance(err, RateLimited) else 200
    return render_template("login.html", form=form), status


def _landing() -> str:
    """Where a login without a `next` lands: a volunteer's work is on duty (the check-in app),
    everyone else's on the home page (their province, team or the national overview)."""
    g.pop("scope", None)  # built for the anonymous visitor earlier in this request, if at all
    return "duty.app_shell" if current_scope().role == permissions.VOLUNTEER else "main.home"


@bp.post("/logout")
@login_required
def logout():
    """Ends the session for good: a copied cookie (or remember cookie) stops working too.
    The version is per account, so this signs the person out on their other devices as well."""
    _end_sessions()
    return redirect(url_for("auth.login"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    _end_sessions()
    flash(_("You are signed out on every device."), "success")
    return redirect(url_for("auth.login"))


def _end_sessions() -> None:
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    accounts.audit.record(user.id, "logout", "user", user.id)
    db.session.commit()
    logout_user()


def _accepted(token: str, password: str, reset: bool):
    user = accounts.accept_invitation(token, password)
    db.session.commit()
    login_user(user)
    flash(_("Your new password is set.") if reset else _("Your password is set. Welcome!"), "success")
    return redirect(url_for("main.home"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        invite = accounts.find_invitation(token)
    except DomainError as err:
        return render_template("error.html", status=404, message=str(err)), 404
    reset = invite.purpose == accounts.RESET
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            return _accepted(token, form.password.data, reset)
        except DomainError as err:
            form_error(form, err, "password")
    return render_template("invitation.html", form=form, person=invite.user.person, reset=reset)


@bp.post("/lang/<code>")
def set_language(code: str):
    """Switch language; remembered on the account when logged in, in a cookie otherwise."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["LANGUAGES"][0]
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    response = redirect(safe_next(request.form.get("next"), url_for("main.home")))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _token, new_token = accounts.issue_api_token(current_user, form.name.data)
            db.session.commit()
        except DomainError as err:
            form_error(form, err, "name")
    return render_template("account.html", form=form, tokens=accounts.api_tokens(current_user.id), new_token=new_token,
                           action=ActionForm(), contact=contacts.view(current_user.person))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    try:
        accounts.revoke_api_token(current_user, token_id)
        db.session.commit()
        flash(_("Token revoked."), "success")
    except DomainError as err:
        flash(str(err), "error")
    return redirect(url_for("auth.account"))

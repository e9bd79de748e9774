"""flask-login wiring: session users for pages, Bearer tokens for the JSON API."""
from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from models import User, db

from coordination.core import permissions
from coordination.org.accounts import user_for_token

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str):
    """Session and remember cookie hold 'id:session_version' (User.get_id); an old version means the
    session was ended (logout, password change, "log out everywhere") and is refused."""
    uid, _sep, version = (user_id or "").partition(":")
    if not (uid.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.is_active_account or user.session_version != int(version):
        return None
    return user


@login_manager.request_loader
def load_user_from_bearer(req):
    """Personal API tokens, for /api/ only. The token carries its owner's scope."""
    header = req.headers.get("Authorization", "")
    if req.path.startswith("/api/") and header.startswith("Bearer "):
        user = user_for_token(header[7:].strip())
        if user is not None:
            g.via_token = True
        return user
    return None


def current_scope() -> permissions.Scope:
    """The signed-in user's scope, built once per request."""
    if "scope" not in g:
        g.scope = (permissions.scope_for_person(current_user.person_id)
                   if current_user.is_authenticated else permissions.ANONYMOUS)
    return g.scope


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @app.context_processor
    def _inject_scope():
        return {"scope": current_scope()}

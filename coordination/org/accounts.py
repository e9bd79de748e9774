"""Accounts: password login with rate limiting, invitations, personal API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from models import ApiToken, Invitation, LoginAttempt, Membership, Person, Team, User, db
from models.messages import INVITATION

from coordination.core import audit
from coordination.messaging import outbox
from coordination.org import login_throttle
from coordination.core.errors import Conflict, NotFound, RateLimited, ValidationError
from coordination.core.text import clean_line
from coordination.org.people import normalise_email, normalise_phone
from coordination.clock import utcnow

MIN_PASSWORD = 8
MAX_PASSWORD = 200
TOKEN_PREFIX = "tcn_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _identifier(raw: str) -> str:
    """Canonical login identifier: an email (lower case) or an E.164 phone."""
    text = (raw or "").strip()[:254]
    try:
        return normalise_email(text) if "@" in text else normalise_phone(text)
    except ValidationError:
        return text.lower()


def _password_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash of nothing, same method and cost as real ones: unknown accounts take as long as known ones."""
    method = _password_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


def authenticate(identifier: str, password: str, ip: str = "?", max_failures: int = 5,
                 window_minutes: int = 15, ip_max_failures: int = 100) -> User:
    """Log in by phone or email. Counts the attempt atomically first (login_throttle); records every
    attempt; commits. Exactly one password hash is checked whether or not the account exists."""
    ident = _identifier(identifier)
    ip = (ip or "?")[:45]
    person_col = Person.email if "@" in ident else Person.phone
    wait = login_throttle.take(ident, ip, max_failures, ip_max_failures, window_minutes)
    user = db.session.scalar(sa.select(User).join(Person).where(person_col == ident))
    if wait:
        province, team = audit.person_home(user.person_id if user else None)
        audit.record(None, "login_limited", "user", user.id if user else None,
                     after={"identifier": ident, "ip": ip, "wait_minutes": wait},
                     province_code=province, team_id=team)
        db.session.commit()
        raise RateLimited(_l("Too many failed attempts. Wait %(n)d minutes and try again.", n=wait))
    usable = bool(user and user.password_hash and user.is_active_account)
    matches = check_password_hash(user.password_hash if usable else _dummy_hash(), (password or "")[:MAX_PASSWORD])
    ok = usable and matches
    db.session.add(LoginAttempt(identifier=ident, ip=ip, success=ok, at=utcnow()))
    province, team = audit.person_home(user.person_id if user else None)
    audit.record(user.id if user else None, "login" if ok else "login_failed", "user",
                 user.id if user else None, after={"identifier": ident, "ip": ip},
                 province_code=province, team_id=team)
    if ok:
        user.last_login_at = utcnow()
        login_throttle.succeeded(ident, ip)
    db.session.commit()
    if not ok:
        raise ValidationError(_l("Wrong phone/email or password."), field="password")
    return user


def validate_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(_l("Use at least %(n)d characters.", n=MIN_PASSWORD), field="password")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(_l("Use at most %(n)d characters.", n=MAX_PASSWORD), field="password")
    return password


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session of the account (a stolen cookie stops working);
    a caller acting for the signed-in person logs them in again (login_user) to keep this device."""
    user.password_hash = generate_password_hash(validate_password(password), method=_password_method())
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of the account: they carry the old session_version.
    One UPDATE, so two requests ending sessions at once both count."""
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user, ["session_version"])


def ensure_user(person: Person) -> User:
    user = db.session.scalar(sa.select(User).where(User.person_id == person.id))
    if user is None:
        user = User(person_id=person.id)
        db.session.add(user)
        db.session.flush()
    return user


INVITE, RESET = "invite", "reset"


def create_invitation(person: Person, actor_id: Optional[int], ttl_hours: int = 72,
                      purpose: str = INVITE) -> tuple[Invitation, str]:
    """A one-time link to set a password. Returns the row and the raw token (shown once).
    An INVITE sets a first password only: refused for an account that already has one, which
    needs an explicit RESET (the caller checks the same authority, `permissions.can_invite`)."""
    user = ensure_user(person)
    if purpose == INVITE and user.password_hash:
        raise Conflict(_l("This person already has a password: reset it instead."))
    if purpose not in (INVITE, RESET):
        raise ValidationError(_l("Unknown invitation purpose."))
    raw = secrets.token_urlsafe(24)
    invitation = Invitation(user_id=user.id, token_hash=_digest(raw), created_by_id=actor_id, purpose=purpose,
                            expires_at=utcnow() + timedelta(hours=ttl_hours))
    db.session.add(invitation)
    db.session.flush()
    province, team = audit.person_home(person.id)
    audit.record(actor_id, "invite" if purpose == INVITE else "reset_password", "user", user.id,
                 after={"person_id": person.id, "expires_at": invitation.expires_at},
                 province_code=province, team_id=team)
    return invitation, raw


def send_invitation(person: Person, actor_id: Optional[int], link_for: Callable[[str], str], ttl_hours: int = 72,
                    purpose: str = INVITE) -> str:
    """Create the invitation (or reset) link and queue its SMS; returns the link, which the lead sees
    once. A fixed line never gets an SMS queued to fail: the lead passes the link on. `link_for`
    turns the raw token into the public URL."""
    invitation, raw = create_invitation(person, actor_id, ttl_hours, purpose)
    link = link_for(raw)
    province = db.session.scalar(sa.select(Team.province_code).join(Membership).where(
        Membership.person_id == person.id, Membership.end_date.is_(None), Team.province_code.is_not(None)).limit(1))
    what = "dat lai mat khau" if purpose == RESET else "dat mat khau"  # SMS text is unaccented
    if person.sms_capable:
        outbox.enqueue(person, f"To cong nghe cong dong: {what} tai {link}", INVITATION,
                       dedupe_key=f"invitation/{invitation.id}", province_code=province)
    return link


def find_invitation(raw: str) -> Invitation:
    """The usable invitation for a token; expired, used or unknown ones are not found."""
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == _digest(raw or "")))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow() \
            or (invitation.purpose != RESET and invitation.user.password_hash):
        raise NotFound(_l("This invitation link is invalid, used or expired. Ask your team lead for a new one."))
    return invitation


def accept_invitation(raw: str, password: str) -> User:
    invitation = find_invitation(raw)  # refuses an invitation (not a reset) once a password exists
    set_password(invitation.user, password)
    now = utcnow()
    db.session.execute(sa.update(Invitation).where(Invitation.user_id == invitation.user_id,
                                                   Invitation.used_at.is_(None)).values(used_at=now))
    audit.record(invitation.user_id, "accept_invitation", "user", invitation.user_id)
    return invitation.user


def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    name = clean_line(name, "name", _l("Name"))
    if not name:
        raise ValidationError(_l("Give the token a name, e.g. the integration that will use it."), field="name")
    if len(name) > 80:
        raise ValidationError(_l("The name is too long (at most %(n)d characters).", n=80), field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:10], token_hash=_digest(raw))
    db.session.add(token)
    db.session.flush()
    audit.record(user.id, "create", "api_token", token.id, after={"name": name})
    return token, raw


def user_of(person_id: int) -> Optional[User]:
    """The person's account, if they have one."""
    return db.session.scalar(sa.select(User).where(User.person_id == person_id))


def api_tokens(user_id: int) -> list[ApiToken]:
    """The user's API tokens, newest first (revoked ones too: the page shows them as such)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.created_at.desc())))


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(user.id, "revoke", "api_token", token.id)
    return token


def user_for_token(raw: str) -> Optional[User]:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(raw),
                                                        ApiToken.revoked_at.is_(None)))
    return token.user if token and token.user.is_active_account else None

"""Small helpers shared by the views."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional, TypeVar
from urllib.parse import urlsplit, urlunsplit

from flask import abort, flash, request
from flask_login import current_user
from flask_wtf import FlaskForm

from models import AdminUnit, db
from models.geography import PROVINCE

from coordination.core import audit
from coordination.core.errors import DomainError
from coordination.web.converters import MAX_ID

T = TypeVar("T")


@contextmanager
def saved(success: Optional[str] = None) -> Iterator[None]:
    """For a form button that changes something: commit what the block did and flash `success`;
    when a rule refuses (DomainError), roll back and flash why instead."""
    try:
        yield
        db.session.commit()
        if success:
            flash(success, "success")
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")


def get_or_404(model: type[T], ident) -> T:
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def refuse_unless(allowed: bool, action: str, entity: str, entity_id, province_code: Optional[str] = None,
                  team_id: Optional[int] = None, status: int = 404) -> None:
    """`require` for a privileged action on an object that exists: a refusal is recorded in the audit
    trail with the actor ("refused"), and the user sees the same bare 404 (or 403) as for a missing id."""
    if allowed:
        return
    audit.refused(getattr(current_user, "id", None), action, entity, entity_id, province_code, team_id)
    abort(status)


def province_or_404(code: str):
    """The province (2025 structure) with this code, or 404."""
    unit = db.session.get(AdminUnit, code)
    if unit is None or unit.level != PROVINCE:
        abort(404)
    return unit


def require(allowed: bool) -> None:
    """Out of scope looks exactly like not found."""
    if not allowed:
        abort(404)


def form_error(form: FlaskForm, err: DomainError, default_field: Optional[str] = None) -> None:
    """Show a rule's error next to its field (or at the top of the form)."""
    db.session.rollback()
    name = err.field if err.field and err.field in form else default_field
    if name and name in form:
        form[name].errors = list(form[name].errors or []) + [str(err)]
    else:
        form.form_errors.append(str(err))


def client_ip() -> str:
    """The client's address, for the login limits: behind TRUSTED_PROXIES proxies, the one the
    outermost trusted proxy saw (coordination/web/proxy.py applies ProxyFix)."""
    return request.remote_addr or "?"


MAX_PAGE = 100_000  # offset = (page - 1) * size must stay far inside 64 bits


def small_int(raw) -> Optional[int]:
    """The one reader of a whole number typed into a URL or form: ASCII digits that fit a database id,
    else None ('²' and '٣' pass str.isdigit() but not int(); 10**23 overflows every column)."""
    raw = (raw or "").strip() if isinstance(raw, str) else ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def typed_row(model: type[T], raw) -> Optional[T]:
    """The row whose id was typed or picked (`raw`, read by small_int), or None: empty, unreadable, unknown."""
    ident = small_int(raw)
    return db.session.get(model, ident) if ident is not None else None


def page_arg() -> int:
    """?page= for the pages: anything unreadable is page 1, anything huge the last page we serve."""
    raw = request.args.get("page", "")
    value = small_int(raw)
    if value is None:
        return MAX_PAGE if raw.strip().isascii() and raw.strip().isdigit() else 1
    return min(max(1, value), MAX_PAGE)


def safe_next(target: Optional[str], fallback: str) -> str:
    """The one check for every redirect whose target comes from the request (`next`, the Referer):
    only a path on this site ("/tasks/3?x=1") is followed; anything else — another origin
    ("https://evil.example", "//evil", "/\\evil"), a scheme ("javascript:"), backslashes or control
    characters, which browsers may read as another host — gives `fallback`. A full URL on our own
    host (a Referer) is reduced to its path and query."""
    if not target or len(target) > 2000:
        return fallback
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return fallback
    if not target.startswith("/"):
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return fallback
        target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target

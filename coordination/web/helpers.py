"""Small helpers shared by the views."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import abort, flash, request
from flask_wtf import FlaskForm

from models import AdminUnit, Team, db
from models.geography import PROVINCE

from ..errors import DomainError

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


def province_or_404(code: str):
    """The province (2025 structure) with this code, or 404."""
    unit = db.session.get(AdminUnit, code)
    if unit is None or unit.level != PROVINCE:
        abort(404)
    return unit


def home_province(scope) -> Optional[str]:
    """Where a non-ministry user lands: the province they lead, else their team's province."""
    if len(scope.provinces) == 1:
        return next(iter(scope.provinces))
    if scope.member_teams and not scope.provinces:
        return db.session.scalar(sa.select(Team.province_code).where(Team.id.in_(scope.member_teams),
                                                                     Team.province_code.is_not(None)).limit(1))
    return None


def province_choices() -> list[tuple[str, str]]:
    """(code, name) of the 34 provinces by name, for filters."""
    return list(db.session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(AdminUnit.level == PROVINCE)
                                   .order_by(AdminUnit.name)).all())


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
    return request.remote_addr or "?"


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


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

"""Forms and titles of commendation (hình thức khen thưởng) and who decides each.

The list is a setting (COMMENDATION_FORMS: code, deciding level, title as Vietnamese practice names
it, e.g. "Bằng khen của Chủ tịch UBND tỉnh" — province). A proposal picks one; its title and level
are copied onto the proposal, so a later change to the list does not rewrite history.
Who decides, always in scope and never the proposer:
- a commune-level form (giấy khen of the commune chairman): a lead of the commendation's commune team;
- a province-level form: a lead of the province; a ministry-level form: the ministry.
Nobody decides above or below their level: the ministry does not sign a commune's giấy khen.
Who reviews a regular proposal first (ad-hoc proposals skip the review): the deciding level, or for
a ministry form the province too (it forwards the proposal). A proposal made before forms existed
is reviewed and decided, as then, by the province or the ministry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from config import Config
from models import Commendation
from models.emulation import DECIDING_LEVELS

from coordination.core import permissions

COMMUNE, PROVINCE, MINISTRY = DECIDING_LEVELS
LEVEL_LABELS = {COMMUNE: _l("commune level"), PROVINCE: _l("province level"), MINISTRY: _l("ministry level")}
_REVIEWERS = {COMMUNE: (COMMUNE,), PROVINCE: (PROVINCE,), MINISTRY: (PROVINCE, MINISTRY), None: (PROVINCE, MINISTRY)}


@dataclass(frozen=True)
class Form:
    code: str
    level: str
    title: str


def forms() -> list[Form]:
    """The configured forms, in their order (unknown levels are left out)."""
    raw = current_app.config.get("COMMENDATION_FORMS", Config.COMMENDATION_FORMS) if has_app_context() \
        else Config.COMMENDATION_FORMS
    return [Form(code.strip(), level.strip(), title.strip()) for code, level, title in raw
            if level.strip() in DECIDING_LEVELS and code.strip() and title.strip()]


def form(code: Optional[str]) -> Optional[Form]:
    return next((f for f in forms() if f.code == code), None)


def levels_held(scope: permissions.Scope, c: Commendation) -> set[str]:
    """The deciding levels at which this scope stands over the commendation's team."""
    held = set()
    if scope.national:
        held.add(MINISTRY)
    if c.province_code in scope.provinces:
        held.add(PROVINCE)
    if c.team_id in scope.led_teams:
        held.add(COMMUNE)
    return held


def deciders(c: Commendation) -> tuple[str, ...]:
    return (c.deciding_level,) if c.deciding_level else (PROVINCE, MINISTRY)


def may_decide(scope: permissions.Scope, c: Commendation, actor_user_id: int) -> bool:
    return c.proposed_by_id != actor_user_id and bool(levels_held(scope, c) & set(deciders(c)))


def may_review(scope: permissions.Scope, c: Commendation, actor_user_id: int) -> bool:
    return (not c.ad_hoc and c.proposed_by_id != actor_user_id
            and bool(levels_held(scope, c) & set(_REVIEWERS[c.deciding_level])))


def may_reject(scope: permissions.Scope, c: Commendation, actor_user_id: int) -> bool:
    """The decider, or a reviewer sending a regular proposal back before it goes up."""
    return may_decide(scope, c, actor_user_id) or may_review(scope, c, actor_user_id)


def who_decides(c: Commendation) -> str:
    """'commune', 'province' or 'ministry' (a proposal without a form: the province or the ministry)."""
    return " / ".join(str(LEVEL_LABELS[level]) for level in deciders(c))

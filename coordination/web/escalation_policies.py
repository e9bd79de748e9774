"""The escalation policy pages (issue 20 §3): a province's default and a team's own policy, edited
step by step on a phone (rules: coordination/duty/escalation_policy.py and escalation_policy_edit.py)."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from models import Team, db

from coordination.clock import utcnow
from coordination.core import permissions
from coordination.core.errors import DomainError
from coordination.duty import escalation_policy as policy, escalation_policy_edit as edit
from coordination.web.forms import ActionForm
from coordination.web.helpers import get_or_404, province_or_404, refuse_unless, require
from coordination.web.login import current_scope

bp = Blueprint("escalation_policies", __name__)

ROLE = {policy.BACKUP: _l("The shift's backup"), policy.COMMUNE_LEAD: _l("The commune team's lead"),
        policy.PROVINCE_LEADS: _l("The province's leads")}
CHANNELS = {policy.CHAIN: _l("Each person's own contact chain"),
            policy.CHAIN_VOICE: _l("Each person's contact chain, with its call"),
            policy.ONLY_SMS: _l("SMS only"), policy.SMS_VOICE: _l("SMS and a call at once"),
            policy.ALL: _l("Push, SMS and a call at once")}
SOURCE = {policy.TEAM: _l("This team's own policy"), policy.PROVINCE: _l("The province's default policy"),
          policy.BUILTIN: _l("The built-in policy (backup, commune lead, province leads)")}


def _who(step: policy.Step, members: dict[int, str]) -> str:
    """Whom a step alerts, in words: roles, the named members this page may show, and how many others."""
    named = [members[p] for p in step.people if p in members]
    others = sum(1 for p in step.people if p not in members)
    return ", ".join([str(ROLE[r]) for r in step.roles] + named
                     + ([_("%(n)d named people not listed here", n=others)] if others else []))


def _page(province_code: str, team: Optional[Team], form=None, error: Optional[tuple[str, str]] = None,
          status: int = 200):
    team_id = team.id if team else None
    allowed = edit.members(edit.people_team(province_code, team_id))
    start, source = edit.starting_point(team_id, province_code, allowed, policy.builtin())
    in_effect = policy.effective(team_id, province_code) if team else (
        policy.province_default(province_code) or policy.builtin())
    rows = list(start.steps) + ([policy.Step(0)] if len(start.steps) < policy.MAX_STEPS else [])
    save_url = (url_for("escalation_policies.team_save", team_id=team_id) if team
                else url_for("escalation_policies.province_save", code=province_code))
    return render_template(
        "escalation_policy.html", team=team, province_code=province_code, rows=rows, repeats=start.repeats,
        filled=len(start.steps), source=source, own=(source == (policy.TEAM if team else policy.PROVINCE)),
        in_effect=in_effect, members=allowed,
        timeline=[(at, _who(step, allowed), step.channels)
                  for _n, run, at, step in policy.timetable(in_effect) if run == 0], form=form,
        error=error, roles=ROLE, channels=CHANNELS, sources=SOURCE, max_wait=policy.MAX_WAIT,
        max_repeats=policy.MAX_REPEATS, action=ActionForm(), save_url=save_url), status


def _save(province_code: str, team: Optional[Team]):
    team_id = team.id if team else None
    if not ActionForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return _page(province_code, team, status=400)
    try:
        if request.form.get("reset"):
            done = edit.reset(current_user.id, province_code, team_id)
            message = _("Back to the province's default policy.") if team else _("The built-in policy applies again.")
        else:
            steps, repeats = edit.parse(request.form, edit.members(edit.people_team(province_code, team_id)))
            edit.save(current_user.id, province_code, team_id, steps, repeats, utcnow())
            done, message = True, _("Escalation policy saved.")
        db.session.commit()
        if done:
            flash(message, "success")
    except DomainError as err:
        db.session.rollback()
        return _page(province_code, team, form=request.form, error=(err.field or "", str(err)), status=400)
    target = (url_for("escalation_policies.team_page", team_id=team_id) if team
              else url_for("escalation_policies.province_page", code=province_code))
    return redirect(target)


def _team(team_id: int) -> Team:
    team = get_or_404(Team, team_id)
    require(permissions.can_view_team(current_scope(), team))
    return team


@bp.get("/teams/<int:team_id>/escalation-policy")
@login_required
def team_page(team_id: int):
    team = _team(team_id)
    require(edit.can_edit_team(current_scope(), team))
    return _page(team.province_code, team)


@bp.post("/teams/<int:team_id>/escalation-policy")
@login_required
def team_save(team_id: int):
    team = get_or_404(Team, team_id)
    refuse_unless(edit.can_edit_team(current_scope(), team), "edit_escalation_policy", "team", team.id,
                  team.province_code, team.id)
    return _save(team.province_code, team)


@bp.get("/provinces/<code>/escalation-policy")
@login_required
def province_page(code: str):
    province_or_404(code)
    require(edit.can_edit_default(current_scope(), code))
    return _page(code, None)


@bp.post("/provinces/<code>/escalation-policy")
@login_required
def province_save(code: str):
    province_or_404(code)
    refuse_unless(edit.can_edit_default(current_scope(), code), "edit_escalation_policy", "province", code, code)
    return _save(code, None)

"""Shifts in the phone's calendar (issue 20 §4): the secret feeds calendar apps subscribe to
(no session: the address is the capability), the page that shows and regenerates them, the
one-tap "Thêm vào lịch" (a webcal:// redirect) and one shift's .ics file."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user, login_required

from models import Shift, Team, User, db

from coordination.clock import to_local, utcnow
from coordination.core import permissions
from coordination.duty import calendar_feeds as feeds, calendar_ics as ics
from coordination.web.helpers import get_or_404, require, small_int
from coordination.web.login import current_scope

bp = Blueprint("calendar", __name__)

MAX_TEAMS_LISTED = 20


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _host() -> str:
    return urlsplit(_base()).hostname or "localhost"


def feed_url(feed) -> Optional[str]:
    """The https (or http) address of a feed, from PUBLIC_BASE_URL; None if it cannot be shown again."""
    secret = feeds.secret_of(feed)
    if secret is None:
        return None
    return _base() + url_for("calendar.feed", feed_id=feed.id, secret=secret)


def webcal(url: str) -> str:
    """The same address for calendar apps: webcal:// opens the phone's calendar to subscribe."""
    return "webcal://" + url.split("://", 1)[1]


def _ics(body: bytes, filename: str, attachment: bool = False) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- the feed itself: no session --------------------------------------------------------------

@bp.get("/calendar/<int:feed_id>/<secret>.ics")
def feed(feed_id: int, secret: str):
    """A wrong or revoked secret, or an owner no longer allowed: 404, like an address that never existed."""
    found = feeds.feed_for(feed_id, secret)
    if found is None:
        abort(404)
    locale = db.session.scalar(sa.select(User.locale).where(User.person_id == found.person_id)) or "vi"
    start, end = ics.window()
    alarm = current_app.config["CALENDAR_ALARM_MINUTES"]
    stamp = utcnow()
    with force_locale(locale):
        if found.team_id is None:
            events = [ics.personal_event(s, found.person_id, _host(), alarm, _base() + url_for("duty.app_shell"), stamp)
                      for s in ics.person_shifts(found.person_id, start, end)]
            name = _("My duty shifts")
        else:
            team = db.session.get(Team, found.team_id)
            link = _base() + url_for("duty.rota_page", team_id=team.id)
            events = [ics.team_event(s, _host(), link, stamp) for s in ics.team_shifts(team.id, start, end)]
            name = _("Duty: %(team)s", team=team.name)
        body = ics.calendar(name, events)
    return _ics(body, "ca-truc.ics")


# --- the owner's page -------------------------------------------------------------------------

def _team_or_404(raw) -> Optional[Team]:
    """The team named by ?team= / a form field, if the user manages its rota; None for my own shifts."""
    if raw in (None, ""):
        return None
    team_id = small_int(raw)
    team = db.session.get(Team, team_id) if team_id is not None else None
    if team is None or not permissions.can_manage_rota(current_scope(), team):
        abort(404)
    return team


def _row(team: Optional[Team], create: bool) -> dict:
    person_id = current_user.person_id
    team_id = team.id if team else None
    found = feeds.ensure_feed(person_id, team_id) if create else feeds.live_feed(person_id, team_id)
    url = feed_url(found) if found else None
    return {"team": team, "url": url, "webcal": webcal(url) if url else None,
            "add": url_for("calendar.add", team=team_id), "created": found.created_at if found else None,
            "regenerate": url_for("calendar.confirm_regenerate", team=team_id)}


@bp.get("/duty/calendar")
@login_required
def page():
    scope = current_scope()
    extra = _team_or_404(request.args.get("team"))
    led = db.session.scalars(sa.select(Team).where(Team.id.in_(scope.led_teams)).order_by(Team.name)
                             .limit(MAX_TEAMS_LISTED)).all() if scope.led_teams else []
    if extra is not None and extra not in led:
        led = [extra] + list(led)
    mine = _row(None, create=True)
    db.session.commit()
    return render_template("duty/calendar.html", mine=mine, teams=[_row(t, create=False) for t in led],
                           alarm=current_app.config["CALENDAR_ALARM_MINUTES"])


@bp.get("/duty/calendar/add")
@login_required
def add():
    """One tap from /duty/: the live address (made on first use), handed to the phone's calendar."""
    team = _team_or_404(request.args.get("team"))
    url = feed_url(feeds.ensure_feed(current_user.person_id, team.id if team else None))
    db.session.commit()
    if url is None:  # SECRET_KEY changed: the page offers a new address
        return redirect(url_for("calendar.page", team=team.id if team else None))
    return redirect(webcal(url))


@bp.get("/duty/calendar/regenerate")
@login_required
def confirm_regenerate():
    team = _team_or_404(request.args.get("team"))
    question = (_("Make a new address for the calendar of %(team)s? The old address stops working at once: "
                  "every calendar subscribed to it must add the new one.", team=team.name) if team else
                _("Make a new address for your calendar? The old address stops working at once: "
                  "every calendar subscribed to it must add the new one."))
    return render_template("duty/confirm.html", warnings=[question], button=_("Make a new address"),
                           action=url_for("calendar.regenerate"), back=url_for("calendar.page"),
                           fields={"team": team.id if team else ""})


@bp.post("/duty/calendar/regenerate")
@login_required
def regenerate():
    team = _team_or_404(request.form.get("team"))
    feeds.regenerate(current_user.person_id, team.id if team else None, current_user.id)
    db.session.commit()
    flash(_("A new calendar address is ready; the old one no longer works."), "success")
    return redirect(url_for("calendar.page", team=team.id if team else None))


# --- one shift as a file -----------------------------------------------------------------------

@bp.get("/duty/shifts/<int:shift_id>.ics")
@login_required
def shift_file(shift_id: int):
    """One shift to import (with its reminder): mine, or one of a team I may see."""
    shift = get_or_404(Shift, shift_id)
    require(permissions.can_view_team(current_scope(), shift.team))
    one = ics.one_shift(shift.id)
    person_id = current_user.person_id
    alarm = current_app.config["CALENDAR_ALARM_MINUTES"]
    if any(pid == person_id for pid, _n, _r in one.people):
        event = ics.personal_event(one, person_id, _host(), alarm, _base() + url_for("duty.app_shell"))
    else:
        event = ics.team_event(one, _host(), _base() + url_for("duty.rota_page", team_id=shift.team_id))
    return _ics(ics.calendar(_("Duty shift"), [event]), f"ca-truc-{to_local(shift.starts_at):%Y-%m-%d-%H%M}.ics",
                attachment=True)

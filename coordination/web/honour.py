"""Public pages of one approved commendation (issue 22 §4): its page, whose Open Graph and Twitter-card
tags make a link posted to Zalo or Facebook preview with the card, and the card itself (a PNG).
Addresses in the tags are absolute, from PUBLIC_BASE_URL (the address people reach, whatever proxy
the request came through). A pending or rejected proposal answers 404, as one that does not exist."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from coordination.emulation import card, honour
from coordination.web.i18n import local_time

bp = Blueprint("honour", __name__)
CARD_MAX_AGE = 3600  # then the crawler asks again, with the ETag


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _card_text(h: honour.Honour) -> card.CardText:
    return card.CardText(platform=_("Community technology teams"), caption=_("Commended"), who=h.who,
                         team=h.team_name if h.person_name else None, place=f"{h.commune}, {h.province}",
                         reason=h.reason, date=_("Decided on %(date)s", date=local_time(h.decided_at, "dd/MM/yyyy")),
                         site=urlsplit(_base()).netloc)


def _approved_or_404(commendation_id: int) -> honour.Honour:
    h = honour.approved(commendation_id)
    if h is None:
        abort(404)
    return h


@bp.get("/recognition/<int:commendation_id>")
def show(commendation_id: int):
    h = _approved_or_404(commendation_id)
    text = _card_text(h)
    return render_template("emulation/honour.html", h=h,
                           url=_base() + url_for("honour.show", commendation_id=h.id),
                           image=_base() + url_for("honour.card_png", commendation_id=h.id, v=text.key()[:12]))


@bp.get("/recognition/<int:commendation_id>/card.png")
def card_png(commendation_id: int):
    text = _card_text(_approved_or_404(commendation_id))
    if text.key() in request.if_none_match:  # the crawler's copy is current: not even read from disk
        response = Response(status=304)
    else:
        png, _key = card.cached(text, Path(current_app.instance_path) / "cards", str(commendation_id))
        response = Response(png, mimetype="image/png")
        response.headers["Content-Disposition"] = f'inline; filename="vinh-danh-{commendation_id}.png"'
    response.set_etag(text.key())
    response.cache_control.public, response.cache_control.max_age = True, CARD_MAX_AGE
    return response

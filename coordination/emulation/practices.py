"""Good practices (sáng kiến, cách làm hay), as plain rules.

- Write: a member or lead of a commune (or village) team writes a practice for that team — title,
  the problem, what they did, what changed, the kind of work, an optional start date (the figures:
  4 weeks before vs after it) and up to 3 photos. It stays a draft until sent for review.
- Review: a lead above the team, never the one who wrote it: a province lead of the team's province
  (or the ministry) publishes it to the province; only the ministry publishes it nationally. Or it is
  sent back with a reason, changed and sent again.
- See: a published practice for its province reaches everyone in that province's teams and the
  ministry; a national one every signed-in user; an unpublished one only its writer, the team's
  leads and its reviewers. Anything else is "not found".
- Apply ("Chúng tôi đã áp dụng"): a lead or member of another commune/village team who can see a
  published practice marks that their team applied it, with a short note, once per team.
Every change is audited."""
from __future__ import annotations

import unicodedata
from datetime import date
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from models import Practice, PracticeApplication, PracticePhoto, Team, WorkKind, db
from models.practices import (DRAFT, MAX_PHOTOS, NATIONAL_REACH, PROVINCE_REACH, PUBLISHED, REACHES, RETURNED,
                              SUBMITTED)
from models.teams import COMMUNE, VILLAGE

from coordination.clock import local_today, utcnow
from coordination.core import audit
from coordination.core.errors import Conflict, NotFound, ValidationError
from coordination.core.permissions import Scope
from coordination.core.text import clean_line, fold, unsafe_character
from coordination.tasks import kinds, photos

TITLE_MAX, TEXT_MAX, NOTE_MAX, REASON_MAX = 200, 4000, 500, 500
_NOT_FOUND = _l("Not found, or not in your area.")


# --- who may see what -------------------------------------------------------------------------

def own_teams(scope: Scope) -> list[Team]:
    """The commune and village teams this person leads or belongs to: the teams they write or apply for."""
    ids = scope.led_teams | scope.member_teams
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Team).where(Team.id.in_(ids), Team.level.in_((COMMUNE, VILLAGE)))
                                    .order_by(Team.name)))


def home_provinces(scope: Scope) -> frozenset[str]:
    """The provinces whose published practices reach this person: those they lead and those of their teams."""
    ids = scope.led_teams | scope.member_teams
    mine = set(db.session.scalars(sa.select(Team.province_code).where(Team.id.in_(ids),
                                                                      Team.province_code.is_not(None)))) if ids else set()
    return frozenset(mine | set(scope.provinces))


def _reviews(scope: Scope, practice: Practice) -> bool:
    return scope.national or practice.province_code in scope.provinces


def can_view(scope: Scope, practice: Practice, user_id: Optional[int]) -> bool:
    if scope.person_id is None:
        return False
    if practice.state == PUBLISHED:
        return (practice.reach == NATIONAL_REACH or scope.national
                or practice.province_code in home_provinces(scope))
    return (_reviews(scope, practice) or practice.team_id in scope.led_teams
            or (user_id is not None and practice.submitted_by_id == user_id))


def visible_clause(scope: Scope, user_id: Optional[int]):
    """The SQL form of can_view."""
    if scope.person_id is None:
        return sa.false()
    if scope.national:
        return sa.true()
    published = sa.and_(Practice.state == PUBLISHED, sa.or_(
        Practice.reach == NATIONAL_REACH, Practice.province_code.in_(home_provinces(scope) or [""])))
    unpublished = sa.and_(Practice.state != PUBLISHED, sa.or_(
        Practice.province_code.in_(scope.provinces or [""]), Practice.team_id.in_(scope.led_teams or [0]),
        Practice.submitted_by_id == (user_id or 0)))
    return sa.or_(published, unpublished)


def can_edit(scope: Scope, practice: Practice, user_id: Optional[int]) -> bool:
    """Its writer or the team's leads, while it is a draft or sent back."""
    return practice.state in (DRAFT, RETURNED) and (
        practice.submitted_by_id == user_id or practice.team_id in scope.led_teams)


def can_review(scope: Scope, practice: Practice, user_id: Optional[int]) -> bool:
    return practice.state == SUBMITTED and practice.submitted_by_id != user_id and _reviews(scope, practice)


def reaches_for(scope: Scope) -> list[str]:
    """What this reviewer may publish to: a province lead their province; the ministry also the country."""
    return list(REACHES) if scope.national else [PROVINCE_REACH]


def get_visible(scope: Scope, user_id: Optional[int], practice_id: int) -> Practice:
    practice = db.session.get(Practice, practice_id)
    if practice is None or not can_view(scope, practice, user_id):
        raise NotFound(_NOT_FOUND)
    return practice


# --- writing -------------------------------------------------------------------------------------

def _line(raw: Optional[str], field: str, label, limit: int) -> str:
    text = clean_line(raw, field, label)
    if not text:
        raise ValidationError(_l("Enter the %(what)s.", what=label), field=field)
    if len(text) > limit:
        raise ValidationError(_l("Too long (at most %(n)d characters).", n=limit), field=field)
    return text


def _paragraphs(raw: Optional[str], field: str, label, limit: int = TEXT_MAX) -> str:
    """A few paragraphs: line breaks kept, no control or direction characters, NFC."""
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n")).strip()
    if unsafe_character(text.replace("\n", " ")):
        raise ValidationError(_l("%(field)s contains a control or text-direction character; type it again "
                                 "without copying from elsewhere.", field=label), field=field)
    if not text:
        raise ValidationError(_l("Enter the %(what)s.", what=label), field=field)
    if len(text) > limit:
        raise ValidationError(_l("Too long (at most %(n)d characters).", n=limit), field=field)
    return text


def search_key(text: str) -> str:
    """Words without diacritics, lower case ('Bến Nghé' -> 'ben nghe'): a search matches inside them."""
    return " ".join(w for w in (fold(word) for word in (text or "").split()) if w)


def _started_on(value: Optional[date]) -> Optional[date]:
    if value is not None and value > local_today():
        raise ValidationError(_l("The start date cannot be in the future."), field="started_on")
    return value


def _fill(practice: Practice, *, title, problem, action, result, work_kind, started_on) -> None:
    practice.title = _line(title, "title", _l("title"), TITLE_MAX)
    practice.problem = _paragraphs(problem, "problem", _l("problem"))
    practice.action = _paragraphs(action, "action", _l("what you did"))
    practice.result = _paragraphs(result, "result", _l("what changed"))
    if work_kind != practice.work_kind:  # a practice kept under a kind retired since is left as it is
        try:
            kinds.check_active(work_kind)
        except ValidationError as err:
            raise ValidationError(str(err), field="work_kind") from None
    practice.work_kind = work_kind
    practice.started_on = _started_on(started_on)
    practice.search_text = search_key(" ".join((practice.title, practice.problem, practice.action, practice.result)))


def _check_photos(practice: Practice, new: list[photos.Photo]) -> None:
    if len(practice.photos) + len(new) > MAX_PHOTOS:
        raise ValidationError(_l("At most %(n)d photos.", n=MAX_PHOTOS), field="photos")


def _add_photos(practice: Practice, new: list[photos.Photo]) -> list[tuple[str, bytes]]:
    files = []
    for i, photo in enumerate(new, start=len(practice.photos)):
        name = photos.new_name()
        practice.photos.append(PracticePhoto(position=i, name=name, width=photo.width, height=photo.height))
        files.append((name, photo.data))
    return files


def create(scope: Scope, user_id: int, team_id: Optional[int], new_photos: list[photos.Photo], **fields) -> tuple:
    """A draft for one of the writer's own teams; returns (practice, files to write after the commit)."""
    team = next((t for t in own_teams(scope) if t.id == team_id), None)
    if team is None:
        raise ValidationError(_l("Choose one of your teams."), field="team")
    practice = Practice(team_id=team.id, province_code=team.province_code, submitted_by_id=user_id, state=DRAFT,
                        work_kind=None)
    _fill(practice, **fields)
    _check_photos(practice, new_photos)
    files = _add_photos(practice, new_photos)
    db.session.add(practice)
    db.session.flush()
    audit.record(user_id, "create", "practice", practice.id, after={"name": practice.title, "photos": len(files)},
                 province_code=practice.province_code, team_id=practice.team_id)
    return practice, files


def edit(scope: Scope, user_id: int, practice: Practice, new_photos: list[photos.Photo], **fields) -> list:
    if not can_edit(scope, practice, user_id):
        raise NotFound(_NOT_FOUND)
    before = {"name": practice.title, "photos": len(practice.photos)}
    _fill(practice, **fields)
    _check_photos(practice, new_photos)
    files = _add_photos(practice, new_photos)
    audit.record(user_id, "update", "practice", practice.id, before=before,
                 after={"name": practice.title, "photos": len(practice.photos)},
                 province_code=practice.province_code, team_id=practice.team_id)
    return files


def commit_with_files(directory: str, files: list[tuple[str, bytes]]) -> None:
    """Commit the practice; its new photos' files are written first and removed again if the commit
    fails, so there is never a row without its file nor a file without its row."""
    written = []
    try:
        for name, data in files:
            written.append(photos.write(directory, name, data))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for path in written:
            photos.remove(path)
        raise


def submit(scope: Scope, user_id: int, practice: Practice) -> None:
    if not can_edit(scope, practice, user_id):
        raise NotFound(_NOT_FOUND)
    before = practice.state
    practice.state, practice.submitted_at, practice.return_reason = SUBMITTED, utcnow(), None
    audit.record(user_id, "submit", "practice", practice.id, before={"state": before}, after={"state": SUBMITTED, "name": practice.title},
                 province_code=practice.province_code, team_id=practice.team_id)


def review(scope: Scope, user_id: int, practice: Practice, publish: bool, reach: Optional[str] = None,
           reason: Optional[str] = None) -> None:
    """Publish to a reach the reviewer may use, or send back with a reason."""
    if not _reviews(scope, practice):
        raise NotFound(_NOT_FOUND)
    if practice.state != SUBMITTED:
        raise Conflict(_l("This practice is not waiting for review."))
    if practice.submitted_by_id == user_id:
        raise Conflict(_l("You wrote this practice: another lead reviews it."))
    now = utcnow()
    if publish:
        if reach not in REACHES:
            raise ValidationError(_l("Choose where to publish it."), field="reach")
        if reach not in reaches_for(scope):
            raise ValidationError(_l("Only the ministry publishes a practice to the whole country."), field="reach")
        practice.state, practice.reach, practice.published_at = PUBLISHED, reach, now
        after = {"state": PUBLISHED, "reach": reach, "name": practice.title}
    else:
        text = clean_line(reason, "reason", _l("Reason"))
        if not text:
            raise ValidationError(_l("Say why it is sent back."), field="reason")
        if len(text) > REASON_MAX:
            raise ValidationError(_l("Too long (at most %(n)d characters).", n=REASON_MAX), field="reason")
        practice.state, practice.return_reason = RETURNED, text
        after = {"state": RETURNED, "reason": text, "name": practice.title}
    practice.reviewed_by_id, practice.reviewed_at = user_id, now
    audit.record(user_id, "publish" if publish else "send_back", "practice", practice.id,
                 before={"state": SUBMITTED}, after=after, province_code=practice.province_code,
                 team_id=practice.team_id)


# --- applying ---------------------------------------------------------------------------------

def applications(practice: Practice) -> list[PracticeApplication]:
    return list(db.session.scalars(sa.select(PracticeApplication).where(PracticeApplication.practice_id == practice.id)
                                   .order_by(PracticeApplication.applied_on, PracticeApplication.id)))


def teams_that_may_apply(scope: Scope, practice: Practice) -> list[Team]:
    """The person's own teams other than the practice's, that have not yet marked it applied."""
    if practice.state != PUBLISHED:
        return []
    done = set(db.session.scalars(sa.select(PracticeApplication.team_id)
                                  .where(PracticeApplication.practice_id == practice.id)))
    return [t for t in own_teams(scope) if t.id != practice.team_id and t.id not in done]


def apply(scope: Scope, user_id: int, practice: Practice, team_id: Optional[int], note: Optional[str],
          applied_on: Optional[date] = None) -> PracticeApplication:
    if practice.state != PUBLISHED:
        raise NotFound(_NOT_FOUND)
    team = next((t for t in own_teams(scope) if t.id == team_id), None)
    if team is None or team.id == practice.team_id:
        raise ValidationError(_l("Choose one of your teams (not the team that wrote it)."), field="team")
    text = _line(note, "note", _l("note"), NOTE_MAX)
    day = applied_on or local_today()
    if day > local_today():
        raise ValidationError(_l("The date cannot be in the future."), field="applied_on")
    row = PracticeApplication(practice_id=practice.id, team_id=team.id, province_code=team.province_code,
                              by_user_id=user_id, applied_on=day, note=text)
    try:
        with db.session.begin_nested():  # a second tap, or a teammate at the same moment: the unique key
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("Your team has already marked this practice as applied.")) from None
    audit.record(user_id, "apply", "practice", practice.id, after={"team_id": team.id, "note": text, "name": practice.title},
                 province_code=team.province_code, team_id=team.id)
    return row


def unit_of(kind: str) -> str:
    """What the kind of work counts ("người dân", "địa điểm"…), for the figures."""
    return db.session.scalar(sa.select(WorkKind.unit).where(WorkKind.code == kind)) or ""


# --- the library ---------------------------------------------------------------------------------

def library(scope: Scope, user_id: Optional[int], text: str = "", kind: Optional[str] = None,
            province_code: Optional[str] = None, limit: int = 100) -> list[tuple[Practice, int]]:
    """Published practices this person can see, newest first, with the number of teams that applied each;
    `text` is matched without diacritics in the title and the three texts."""
    applied = (sa.select(sa.func.count()).where(PracticeApplication.practice_id == Practice.id)
               .scalar_subquery())
    q = sa.select(Practice, applied).where(Practice.state == PUBLISHED, visible_clause(scope, user_id))
    for word in search_key(text).split()[:8]:
        q = q.where(Practice.search_text.contains(word, autoescape=True))
    if kind:
        q = q.where(Practice.work_kind == kind)
    if province_code:
        q = q.where(Practice.province_code == province_code)
    return [(p, n) for p, n in db.session.execute(q.order_by(Practice.published_at.desc(), Practice.id.desc())
                                                  .limit(limit))]


def unpublished(scope: Scope, user_id: Optional[int], limit: int = 50) -> list[Practice]:
    """Drafts, practices waiting for review and those sent back that this person may see."""
    q = (sa.select(Practice).where(Practice.state != PUBLISHED, visible_clause(scope, user_id))
         .order_by(Practice.state != SUBMITTED, Practice.id.desc()).limit(limit))
    return list(db.session.scalars(q))


def public_board(limit: int = 12) -> list[tuple[str, str, str]]:
    """The honour board (public): (title, team name, province code) of published practices, newest first."""
    q = (sa.select(Practice.title, Team.name, Practice.province_code).join(Team, Team.id == Practice.team_id)
         .where(Practice.state == PUBLISHED).order_by(Practice.published_at.desc(), Practice.id.desc()).limit(limit))
    return [tuple(r) for r in db.session.execute(q)]

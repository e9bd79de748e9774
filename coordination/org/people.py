"""People: validation, phone normalisation to E.164, create and edit."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import phonenumbers
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from models import Person, db
from models.teams import AFFILIATIONS, ENTERPRISE

from coordination.core import audit, permissions
from coordination.core.errors import Conflict, Unprocessable, ValidationError
from coordination.core.text import clean_line

MAX_NAME = 120
MAX_ORG = 120


def normalise_phone(raw: str, region: str = "VN") -> str:
    """'0912 345 678' -> '+84912345678'. Raises ValidationError for anything not a valid number."""
    text = (raw or "").strip()
    if not text:
        raise Unprocessable(_l("Enter a phone number."), field="phone")
    if len(text) > 30:
        raise ValidationError(_l("This phone number is too long."), field="phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise Unprocessable(_l("“%(value)s” is not a phone number.", value=text), field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Unprocessable(_l("“%(value)s” is not a valid phone number.", value=text), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


SMS_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def can_receive_sms(phone: str) -> bool:
    """Whether SMS can reach this (valid) number: mobiles do, fixed lines ('024 3825 1234') do not.
    Numbers phonenumbers cannot tell apart (FIXED_LINE_OR_MOBILE, as in the US) count as mobile."""
    try:
        number = phonenumbers.parse(phone or "", "VN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in SMS_TYPES


def normalise_email(raw: Optional[str]) -> Optional[str]:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Unprocessable(_l("“%(value)s” is not an email address.", value=text[:60]), field="email") from None


@dataclass
class PersonInput:
    full_name: str
    phone: str
    email: Optional[str] = None
    affiliation: str = "other"
    organisation: Optional[str] = None
    sms_ascii: bool = False
    consent_sms: bool = True


def clean_name(raw: Optional[str]) -> str:
    name = clean_line(raw, "full_name", _l("Full name"))
    if not name:
        raise ValidationError(_l("Enter the person's full name."), field="full_name")
    if len(name) > MAX_NAME:
        raise ValidationError(_l("The name is too long (at most %(n)d characters).", n=MAX_NAME), field="full_name")
    return name


def clean_organisation(raw: Optional[str], affiliation: str) -> Optional[str]:
    org = clean_line(raw, "organisation", _l("Organisation")) or None
    if org and len(org) > MAX_ORG:
        raise ValidationError(_l("The organisation name is too long (at most %(n)d characters).", n=MAX_ORG),
                              field="organisation")
    if affiliation == ENTERPRISE and not org:
        raise Unprocessable(_l("Name the enterprise (e.g. Viettel, VNPT, MobiFone, FPT)."), field="organisation")
    return org


def _clean(data: PersonInput) -> dict:
    name = clean_name(data.full_name)
    if data.affiliation not in AFFILIATIONS:
        raise ValidationError(_l("Choose an affiliation from the list."), field="affiliation")
    phone = normalise_phone(data.phone)
    return dict(
        full_name=name, phone=phone, sms_capable=can_receive_sms(phone), email=normalise_email(data.email),
        affiliation=data.affiliation, organisation=clean_organisation(data.organisation, data.affiliation),
        sms_ascii=bool(data.sms_ascii), consent_sms=bool(data.consent_sms),
    )


def _refuse_duplicates(values: dict, person_id: Optional[int] = None) -> None:
    owner = db.session.scalar(sa.select(Person).where(Person.phone == values["phone"], Person.id != (person_id or 0)))
    # never the owner's name: they may be anywhere in the country, outside the caller's scope
    if owner:
        raise Conflict(_l("%(phone)s is already registered to someone: add them as an existing person.",
                          phone=values["phone"]), field="phone")
    if values["email"]:
        owner = db.session.scalar(sa.select(Person).where(Person.email == values["email"], Person.id != (person_id or 0)))
        if owner:
            raise Conflict(_l("%(email)s is already registered to someone else.", email=values["email"]),
                           field="email")


def find_by_phone(raw: str) -> Optional[Person]:
    return db.session.scalar(sa.select(Person).where(Person.phone == normalise_phone(raw)))


def create_person(data: PersonInput, actor_id: Optional[int] = None) -> Person:
    """Add a person (flushed, not committed: the caller owns the transaction)."""
    values = _clean(data)
    _refuse_duplicates(values)
    person = Person(**values)
    db.session.add(person)
    db.session.flush()
    audit.record(actor_id, "create", "person", person.id, after=values)
    return person


def update_person(person: Person, data: PersonInput, actor_id: Optional[int] = None) -> Person:
    values = _clean(data)
    _refuse_duplicates(values, person.id)
    before = {k: getattr(person, k) for k in values}
    for k, v in values.items():
        setattr(person, k, v)
    db.session.flush()
    changed_before = {k: v for k, v in before.items() if v != values[k]}
    if changed_before:
        province, team = audit.person_home(person.id)
        audit.record(actor_id, "update", "person", person.id, before=changed_before,
                     after={k: values[k] for k in changed_before}, province_code=province, team_id=team)
    return person


def directory(scope: permissions.Scope, q: str = "", limit: int = 50, offset: int = 0) -> list[Person]:
    """People visible to the scope, by name, optionally filtered by name or phone (3+ digits)."""
    query = sa.select(Person).where(permissions.visible_people_clause(scope))
    q = (q or "").strip()[:120]
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        conditions = [Person.full_name.ilike(f"%{q}%")]
        if len(digits) >= 3:
            conditions.append(Person.phone.like(f"%{digits.lstrip('0')}%"))
        query = query.where(sa.or_(*conditions))
    return list(db.session.scalars(query.order_by(Person.full_name, Person.id).limit(limit).offset(offset)))

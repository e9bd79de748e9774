"""Flask-WTF forms (CSRF on every form). Labels and messages are translated."""
from __future__ import annotations

import flask_babel
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from datetime import date, datetime

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from models import Team
from models.teams import YOUTH_UNION

from coordination.org.people import PersonInput
from coordination.org.teams import ROLES_BY_LEVEL

from coordination.web import labels

REQUIRED = _l("This field is required.")
# WTForms' own messages, translated through our catalogue (WTForms ships no Vietnamese).
WTFORMS_MESSAGES = (_l("Not a valid choice."), _l("Not a valid date value."), _l("Invalid Choice: could not coerce."))
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")  # as typed here; ISO from scripts and old links


def read_date(text: str):
    """A date as people here type it (24/12/2026, 24-12-2026, 24.12.2026) or ISO; None if it is none."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


class DateField(StringField):
    """A date typed and shown dd/mm/yyyy whatever the browser's language (a browser's date input
    follows the phone's locale: mm/dd/yyyy on a phone set to English); 7/12/2026 and 2026-12-07
    are read too. A phone gets its number keypad."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "placeholder": "dd/mm/yyyy", "autocomplete": "off", "maxlength": 10,
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = read_date(text) if text else None
        if text and self.data is None:
            raise ValueError(_l("Write the date as dd/mm/yyyy, e.g. 07/12/2026."))


class _Translations:
    def gettext(self, string):
        return flask_babel.gettext(string)

    def ngettext(self, singular, plural, n):
        return flask_babel.ngettext(singular, plural, n)


class FlaskForm(_FlaskForm):
    """Every form: CSRF from Flask-WTF, WTForms' messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return _Translations()


class LoginForm(FlaskForm):
    identifier = StringField(_l("Phone or email"), validators=[
        DataRequired(REQUIRED), Length(max=254, message=_l("Too long (at most %(n)d characters).", n=254))],
                             render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[
        DataRequired(REQUIRED), Length(max=200, message=_l("Too long (at most %(n)d characters).", n=200))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this phone (30 days)"))


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class PersonForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED)],
                            render_kw={"autocomplete": "name", "maxlength": 120})
    phone = TelField(_l("Phone"), validators=[DataRequired(REQUIRED)],
                     render_kw={"inputmode": "tel", "placeholder": "0912 345 678", "maxlength": 30})
    email = EmailField(_l("Email (optional)"), validators=[Optional()], render_kw={"maxlength": 254})
    affiliation = SelectField(_l("Affiliation"), choices=labels.choices(labels.AFFILIATION), default=YOUTH_UNION)
    organisation = StringField(_l("Organisation (e.g. Viettel, VNPT)"), validators=[Optional()],
                               render_kw={"maxlength": 120})
    sms_ascii = BooleanField(_l("SMS without diacritics"))
    consent_sms = BooleanField(_l("Agrees to receive duty SMS"), default=True)

    def person_input(self) -> PersonInput:
        """What was typed, for the rules (coordination.org.people)."""
        return PersonInput(full_name=self.full_name.data, phone=self.phone.data, email=self.email.data,
                           affiliation=self.affiliation.data, organisation=self.organisation.data,
                           sms_ascii=self.sms_ascii.data, consent_sms=self.consent_sms.data)


class MemberForm(PersonForm):
    role = SelectField(_l("Role"), choices=[])


class ExistingMemberForm(FlaskForm):
    phone = TelField(_l("Phone of a person already registered"), validators=[DataRequired(REQUIRED)],
                     render_kw={"inputmode": "tel", "maxlength": 30})
    role = SelectField(_l("Role"), choices=[])


class EndMembershipForm(FlaskForm):
    end_date = DateField(_l("Last day"), validators=[Optional()])


class CommuneTeamForm(FlaskForm):
    commune_code = SelectField(_l("Commune"), choices=[], validate_choice=False)


class VillageTeamForm(FlaskForm):
    name = StringField(_l("Village or residential group"), validators=[DataRequired(REQUIRED)],
                       render_kw={"maxlength": 200, "placeholder": "Tổ dân phố số 5"})


class ActionForm(FlaskForm):
    """A button that only needs CSRF protection."""


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(REQUIRED)], render_kw={"maxlength": 80})


def member_forms(team: Team, new_form: MemberForm | None = None, existing_form: ExistingMemberForm | None = None):
    """The two add-a-member forms of a team page, with the roles that team's level allows."""
    choices = [(r, labels.ROLE[r]) for r in ROLES_BY_LEVEL[team.level]]
    new_form = new_form or MemberForm(prefix="new")
    existing_form = existing_form or ExistingMemberForm(prefix="existing")
    new_form.role.choices = existing_form.role.choices = choices
    for form in (new_form, existing_form):
        if form.role.data is None:
            form.role.data = choices[-1][0]  # "member" preselected
    return new_form, existing_form

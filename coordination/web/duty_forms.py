"""Forms for rotas and shifts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import InputRequired, Optional

from coordination.duty import rota
from coordination.web import labels
from coordination.web.forms import DateField, FlaskForm, REQUIRED
from coordination.web.task_forms import WholeNumberField

WEEKDAYS = [("1", _l("Mon")), ("2", _l("Tue")), ("3", _l("Wed")), ("4", _l("Thu")), ("5", _l("Fri")),
            ("6", _l("Sat")), ("7", _l("Sun"))]


class RotaForm(FlaskForm):
    name = StringField(_l("Name"), default="Trực 24/7", render_kw={"maxlength": 120})
    first_start = StringField(_l("First shift starts at"), default="06:00",
                              render_kw={"type": "time", "required": True})
    shift_hours = WholeNumberField(_l("Hours per shift"), default=8, validators=[InputRequired(REQUIRED)])
    shifts_per_day = WholeNumberField(_l("Shifts per day"), default=3, validators=[InputRequired(REQUIRED)])
    required = WholeNumberField(_l("People per shift"), default=2, validators=[InputRequired(REQUIRED)])
    weekdays = SelectMultipleField(_l("Days"), choices=WEEKDAYS, default=[d for d, _ in WEEKDAYS],
                                   widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput())
    first_day = DateField(_l("From"), validators=[InputRequired(REQUIRED)])
    last_day = DateField(_l("To"), validators=[InputRequired(REQUIRED)])

    def rota_spec(self) -> rota.RotaSpec:
        """What was typed, for rota.generate."""
        return rota.RotaSpec(name=self.name.data, first_start=self.first_start.data, shift_hours=self.shift_hours.data,
                             shifts_per_day=self.shifts_per_day.data, required=self.required.data,
                             weekdays="".join(self.weekdays.data or []))


class ShiftForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired(REQUIRED)])
    start = StringField(_l("Starts"), validators=[InputRequired(REQUIRED)], render_kw={"type": "time"})
    end = StringField(_l("Ends"), validators=[InputRequired(REQUIRED)], render_kw={"type": "time"})
    required = WholeNumberField(_l("People"), default=2, validators=[InputRequired(REQUIRED)])
    note = StringField(_l("Note (optional)"), validators=[Optional()], render_kw={"maxlength": 200})


class AssignShiftForm(FlaskForm):
    person_id = SelectField(_l("Member"), choices=[], validate_choice=False)
    role = SelectField(_l("Role"), choices=list(labels.SHIFT_ROLE.items()), default="member")


class SwapForm(FlaskForm):
    first = SelectField(_l("This place"), choices=[], validate_choice=False)
    second = SelectField(_l("with this place"), choices=[], validate_choice=False)


class PatternForm(FlaskForm):
    name = StringField(_l("Pattern name"), validators=[InputRequired(REQUIRED)], render_kw={"maxlength": 120})
    required = WholeNumberField(_l("People per shift"), default=2, validators=[InputRequired(REQUIRED)])
    text = TextAreaField(_l("Shifts, one a line"), validators=[InputRequired(REQUIRED)],
                         render_kw={"rows": 6, "placeholder": "T2 22:00-06:00: An chính, Bình dự phòng\n"
                                                              "hằng ngày 06:00-14:00: Chi, Dũng"})
    weeks = WholeNumberField(_l("Weeks from this one"), default=1, validators=[InputRequired(REQUIRED)])


class ApplyPatternForm(FlaskForm):
    pattern_id = SelectField(_l("Pattern"), choices=[], validate_choice=False)
    weeks = WholeNumberField(_l("Weeks from this one"), default=1, validators=[InputRequired(REQUIRED)])


class CopyWeekForm(FlaskForm):
    weeks = WholeNumberField(_l("Copy this week to the next … weeks"), default=3, validators=[InputRequired(REQUIRED)])

"""Forms for tasks: creating and assigning, moving along, reporting progress, handing over."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (BooleanField, HiddenField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, widgets)
from wtforms.validators import DataRequired, InputRequired, Optional

from coordination.tasks.assignment import ALL, ONE, SELECTED, Targeting
from coordination.tasks.comments import MAX_BODY
from coordination.tasks.rules import TaskSpec
from coordination.web import labels
from coordination.web.forms import DateField, FlaskForm, REQUIRED

NOT_A_NUMBER = _l("Enter a whole number.")


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WholeNumberField(IntegerField):
    """An integer field whose parse error is in the user's language."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip().replace(".", "").replace(",", ""))
            except ValueError:
                self.data = None
                raise ValueError(NOT_A_NUMBER) from None
        else:
            self.data = None


class TaskForm(FlaskForm):
    kind = SelectField(_l("Kind of work"), choices=[], validate_choice=False)  # the rules check the catalogue
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED)], render_kw={"maxlength": 200})
    description = TextAreaField(_l("Details (optional)"), validators=[Optional()], render_kw={"rows": 3})
    target_count = WholeNumberField(_l("Target (optional)"), validators=[Optional()],
                                    render_kw={"inputmode": "numeric", "placeholder": "500"})
    target_unit = StringField(_l("Unit"), validators=[Optional()],
                              render_kw={"maxlength": 60, "placeholder": "người dân"})
    due_date = DateField(_l("Due date (optional)"), validators=[Optional()])
    priority = SelectField(_l("Priority"), choices=labels.choices(labels.PRIORITY), default="normal")
    mode = RadioField(_l("Assign to"), default=ALL, choices=[
        (ALL, _l("Every commune team matching the filter")), (SELECTED, _l("The communes I tick")),
        (ONE, _l("One commune"))])
    unit_type = SelectField(_l("Only"), choices=[("", _l("All types"))] + labels.choices(labels.UNIT_TYPE),
                            default="")
    skip_open = BooleanField(_l("Skip teams that already have an open task of this kind"))
    communes = CheckboxList(_l("Communes"), choices=[], validate_choice=False)
    expected = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = labels.active_kind_choices()

    def task_spec(self) -> TaskSpec:
        """The task that was described, for the rules (tasks.clean_spec checks it)."""
        return TaskSpec(kind=self.kind.data, title=self.title.data, description=self.description.data,
                        due_date=self.due_date.data, priority=self.priority.data,
                        target_count=self.target_count.data, target_unit=self.target_unit.data)

    def targeting(self, province_code: str | None) -> Targeting:
        """Who receives it: nationwide (province_code None) every commune team, else as chosen."""
        return Targeting(province_code=province_code, mode=self.mode.data if province_code else ALL,
                         commune_codes=self.communes.data or [], unit_type=self.unit_type.data or None,
                         skip_with_open_task=self.skip_open.data)


class StatusForm(FlaskForm):
    to_status = HiddenField(validators=[DataRequired(REQUIRED)])
    blocked_reason = StringField(_l("Why is it blocked?"), validators=[Optional()], render_kw={"maxlength": 500})


class ProgressForm(FlaskForm):
    delta = WholeNumberField(_l("How many more done?"), validators=[InputRequired(NOT_A_NUMBER)],
                             render_kw={"inputmode": "numeric", "min": 1})
    note = StringField(_l("Note (optional)"), validators=[Optional()], render_kw={"maxlength": 1000})
    confirm = BooleanField(_l("Yes, this number is right"))  # shown when the rules ask (a report far above the target)


class CorrectionForm(FlaskForm):
    amount = WholeNumberField(_l("Add or take away (e.g. -99800)"), validators=[InputRequired(NOT_A_NUMBER)],
                              render_kw={"inputmode": "numeric"})
    reason = StringField(_l("Why?"), validators=[DataRequired(REQUIRED)], render_kw={"maxlength": 1000})


class AssignForm(FlaskForm):
    person_id = SelectField(_l("Hand to"), choices=[], validate_choice=False)


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional()], render_kw={"maxlength": 1000})


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[Optional()], render_kw={"rows": 2, "maxlength": MAX_BODY})
    photo = FileField(_l("Photo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})

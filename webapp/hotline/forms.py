"""The hotline's forms: a call's outcome (the entry by phone uses the reports' own forms)."""

from __future__ import annotations

from datetime import time

from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.forms import Form
from webapp.hotline.models import CallOutcome
from webapp.i18n import _l
from webapp.inputs import parse_hhmm

OUTCOME_LABELS = {
    CallOutcome.REACHED: _l("Reached"),
    CallOutcome.NO_ANSWER: _l("No answer"),
    CallOutcome.REPORTED_BY_PHONE: _l("Reported by phone"),
    CallOutcome.DEVICE_PROBLEM: _l("Device problem"),
}


def _slot(_form: Form, field: HiddenField) -> None:
    if parse_hhmm(field.data) is None:
        raise ValidationError(_l("This form is out of date. Reload the page and send again."))


class CallForm(Form):
    outcome = RadioField(_l("How did the call go?"),
                         choices=[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()],
                         validators=[DataRequired(message=_l("Choose how the call went."))])
    phone = StringField(_l("Number called"), validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)], render_kw={"rows": 2})
    slot = HiddenField(validators=[Optional(), _slot])

    @property
    def outcome_value(self) -> CallOutcome:
        return CallOutcome(self.outcome.data)

    @property
    def slot_time(self) -> time | None:
        return parse_hhmm(self.slot.data)


from __future__ import annotations

from wtforms import DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from webapp.followups.rules import FollowUpKind
from webapp.followups.words import KIND_LABELS
from webapp.forms import Form, TextOnly
from webapp.i18n import _l


class TextDateField(TextOnly, DateField):
    """A date typed as text."""


class FollowUpForm(Form):
    kind = RadioField(_l("Kind"), choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in FollowUpKind],
                      validators=[InputRequired(_l("Choose the kind."))])
    polling_date = TextDateField(_l("Polling day"), validators=[InputRequired(_l("Enter the date."))])

from __future__ import annotations

from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.drills import services
from webapp.forms import Form, TextOnly
from webapp.i18n import _l


class TextDateTimeLocalField(TextOnly, DateTimeLocalField):
    """A date and time typed as text."""


class DrillForm(Form):
    """A new drill: its place, start and compressed schedule."""

    name = StringField(_l("Drill name"), validators=[Optional(), Length(max=200)])
    province = SelectField(_l("Province"), choices=[], validate_choice=True)
    starts_at = TextDateTimeLocalField(_l("Voting opens at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message=_l("Give the date and time of the start."))])
    slot_minutes = IntegerField(_l("Minutes between report times"), default=10,
                                validators=[InputRequired(), NumberRange(1, 180)],
                                render_kw={"inputmode": "numeric"})
    reports = IntegerField(_l("Number of report times"), default=services.DEFAULT_REPORTS,
                           validators=[InputRequired(), NumberRange(1, 12)], render_kw={"inputmode": "numeric"})
    count_minutes = IntegerField(_l("Minutes for the count after the polls close"),
                                 default=services.DEFAULT_COUNT_MINUTES,
                                 validators=[InputRequired(), NumberRange(1, 600)],
                                 render_kw={"inputmode": "numeric"})

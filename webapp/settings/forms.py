from __future__ import annotations

import re
from datetime import time

from wtforms import Field, FieldList, FormField, StringField
from wtforms.validators import ValidationError

from webapp.forms import Form, SubForm
from webapp.i18n import _l
from webapp.inputs import parse_int
from webapp.settings.services import TimeSlot

TIME_RE = re.compile(r"^([0-9]{1,2})[:hH.]([0-9]{2})(?::00)?$")
MAX_GRACE = 999  # minutes; the field takes three digits


def parse_time(value: str) -> time | None:
    """``9:00``, ``09:00``, ``9h30`` or the ``09:00:00`` of some browsers; None if it is not a time."""
    match = TIME_RE.match((value or "").strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _time_format(_form: Form, field: Field) -> None:
    if (field.data or "").strip() and parse_time(field.data) is None:
        raise ValidationError(_l("Write the time as HH:MM, for example 09:30."))


def _grace_format(_form: Form, field: Field) -> None:
    value = (field.data or "").strip()
    if value and parse_int(value, maximum=MAX_GRACE) is None:
        raise ValidationError(_l("Write a whole number of minutes."))


class TimeRowForm(SubForm):
    """One report time; a row left blank is ignored."""

    at = StringField(
        _l("Time"),
        validators=[_time_format],
        render_kw={"type": "time", "min": "05:00", "max": "21:00", "step": "60"},
    )
    grace = StringField(
        _l("Grace (minutes)"),
        validators=[_grace_format],
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": "3"},
    )

    def slot(self) -> TimeSlot | None:
        at = parse_time(self.at.data or "")
        if at is None:
            return None
        grace = (self.grace.data or "").strip()
        return TimeSlot(at, parse_int(grace, maximum=MAX_GRACE) or 0 if grace else 15)


class ReportTimesForm(Form):
    rows = FieldList(FormField(TimeRowForm), min_entries=1, max_entries=30)

    def slots(self) -> list[tuple[int, TimeSlot]]:
        """The filled rows as (row index, slot)."""
        return [(i, slot) for i, row in enumerate(self.rows) if (slot := row.form.slot()) is not None]

    def pad(self, blanks: int = 2) -> None:
        """Blank rows at the end to add times in (no JavaScript needed)."""
        while sum(1 for row in self.rows if not (row.form.at.data or "").strip()) < blanks and len(
            self.rows
        ) < (self.rows.max_entries or 30):
            self.rows.append_entry()

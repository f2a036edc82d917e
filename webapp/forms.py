"""The base of every form: one rule for text that no field may carry (NUL and other control characters),
checked before the field's own validators so that nothing downstream sees it. The field answers with an
error (422, the entries kept, the invisible characters taken out) instead of the database failing on it."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, FileField
from wtforms import Form as PlainForm
from wtforms.validators import StopValidation

from webapp.i18n import _l
from webapp.inputs import CONTROL_IN_TEXT


def refuse_control_characters(_form: Any, field: Field) -> None:
    """Text only, without control characters; a file sent where text is expected is refused too."""
    raw = getattr(field, "raw_data", None) or ()
    if isinstance(field, FileField):
        return
    if any(not isinstance(value, str) for value in raw):
        field.data = ""
        raise StopValidation(_l("This entry must be text."))
    if any(CONTROL_IN_TEXT.search(value) for value in raw):
        if isinstance(field.data, str):
            field.data = CONTROL_IN_TEXT.sub("", field.data)
        raise StopValidation(_l("This entry contains invisible control characters. Type it again."))


class TextOnly:
    """Mixed into a field parsed from text (a date, a date and time): anything else posted in its place (a file) is
    a wrong value and shown empty again, never an error page."""

    def process_formdata(self, valuelist: list[object]) -> None:
        if any(not isinstance(value, str) for value in valuelist):
            self.raw_data = [""]
            valuelist = [""]
        super().process_formdata(valuelist)  # type: ignore[misc]


class _Meta:
    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
        field.validators = [refuse_control_characters, *field.validators]
        return field


class Form(FlaskForm):
    """A form posted by a page (with its CSRF token)."""

    class Meta(_Meta, FlaskForm.Meta):
        pass


class SubForm(PlainForm):
    """A form without CSRF: a row inside a ``FormField`` or a GET filter read from the query string."""

    class Meta(_Meta, PlainForm.Meta):
        pass

"""The results a phone sends after running the readiness check (filled in by static/js/readiness.js)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from webapp.forms import Form
from webapp.i18n import _l
from webapp.readiness.services import PhoneResults

_YES_NO = Regexp(r"^[01]$", message=_l("This form is out of date. Reload the page and run the check again."))


def _uuid(_form: Form, field: HiddenField) -> None:
    try:
        uuid.UUID(str(field.data))
    except ValueError as exc:
        raise ValidationError(_l("This form is out of date. Reload the page and run the check again.")) from exc


def _epoch_ms(_form: Form, field: HiddenField) -> None:
    if not (field.data or "").isdigit() or len(field.data) > 13:
        raise ValidationError(_l("This form is out of date. Reload the page and run the check again."))


class ReadinessForm(Form):
    client_uuid = HiddenField(validators=[DataRequired(message=_l("Run the check with the button.")), _uuid])
    pages_cached = HiddenField(validators=[_YES_NO])
    storage_persistent = HiddenField(validators=[_YES_NO])
    app_version = HiddenField(validators=[Optional(), Length(max=20)])
    client_time = HiddenField(validators=[_epoch_ms])
    missing_pages = HiddenField(validators=[Optional(), Length(max=4000)])
    storage_note = HiddenField(validators=[Optional(), Length(max=200)])

    def to_results(self, user_agent: str) -> PhoneResults:
        return PhoneResults(
            client_uuid=uuid.UUID(self.client_uuid.data), pages_cached=self.pages_cached.data == "1",
            storage_persistent=self.storage_persistent.data == "1", app_version=self.app_version.data or "",
            client_time=datetime.fromtimestamp(int(self.client_time.data) / 1000, UTC), user_agent=user_agent,
            missing_pages=tuple((self.missing_pages.data or "").split()), storage_note=self.storage_note.data or "")

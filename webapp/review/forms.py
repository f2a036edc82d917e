"""Forms of the commune's review: each names the status the official was shown (the optimistic check)."""

from __future__ import annotations

from wtforms import HiddenField, SelectMultipleField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from webapp.forms import Form
from webapp.i18n import _l
from webapp.reports.models import ReportStatus
from webapp.review import reasons
from webapp.review.services import MIN_REOPEN_REASON

_STALE = _l("This page is out of date. Reload it and decide again.")


class _DecisionForm(Form):
    shown = HiddenField(validators=[DataRequired(message=_STALE),
                                    AnyOf([s.value for s in ReportStatus], message=_STALE)])

    @property
    def shown_status(self) -> ReportStatus:
        return ReportStatus(self.shown.data)


class ConfirmForm(_DecisionForm):
    pass


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ReturnForm(_DecisionForm):
    reasons = _Checkboxes(_l("Why the report goes back"), choices=[SelectChoice(code, label) for code, label in reasons.REASONS.items()],
                          validators=[DataRequired(message=_l("Tick at least one reason."))])
    text = TextAreaField(_l("Note for the polling team"), validators=[Length(max=1000)], render_kw={"rows": 3})

    def validate_text(self, field: TextAreaField) -> None:
        if reasons.NEEDS_TEXT & set(self.reasons.data or ()) and not (field.data or "").strip():
            raise ValidationError(_l("Write what is wrong: “Other” needs a note."))


class ReopenForm(Form):
    reason = TextAreaField(_l("Why reopen these confirmed numbers"), render_kw={"rows": 3}, validators=[
        DataRequired(message=_l("Write why the report is reopened.")),
        Length(min=MIN_REOPEN_REASON, max=1000,
               message=_l("Write at least %(n)d characters: the reason is kept in the audit log.",
                          n=MIN_REOPEN_REASON))])

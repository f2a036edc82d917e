from __future__ import annotations

from datetime import date

from wtforms import Field, Form, SelectField, StringField
from wtforms.validators import Length, ValidationError

from webapp.audit.browse import ENTITY_LABELS, AuditFilter, channel_label, entity_types
from webapp.audit.models import Channel
from webapp.forms import SubForm
from webapp.i18n import _l


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if (value or "").strip() else None
    except ValueError:
        return None


def _date_format(_form: Form, field: Field) -> None:
    if (field.data or "").strip() and _parse_date(field.data) is None:
        raise ValidationError(_l("Write the date as YYYY-MM-DD."))


class AuditFilterForm(SubForm):
    """The filters of the audit log, read from the query string (a GET form: no CSRF)."""

    entity_type = SelectField(_l("Kind of record"), choices=[], validate_choice=False)
    action = StringField(
        _l("Action"),
        validators=[Length(max=40)],
        render_kw={"list": "audit-actions", "autocapitalize": "none", "spellcheck": "false"},
    )
    actor = StringField(
        _l("By (username)"),
        validators=[Length(max=60)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    channel = SelectField(_l("Channel"), choices=[], validate_choice=False)
    date_from = StringField(_l("From"), validators=[_date_format], render_kw={"type": "date"})
    date_to = StringField(_l("To"), validators=[_date_format], render_kw={"type": "date"})
    area = StringField(
        _l("Polling area code"),
        validators=[Length(max=20)],
        render_kw={"inputmode": "numeric", "placeholder": "26743-01", "autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.entity_type.choices = [
            ("", _l("All")),
            *((t, str(ENTITY_LABELS.get(t, t))) for t in entity_types()),
        ]
        self.channel.choices = [("", _l("All")), *((c.value, channel_label(c)) for c in Channel)]

    def to_filter(self) -> AuditFilter:
        channel = self.channel.data or ""
        return AuditFilter(
            entity_type=(self.entity_type.data or "").strip(),
            action=(self.action.data or "").strip(),
            actor=(self.actor.data or "").strip(),
            channel=Channel(channel) if channel in {c.value for c in Channel} else None,
            date_from=_parse_date(self.date_from.data),
            date_to=_parse_date(self.date_to.data),
            area_code=(self.area.data or "").strip(),
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for the page links."""
        return {name: field.data for name, field in self._fields.items() if field.data}

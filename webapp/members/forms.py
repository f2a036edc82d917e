from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from webapp.forms import Form
from webapp.i18n import _l
from webapp.members.services import MAX_VICE_CHAIRS


def _names(text: str) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


class SignersForm(Form):
    chair = StringField(_l("Chair"), validators=[Length(max=200)])
    vice_chairs = TextAreaField(_l("Vice-chairs, one a line"), validators=[Length(max=2500)])
    secretary = StringField(_l("Secretary"), validators=[Length(max=200)])

    def validate_vice_chairs(self, field: TextAreaField) -> None:
        names = _names(field.data)
        if len(names) > MAX_VICE_CHAIRS:
            raise ValidationError(_l("At most %(n)d names.", n=MAX_VICE_CHAIRS))
        if any(len(n) > 200 for n in names):
            raise ValidationError(_l("A name has at most 200 characters."))

    @property
    def vice_chair_names(self) -> tuple[str, ...]:
        return tuple(_names(self.vice_chairs.data))

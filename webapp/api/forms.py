from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.i18n import _l

EXPIRY_CHOICES = [SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")),
                  SelectChoice("365", _l("1 year")), SelectChoice("7", _l("7 days")), SelectChoice("never", _l("Never"))]


class ApiTokenForm(FlaskForm):
    """A new personal API token for one's own account: what it is for, how long it lasts."""

    name = StringField(
        _l("What it is for"),
        validators=[DataRequired(message=_l("Say what the token is for.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    expires = SelectField(_l("Expires after"), choices=EXPIRY_CHOICES, default="30")

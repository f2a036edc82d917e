from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.forms import Form
from webapp.i18n import _l

EXPIRY_CHOICES = [SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")),
                  SelectChoice("365", _l("1 year")), SelectChoice("7", _l("7 days")), SelectChoice("never", _l("Never"))]


class ApiTokenForm(Form):
    """A new personal API token: whose account it acts as, what it is for, how long it lasts."""

    username = StringField(
        _l("Account (username)"),
        validators=[DataRequired(message=_l("Enter the username of the account.")), Length(max=60)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    name = StringField(
        _l("What it is for"),
        validators=[DataRequired(message=_l("Say what the token is for.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    expires = SelectField(_l("Expires after"), choices=EXPIRY_CHOICES, default="30")

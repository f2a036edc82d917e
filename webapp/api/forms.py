from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.forms import Form
from webapp.i18n import _l

EXPIRY_CHOICES = [SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")),
                  SelectChoice("365", _l("1 year")), SelectChoice("7", _l("7 days")), SelectChoice("never", _l("Never"))]


class ApiTokenForm(Form):
    """A new personal API token for one's own account: what it is for, how long it lasts."""

    name = StringField(
        _l("What it is for"),
        validators=[DataRequired(message=_l("Say what the token is for.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    expires = SelectField(_l("Expires after"), choices=EXPIRY_CHOICES, default="30")


SCOPE_CHOICES = [SelectChoice("progress:read", _l("Read the progress (turnout, reports received)")),
                 SelectChoice("results:read", _l("Read the results")),
                 SelectChoice("changes:read", _l("Follow the changes to results and turnout (changes feed)"))]
INTEGRATION_EXPIRY_CHOICES = [c for c in EXPIRY_CHOICES if c.value != "never"]


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class IntegrationTokenForm(ApiTokenForm):
    """A token for an integration account: which account, what it may read, and when it stops working (always)."""

    username = StringField(
        _l("Integration account (username)"),
        validators=[DataRequired(message=_l("Enter the username of the integration account.")), Length(max=60)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    scopes = _Checkboxes(_l("What it may read"), choices=SCOPE_CHOICES,
                         validators=[DataRequired(message=_l("Tick at least one thing it may read."))])
    expires = SelectField(_l("Expires after"), choices=INTEGRATION_EXPIRY_CHOICES, default="30")

from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import Form
from webapp.i18n import _l


class LoginForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter your username.")), Length(max=60)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password or activation code"),
        validators=[DataRequired(message=_l("Enter your password or activation code.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class SetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Choose a password.")),
            Length(min=8, max=200, message=_l("The password must have at least 8 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class AccountForm(Form):
    """A new official's account; the role's choices and the province list are set by the view."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Choose a username.")), Length(max=60)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    full_name = StringField(_l("Full name or unit"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=20)], render_kw={"inputmode": "tel", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=[])
    province_id = SelectField(_l("Province"), choices=[])
    commune_code = StringField(
        _l("Commune code (commune officials only)"),
        validators=[Length(max=5)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "5"},
    )

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from webapp.forms import Form
from webapp.i18n import _l
from webapp.voters.models import VoterChangeCause
from webapp.voters.rules import REMOVALS


class TextDateField(DateField):
    """A date typed as text: anything else posted under its name (a file) reads as blank, never a 500."""

    def process_formdata(self, valuelist: list) -> None:  # type: ignore[type-arg]
        self.raw_data = [v if isinstance(v, str) else "" for v in valuelist]
        super().process_formdata(self.raw_data)


class VoterImportForm(Form):
    file = FileField(
        _l("Voter list file (Mẫu 31, .xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose a file to import."))],
        render_kw={"accept": ".xlsx,.csv"},
    )


CAUSE_LABELS = {
    VoterChangeCause.MOVED_AWAY: _l("Moved away"),
    VoterChangeCause.CERTIFICATE_GIVEN: _l("Certificate to vote elsewhere (Mẫu 11/HĐBC)"),
    VoterChangeCause.DETAINED: _l("Detained"),
    VoterChangeCause.RIGHTS_LOST: _l("Voting rights lost"),
    VoterChangeCause.DEATH: _l("Death"),
    VoterChangeCause.UNREACHABLE: _l("Unreachable while cards were handed out"),
}


class RemovalForm(Form):
    cause = SelectField(
        _l("Cause"),
        choices=[SelectChoice(c.value, CAUSE_LABELS[c]) for c in VoterChangeCause if c in REMOVALS],
        validators=[InputRequired(message=_l("Choose the cause."))],
        invalid_choice_message=_l("Choose the cause."),
    )
    document = StringField(_l("Document it rests on"), validators=[
        InputRequired(message=_l("Name the document the change rests on.")), Length(max=300)])
    certificate_number = StringField(_l("Certificate number"), validators=[Optional(), Length(max=50)])
    destination = StringField(_l("Polling area code where the voter will vote"),
                              validators=[Optional(), Length(max=20)])


class FreezeForm(Form):
    pass


ADDITION_LABELS = {
    VoterChangeCause.MOVED_IN: _l("Moved in (permanent residence)"),
    VoterChangeCause.TEMPORARY_RESIDENCE: _l("Temporary resident who asks to vote here"),
    VoterChangeCause.RIGHTS_RESTORED: _l("Voting rights restored"),
    VoterChangeCause.RELEASED: _l("Released from detention or a facility"),
}


class AdditionForm(Form):
    cause = SelectField(_l("Cause"), choices=[SelectChoice(c.value, label) for c, label in ADDITION_LABELS.items()],
                        validators=[InputRequired(message=_l("Choose the cause."))],
                        invalid_choice_message=_l("Choose the cause."))
    document = StringField(_l("Document it rests on"), validators=[
        InputRequired(message=_l("Name the document the change rests on.")), Length(max=300)])
    full_name = StringField(_l("Full name"), validators=[InputRequired(message=_l("Enter the full name.")),
                                                         Length(max=200)])
    birth_date = TextDateField(_l("Date of birth"), validators=[InputRequired(message=_l("Enter the date of birth."))])
    gender = SelectField(_l("Sex"), choices=[SelectChoice("male", _l("Male")), SelectChoice("female", _l("Female"))],
                         invalid_choice_message=_l("Choose the sex."))
    id_number = StringField(_l("Personal ID number (12 digits)"), validators=[
        InputRequired(message=_l("The personal ID number must be 12 digits.")), Length(max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "12"})
    ethnicity = StringField(_l("Ethnicity"), default="Kinh", validators=[Length(max=50)])
    permanent_address = StringField(_l("Permanent residence"), validators=[Length(max=300)])
    temporary_address = StringField(_l("Temporary residence"), validators=[Length(max=300)])
    temporary_since = TextDateField(_l("Temporary residence since"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Length(max=500)])

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from webapp.forms import Form
from webapp.i18n import _l
from webapp.voters.models import VoterChangeCause
from webapp.voters.rules import REMOVALS


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

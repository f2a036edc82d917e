from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from webapp.forms import Form
from webapp.i18n import _l
from webapp.imports.datasets import DATASETS


class ImportForm(Form):
    dataset = SelectField(
        _l("What the file contains"),
        choices=[SelectChoice(key, _l(d.title)) for key, d in DATASETS.items()],
        validators=[InputRequired(message=_l("Choose what the file contains."))],
        invalid_choice_message=_l("Choose what the file contains."),
    )
    file = FileField(
        _l("File (.xlsx or .csv)"),
        validators=[FileRequired(message=_l("Choose a file to import."))],
        render_kw={
            "accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
        },
    )
    dry_run = BooleanField(_l("Only check the file; save nothing"))

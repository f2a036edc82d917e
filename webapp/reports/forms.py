"""Forms of the leader's reports. Numbers are read as text and handed to the checks as typed: the checks
(``webapp.reports.checks``) are the one place that says what is blank, not a whole number or negative."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import time
from typing import Any

from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.forms import Form
from webapp.i18n import _l
from webapp.inputs import parse_hhmm, parse_int
from webapp.reports.check_messages import FIELD_LABELS
from webapp.reports.checks import COMPLAINT_FIELDS, COUNT_FIELDS, INVENTORY_FIELDS, CountInput
from webapp.reports.counts import CountData
from webapp.reports.turnout import TurnoutInput

NUMBER = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off", "class": "number"}
# Codes of the checks whose findings need a written explanation (Severity.EXPLAIN).
EXPLAIN_CODES = ("issued_ne_voted", "received_lt_issued", "turnout_ne_voted", "on_list_ne_frozen",
                 "inventory_ne_received")
NUMBER_FIELDS = COUNT_FIELDS
_GROUPED = re.compile(r"[0-9]{1,3}(?:[.,\s][0-9]{3})+")
_MAX = 99_999_999


def parse_number(raw: str | None) -> int | str | None:
    """"1.234", "1 234" and "1234" are 1234; blank is None; anything else (other scripts' digits, more than
    ``_MAX``) is returned as typed, for the checks to name it."""
    text = (raw or "").strip()
    if not text:
        return None
    digits = re.sub(r"[^0-9]", "", text) if _GROUPED.fullmatch(text) else text
    value = parse_int(digits, maximum=_MAX)
    return text if value is None else value


def _uuid_field(form: Form, field: HiddenField) -> None:
    try:
        uuid.UUID(str(field.data))
    except ValueError:
        raise ValidationError(_l("This form is out of date. Reload the page and send again.")) from None


class _ReportForm(Form):
    client_uuid = HiddenField(validators=[_uuid_field])

    def fresh_uuid(self) -> None:
        if not self.client_uuid.data:
            self.client_uuid.data = str(uuid.uuid4())

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(str(self.client_uuid.data))


def _slot(form: Form, field: HiddenField) -> None:
    if field.data and parse_hhmm(field.data) is None:
        raise ValidationError(_l("This form is out of date. Reload the page and send again."))


class _SlotForm(_ReportForm):
    slot = HiddenField(validators=[_slot])

    def slot_time(self) -> time | None:
        return parse_hhmm(self.slot.data)


class TurnoutForm(_SlotForm):
    per_contest = HiddenField()
    voted = StringField(_l("Voters who have voted so far"), render_kw={**NUMBER, "class": "number huge"})
    reason = TextAreaField(_l("Reason (needed only when the number is lower than the last report)"),
                           validators=[Length(max=500)], render_kw={"rows": 2})

    @property
    def is_per_contest(self) -> bool:
        return self.per_contest.data == "1"

    def to_input(self, contest_ids: Sequence[int], raw: Mapping[str, str]) -> TurnoutInput:
        if self.is_per_contest:
            per = {cid: parse_number(raw.get(f"contest_{cid}")) for cid in contest_ids}
            return TurnoutInput(per_contest=per, reason=self.reason.data or "", slot=self.slot_time())  # type: ignore[arg-type]
        return TurnoutInput(voted=parse_number(self.voted.data), reason=self.reason.data or "",  # type: ignore[arg-type]
                            slot=self.slot_time())


class NoChangeForm(_SlotForm):
    repeat = HiddenField(validators=[DataRequired()])


class PhotoForm(_ReportForm):
    pass


class ReadBackForm(Form):
    """Ticked on the read-back of an entry by phone: the hotline read every number back and the leader confirmed
    it."""

    read_back = BooleanField(_l("I read every number back to the leader and the leader confirmed it"),
                             validators=[DataRequired(message=_l("Read the numbers back to the leader first."))])


class _CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CountForm(_ReportForm):
    """Built per contest by ``count_form``: the candidates' vote fields and the team's checkboxes vary."""

    complaints_note = TextAreaField(_l("Complaints: how they were resolved (if any)"),
                                    validators=[Length(max=2000)], render_kw={"rows": 2})
    signers = _CheckboxList(_l("Team members who sign the minutes"), coerce=int,
                            validators=[DataRequired(message=_l("Tick the team members who sign."))])
    witness_1 = StringField(_l("First witness voter"), validators=[
        DataRequired(message=_l("Write the names of the two witness voters.")), Length(max=200)],
        render_kw={"autocomplete": "off"})
    witness_2 = StringField(_l("Second witness voter"), validators=[
        DataRequired(message=_l("Write the names of the two witness voters.")), Length(max=200)],
        render_kw={"autocomplete": "off"})

    candidate_ids: tuple[int, ...] = ()
    seats: int = 0

    def validate_witness_2(self, field: StringField) -> None:
        if (field.data or "").strip().casefold() == (self.witness_1.data or "").strip().casefold() and field.data:
            raise ValidationError(_l("The two witnesses must be two different people."))

    def votes_field(self, candidate_id: int) -> Any:
        return self[f"votes_{candidate_id}"]

    def names_kept_fields(self) -> list[Any]:
        return [self[f"names_kept_{k}"] for k in range(1, self.seats + 1)]

    def numbers(self) -> CountInput:
        values: dict[str, Any] = {name: parse_number(self[name].data)
                                  for name in (*NUMBER_FIELDS, *COMPLAINT_FIELDS, *INVENTORY_FIELDS)}
        kept = {k: parse_number(self[f"names_kept_{k}"].data) for k in range(1, self.seats + 1)}
        # The breakdown by names kept is optional: used only when the team filled it in.
        names_kept = {k: (0 if v is None else v) for k, v in kept.items()} if any(
            v is not None for v in kept.values()) else None
        return CountInput(votes={cid: parse_number(self[f"votes_{cid}"].data) for cid in self.candidate_ids},
                          names_kept=names_kept, **values)  # type: ignore[arg-type]

    def explanations(self) -> dict[str, str]:
        return {code: (self[f"explain_{code}"].data or "").strip() for code in EXPLAIN_CODES}

    def to_data(self) -> CountData:
        return CountData(numbers=self.numbers(), signer_ids=tuple(self.signers.data or ()),
                         witnesses=(self.witness_1.data or "", self.witness_2.data or ""),
                         explanations=self.explanations(), complaints_note=self.complaints_note.data or "")


def count_form(seats: int, candidates: Iterable[tuple[int, str]], team: Iterable[tuple[int, str]],
               **kwargs: Any) -> CountForm:
    """A CountForm for one contest of one area: a vote field per candidate, a checkbox per team member, from the
    unit's seats and the (id, name) of its candidates and of the team (``CountReview.ballot`` or
    ``StationConfig.ballot``)."""
    form = _count_form_class(seats, tuple(candidates))(**kwargs)
    form.signers.choices = list(team)
    return form


@functools.lru_cache(maxsize=1024)
def _count_form_class(seats: int, candidates: tuple[tuple[int, str], ...]) -> type[CountForm]:
    # Building the class costs as much as filling it in; a unit's ballot is the same all day. (Labels are lazy
    # strings, translated when shown, so one class serves every language.)
    class F(CountForm):
        pass

    for name in NUMBER_FIELDS:
        setattr(F, name, StringField(FIELD_LABELS[name], render_kw=NUMBER))
    for name in COMPLAINT_FIELDS:
        setattr(F, name, StringField(FIELD_LABELS[name], default="0", render_kw=NUMBER))
    for name in INVENTORY_FIELDS:
        setattr(F, name, StringField(FIELD_LABELS[name], render_kw=NUMBER))
    for candidate_id, full_name in candidates:
        setattr(F, f"votes_{candidate_id}", StringField(full_name, render_kw=NUMBER))
    for k in range(1, seats + 1):
        setattr(F, f"names_kept_{k}", StringField(render_kw=NUMBER))
    for code in EXPLAIN_CODES:
        setattr(F, f"explain_{code}", TextAreaField(validators=[Length(max=1000)], render_kw={"rows": 3}))
    F.candidate_ids = tuple(candidate_id for candidate_id, _name in candidates)
    F.seats = seats
    return F

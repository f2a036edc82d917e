"""What the pages and the API say about follow-up votes."""

from __future__ import annotations

from webapp.followups.rules import FollowUpKind
from webapp.i18n import _l

KIND_LABELS = {FollowUpKind.ADDITIONAL: _l("Additional election"), FollowUpKind.REPEAT: _l("Repeat election")}

# FollowUpRefused.code -> the sentence (the API's problem code is "follow_up_" + the code).
REFUSALS = {
    "not_called_for": _l("This unit's result does not call for an additional or repeat election (or it has "
                         "already been created, or every polling area's minutes are not confirmed yet)."),
    "calls_for_additional": _l("This unit's result calls for an additional election, not a repeat election."),
    "calls_for_repeat": _l("This unit's result calls for a repeat election, not an additional election."),
    "date_not_after": _l("The date must be after the vote it follows."),
    "date_too_late": _l("The date must be at the latest 7 days after the vote it follows."),
    "date_past": _l("The date cannot be in the past."),
    "not_allowed": _l("Only the election committee that runs this unit creates its follow-up vote."),
}

"""What a refused drill says (services.DrillError codes), for the pages and the command line alike."""

from __future__ import annotations

from webapp.i18n import _l

REFUSALS = {
    "slot_range": _l("The minutes between report times must be between 1 and 180."),
    "reports_range": _l("A drill has between 1 and 12 report times."),
    "count_range": _l("The count lasts between 1 and 600 minutes."),
    "past_midnight": _l("A drill must end on the day it starts (before midnight)."),
    "from_drill": _l("A drill is made from the real election, not from another drill."),
    "no_province": _l("No such province."),
    "not_a_drill": _l("Only a drill can be reset or deleted."),
}

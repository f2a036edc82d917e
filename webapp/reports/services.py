"""The reports services in one place, for the views and the API: every function takes the session, the actor
(``audit.Actor``: the user, the channel and the address, which feed both the report and its audit entry), the
clock (``now``) and a client-generated id, validates and checks within the user's scope, writes through
``webapp.reports.versions``, and never commits. Sending the same client id again returns the first result and
creates nothing."""

from webapp.reports.common import (
    ClientUuidConflict,
    ContestNotHeld,
    NoReportTimes,
    NotAllowed,
    ReportError,
    ReportLocked,
    ReportRejected,
    ReportSuperseded,
    StationDay,
    StationHistory,
    Submission,
    UnknownReportTime,
    find_receipt,
    may_submit,
    photo_for,
    station_day,
    station_history,
)
from webapp.reports.counts import (
    CountData,
    CountReview,
    count_report_for,
    next_unsent,
    review_count,
    station_counts,
    station_for_send,
    submit_count,
)
from webapp.reports.photos import PhotoRejected, attach_photo
from webapp.reports.turnout import TurnoutInput, TurnoutOverview, submit_turnout, turnout_overview, vet_turnout

__all__ = [
    "ClientUuidConflict", "ContestNotHeld", "CountData", "CountReview", "NoReportTimes",
    "NotAllowed",
    "PhotoRejected", "ReportError", "ReportLocked", "ReportRejected", "ReportSuperseded", "StationDay",
    "StationHistory", "Submission",
    "TurnoutInput", "TurnoutOverview", "UnknownReportTime", "attach_photo", "count_report_for", "find_receipt",
    "may_submit", "next_unsent", "photo_for", "review_count", "station_counts", "station_day", "station_for_send", "station_history",
    "submit_count",
    "submit_turnout", "turnout_overview", "vet_turnout",
]

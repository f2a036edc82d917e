"""The leader's report pages: turnout during the day, the count minutes with live checks and a read-back,
the photo of the signed paper, and the station's history. Everyone in scope may look; only the area's
polling-team leader may send."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint

from webapp.i18n import _l
from webapp.reports import receipts
from webapp.reports.check_messages import FIELD_LABELS, describe, field_label
from webapp.reports.models import ReportStatus
from webapp.reports.words import vi_words

bp = Blueprint("reports", __name__)

STATUS_LABELS = {
    ReportStatus.RECEIVED: _l("Received"),
    ReportStatus.RETURNED: _l("Returned for correction"),
    ReportStatus.CONFIRMED: _l("Confirmed"),
}
CONTEST_SHORT = {
    "na": _l("National Assembly"),
    "provincial": _l("Provincial People's Council"),
    "commune": _l("Commune People's Council"),
}
CHANNEL_LABELS = {
    "web": _l("web page"),
    "api": _l("phone app"),
    "phone": _l("by phone, via the hotline"),
    "import": _l("import"),
    "cli": _l("command line"),
    "system": _l("system"),
}


@bp.app_template_filter("vi_words")
def _vi_words(value: int | None) -> str:
    return "" if value is None else vi_words(int(value))


@bp.app_template_filter("receipt")
def _receipt(code: str) -> str:
    return receipts.display(code)


@bp.app_template_filter("field_label")
def _field_label(name: str, candidate_names: Mapping[int, str] | None = None) -> str:
    return field_label(name, candidate_names)


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"REPORT_STATUS": STATUS_LABELS, "REPORT_CHANNEL": CHANNEL_LABELS, "REPORT_CONTEST_SHORT": CONTEST_SHORT,
            "FIELD_LABELS": FIELD_LABELS, "describe_finding": describe}


from webapp.reports.views import count, history, photo_by_uuid, photos, turnout  # noqa: F401  (routes)

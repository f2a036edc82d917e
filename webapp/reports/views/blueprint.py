"""The reports' blueprint, its template filters and labels; the route modules of ``webapp.reports.views`` import
it from here, so that none imports the package that imports them."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint

from webapp.labels import CHANNELS, CONTEST_SHORT, REPORT_STATUS, STATION_STATUS
from webapp.reports import receipts
from webapp.reports.check_messages import FIELD_LABELS, describe, field_label
from webapp.reports.checks import COMPLAINT_FIELDS, COUNT_FIELDS, INVENTORY_FIELDS
from webapp.reports.words import vi_words

bp = Blueprint("reports", __name__)


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
    return {"REPORT_STATUS": REPORT_STATUS, "REPORT_CHANNEL": CHANNELS, "REPORT_CONTEST_SHORT": CONTEST_SHORT,
            "FIELD_LABELS": FIELD_LABELS, "COUNT_FIELDS": COUNT_FIELDS, "COMPLAINT_FIELDS": COMPLAINT_FIELDS,
            "INVENTORY_FIELDS": INVENTORY_FIELDS, "STATION_STATUS": STATION_STATUS, "describe_finding": describe}


"""The photo of the signed minutes addressed by the client id of its numbers: a photo taken offline waits in the
outbox behind numbers that have no report id yet (``data-offline-after``), and is sent here once they are in."""

from __future__ import annotations

import uuid

from flask import abort
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.reports import services
from webapp.reports.forms import PhotoForm
from webapp.reports.models import CountReport
from webapp.reports.views import bp
from webapp.reports.views.photos import receive_photo


def _report_by_uuid(numbers_uuid: uuid.UUID) -> CountReport:
    """The version of the count minutes sent with this client id, if the user sees its area (else 404)."""
    report = db.session.scalar(scope.select(CountReport, current_user).where(CountReport.client_uuid == numbers_uuid))
    if report is None:
        abort(404)
    return report


@bp.post("/reports/count/by-uuid/<uuid:numbers_uuid>/photo")
@login_required
def photo_by_uuid(numbers_uuid: uuid.UUID) -> Response:
    """The leader's photo of the signed minutes whose numbers were sent with ``numbers_uuid``."""
    report = _report_by_uuid(numbers_uuid)
    if not services.may_submit(current_user, report.polling_area):
        abort(403)
    return receive_photo(report, PhotoForm())

"""The photo of the signed minutes addressed by the client id of its numbers: a photo taken offline waits in the
outbox behind numbers that have no report id yet (``data-offline-after``), and is sent here once they are in."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.audit.models import Channel
from webapp.htmx import render
from webapp.i18n import _
from webapp.reports import services
from webapp.reports.forms import PhotoForm
from webapp.reports.models import CountReport
from webapp.reports.photos import MAX_BYTES
from webapp.reports.views import bp, reporting_now
from webapp.reports.views.photos import PHOTO_ERRORS, upload_dir


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
    form = PhotoForm()
    error = None
    if form.validate_on_submit():
        upload = next((f for f in request.files.getlist("photo") if f.filename), None)
        content = upload.read(MAX_BYTES + 1) if upload else b""
        try:
            result = services.attach_photo(db.session, actor=current_user, report_id=report.id, content=content,
                                           client_uuid=form.uuid, channel=Channel.WEB, now=reporting_now(),
                                           upload_dir=upload_dir())
        except services.PhotoRejected as exc:
            error = str(PHOTO_ERRORS[exc.code])
        except services.ClientUuidConflict:
            error = _("This form was already used for another photo. Reload the page and send again.")
        else:
            db.session.commit()
            flash(_("The photo of the minutes was received.") if not result.replayed
                  else _("This photo had already been received."), "success")
            return redirect(url_for("reports.count_version", report_id=report.id), 303)
    return render("reports/photo.html", "reports/_photo_form.html", status=422, report=report, form=form,
                  error=error)

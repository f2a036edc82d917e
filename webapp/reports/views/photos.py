"""The photo of the signed paper minutes: sent after the numbers, shown to those in scope."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.audit.models import Channel
from webapp.htmx import render
from webapp.i18n import _, _l
from webapp.reports import services
from webapp.reports.forms import PhotoForm
from webapp.reports.models import CountReport, ReportStatus
from webapp.reports.photos import MAX_BYTES, stored_path
from webapp.clock import reporting_now
from webapp.reports.views.blueprint import bp

PHOTO_ERRORS = {
    "empty": _l("Choose or take a photo first."),
    "too_large": _l("The photo is too large. Take it again, or choose a smaller one."),
    "not_an_image": _l("This file is not a photo that can be read. Take the photo again."),
    "unsupported_format": _l("Send the photo as JPEG, PNG or WebP (the camera's usual format)."),
    "too_many_pixels": _l("The photo is too large. Take it again, or choose a smaller one."),
    "too_small": _l("The photo is too small to read. Take it again, closer to the paper."),
}


def upload_dir() -> Path:
    return Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")


def _sendable(report: CountReport | None) -> CountReport:
    """The version whose photo the user may send: 404 out of scope, 403 unless the area's leader."""
    if report is None:
        abort(404)
    if not services.may_submit(current_user, report.polling_area):
        abort(403)
    return report


@bp.route("/reports/count/<int:report_id>/photo", methods=["GET", "POST"])
@login_required
def photo(report_id: int) -> Response:
    """The leader takes or chooses the photo of the signed paper minutes of one version."""
    report = _sendable(services.count_report_for(db.session, current_user, report_id))
    form = PhotoForm()
    if request.method == "GET":
        form.fresh_uuid()
        return render("reports/photo.html", "reports/_photo_form.html", report=report, form=form, error=None,
                      closed=closed_message(report))
    return receive_photo(report, form)


@bp.post("/reports/count/by-uuid/<uuid:numbers_uuid>/photo")
@login_required
def photo_by_uuid(numbers_uuid: uuid.UUID) -> Response:
    """The photo of the minutes whose numbers were sent with ``numbers_uuid``: a photo taken offline waits in the
    outbox behind numbers that have no report id yet (``data-offline-after``), and is sent here once they are in."""
    report = db.session.scalar(scope.select(CountReport, current_user).where(CountReport.client_uuid == numbers_uuid))
    return receive_photo(_sendable(report), PhotoForm())


def closed_message(report: CountReport) -> str | None:
    """Why no photo can be attached to this version any more (None: it can)."""
    if not report.is_latest:
        return str(_("A newer version of these minutes was sent. Attach the photo to the version that counts."))
    if report.status is ReportStatus.CONFIRMED:
        return str(_("The commune has confirmed these minutes: a photo can no longer be attached. Ask the commune "
                     "to reopen them if a photo must be added."))
    return None


def receive_photo(report: CountReport, form: PhotoForm) -> Response:
    """The photo sent for ``report`` (the leader's page and the outbox's by-uuid route alike): 303 to the version
    once attached; 422 for a photo to take again; 409, final for the outbox, when the version no longer takes
    photos (superseded, or confirmed: only a reopening allows one)."""
    error = None
    if form.validate_on_submit():
        # Two inputs share the name (camera, gallery); the one the leader did not use arrives empty.
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
        except (services.ReportLocked, services.ReportSuperseded):
            db.session.rollback()
            return _closed(report)
        else:
            flash(_("The photo of the minutes was received.") if not result.replayed
                  else _("This photo had already been received."), "success")
            return redirect(url_for("reports.count_version", report_id=report.id), 303)
    return render("reports/photo.html", "reports/_photo_form.html", status=422, report=report, form=form,
                  error=error, closed=None)


def _closed(report: CountReport) -> Response:
    db.session.refresh(report)
    message = closed_message(report) or str(_("These minutes can no longer take a photo. Reload the page."))
    response = render("reports/photo.html", "reports/_photo_form.html", status=409, report=report,
                      form=PhotoForm(formdata=None), error=None, closed=message)
    # The outbox keeps the item, stops retrying it and shows this sentence (static/js/outbox.js).
    response.headers["X-Outbox-Message"] = quote(message)
    return response


@bp.get("/reports/photos/<int:photo_id>")
@login_required
def photo_file(photo_id: int) -> Response:
    """The stored photo itself, to those who may see its report."""
    found = services.photo_for(db.session, current_user, photo_id)
    try:
        path = stored_path(upload_dir(), found.path)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

"""The drill report of a commune or a province: a page, a PDF (the record of the trial run) and an XLSX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.audit.models import Channel
from webapp.clock import to_local, utcnow
from webapp.drillreport import services, xlsx
from webapp.elections.models import Election, PollingArea
from webapp.geo.models import Province
from webapp.hotline.forms import OUTCOME_LABELS
from webapp.htmx import render
from webapp.i18n import _l
from webapp.readiness.services import taking_part
from webapp.results.pdf import pdf_response, render_form, write_pdf
from webapp.review.reasons import labels as reason_labels
from webapp.web import roles_required

bp = Blueprint("drillreport", __name__)
F = TypeVar("F", bound=Callable[..., Any])

READERS = (Role.COMMUNE, Role.HOTLINE, Role.PROVINCE, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHANNEL_LABELS = {Channel.WEB: _l("app"), Channel.API: _l("API"), Channel.PHONE: _l("by phone (hotline)"),
                  Channel.IMPORT: _l("import"), Channel.CLI: _l("command line"), Channel.SYSTEM: _l("system")}


def channel_label(channel: Channel | str | None) -> str:
    """The channel in words (a channel added later, e.g. the drill's simulated stations, shows as it is stored)."""
    return str(CHANNEL_LABELS.get(channel, channel or ""))  # type: ignore[arg-type]


def _report(code: str, commune_id: int | None, province_id: int | None) -> services.DrillReport:
    try:
        election = services.find_election(db.session, code)
    except services.UnknownElection:
        abort(404)
    level, place_id = ("commune", commune_id) if commune_id is not None else ("province", province_id)
    return services.drill_report(db.session, current_user, election, level, place_id, utcnow())  # type: ignore[arg-type]


def _routes(suffix: str) -> Callable[[F], F]:
    """The same view for a commune's report and a province's."""
    def decorator(view: F) -> F:
        view = bp.get(f"/drill-reports/<code>/communes/<int:commune_id>{suffix}")(view)
        return bp.get(f"/drill-reports/<code>/provinces/<int:province_id>{suffix}")(view)
    return decorator


@bp.get("/drill-reports/")
@roles_required(*READERS)
def index() -> Response:
    """The elections (drills first, newest first) with the report of the user's own place."""
    rows = db.session.scalars(sa.select(Election).order_by(Election.is_drill.desc(), Election.polling_date.desc(),
                                                           Election.id.desc())).all()
    s = scope.Scope.of(current_user)
    provinces: dict[int, list[Province]] = {}
    if s.level is scope.Level.NATION:
        for election in rows:
            provinces[election.id] = list(db.session.scalars(sa.select(Province).where(Province.id.in_(
                sa.select(PollingArea.province_id).where(taking_part(election)))).order_by(Province.code)))
    return render("drillreport/index.html", "drillreport/_index.html", elections=rows, scope=s,
                  provinces=provinces)


@_routes("")
@roles_required(*READERS)
def page(code: str, commune_id: int | None = None, province_id: int | None = None) -> Response:
    """The report on screen."""
    report = _report(code, commune_id, province_id)
    return render("drillreport/report.html", "drillreport/_report.html", report=report,
                  channel_label=channel_label, reason_labels=reason_labels)


@_routes(".pdf")
@roles_required(*READERS)
def pdf(code: str, commune_id: int | None = None, province_id: int | None = None) -> Response:
    """The report as the PDF a locality files as the record of its trial run."""
    report = _report(code, commune_id, province_id)
    html = render_form("drillreport/report.pdf.html", pdf=True, report=report, now=to_local(report.generated_at),
                       channel_label=channel_label, reason_labels=reason_labels)
    body = write_pdf([html], current_app.static_folder or "static")
    return pdf_response(body, _filename(report, "pdf"))  # type: ignore[arg-type]


@_routes(".xlsx")
@roles_required(*READERS)
def workbook(code: str, commune_id: int | None = None, province_id: int | None = None) -> Response:
    """The report as XLSX: every station and report time."""
    report = _report(code, commune_id, province_id)
    response = Response(xlsx.workbook(report, OUTCOME_LABELS, channel_label), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(report, "xlsx")}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filename(report: services.DrillReport, ext: str) -> str:
    return f"dien-tap-{report.election.code}-{report.level}-{report.place.code}.{ext}"


def report_url(election: Election, endpoint: str = "drillreport.page") -> str | None:
    """The report of the user's own place, when the user has one narrower than the country."""
    s = scope.Scope.of(current_user)
    if s.level is scope.Level.COMMUNE:
        return url_for(endpoint, code=election.code, commune_id=s.commune_id)
    if s.level is scope.Level.PROVINCE:
        return url_for(endpoint, code=election.code, province_id=s.province_id)
    return None


bp.add_app_template_global(report_url, "drill_report_url")

"""The official forms as PDF and as printable pages, and the commune's batch of count minutes."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.audit import services as audit
from webapp.clock import utcnow
from webapp.elections.models import ContestKind
from webapp.followups import services as followups
from webapp.geo.models import Commune
from webapp.members import services as members
from webapp.htmx import is_fragment_request, render
from webapp.results import batch, documents, minutes, progress, services, statistics
from webapp.results.pdf import render_form
from webapp.web import roles_required

bp = Blueprint("results_print", __name__, url_prefix="/results")

READERS = (Role.COMMUNE, Role.PROVINCE, Role.ADMIN, Role.HOTLINE)
PROVINCE_READERS = (Role.PROVINCE, Role.ADMIN, Role.HOTLINE)


@dataclasses.dataclass(frozen=True)
class Printed:
    """What the audit log keeps of an official form printed (or opened to print): which form, of which place,
    from which data (the minutes' version, or a digest of the figures it prints). A progress report is no
    official form (``official=False``): made the same way, not audited."""

    form: str
    place: tuple[int | None, int | None, int | None]
    data_version: str
    official: bool = True


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _units_version(outcomes: Any) -> str:
    # Figures are plain values (names, votes, the law's decision): their repr is the data the form prints.
    return _digest([(o.unit.id, o.expected, o.confirmed, o.received, o.sealed, o.official, o.provisional)
                    for o in outcomes])


def _audit(printed: Printed, pdf: bool) -> None:
    if printed.official:
        audit.record_event(db.session, action="print", entity_type="form", entity_id=printed.form,
                           place=printed.place, after={"form": printed.form, "data_version": printed.data_version,
                                                       "pdf": pdf})


def _printed(template: str, pdf: bool, filename: str, printed: Printed, **context: Any) -> Response:
    """The form as a PDF (made in the background: ``_pdf_file``), or as the printable page with a toolbar; an
    official form's printing is audited (who, which form, which data version)."""
    if pdf:
        return _pdf_file(template, filename, printed, context)
    _audit(printed, pdf=False)
    pdf_url = _pdf_url()
    referrer = request.referrer or ""
    back_url = referrer if referrer.startswith(request.host_url) else url_for("results.index")
    html = render_form(template, pdf=False, pdf_url=pdf_url, pdf_post=True, back_url=back_url, **context)
    response = make_response(html)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _pdf_url() -> str:
    """The address of this form's PDF, with the same query."""
    # The route's own values win over query names that collide with them (?commune_id=…, ?pdf=…).
    return url_for(request.endpoint or "", **{**request.args.to_dict(), **(request.view_args or {}), "pdf": True})


def _form_file(filename: str, printed: Printed, context: dict[str, Any]) -> batch.Batch:
    """Where the form's PDF is made: named by the form's file name and a digest of the data it prints (the data
    version, and the signers' names), so that a file that exists holds exactly what this request sees, and a new
    version of the data is a new file."""
    signers = sorted((k, repr(getattr(v, "signers", None))) for k, v in context.items())
    drill = g.get("drill")  # a drill's file is its own (its forms carry the mark: forms/layout.pdf.html)
    return batch.Batch(_export_dir(), filename.removesuffix(".pdf"),
                       _digest(printed.form, printed.place, printed.data_version, signers), contents="mau",
                       drill=drill.code if drill is not None else "")


def _pdf_file(template: str, filename: str, printed: Printed, context: dict[str, Any]) -> Response:
    """Every form's PDF one way, as the commune's batch: WeasyPrint takes seconds for a province's forms, so
    POST renders the form's HTML (fast) and queues the PDF (``batch.start``: the job queue), then 303 to GET;
    GET gives the finished file (audited: the printing), or else a page that follows the making every 2 s and
    then links the file, or offers to make it."""
    job = _form_file(filename, printed, context)
    if request.method == "POST":
        if job.state not in ("ready", "running"):
            html = render_form(template, pdf=True, **context)
            batch.start(job, [html], current_app.static_folder or "static")
        return redirect(_pdf_url(), 303)
    if job.state == "ready" and not is_fragment_request():
        try:
            file = job.pdf.open("rb")
        except FileNotFoundError:  # replaced by a newer version just now: the page says what there is
            pass
        else:
            _audit(printed, pdf=True)
            response = send_file(file, mimetype="application/pdf", as_attachment=True, download_name=filename,
                                 max_age=0)
            response.headers["Cache-Control"] = "private, no-store"
            return response
    response = render("results/form_file.html", "results/_form_file.html", job=job, form=printed.form,
                      filename=filename, url=_pdf_url())
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _contest(default: str = ContestKind.NATIONAL_ASSEMBLY.value) -> str:
    return request.args.get("contest", default)[:20]


@bp.get("/stations/<int:area_id>/minutes", defaults={"pdf": False})
@bp.route("/stations/<int:area_id>/minutes.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*READERS, Role.LEADER)
def station_minutes(area_id: int, pdf: bool) -> Response:
    """A polling team's count minutes for one contest (?contest=na|provincial|commune), latest version."""
    try:
        report = minutes.latest_count_report(db.session, current_user, area_id, _contest())
    except minutes.NoMinutes:
        abort(404)
    form = minutes.count_form(report)
    filename = f"bien-ban-kiem-phieu-{report.polling_area.code}-{form.kind.value}.pdf"
    area = report.polling_area
    return _printed("forms/count.pdf.html", pdf, filename, forms=[form], printed=Printed(
        form.form_number or "count", (area.province_id, area.commune_id, area.id),
        f"report {report.id} v{report.version} {report.status.value}"))


@bp.get("/stations/<int:area_id>/inventory", defaults={"pdf": False})
@bp.route("/stations/<int:area_id>/inventory.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*READERS, Role.LEADER)
def station_inventory(area_id: int, pdf: bool) -> Response:
    """A polling team's inventory of ballots used (Mẫu 32/HĐBC), from the latest version of each contest's
    minutes."""
    try:
        reports = minutes.area_count_reports(db.session, current_user, area_id)
    except minutes.NoMinutes:
        abort(404)
    form = minutes.inventory_form(reports)
    area = reports[0].polling_area
    return _printed("forms/inventory.pdf.html", pdf, f"bien-ban-kiem-ke-phieu-{area.code}.pdf", forms=[form],
                    printed=Printed(form.form_number, (area.province_id, area.commune_id, area.id),
                                    " ".join(f"report {r.id} v{r.version} {r.status.value}" for r in reports)))


@bp.get("/units/<int:unit_id>/minutes", defaults={"pdf": False})
@bp.route("/units/<int:unit_id>/minutes.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*READERS)
def unit_minutes(unit_id: int, pdf: bool) -> Response:
    """The Ban bầu cử's minutes determining the unit's result."""
    outcome = services.unit_result(db.session, current_user, unit_id)
    breakdown = services.unit_breakdown(db.session, current_user, outcome.unit)
    form = documents.unit_form(outcome, breakdown, utcnow(),
                               members.signers(db.session, members.Body.ban(outcome.unit)))
    unit = outcome.unit
    return _printed("forms/unit.pdf.html", pdf, f"bien-ban-xac-dinh-ket-qua-{unit.code}.pdf", u=form,
                    printed=Printed(form.form_number or "unit", (unit.province_id, unit.commune_id, None),
                                    _units_version([outcome])))


def _record(results: services.CommitteeResults, kind: str, pdf: bool, code: str) -> Response:
    contest = results.contest(kind) if kind in {k.value for k in ContestKind} else None
    if contest is None:
        abort(404)
    form = documents.committee_form(results, contest, utcnow(), members.signers(db.session, members.Body(
        results.province.id, results.commune.id if results.commune else None)))
    place = (results.province.id, results.commune.id if results.commune else None, None)
    if results.commune is None and contest.contest.kind is ContestKind.NATIONAL_ASSEMBLY:
        # Mẫu 20/HĐBC-QH is not drawn up while an additional or repeat election is pending: a report instead.
        pending = followups.pending(db.session, results.province.id, ContestKind.NATIONAL_ASSEMBLY)
        if pending:
            return _printed("forms/pending_report.pdf.html", pdf, f"bao-cao-{kind}-{code}.pdf", c=form,
                            pending=pending, printed=Printed("report-instead-of-20/HĐBC-QH", place, _digest(
                                _units_version(contest.units), [(f.id, f.election_id) for f in pending])))
    return _printed("forms/committee.pdf.html", pdf, f"bien-ban-{kind}-{code}.pdf", c=form,
                    printed=Printed(form.form_number or f"committee-{kind}", place, _units_version(contest.units)))


@bp.get("/provinces/<int:province_id>/record", defaults={"pdf": False})
@bp.route("/provinces/<int:province_id>/record.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*PROVINCE_READERS)
def province_record(province_id: int, pdf: bool) -> Response:
    """The provincial committee's minutes of one contest (?contest=na: Mẫu 20/HĐBC-QH; provincial)."""
    results = services.committee_results(db.session, current_user, province_id=province_id, confirmed_only=True)
    return _record(results, _contest(), pdf, results.province.code)


def _statistics(province_id: int) -> tuple[str, services.CommitteeResults, list[statistics.ContestRow]]:
    """?kind=preliminary (the figures so far) or official (confirmed minutes only), and the table's rows."""
    from webapp.elections import services as elections

    kind = request.args.get("kind", statistics.PRELIMINARY)
    if kind not in statistics.FORM_NUMBERS:
        abort(404)
    results = services.committee_results(db.session, current_user, province_id=province_id,
                                         confirmed_only=kind == statistics.FINAL, every_level=True)
    return kind, results, statistics.statistics(db.session, results, kind,
                                                elections.current_election(db.session).polling_date)


def _province_version(results: services.CommitteeResults) -> str:
    return _units_version([o for c in results.contests for o in c.units])


@bp.get("/provinces/<int:province_id>/statistics", defaults={"pdf": False})
@bp.route("/provinces/<int:province_id>/statistics.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*PROVINCE_READERS)
def province_statistics(province_id: int, pdf: bool) -> Response:
    """The provincial committee's statistical table: ?kind=preliminary (Mẫu 28/HĐBC, the figures so far) or
    official (Mẫu 30/HĐBC, confirmed minutes only)."""
    kind, results, rows = _statistics(province_id)
    form = documents.statistics_form(
        results, rows, final=kind == statistics.FINAL, form_number=statistics.FORM_NUMBERS[kind], now=utcnow(),
        signers=members.signers(db.session, members.Body(results.province.id)))
    return _printed("forms/statistics.pdf.html", pdf, f"bieu-thong-ke-{kind}-{results.province.code}.pdf", s=form,
                    printed=Printed(form.form_number, (results.province.id, None, None), _province_version(results)))


@bp.get("/provinces/<int:province_id>/report", defaults={"pdf": False})
@bp.route("/provinces/<int:province_id>/report.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*PROVINCE_READERS)
def province_report(province_id: int, pdf: bool) -> Response:
    """The provincial committee's written report: ?kind=preliminary (Mẫu 27/HĐBC, tình hình và kết quả sơ bộ) or
    official (Mẫu 29/HĐBC, báo cáo tổng kết), with the figures of the table of the same kind."""
    kind, results, rows = _statistics(province_id)
    pending = {r.contest.contest.kind: followups.pending(db.session, results.province.id, r.contest.contest.kind)
               for r in rows}
    form = documents.report_form(
        results, rows, pending, final=kind == statistics.FINAL, form_number=statistics.REPORT_NUMBERS[kind],
        now=utcnow(), signers=members.signers(db.session, members.Body(results.province.id)))
    version = _digest(_province_version(results), [(f.id, f.election_id) for p in pending.values() for f in p])
    name = "tong-ket" if kind == statistics.FINAL else "so-bo"
    return _printed("forms/report.pdf.html", pdf, f"bao-cao-{name}-{results.province.code}.pdf", r=form,
                    printed=Printed(form.form_number, (results.province.id, None, None), version))


@bp.get("/communes/<int:commune_id>/record", defaults={"pdf": False})
@bp.route("/communes/<int:commune_id>/record.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*READERS)
def commune_record(commune_id: int, pdf: bool) -> Response:
    """The commune committee's summary of its council election."""
    results = services.committee_results(db.session, current_user, commune_id=commune_id, confirmed_only=True)
    assert results.commune is not None
    return _record(results, ContestKind.COMMUNE_COUNCIL.value, pdf, results.commune.code)


def _turnout(found: progress.TurnoutProgress) -> Printed:
    """A progress report is no official form: its file is made the same way, its printing not audited."""
    figures = [(s.at, s.stations, [(c.contest.id, c.stations, c.voted, c.on_list) for c in s.contests])
               for s in found.slots]
    return Printed("turnout", (found.province.id, found.commune.id if found.commune else None, None),
                   _digest(found.expected, sorted(found.on_list.items()), figures), official=False)


@bp.get("/provinces/<int:province_id>/turnout/print", defaults={"pdf": False})
@bp.route("/provinces/<int:province_id>/turnout.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*READERS)
def province_turnout_form(province_id: int, pdf: bool) -> Response:
    """A province's turnout progress report."""
    found = progress.turnout_progress(db.session, current_user, province_id=province_id)
    return _printed("forms/turnout.pdf.html", pdf, f"tien-do-{found.province.code}.pdf", _turnout(found),
                    p=documents.turnout_form(found, utcnow()))


@bp.get("/communes/<int:commune_id>/turnout/print", defaults={"pdf": False})
@bp.route("/communes/<int:commune_id>/turnout.pdf", defaults={"pdf": True}, methods=["GET", "POST"])
@roles_required(*READERS)
def commune_turnout_form(commune_id: int, pdf: bool) -> Response:
    """A commune's turnout progress report."""
    found = progress.turnout_progress(db.session, current_user, commune_id=commune_id)
    assert found.commune is not None
    return _printed("forms/turnout.pdf.html", pdf, f"tien-do-{found.commune.code}.pdf", _turnout(found),
                    p=documents.turnout_form(found, utcnow()))


def _export_dir() -> Path:
    return Path(current_app.config.get("RESULTS_EXPORT_DIR") or Path(current_app.instance_path) / "exports")


def _batch(commune: Commune) -> tuple[batch.Batch, int]:
    fingerprint, count = minutes.commune_fingerprint(db.session, current_user, commune)
    drill = g.get("drill")  # a drill's batch is its own file (its forms carry the mark: forms/layout.pdf.html)
    return batch.Batch(_export_dir(), commune.code, fingerprint, drill=drill.code if drill is not None else ""), count


@bp.post("/communes/<int:commune_id>/batch")
@roles_required(*READERS)
def start_batch(commune_id: int) -> Response:
    """Start making one PDF of every count minutes of the commune's stations, in the background."""
    commune = scope.get(db.session, Commune, commune_id, current_user)
    job, count = _batch(commune)
    if count and job.state not in ("ready", "running"):
        reports = minutes.commune_count_reports(db.session, current_user, commune)
        html = [render_form("forms/count.pdf.html", pdf=True, forms=[minutes.count_form(r)]) for r in reports]
        if html:
            batch.start(job, html, current_app.static_folder or "static")
    return redirect(url_for("results_print.batch_status", commune_id=commune.id), 303)


@bp.get("/communes/<int:commune_id>/batch")
@roles_required(*READERS)
def batch_status(commune_id: int) -> Response:
    """Whether the commune's file of count minutes is ready; polled every 2 s while it is being made."""
    commune = scope.get(db.session, Commune, commune_id, current_user)
    job, count = _batch(commune)
    return render("results/batch.html", "results/_batch.html", commune=commune, job=job, count=count)


@bp.get("/communes/<int:commune_id>/batch.pdf")
@roles_required(*READERS)
def batch_file(commune_id: int) -> Response:
    """The commune's file of count minutes, once made (else back to its status page)."""
    commune = scope.get(db.session, Commune, commune_id, current_user)
    job, _count = _batch(commune)
    if job.state != "ready":
        return redirect(url_for("results_print.batch_status", commune_id=commune.id), 303)
    response = send_file(job.pdf, mimetype="application/pdf", as_attachment=True,
                         download_name=f"{job.prefix.rstrip('-')}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response

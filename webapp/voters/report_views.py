"""Pages, exports and prints of the voter lists: the change report, the preparation progress, Mẫu 31/10/11 and the
cards handed out. Only the commune of an area and those above it see them; a leader sees their own area; the
hotline none (issue 15 §4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.clock import VN_TZ, to_local, utcnow
from webapp.elections import services as elections
from webapp.elections.models import Election
from webapp.htmx import render
from webapp.i18n import _
from webapp.inputs import parse_int
from webapp.labels import CONTEST_SHORT
from webapp.results import batch
from webapp.results.pdf import pdf_response, render_form, write_pdf
from webapp.voters import cards, prints, reports, services, xlsx
from webapp.web import current_actor, roles_required

bp = Blueprint("voter_reports", __name__, url_prefix="/voters")
F = TypeVar("F", bound=Callable[..., Any])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_TIMES = 12


def _election() -> Election:
    try:
        return elections.current_election(db.session)
    except elections.NoElection:
        abort(404)


def _levels(prefix: str, suffix: str, levels: tuple[str, ...]) -> Callable[[F], F]:
    """The same view for an area's, a commune's and a province's report."""
    param = {"area": "area_id", "commune": "commune_id", "province": "province_id"}

    def decorator(view: F) -> F:
        for level in levels:
            view = bp.get(f"/{prefix}/{level}s/<int:{param[level]}>{suffix}", defaults={"level": level})(view)
        return view
    return decorator


def _place_id(level: str, ids: dict[str, int]) -> int:
    return ids[f"{level}_id"]


def _times(election: Election, now: datetime) -> tuple[list[datetime], list[str]]:
    """The snapshots asked for (``?at=2026-03-01T17:00``, local time, repeated), else the default ones; and the
    values that were not a time (shown, never a 500)."""
    asked, wrong = [], []
    for value in request.args.getlist("at")[:MAX_TIMES]:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            wrong.append(value[:40])
            continue
        asked.append(moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ))
    chosen = asked or [t for t in reports.default_times(election) if t <= now]
    return [*chosen, now] if now not in chosen else chosen, wrong


def _change_report(level: str, **ids: int) -> tuple[reports.ChangeReport, list[str]]:
    if current_user.role is Role.LEADER and level != "area":
        abort(403)
    election, now = _election(), utcnow()
    times, wrong = _times(election, now)
    try:
        return reports.change_report(db.session, current_user, election, level, _place_id(level, ids), times,
                                     now), wrong
    except scope.OutOfScope:
        abort(404)


@_levels("changes", "", ("area", "commune", "province"))
@roles_required(*services.READER_ROLES)
def changes(level: str, **ids: int) -> Response:
    """The voter-change report (báo cáo biến động cử tri) on screen."""
    report, wrong = _change_report(level, **ids)
    return render("voters/reports/changes.html", "voters/reports/_changes.html", report=report, wrong=wrong,
                  query=request.query_string.decode())


@_levels("changes", ".xlsx", ("area", "commune", "province"))
@roles_required(*services.READER_ROLES)
def changes_workbook(level: str, **ids: int) -> Response:
    """The voter-change report as XLSX."""
    report, _wrong = _change_report(level, **ids)
    return _download(xlsx.change_workbook(report), XLSX, _filename("bien-dong-cu-tri", report, "xlsx"))


@_levels("changes", ".pdf", ("area", "commune", "province"))
@roles_required(*services.READER_ROLES)
def changes_pdf(level: str, **ids: int) -> Response:
    """The voter-change report as PDF (A4 landscape)."""
    report, _wrong = _change_report(level, **ids)
    html = render_form("voters/reports/changes.pdf.html", pdf=True, report=report, **_watermark())
    return pdf_response(write_pdf([html], current_app.static_folder or "static") or b"",
                        _filename("bien-dong-cu-tri", report, "pdf"))


def _progress(level: str, **ids: int) -> reports.ProgressReport:
    try:
        return reports.progress_report(db.session, current_user, _election(), level, _place_id(level, ids), utcnow())
    except scope.OutOfScope:
        abort(404)


@_levels("progress", "", ("commune", "province"))
@roles_required(*services.WRITER_ROLES)
def progress(level: str, **ids: int) -> Response:
    """The preparation progress (tiến độ): lists, cards, teams, leaders, with dates and what is late."""
    report = _progress(level, **ids)
    return render("voters/reports/progress.html", "voters/reports/_progress.html", report=report)


@_levels("progress", ".xlsx", ("commune", "province"))
@roles_required(*services.WRITER_ROLES)
def progress_workbook(level: str, **ids: int) -> Response:
    """The preparation progress as XLSX."""
    report = _progress(level, **ids)
    return _download(xlsx.progress_workbook(report), XLSX, _filename("tien-do-chuan-bi", report, "xlsx"))


def _filename(stem: str, report: Any, ext: str) -> str:
    return f"{stem}-{report.level}-{report.place.code}.{ext}"


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _watermark() -> dict[str, Any]:
    """Who prints and when: on every page of a print of personal data."""
    return {"printed_by": current_user.username, "printed_at": to_local(utcnow())}


# --- Prints ----------------------------------------------------------------------------------------------------


@bp.get("/areas/<int:area_id>/list.pdf")
@roles_required(*services.READER_ROLES)
def list_pdf(area_id: int) -> Response:
    """Mẫu 31/HĐBC: the area's list for posting, A4 landscape, grouped by household, with its footer totals."""
    election = _election()
    try:
        found = prints.area_list(db.session, current_user, election, area_id)
    except scope.OutOfScope:
        abort(404)
    html = render_form("voters/reports/list.pdf.html", pdf=True, lists=[found], mask=_posted, **_watermark())
    _printed(prints.LIST_FORM, area=found.area, rows=found.rows)
    body = write_pdf([html], current_app.static_folder or "static") or b""
    return pdf_response(body, f"danh-sach-cu-tri-{found.area.code}.pdf")


def _voter(voter_id: int) -> Any:
    try:
        return prints.voter(db.session, current_user, _election(), voter_id)
    except scope.OutOfScope:
        abort(404)


@bp.get("/entries/<int:voter_id>/card.pdf")
@roles_required(*services.WRITER_ROLES)
def card_pdf(voter_id: int) -> Response:
    """Mẫu 10/HĐBC: a voter card to re-issue (A6 landscape), numbered by the voter's STT."""
    entry = _voter(voter_id)
    if entry.removed_at is not None:
        abort(404)
    html = render_form("voters/reports/card.pdf.html", pdf=True, entry=entry, area=entry.polling_area,
                       election=_election(), **_watermark())
    _printed(prints.CARD_FORM, area=entry.polling_area, rows=1, voter_id=entry.id)
    return pdf_response(write_pdf([html], current_app.static_folder or "static") or b"",
                        f"the-cu-tri-{entry.polling_area.code}-{entry.stt}.pdf")


@bp.get("/entries/<int:voter_id>/certificate.pdf")
@roles_required(*services.WRITER_ROLES)
def certificate_pdf(voter_id: int) -> Response:
    """Mẫu 11/HĐBC: the certificate to vote elsewhere, for a voter who was given one."""
    entry = _voter(voter_id)
    try:
        change = prints.certificate_change(db.session, entry)
    except prints.NoCertificate:
        abort(404)
    html = render_form("voters/reports/certificate.pdf.html", pdf=True, entry=entry, change=change,
                       area=entry.polling_area, election=_election(),
                       destination=prints.destination(db.session, entry), **_watermark())
    _printed(prints.CERTIFICATE_FORM, area=entry.polling_area, rows=1, voter_id=entry.id)
    return pdf_response(write_pdf([html], current_app.static_folder or "static") or b"",
                        f"giay-chung-nhan-{entry.polling_area.code}-{entry.stt}.pdf")


PRINTED = "print_voters"


def _posted(id_number: str) -> str:
    """The ID number on a list posted for everyone (Mẫu 31): masked whoever prints it."""
    return services.masked_id(None, id_number)


def _printed(form: str, *, area: Any, rows: int, voter_id: int | None = None) -> None:
    """The audit entry of a print of personal data: which form, of what, how many voters."""
    services.record_access(db.session, current_user, action=PRINTED, area=area, rows=rows, what={"form": form},
                           entity=("voter_list_entries", voter_id) if voter_id is not None else ("polling_areas", area.id))


def _export_dir() -> Path:
    return Path(current_app.config.get("RESULTS_EXPORT_DIR") or Path(current_app.instance_path) / "exports")


def _batch(commune_id: int) -> tuple[Any, batch.Batch, list[int]]:
    election = _election()
    try:
        commune, area_ids = prints.commune_areas(db.session, current_user, election, commune_id)
    except scope.OutOfScope:
        abort(404)
    return commune, prints.list_batch(_export_dir(), commune, prints.commune_fingerprint(db.session, election,
                                                                                         commune)), area_ids


@bp.post("/communes/<int:commune_id>/lists")
@roles_required(*services.WRITER_ROLES)
def start_lists(commune_id: int) -> Response:
    """Start making one PDF of every list of the commune (Mẫu 31/HĐBC), in the background."""
    commune, job, area_ids = _batch(commune_id)
    if area_ids and job.state not in ("ready", "running"):
        election, stamp = _election(), _watermark()
        documents, rows = [], 0
        for area_id in area_ids:  # one area at a time: a commune's 60,000 rows are never all loaded at once
            found = prints.area_list(db.session, current_user, election, area_id)
            rows += found.rows
            documents.append(render_form("voters/reports/list.pdf.html", pdf=True, lists=[found], mask=_posted,
                                         **stamp))
            db.session.expunge_all()
        services.record_access(db.session, current_user, action=PRINTED, area=None, rows=rows,
                               what={"form": prints.LIST_FORM}, entity=("communes", commune_id),
                               place=(commune.province_id, commune_id, None))
        batch.start(job, documents, current_app.static_folder or "static")
    return redirect(url_for("voter_reports.lists_status", commune_id=commune_id), 303)


@bp.get("/communes/<int:commune_id>/lists")
@roles_required(*services.WRITER_ROLES)
def lists_status(commune_id: int) -> Response:
    """Whether the commune's file of lists is ready; polled every 2 s while it is being made."""
    commune, job, area_ids = _batch(commune_id)
    return render("voters/reports/batch.html", "voters/reports/_batch.html", commune=commune, job=job,
                  count=len(area_ids))


@bp.get("/communes/<int:commune_id>/lists.pdf")
@roles_required(*services.WRITER_ROLES)
def lists_file(commune_id: int) -> Response:
    """The commune's file of lists, once made (else back to its status page)."""
    commune, job, _ids = _batch(commune_id)
    if job.state != "ready":
        return redirect(url_for("voter_reports.lists_status", commune_id=commune_id), 303)
    response = send_file(job.pdf, mimetype="application/pdf", as_attachment=True,
                         download_name=f"danh-sach-cu-tri-{commune.code}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Cards handed out --------------------------------------------------------------------------------------------


@bp.route("/areas/<int:area_id>/cards", methods=["GET", "POST"])
@roles_required(*services.CARD_ROLES)
def cards_page(area_id: int) -> Response:
    """The team marks each card handed out by its number, tapping through the list on a phone."""
    election = _election()
    status = 200
    if request.method == "POST":
        stt = parse_int(request.form.get("stt"))
        handed_out = request.form.get("handed_out", "1") != "0"
        try:
            if stt is None or stt < 1:
                raise cards.NoSuchCard(stt)
            cards.mark(db.session, actor=current_actor(), election=election, area_id=area_id, stt=stt,
                       handed_out=handed_out, now=utcnow())
        except scope.OutOfScope:
            abort(404)
        except cards.NoSuchCard:
            flash(_("No voter on this list has card number %(stt)s.", stt=request.form.get("stt", "")[:10]), "error")
            status = 422
        else:
            if handed_out:
                flash(_("Card %(stt)s handed out.", stt=stt), "success")
                return redirect(url_for("voter_reports.cards_page", area_id=area_id, after=stt), 303)
            flash(_("Card %(stt)s marked not handed out.", stt=stt), "success")
            return redirect(url_for("voter_reports.cards_page", area_id=area_id, stt=stt), 303)
    stt = parse_int(request.args.get("stt"))
    after = parse_int(request.args.get("after")) or 0
    try:
        found = cards.state(db.session, current_user, election, area_id, stt=stt, after=after)
    except scope.OutOfScope:
        abort(404)
    if found.current is not None:
        services.record_access(db.session, current_user, action="view_voters", area=found.area, rows=1,
                               what={"form": "cards"}, entity=("voter_list_entries", found.current.id))
    return render("voters/reports/cards.html", "voters/reports/_cards.html", status=status, state=found,
                  asked=stt, mask=lambda v: services.masked_id(current_user, v))


@bp.get("/reports")
@roles_required(*services.READER_ROLES)
def index() -> Response:
    """The reports of the user's own place."""
    s = scope.Scope.of(current_user)
    if s.level is scope.Level.POLLING_AREA:
        return redirect(url_for("voter_reports.cards_page", area_id=s.polling_area_id), 303)
    if s.level is scope.Level.COMMUNE:
        return redirect(url_for("voter_reports.progress", commune_id=s.commune_id), 303)
    if s.level is scope.Level.PROVINCE:
        return redirect(url_for("voter_reports.progress", province_id=s.province_id), 303)
    return render("voters/reports/index.html", "voters/reports/_index.html",
                  provinces=reports.provinces_with_areas(db.session, _election()))



def contest_label(kind: Any) -> str:
    return str(CONTEST_SHORT.get(kind, kind))


def cause_label(cause: Any) -> str:
    return str(reports.CAUSE_LABELS.get(cause, cause))


bp.add_app_template_global(contest_label, "contest_label")
bp.add_app_template_global(cause_label, "cause_label")

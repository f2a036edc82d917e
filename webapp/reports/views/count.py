"""The count minutes of one contest: the form with live checks, the read-back in words, sending, the receipt;
the same pages serve the hotline's entry by phone (``count_entry`` with its ``Entry``)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.clock import reporting_now
from webapp.elections.models import PollingArea
from webapp.htmx import render
from webapp.i18n import _, _l
from webapp.reports import receipts, services
from webapp.reports.checks import Finding, Severity
from webapp.reports.forms import COMPLAINT_FIELDS, INVENTORY_FIELDS, NUMBER_FIELDS, CountForm, ReadBackForm, count_form
from webapp.reports.views.blueprint import bp
from webapp.reports.views.entry import WEB, Entry, hidden_values

SIGNATURE_ERRORS = {
    "no_signers": _l("Tick the team members who sign."),
    "unknown_signer": _l("A ticked signer is not a member of this polling team. Reload the page."),
    "witnesses_missing": _l("Write the names of the two witness voters."),
    "witnesses_same": _l("The two witnesses must be two different people."),
}


def signature_errors(form: CountForm, exc: services.ReportRejected) -> None:
    """The refused minutes' problems of signers and witnesses beside their fields (the form checks them too; the
    service has the last word, as for the team of a station changed meanwhile)."""
    for code in exc.signatures:
        field = form.signers if code in ("no_signers", "unknown_signer") else form.witness_1
        field.errors = [*field.errors, str(SIGNATURE_ERRORS[code])]


def _field_name(finding_field: str) -> str:
    """A finding's field ("votes:12", "names_kept:2") as the form's field name ("votes_12")."""
    return finding_field.replace(":", "_")


def _context(area_id: int, contest_id: int, numbers: Any = None) -> services.CountReview:
    try:
        return services.review_count(db.session, user=current_user, area_id=area_id, contest_id=contest_id,
                                     numbers=numbers, now=reporting_now())
    except services.ContestNotHeld:
        abort(404)


def _prefill(review: services.CountReview) -> dict[str, Any]:
    """A correction starts from the version that counts; a first send starts with the usual signers."""
    latest = review.latest
    if latest is None:
        leaders = [m.id for m in review.team if m.role.value in ("leader", "secretary")]
        frozen = review.voters_frozen  # the list as frozen when voting started (webapp.voters)
        return {"signers": leaders} | ({"voters_on_list": str(frozen)} if frozen is not None else {})
    data: dict[str, Any] = {name: str(getattr(latest, name)) for name in (*NUMBER_FIELDS, *COMPLAINT_FIELDS)}
    data.update({name: str(getattr(latest, name)) for name in INVENTORY_FIELDS if getattr(latest, name) is not None})
    data.update({f"votes_{v.candidate_id}": str(v.votes) for v in latest.votes})
    data.update({f"names_kept_{k}": str(n) for k, n in (latest.names_kept or {}).items()})
    data.update({f"explain_{code}": text for code, text in latest.explanations.items()})
    data.update(signers=[s["id"] for s in latest.signers], witness_1=latest.witness_1, witness_2=latest.witness_2,
                complaints_note=latest.complaints_note)
    return data


def _findings_context(entry: Entry, review: services.CountReview, form: CountForm, live: bool,
                      checked: bool = True) -> dict[str, Any]:
    blank = [f for f in review.findings if f.code == "blank"]
    shown = [f for f in review.findings if f.code != "blank"]
    bad: set[str] = {_field_name(name) for f in review.blocking for name in f.fields} if not live else set()
    return {"entry": entry, "review": review, "form": form, "live": live, "checked": checked, "blank": blank,
            "shown": shown, "bad_fields": bad, "names": review.candidate_names}


def _form_page(entry: Entry, review: services.CountReview, form: CountForm, status: int, live: bool = False,
               checked: bool = True) -> Response:
    return render("reports/count.html", "reports/_count_form.html", status=status,
                  **_findings_context(entry, review, form, live, checked))


@bp.get("/reports/<int:area_id>/count")
@login_required
def counts(area_id: int) -> Response:
    """The area's count minutes, one per contest it votes in, each with the state of its latest version."""
    rows = services.station_counts(db.session, current_user, area_id)
    area = scope.get(db.session, PollingArea, area_id, current_user)
    return render("reports/counts.html", "reports/_counts.html", area=area, rows=rows,
                  can_send=services.may_submit(current_user, area))


@bp.route("/reports/<int:area_id>/count/<int:contest_id>", methods=["GET", "POST"])
@login_required
def count(area_id: int, contest_id: int) -> Response:
    """The leader fills one contest's count minutes, reads every number back in words, then sends it."""
    return count_entry(WEB, area_id, contest_id)


def count_entry(entry: Entry, area_id: int, contest_id: int) -> Response:
    """One contest's count minutes as ``entry`` types them: the form with its checks, the read-back in words
    (by phone, ticked as read to the leader before it saves), sending, the receipt."""
    step = request.form.get("step", "review") if request.method == "POST" else None
    read_back = (ReadBackForm() if step == "send" else ReadBackForm(formdata=None)) if entry.by_phone else None
    if step == "send" and (read_back is None or read_back.validate()):
        form = _posted_form(entry, area_id, contest_id)
        if form.validate_on_submit():
            # The service runs every check itself; the page's own review is built only if it refuses.
            return _send(entry, area_id, contest_id, form)
    else:
        review = _context(area_id, contest_id)
        if not services.may_submit(current_user, review.area, entry.channel):
            abort(403)
        if review.locked:
            return _locked_page(entry, review)
        if step is None:
            form = count_form(*review.ballot, formdata=None, data=_prefill(review))
            form.fresh_uuid()
            if review.latest is not None:  # a correction: show what the checks say about the version that counts
                review = _context(area_id, contest_id, form.numbers())
            return _form_page(entry, review, form, 200, live=True, checked=review.latest is not None)
        form = count_form(*review.ballot)
        form.validate_on_submit()
    review = _context(area_id, contest_id, form.numbers())
    if review.locked:
        return _locked_page(entry, review)
    if step == "edit":
        return _form_page(entry, review, form, 200, live=True)
    explained = form.explanations()
    unexplained = [f for f in review.to_explain if not explained.get(f.code)]
    if form.errors or review.blocking or unexplained:
        return _form_page(entry, review, form, 422)
    # By phone, a "send" comes here only when the read-back was not ticked.
    return render("reports/readback.html", "reports/_readback.html", status=422 if step == "send" else 200,
                  entry=entry, review=review, form=form, hidden=hidden_values(), names=review.candidate_names,
                  read_back=read_back)


def _locked_page(entry: Entry, review: services.CountReview) -> Response:
    flash(_("These minutes were confirmed by the commune and can no longer be changed."), "info")
    return redirect(entry.back(review.area.id)
                    or url_for("reports.count_version", report_id=review.latest.id), 303)  # type: ignore[union-attr]


def _posted_form(entry: Entry, area_id: int, contest_id: int) -> CountForm:
    """The read-back's "send", which is also what the phone's outbox replays: the posted minutes in a form built
    from the station's configuration as this process keeps it, without the page's own reads (the service checks
    the configuration's token); 403 for anyone who may not send the area's reports, 404 for a contest it does not
    vote in."""
    try:
        config, link = services.station_for_send(db.session, actor=entry.actor(), area_id=area_id,
                                                 contest_id=contest_id)
    except services.NotAllowed:
        abort(403)
    except services.ContestNotHeld:
        abort(404)
    return count_form(*config.ballot(link))


def _send(entry: Entry, area_id: int, contest_id: int, form: CountForm) -> Response:
    try:
        result = services.submit_count(db.session, actor=entry.actor(), area_id=area_id, contest_id=contest_id,
                                        data=form.to_data(), client_uuid=form.uuid, now=reporting_now())
    except services.ReportLocked:
        flash(_("These minutes were confirmed by the commune and can no longer be changed."), "error")
        return redirect(entry.back(area_id) or url_for("reports.counts", area_id=area_id), 303)
    except services.ReportRejected as exc:
        signature_errors(form, exc)
        return _form_page(entry, _context(area_id, contest_id, form.numbers()), form, 422)
    except services.ClientUuidConflict:
        form.client_uuid.data = ""
        form.fresh_uuid()
        flash(_("This form was already used for another report. Check the numbers and send again."), "error")
        return _form_page(entry, _context(area_id, contest_id, form.numbers()), form, 422)
    report = result.report
    code = receipts.display(report.receipt)
    return entry.saved(report, result.replayed, url_for("reports.count_version", report_id=report.id),
                       received=_("The minutes were received. Receipt code: %(code)s", code=code),
                       already=_("These minutes had already been received. Receipt code: %(code)s", code=code))


@bp.post("/_/reports/<int:area_id>/count/<int:contest_id>/check")
@login_required
def count_check(area_id: int, contest_id: int) -> Response:
    """The findings for the minutes as typed so far (htmx, while the leader types)."""
    if current_user.role is not Role.LEADER:
        abort(403)
    context = _context(area_id, contest_id)
    form = count_form(*context.ballot)
    review = _context(area_id, contest_id, form.numbers())
    return render("reports/_count_findings.html", "reports/_count_findings.html",
                  **_findings_context(WEB, review, form, live=True))


@bp.get("/reports/count/<int:report_id>")
@login_required
def count_version(report_id: int) -> Response:
    """One version of a count minutes: its receipt, state, numbers, explanations, signers and photos; to its
    leader, a button to the next ballot whose minutes are not sent yet."""
    report = services.count_report_for(db.session, current_user, report_id)
    can_send = services.may_submit(current_user, report.polling_area)
    following = (services.next_unsent(db.session, current_user, report.polling_area_id, report.contest_id)
                 if can_send and report.is_latest else None)
    return render("reports/version.html", "reports/_version.html", report=report, next_ballot=following,
                  findings=[Finding(f["check"], f["code"], Severity(f["severity"]), tuple(f["fields"]), f["params"])
                            for f in report.findings],
                  names={v.candidate_id: v.candidate.full_name for v in report.votes}, can_send=can_send)

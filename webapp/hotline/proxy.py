"""Entry by phone: when a leader reports by phone, the hotline types the numbers on the leader's behalf, reads
them back (a step that cannot be skipped), and saves them through the reports' own services with channel PHONE.
The report is then like any other: a receipt, the checks, and the commune's confirmation."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import db
from webapp.accounts.models import Role
from webapp.audit.models import Channel
from webapp.hotline.forms import ReadBackForm
from webapp.hotline import bp
from webapp.htmx import render
from webapp.i18n import _
from webapp.reports import receipts
from webapp.reports import services as reports
from webapp.reports.forms import COMPLAINT_FIELDS, NUMBER_FIELDS, CountForm, TurnoutForm, count_form
from webapp.clock import reporting_now
from webapp.reports.views.count import signature_errors
from webapp.reports.views.turnout import Problem, rejected_problems, to_fix
from webapp.web import current_actor, roles_required


def _hidden() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "step", "read_back")]


def _saved(report: Any, replayed: bool) -> Response:
    code = receipts.display(report.receipt)
    flash(_("Already saved earlier. Receipt code: %(code)s", code=code) if replayed
          else _("Saved as received by phone. Read the receipt code to the leader: %(code)s", code=code), "success")
    return redirect(url_for("hotline.station", area_id=report.polling_area_id), 303)


# --- turnout ---------------------------------------------------------------------------------------------


def _turnout_messages(exc: reports.ReportError, overview: reports.TurnoutOverview, form: TurnoutForm) -> (
        list[Problem]):
    if isinstance(exc, reports.ReportRejected):
        return rejected_problems(exc, overview, form.is_per_contest)
    if isinstance(exc, reports.NoReportTimes):
        return [(None, _("No turnout report times are set for this province."))]
    if isinstance(exc, reports.UnknownReportTime):
        return [("hl-slot", _("This report time has not started yet, or no longer exists. Reload the page."))]
    if isinstance(exc, reports.ReportLocked):
        return [(None, _("This report was confirmed by the commune and can no longer be changed. Ask the commune "
                         "to reopen it if it must be corrected."))]
    return [(None, _("This form was already used for another report. Reload the page and enter the numbers "
                     "again."))]


def _turnout_page(overview: reports.TurnoutOverview, form: TurnoutForm, errors: list[Problem], status: int = 200,
                  read_back: ReadBackForm | None = None, data: reports.TurnoutInput | None = None) -> Response:
    per_contest = form.is_per_contest or request.args.get("per_contest") == "1"
    form.per_contest.data = "1" if per_contest else ""
    opened = [s for s in overview.slots if s.opens_at <= reporting_now()] or overview.slots[:1]
    if not form.slot.data and opened:
        form.slot.data = (overview.next or opened[-1]).at.strftime("%H:%M")
    return render("hotline/turnout.html", "hotline/_turnout.html", status=status, overview=overview, form=form,
                  to_fix=to_fix(form, errors), per_contest=per_contest, raw=request.form, slots=opened, data=data,
                  read_back=read_back or ReadBackForm(formdata=None), hidden=_hidden())


def _dry_run(area_id: int, data: reports.TurnoutInput, form: TurnoutForm,
             overview: reports.TurnoutOverview) -> Response | None:
    """Run the report through the reports' own checks before the read-back, and undo it: the hotline must not
    read back numbers that will then be refused."""
    savepoint = db.session.begin_nested()
    try:
        reports.submit_turnout(db.session, actor=current_actor(Channel.PHONE), area_id=area_id, data=data,
                               client_uuid=form.uuid, now=reporting_now())
    except reports.NotAllowed:
        abort(403)
    except reports.ReportError as exc:
        return _turnout_page(overview, form, _turnout_messages(exc, overview, form), 422)
    finally:
        savepoint.rollback()
    return None


@bp.route("/hotline/stations/<int:area_id>/turnout", methods=["GET", "POST"])
@roles_required(Role.HOTLINE)
def enter_turnout(area_id: int) -> Response:
    """The hotline enters the turnout a leader gives by phone, reads it back, then saves it (channel phone)."""
    overview = reports.turnout_overview(db.session, current_user, area_id, reporting_now())
    form = TurnoutForm()
    if request.method == "GET":
        form.fresh_uuid()
        return _turnout_page(overview, form, [])
    step = request.form.get("step", "review")
    if not form.validate_on_submit() or step == "edit":
        return _turnout_page(overview, form, [], 422 if step != "edit" else 200)
    data = form.to_input([link.contest_id for link in overview.contests], request.form)
    numbers = list(data.per_contest.values()) if data.per_contest is not None else [data.voted]
    if any(not isinstance(n, int) for n in numbers):
        return _turnout_page(overview, form, [("contest_" + str(overview.contests[0].contest_id)
                                               if form.is_per_contest and overview.contests else "voted",
                                               _("Enter every number, in digits."))], 422)
    if step != "send":
        if (refused := _dry_run(area_id, data, form, overview)) is not None:
            return refused
        return _turnout_page(overview, form, [], 200, ReadBackForm(formdata=None), data)
    read_back = ReadBackForm()
    if not read_back.validate():
        return _turnout_page(overview, form, [], 422, read_back, data)
    try:
        result = reports.submit_turnout(db.session, actor=current_actor(Channel.PHONE), area_id=area_id, data=data,
                                        client_uuid=form.uuid, now=reporting_now())
    except reports.NotAllowed:
        abort(403)
    except reports.ReportError as exc:
        return _turnout_page(overview, form, _turnout_messages(exc, overview, form), 422)
    return _saved(result.report, result.replayed)


# --- count minutes ---------------------------------------------------------------------------------------


def _prefill(review: reports.CountReview) -> dict[str, Any]:
    """A correction starts from the version that counts (as on the leader's own page)."""
    latest = review.latest
    if latest is None:
        return {"signers": [m.id for m in review.team if m.role.value in ("leader", "secretary")]}
    data: dict[str, Any] = {name: str(getattr(latest, name)) for name in (*NUMBER_FIELDS, *COMPLAINT_FIELDS)}
    data.update({f"votes_{v.candidate_id}": str(v.votes) for v in latest.votes})
    data.update({f"names_kept_{k}": str(n) for k, n in (latest.names_kept or {}).items()})
    data.update({f"explain_{code}": text for code, text in latest.explanations.items()})
    data.update(signers=[s["id"] for s in latest.signers], witness_1=latest.witness_1, witness_2=latest.witness_2,
                complaints_note=latest.complaints_note)
    return data


def _review(area_id: int, contest_id: int, numbers: Any = None) -> reports.CountReview:
    try:
        return reports.review_count(db.session, user=current_user, area_id=area_id, contest_id=contest_id,
                                    numbers=numbers, now=reporting_now())
    except reports.ContestNotHeld:
        abort(404)


def _count_page(review: reports.CountReview, form: CountForm, status: int, checked: bool = True,
                read_back: ReadBackForm | None = None, step: str = "form") -> Response:
    return render("hotline/count.html", "hotline/_count.html", status=status, review=review, form=form,
                  live=False, checked=checked, blank=[f for f in review.findings if f.code == "blank"],
                  shown=[f for f in review.findings if f.code != "blank"], bad_fields=set(),
                  names=review.candidate_names, step=step, hidden=_hidden(),
                  read_back=read_back or ReadBackForm(formdata=None))


@bp.route("/hotline/stations/<int:area_id>/count/<int:contest_id>", methods=["GET", "POST"])
@roles_required(Role.HOTLINE)
def enter_count(area_id: int, contest_id: int) -> Response:
    """The hotline enters one contest's count minutes a leader reads out by phone, reads them back, saves them."""
    review = _review(area_id, contest_id)
    if review.locked:
        flash(_("These minutes were confirmed by the commune and can no longer be changed."), "info")
        return redirect(url_for("hotline.station", area_id=area_id), 303)
    if request.method == "GET":
        form = count_form(*review.ballot, formdata=None, data=_prefill(review))
        form.fresh_uuid()
        return _count_page(review, form, 200, checked=False)
    form = count_form(*review.ballot)
    step = request.form.get("step", "review")
    valid = form.validate_on_submit()
    review = _review(area_id, contest_id, form.numbers())
    if step == "edit":
        return _count_page(review, form, 200)
    unexplained = [f for f in review.to_explain if not form.explanations().get(f.code)]
    if not valid or review.blocking or unexplained:
        return _count_page(review, form, 422)
    read_back = ReadBackForm()
    if step != "send" or not read_back.validate():
        return _count_page(review, form, 422 if step == "send" else 200, read_back, step="readback")
    try:
        result = reports.submit_count(db.session, actor=current_actor(Channel.PHONE), area_id=area_id,
                                      contest_id=contest_id, data=form.to_data(), client_uuid=form.uuid,
                                      now=reporting_now())
    except reports.NotAllowed:
        abort(403)
    except reports.ReportLocked:
        flash(_("These minutes were confirmed by the commune and can no longer be changed."), "error")
        return redirect(url_for("hotline.station", area_id=area_id), 303)
    except reports.ReportRejected as exc:
        signature_errors(form, exc)
        return _count_page(review, form, 422)
    except reports.ClientUuidConflict:
        return _count_page(review, form, 422)
    return _saved(result.report, result.replayed)

"""Turnout during the day: the next report time, its deadline, the big number, "no change" in one tap; the same
page serves the hotline's entry by phone (``turnout_entry`` with its ``Entry``)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp import db, scope
from webapp.accounts.models import Role
from webapp.clock import reporting_now
from webapp.htmx import render
from webapp.i18n import _, _l
from webapp.inputs import parse_int
from webapp.labels import CONTEST_SHORT
from webapp.reports import receipts, services
from webapp.reports.check_messages import describe
from webapp.reports.forms import NoChangeForm, ReadBackForm, TurnoutForm
from webapp.reports.models import TurnoutReport
from webapp.reports.services import TurnoutInput
from webapp.reports.views.blueprint import bp
from webapp.reports.views.entry import WEB, Entry, hidden_values


_LOCKED = _l("This report was confirmed by the commune and can no longer be changed. Ask the commune to reopen it "
             "if it must be corrected.")

Problem = tuple[str | None, str]  # the id of the field that fixes it (None: no field does), the message


def rejected_problems(exc: services.ReportRejected, overview: services.TurnoutOverview,
                      per_contest: bool) -> list[Problem]:
    """The findings of a refused turnout report, each named after its contest, with the field that fixes it
    (the leader's form and the hotline's entry by phone have the same fields)."""
    names = {link.contest_id: str(CONTEST_SHORT[link.contest.kind.value]) for link in overview.contests}
    first = overview.contests[0].contest_id if overview.contests else None
    out: list[Problem] = []
    for f, cid in zip(exc.findings, exc.contests, strict=True):
        field = (None if not f.fields else "reason" if f.code == "turnout_decreased"
                 else f"contest_{cid or first}" if per_contest else "voted")
        out.append((field, f"{names[cid]}: {describe(f)}" if cid in names else describe(f)))
    return out


def _messages(entry: Entry, exc: services.ReportError, overview: services.TurnoutOverview,
              per_contest: bool) -> list[Problem]:
    if isinstance(exc, services.ReportRejected):
        return rejected_problems(exc, overview, per_contest)
    if isinstance(exc, services.NoReportTimes):
        return [(None, _("No turnout report times are set for this province.") if entry.by_phone else
                 _("No turnout report times are set for your province. Please call the commune."))]
    if isinstance(exc, services.UnknownReportTime):
        return [("hl-slot" if entry.by_phone else None,
                 _("This report time has not started yet, or no longer exists. Reload the page."))]
    if isinstance(exc, services.ClientUuidConflict):
        return [(None, _("This form was already used for another report. Reload the page and send again."))]
    raise exc


def to_fix(entry: Entry, form: TurnoutForm, errors: list[Problem]) -> list[Problem]:
    """The refused form's summary (reports/_macros.html ``error_summary``): what the service said, then what the
    form said, each with the address of its field (by phone, the report time is a field too)."""
    shown = {"voted": "voted", "reason": "reason"}  # the form's own fields on the page; its hidden ones have none
    if entry.by_phone:
        shown["slot"] = "hl-slot"
    problems = [*errors, *((shown.get(name), str(message))
                           for name, messages in form.errors.items() for message in messages)]
    return [(f"#{field}" if field else None, message) for field, message in problems]


def _page(entry: Entry, overview: services.TurnoutOverview, form: TurnoutForm, errors: list[Problem],
          status: int = 200, read_back: ReadBackForm | None = None, data: TurnoutInput | None = None) -> Response:
    """The turnout page. The leader sends for the current report time, or "no change" in one tap; by phone the
    hotline picks any report time that has opened, and ``data`` (checked, not yet saved) is read back first."""
    per_contest = form.is_per_contest or request.args.get("per_contest") == "1"
    form.per_contest.data = "1" if per_contest else ""
    context = {"entry": entry, "overview": overview, "form": form, "to_fix": to_fix(entry, form, errors),
               "per_contest": per_contest, "raw": request.form}
    if entry.by_phone:
        opened = [s for s in overview.slots if s.opens_at <= reporting_now()] or overview.slots[:1]
        if not form.slot.data and opened:
            form.slot.data = (overview.next or opened[-1]).at.strftime("%H:%M")
        return render("reports/turnout.html", "reports/_turnout.html", status=status, **context, slots=opened,
                      data=data, read_back=read_back or ReadBackForm(formdata=None), hidden=hidden_values(), can_send=True)
    if not form.slot.data and overview.current is not None:
        form.slot.data = overview.current.at.strftime("%H:%M")
    no_change = NoChangeForm(formdata=None)
    no_change.fresh_uuid()
    if overview.previous is not None and overview.current is not None:
        no_change.slot.data = overview.current.at.strftime("%H:%M")
        no_change.repeat.data = str(overview.previous.id)
    return render("reports/turnout.html", "reports/_turnout.html", status=status, **context, no_change=no_change,
                  can_send=services.may_submit(current_user, overview.area))


def _sent(entry: Entry, report: TurnoutReport, replayed: bool) -> Response:
    values = {"time": report.slot_at.strftime("%H:%M"), "code": receipts.display(report.receipt)}
    return entry.saved(report, replayed, url_for("reports.turnout", area_id=report.polling_area_id),
                       received=_("Received the %(time)s report. Receipt code: %(code)s", **values),
                       already=_("The %(time)s report had already been received. Receipt code: %(code)s", **values))


def _locked(area_id: int) -> Response:
    # Like confirmed count minutes (views/count.py): said once, back to the page, which shows what counts.
    flash(str(_LOCKED), "error")
    return redirect(url_for("reports.turnout", area_id=area_id), 303)


@bp.route("/reports/<int:area_id>/turnout", methods=["GET", "POST"])
@login_required
def turnout(area_id: int) -> Response:
    """The turnout page of one polling area; its leader sends the number of voters who have voted so far."""
    return turnout_entry(WEB, area_id)


def turnout_entry(entry: Entry, area_id: int) -> Response:
    """The turnout of one polling area as ``entry`` types it; by phone, checked and read back before saving."""
    now = reporting_now()
    overview = services.turnout_overview(db.session, current_user, area_id, now)
    form = TurnoutForm()
    if request.method == "GET":
        form.fresh_uuid()
        return _page(entry, overview, form, [])
    if not services.may_submit(current_user, overview.area, entry.channel):
        abort(403)
    step = request.form.get("step", "review") if entry.by_phone else "send"
    if not form.validate_on_submit() or step == "edit":
        return _page(entry, overview, form, [], 200 if step == "edit" else 422)
    data = form.to_input([link.contest_id for link in overview.contests], request.form)
    read_back = ReadBackForm() if step == "send" and entry.by_phone else None
    try:
        if step != "send":  # by phone: nothing is read back that would then be refused
            services.vet_turnout(db.session, actor=entry.actor(), area_id=area_id, data=data, client_uuid=form.uuid,
                                 now=now)
            return _page(entry, overview, form, [], 200, ReadBackForm(formdata=None), data)
        if read_back is not None and not read_back.validate():
            return _page(entry, overview, form, [], 422, read_back, data)
        result = services.submit_turnout(db.session, actor=entry.actor(), area_id=area_id, data=data,
                                         client_uuid=form.uuid, now=now)
    except services.NotAllowed:
        abort(403)
    except services.ReportLocked:  # by phone, said before the read-back; the leader's page redirects
        return _page(entry, overview, form, [(None, str(_LOCKED))], 422) if entry.by_phone else _locked(area_id)
    except services.ReportError as exc:
        return _page(entry, overview, form, _messages(entry, exc, overview, form.is_per_contest), 422)
    return _sent(entry, result.report, result.replayed)


@bp.post("/reports/<int:area_id>/turnout/no-change")
@login_required
def turnout_no_change(area_id: int) -> Response:
    """One tap: the numbers of the last report, again, for the current report time."""
    now = reporting_now()
    overview = services.turnout_overview(db.session, current_user, area_id, now)
    if current_user.role is not Role.LEADER:
        abort(403)
    form = NoChangeForm()
    if not form.validate_on_submit() or parse_int(form.repeat.data) is None:
        return _page(WEB, overview, TurnoutForm(formdata=None),
                     [(None, _("This form is out of date. Reload the page and send again."))], 422)
    repeated = scope.get(db.session, TurnoutReport, int(form.repeat.data), current_user)
    if repeated.polling_area_id != area_id:
        abort(404)
    figures = {f.contest_id: f.voters_voted for f in repeated.figures}
    data = TurnoutInput(per_contest=figures, slot=form.slot_time(), no_change=True) if repeated.per_contest else (
        TurnoutInput(voted=next(iter(figures.values())), slot=form.slot_time(), no_change=True))
    try:
        result = services.submit_turnout(db.session, actor=WEB.actor(), area_id=area_id, data=data,
                                         client_uuid=form.uuid, now=now)
    except services.NotAllowed:
        abort(403)
    except services.ReportLocked:
        return _locked(area_id)
    except services.ReportError as exc:
        fresh = TurnoutForm(formdata=None)
        fresh.fresh_uuid()
        return _page(WEB, overview, fresh, _messages(WEB, exc, overview, bool(repeated.per_contest)), 422)
    return _sent(WEB, result.report, result.replayed)

"""The results' tables as XLSX workbooks (openpyxl, write-only): committees, units with their stations, progress."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from webapp.clock import to_local
from webapp.i18n import _
from webapp.results.progress import TurnoutProgress
from webapp.results.rules import percent
from webapp.labels import STATION_STATUS
from webapp.results.services import CommitteeResults, StationRow, UnitOutcome
from webapp.xlsx import add_sheet, to_bytes


def _flags(outcome: UnitOutcome) -> str:
    if not outcome.complete:
        return ""
    r = outcome.official.result
    flags = [(r.needs_revote, _("Re-vote needed")), (r.needs_additional_election, _("Additional election needed")),
             (bool(r.undecided), _("Tie for the last seat: the committee decides"))]
    return "; ".join(str(text) for on, text in flags if on)


def _unit_row(o: UnitOutcome) -> list[Any]:
    t = o.official.totals
    # No provisional figures for a reader who does not see the whole unit (services._provisional_units).
    provisional = [o.provisional.totals.voters_voted, o.provisional.totals.valid] if o.provisional else [None, None]
    winners = ", ".join(c.full_name for c in o.official.winners) if o.complete else ""
    return [o.unit.contest.name, o.unit.code, o.unit.number, o.unit.seats, o.expected, o.confirmed, o.received,
            o.returned, t.voters_on_list, t.voters_voted, percent(t.voters_voted, t.voters_on_list),
            t.ballots_issued, t.ballots_received, t.valid, t.invalid, *provisional, winners, _flags(o)]


def _unit_headers() -> list[str]:
    return [_("Contest"), _("Unit code"), _("Unit"), _("Seats"), _("Stations"), _("Confirmed"),
            _("Awaiting review"), _("Returned"), _("Voters on the list"), _("Voters who voted"), _("Turnout rate"),
            _("Ballots issued"), _("Ballots received"), _("Valid ballots"), _("Invalid ballots"),
            _("Voters who voted (provisional)"), _("Valid ballots (provisional)"), _("Elected"), _("Flags")]


def _candidate_headers() -> list[str]:
    return [_("Unit code"), _("No."), _("Full name"), _("Date of birth"), _("Votes"), _("Share of valid ballots"),
            _("Elected"), _("Votes (provisional)")]


def _candidate_rows(outcomes: Iterable[UnitOutcome]) -> Iterable[list[Any]]:
    for o in outcomes:
        provisional = {c.id: c.votes for c in o.provisional.candidates} if o.provisional else {}
        for c in o.official.candidates:
            yield [o.unit.code, c.ballot_order, c.full_name, c.birth_date.strftime("%d/%m/%Y"), c.votes, c.percent,
                   _("yes") if o.complete and c.elected else "", provisional.get(c.id)]


def committee_workbook(results: CommitteeResults) -> bytes:
    outcomes = [o for contest in results.contests for o in contest.units]
    workbook = Workbook(write_only=True)
    add_sheet(workbook, str(_("Electoral units")), _unit_headers(), (_unit_row(o) for o in outcomes),
           (30, 12, 6, 6, 8, 9, 9, 8, 11, 11, 9, 11, 11, 11, 11, 12, 12, 40, 30))
    add_sheet(workbook, str(_("Candidates")), _candidate_headers(), _candidate_rows(outcomes), (12, 5, 28, 12, 10, 10, 8, 12))
    return to_bytes(workbook)


def unit_workbook(outcome: UnitOutcome, stations: Sequence[StationRow]) -> bytes:
    workbook = Workbook(write_only=True)
    add_sheet(workbook, str(_("Result")), _unit_headers(), [_unit_row(outcome)])
    add_sheet(workbook, str(_("Candidates")), _candidate_headers(), _candidate_rows([outcome]), (12, 5, 28, 12, 10, 10, 8, 12))
    headers = [_("Polling area"), _("Polling area name"), _("Commune"), _("Status"), _("Version"), _("Voters on the list"),
               _("Voters who voted"), _("Ballots issued"), _("Ballots received"), _("Valid ballots"),
               _("Invalid ballots"), _("Sent at")]
    rows = []
    for s in stations:
        r = s.report
        figures = ([r.version, r.voters_on_list, r.voters_voted, r.ballots_issued, r.ballots_received, r.valid,
                    r.invalid, to_local(r.submitted_at).strftime("%d/%m/%Y %H:%M")] if r else [None] * 8)
        rows.append([s.area.code, s.area.name, s.area.commune.name, str(STATION_STATUS[s.status]), *figures])
    add_sheet(workbook, str(_("Stations")), headers, rows, (12, 24, 22, 11, 8, 11, 11, 11, 11, 11, 11, 16))
    return to_bytes(workbook)


def turnout_workbook(progress: TurnoutProgress) -> bytes:
    headers = [_("Report time"), _("Stations reported"), _("Stations")]
    for contest in progress.contests:
        headers += [f"{contest.name}: {_('voters who voted')}", f"{contest.name}: {_('voters on the list')}",
                    f"{contest.name}: {_('turnout')}"]
    rows = []
    for slot in progress.slots:
        row: list[Any] = [slot.at.strftime("%H:%M"), slot.stations, progress.expected]
        for ct in slot.contests:
            row += [ct.voted, ct.on_list, ct.percent]
        rows.append(row)
    workbook = Workbook(write_only=True)
    add_sheet(workbook, str(_("Turnout progress")), headers, rows, (10, 10, 10) + (16,) * 3 * len(progress.contests))
    return to_bytes(workbook)

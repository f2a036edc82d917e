"""The progress of a place as an XLSX workbook (openpyxl, write-only): the place's figures at every report
time and for the count minutes, then the same for each province, commune or station under it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from webapp.clock import to_local
from webapp.i18n import _
from webapp.progress.services import CountFigures, Figures, PlaceProgress, SlotFigures
from webapp.results.rules import percent
from webapp.xlsx import add_sheet, to_bytes


def _figure_headers() -> list[str]:
    return [_("Contest"), _("Report time"), _("Deadline"), _("Stations expected"), _("Stations reported"),
            _("Not reported"), _("Overdue"), _("Reported late"), _("Returned"), _("Confirmed"),
            _("Voted (provisional)"), _("On the lists (reporting stations)"), _("Turnout (provisional)"),
            _("Voted (confirmed)"), _("On the lists (confirmed stations)"), _("Turnout (confirmed)")]


def _slot_row(name: str, s: SlotFigures) -> list[Any]:
    return [name, s.at.strftime("%H:%M"), to_local(s.due_at).strftime("%H:%M %d/%m") if s.due_at else "",
            s.expected, s.reported, s.missing, s.overdue, s.reported_late, s.returned, s.confirmed, s.voted,
            s.voted_on_list, s.percent, s.confirmed_voted, s.confirmed_on_list, s.confirmed_percent]


def _count_row(name: str, c: CountFigures) -> list[Any]:
    return [name, _("Count minutes"), "", c.expected, c.sent, c.missing, "", "", c.returned, c.confirmed, c.voted,
            c.voted_on_list, c.percent, c.confirmed_voted, c.confirmed_on_list, c.confirmed_percent]


def _figure_rows(p: PlaceProgress, figures: Figures) -> Iterable[list[Any]]:
    for contest in p.contests:
        for s in figures.series(contest.id):
            yield _slot_row(contest.name, s)
        if contest.id in figures.counts:
            yield _count_row(contest.name, figures.counts[contest.id])


def _station_rows(p: PlaceProgress) -> Iterable[list[Any]]:
    labels = {None: _("Not reported"), "received": _("Received"), "returned": _("Returned"),
              "confirmed": _("Confirmed")}
    for child in p.children:
        for contest in p.contests:
            if contest.id not in child.contests:
                continue
            on_list = child.on_list.get(contest.id, 0)
            for at in p.times:
                slot = child.turnout.get((contest.id, at))
                if slot is None:
                    continue
                status = labels[slot.status.value if slot.status else None]
                yield [child.code, child.name, contest.name, at.strftime("%H:%M"), status, slot.voted, on_list,
                       percent(slot.voted, on_list) if slot.voted is not None else None,
                       _("yes") if slot.late else "", _("yes") if slot.overdue else ""]
            status = child.counts.get(contest.id)
            yield [child.code, child.name, contest.name, _("Count minutes"),
                   labels[status.value if status else None], None, on_list, None, "", ""]


def workbook(p: PlaceProgress) -> bytes:
    book = Workbook(write_only=True)
    add_sheet(book, p.name or _("Whole country"), _figure_headers(), _figure_rows(p, p.figures))
    if p.level == "commune":
        add_sheet(book, _("Stations"), [_("Code"), _("Polling area"), _("Contest"), _("Report time"), _("Status"),
                                        _("Voted"), _("On the list"), _("Turnout"), _("Late"), _("Overdue")],
                  _station_rows(p))
    else:
        title = _("Provinces") if p.level == "nation" else _("Communes")
        rows = ([child.code, child.name, *row] for child in p.children
                for row in _figure_rows(p, child.figures or Figures()))
        add_sheet(book, title, [_("Code"), _("Name"), *_figure_headers()], rows)
    return to_bytes(book)

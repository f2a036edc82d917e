"""The voter reports as XLSX workbooks (XlsxWriter, as the other exports): figures only, no personal data."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter

from webapp.clock import to_local
from webapp.elections.models import ContestKind
from webapp.i18n import _
from webapp.imports.workbooks import HEADER_FILL
from webapp.labels import CONTEST_SHORT
from webapp.voters.reports import CAUSE_LABELS as CAUSES
from webapp.voters.reports import ChangeReport, ProgressReport, Step
from webapp.voters.snapshots import Figures


def _book() -> tuple[io.BytesIO, Any, dict[str, Any]]:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    formats = {"header": book.add_format({"bold": True, "bg_color": HEADER_FILL, "text_wrap": True, "valign": "top"}),
               "text": book.add_format({"num_format": "@"}),
               "moment": book.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
               "day": book.add_format({"num_format": "dd/mm/yyyy"})}
    return buffer, book, formats


def _sheet(book: Any, formats: dict[str, Any], title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    ws = book.add_worksheet(title[:31])
    ws.freeze_panes(1, 0)
    ws.set_column(0, 1, 24)
    for i, h in enumerate(headers):
        ws.write_string(0, i, str(h), formats["header"])
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                ws.write_blank(r, c, None)
            elif isinstance(value, datetime):
                ws.write_datetime(r, c, to_local(value).replace(tzinfo=None), formats["moment"])
            elif isinstance(value, date):
                ws.write_datetime(r, c, datetime.combine(value, datetime.min.time()), formats["day"])
            elif isinstance(value, bool):
                ws.write_string(r, c, _("yes") if value else _("no"), formats["text"])
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value), formats["text"])


def _figures(f: Figures, causes: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for kind in ContestKind:
        sex = f.contests[kind]
        out += [sex.total, sex.male, sex.female]
    return [*out, f.first_time, f.elderly, f.delta, *(f.changes.get(c, 0) for c in causes)]


def change_workbook(report: ChangeReport) -> bytes:
    """One sheet per snapshot: a line per area or commune and the place's total."""
    buffer, book, formats = _book()
    causes = report.causes
    headers = [_("Code"), _("Name")]
    for kind in ContestKind:
        label = str(CONTEST_SHORT[kind])
        headers += [f"{label}: {_('total')}", f"{label}: {_('male')}", f"{label}: {_('female')}"]
    headers += [_("First-time voters"), _("Aged 80 and over"), _("Change since the previous snapshot"),
                *(str(CAUSES[c]) for c in causes)]
    for i, at in enumerate(report.times):
        rows = [[line.code, line.name, *_figures(line.figures[i], causes)] for line in report.lines]
        rows.append(["", _("Total"), *_figures(report.total[i], causes)])
        _sheet(book, formats, to_local(at).strftime("%d-%m-%Y %H.%M"), headers, rows)
    book.close()
    return buffer.getvalue()


def _step(step: Step) -> list[Any]:
    return [step.done, step.of, step.percent, step.on, step.due, step.late]


def progress_workbook(report: ProgressReport) -> bytes:
    buffer, book, formats = _book()
    headers = [_("Code"), _("Name"), _("Polling areas")]
    for name in (_("Lists posted"), _("Cards handed out"), _("Teams formed"), _("Leaders activated")):
        headers += [f"{name}: {_('done')}", f"{name}: {_('of')}", f"{name}: %", f"{name}: {_('last on')}",
                    f"{name}: {_('due')}", f"{name}: {_('late')}"]
    rows = [[line.code, line.name, line.areas, *_step(line.lists), *_step(line.cards), *_step(line.teams),
             *_step(line.leaders)] for line in [*report.lines, report.total]]
    _sheet(book, formats, _("Progress"), headers, rows)
    book.close()
    return buffer.getvalue()

"""The drill report as an XLSX workbook (XlsxWriter, as the exports): a summary, then one sheet per part, every
station and report time included whatever the page shows."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import xlsxwriter

from webapp.clock import to_local
from webapp.drillreport.services import DrillReport
from webapp.i18n import _
from webapp.imports.workbooks import HEADER_FILL
from webapp.labels import REPORT_STATUS as STATUS_LABELS
from webapp.review.reasons import labels


def _local(value: datetime | None) -> datetime | None:
    # Excel has no time zones: the local wall time, as the page shows it.
    return to_local(value).replace(tzinfo=None) if value else None


def workbook(report: DrillReport, outcome_labels: dict[Any, Any], channel_label: Any) -> bytes:
    """The whole report in one workbook, in memory (a province's stations × report times is a few thousand rows)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    header = book.add_format({"bold": True, "bg_color": HEADER_FILL, "text_wrap": True, "valign": "top"})
    text = book.add_format({"num_format": "@"})
    moment = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    hhmm = book.add_format({"num_format": "hh:mm"})

    def sheet(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = ()) -> None:
        ws = book.add_worksheet(title[:31])
        ws.freeze_panes(1, 0)
        for i, width in enumerate(widths):
            ws.set_column(i, i, width)
        for i, h in enumerate(headers):
            ws.write_string(0, i, str(h), header)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    ws.write_blank(r, c, None)
                elif isinstance(value, datetime):
                    ws.write_datetime(r, c, value, moment)
                elif hasattr(value, "hour") and hasattr(value, "minute"):
                    ws.write_datetime(r, c, value, hhmm)
                elif isinstance(value, bool):
                    ws.write_string(r, c, _("yes") if value else _("no"), text)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value), text)

    t = report.totals
    sheet(_("Summary"), [_("Figure"), _("Value")], [
        [_("Election"), report.election.name], [_("Place"), report.place.name],
        [_("Drawn up at"), _local(report.generated_at)], [_("Stations"), t.stations],
        [_("Turnout reports expected"), t.turnout_expected], [_("Turnout reports received"), t.turnout_received],
        [_("Received on time"), t.turnout_on_time], [_("Received late"), t.turnout_late],
        [_("Not received"), t.turnout_missing], [_("Median minutes after the report time"), t.median_delay],
        [_("Most minutes after the report time"), t.max_delay], [_("Count minutes expected"), t.count_expected],
        [_("Count minutes received"), t.count_received], [_("Minutes returned for correction"), t.returned],
        [_("Returned minutes corrected"), t.corrected], [_("Stations never reached"), t.never_reached],
        [_("Stations whose phone never passed the readiness check"), t.not_ready], [_("Hotline calls"), t.calls],
        [_("Entries by phone"), t.phone_entries]], (50, 60))
    if report.level == "province":
        sheet(_("Communes"), [_("Commune"), _("Stations"), _("Turnout reports received"), _("Received late"),
                              _("Not received"), _("Count minutes received"), _("Returned"), _("Corrected"),
                              _("Never reached"), _("Not ready"), _("Calls"), _("Entries by phone")],
              ([c.commune.name, c.totals.stations, c.totals.turnout_received, c.totals.turnout_late,
                c.totals.turnout_missing, c.totals.count_received, c.totals.returned, c.totals.corrected,
                c.totals.never_reached, c.totals.not_ready, c.totals.calls, c.totals.phone_entries]
               for c in report.communes), (30,))
    sheet(_("Turnout reports"), [_("Station"), _("Polling area"), _("Commune"), _("Report time"), _("Received at"),
                                 _("Minutes after the report time"), _("Late"), _("Channel")],
          ([s.area.code, s.area.name, s.area.commune.name, slot.at, _local(slot.received_at), slot.minutes_after,
            slot.late if slot.received_at else None, channel_label(slot.channel) if slot.channel else None]
           for s in report.stations for slot in s.slots), (12, 28, 24, 10, 16, 12, 8, 12))
    sheet(_("Count minutes"), [_("Station"), _("Commune"), _("Contest"), _("First received at"),
                               _("Minutes after the polls closed"), _("Versions"), _("Status")],
          ([s.area.code, s.area.commune.name, c.contest.name, _local(c.received_at), c.minutes_after, c.versions,
            str(STATUS_LABELS[c.status]) if c.status else None] for s in report.stations for c in s.counts), (12, 24, 40, 16))
    sheet(_("Returned minutes"), [_("Station"), _("Contest"), _("Version"), _("Returned at"), _("Reasons"),
                                  _("Corrected at"), _("Minutes to correct")],
          ([r.area.code, r.contest.name, r.version, _local(r.returned_at),
            "; ".join(labels(r.reasons)) + (f" — {r.text}" if r.text else ""), _local(r.corrected_at),
            r.minutes_to_correct] for r in report.returned), (12, 40, 8, 16, 40, 16))
    sheet(_("Hotline calls"), [_("Time"), _("Station"), _("Outcome"), _("Number called"), _("Note"), _("Caller")],
          ([_local(c.at), c.polling_area.code, str(outcome_labels[c.outcome]), c.number, c.note,
            c.caller.username] for c in report.calls), (16, 12, 20, 14, 40))
    sheet(_("Entries by phone"), [_("Time"), _("Station"), _("Report"), _("Version"), _("Entered by")],
          ([_local(e.at), e.area.code, e.slot.strftime("%H:%M") if e.slot else e.contest.name, e.version,
            e.by.username] for e in report.phone_entries), (16, 12, 40))
    sheet(_("Never reached"), [_("Station"), _("Polling area"), _("Commune"), _("Calls")],
          ([s.area.code, s.area.name, s.area.commune.name, s.calls] for s in report.never_reached), (12, 28, 24))
    sheet(_("Readiness not passed"), [_("Station"), _("Polling area"), _("Commune"), _("Checks run")],
          ([s.area.code, s.area.name, s.area.commune.name, s.readiness_runs] for s in report.not_ready),
          (12, 28, 24))
    book.close()
    return buffer.getvalue()

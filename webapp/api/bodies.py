"""The API's request bodies read into the reports' inputs, and its answers built from the stored rows."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

from webapp.api.parsing import Reader
from webapp.api.problems import Problem, finding_json
from webapp.elections.models import ContestKind
from webapp.reports import receipts
from webapp.reports.checks import COUNT_FIELDS, INVENTORY_FIELDS, CountInput, Finding, Severity
from webapp.reports.counts import CountData
from webapp.reports.models import CountReport, TurnoutReport

COMPLAINT_FIELDS = ("complaints_received", "complaints_resolved", "complaints_forwarded")
KINDS = tuple(kind.value for kind in ContestKind)
MAX_NAME, MAX_NOTE, MAX_REASON = 200, 2000, 500


def count_body(data: Any) -> tuple[uuid.UUID, CountData]:
    """The count minutes of ``submitCountReport``; raises ApiError (400 shape, 422 values)."""
    r = Reader(data)
    client_uuid = r.client_uuid()
    numbers = {name: r.integer(name) for name in COUNT_FIELDS}
    complaints = {name: r.integer(name) or 0 for name in COMPLAINT_FIELDS}
    # Optional: a client that does not send the inventory (absent or null) sends minutes without it.
    inventory = {name: r.integer(name) for name in INVENTORY_FIELDS}
    votes = r.int_keyed("votes") or {}
    names_kept = r.int_keyed("names_kept")
    signer_ids = r.integer_list("signer_ids")
    witnesses = r.text_list("witnesses", 2, MAX_NAME)
    explanations: dict[str, str] = {}
    for code, text in (r.mapping("explanations") or {}).items():
        if len(code) > 60:
            r.shape.append(Problem("invalid_key", "explanations", {"key": code[:40]}))
        else:
            explanations[code] = r.text_value(f"explanations.{code}", text, MAX_NOTE)
    note = r.text("complaints_note", MAX_NOTE)
    r.finish()
    assert client_uuid is not None  # finish() raised otherwise
    witnesses += [""] * (2 - len(witnesses))
    return client_uuid, CountData(
        numbers=CountInput(**numbers, votes=votes, names_kept=names_kept, **complaints,  # type: ignore[arg-type]
                           **inventory),
        signer_ids=tuple(signer_ids), witnesses=(witnesses[0], witnesses[1]), explanations=explanations,
        complaints_note=note,
    )


@dataclasses.dataclass(frozen=True)
class TurnoutBody:
    client_uuid: uuid.UUID
    voted: int | None
    per_contest: dict[str, int | None] | None  # contest kind -> number
    reason: str
    slot: time | None
    no_change: bool


def turnout_body(data: Any) -> TurnoutBody:
    """The turnout report of ``submitTurnoutReport``; raises ApiError (400 shape, 422 values)."""
    r = Reader(data)
    client_uuid = r.client_uuid()
    voted = r.integer("voters_voted")
    per_contest: dict[str, int | None] | None = None
    if (raw := r.mapping("per_contest")) is not None:
        per_contest = {}
        for kind, value in raw.items():
            if kind not in KINDS:
                r.shape.append(Problem("invalid_key", "per_contest", {"key": kind[:40]}))
            else:
                per_contest[kind] = r.integer_value(f"per_contest.{kind}", value)
    if per_contest is not None and r.data.get("voters_voted") is not None:
        r.shape.append(Problem("exclusive", "voters_voted", {"other": "per_contest"}))
    reason = r.text("reason", MAX_REASON)
    slot = r.time_of_day("slot")
    no_change = r.boolean("no_change")
    r.finish()
    assert client_uuid is not None
    return TurnoutBody(client_uuid, voted, per_contest, reason, slot, no_change)


def iso(moment: datetime | None) -> str | None:
    """UTC, always: the first answer (the clock's zone) and a replay (read back from the database) agree."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def stored_finding(row: Mapping[str, Any]) -> Finding:
    return Finding(int(row["check"]), str(row["code"]), Severity(row["severity"]), tuple(row.get("fields", ())),
                   dict(row.get("params", {})))


def _receipt(report: CountReport | TurnoutReport) -> dict[str, Any]:
    return {
        "report_id": report.id,
        "receipt": report.receipt,
        "receipt_display": receipts.display(report.receipt),
        "version": report.version,
        "status": report.status.value,
        "is_latest": report.is_latest,
        "polling_area_id": report.polling_area_id,
        "submitted_at": iso(report.submitted_at),
        "channel": report.channel.value,
        "client_uuid": str(report.client_uuid),
    }


def count_json(report: CountReport, replayed: bool, kind: str) -> dict[str, Any]:
    """The answer to a count submission, the same for the first call and its replays (but ``replayed``)."""
    return {
        **_receipt(report), "kind": "count", "contest": kind, "replayed": replayed,
        "findings": [finding_json(stored_finding(f)) for f in report.findings],
        "inventory": inventory_json(report),
    }


def inventory_json(report: CountReport) -> dict[str, int | None] | None:
    """The inventory of ballots stored with the minutes (Mẫu 32/HĐBC), with the minutes' ballots issued; None
    when the team did not enter it."""
    if report.ballots_from_commune is None:
        return None
    return {"ballots_from_commune": report.ballots_from_commune, "ballots_issued": report.ballots_issued,
            "ballots_spoiled": report.ballots_spoiled, "ballots_unused": report.ballots_unused}


def turnout_json(report: TurnoutReport, replayed: bool, kinds: Mapping[int, str]) -> dict[str, Any]:
    return {
        **_receipt(report), "kind": "turnout", "replayed": replayed, "slot": f"{report.slot_at:%H:%M}",
        "per_contest": report.per_contest, "no_change": report.no_change, "reason": report.reason,
        "figures": {kinds.get(f.contest_id, str(f.contest_id)): f.voters_voted for f in report.figures},
    }

"""The polling teams' count minutes as the official form prints them: loading them within the reader's scope,
and turning one version into the plain values of the form (Điều 75 khoản 2; domain.md §5)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from webapp import scope
from webapp.accounts.models import User
from webapp.clock import to_local
from webapp.elections.models import Contest, ContestKind, ElectoralUnit, PollingArea
from webapp.geo.models import Commune
from webapp.reports.models import CountReport, ReportStatus
from webapp.results import words
from webapp.textnorm import nfc

# Bump when a form's layout changes, so that the commune's stored batch files are made again.
FORMS_VERSION = "2026.1"

TEAM_ROLES = {"leader": "Tổ trưởng", "deputy": "Tổ phó", "secretary": "Thư ký", "member": "Ủy viên"}
STATUS_LABELS = {
    ReportStatus.RECEIVED: "chưa được Ủy ban bầu cử xã xác nhận",
    ReportStatus.RETURNED: "đã trả lại để sửa",
    ReportStatus.CONFIRMED: "đã được Ủy ban bầu cử xã xác nhận",
}
_KIND_ORDER = {kind: i for i, kind in enumerate(ContestKind)}


class NoMinutes(LookupError):
    """The area has sent no minutes for that contest (views answer 404)."""


@dataclasses.dataclass(frozen=True)
class CountForm:
    """Everything the Tổ's count minutes print, already normalised to NFC."""

    ref: str  # the footer: area code, version, receipt, status
    form_number: str | None
    kind: ContestKind
    contest: str  # "đại biểu Quốc hội khóa XVI"
    title: list[str]  # the same in capitals, on one or two lines
    area_number: int
    area_name: str
    area_address: str
    commune: str
    province: str
    unit_number: int
    unit_name: str
    ban: str
    day: datetime  # local time the minutes were sent
    team: list[tuple[str, str]]  # (name, role) of the signers
    leader: str
    secretary: str
    witnesses: tuple[str, str]
    facts: list[tuple[str, int, str]]  # (label, number, unit word)
    candidates: list[tuple[int, str, int]]  # (ballot order, name, votes)
    complaints: tuple[int, int, int]  # received, resolved, forwarded to the Ban
    complaints_note: str
    status: str
    copies: int = words.COUNT_COPIES


def _options() -> list:
    return [
        selectinload(CountReport.votes),
        selectinload(CountReport.contest),
        selectinload(CountReport.polling_area).selectinload(PollingArea.commune).selectinload(Commune.province),
        selectinload(CountReport.unit).selectinload(ElectoralUnit.candidates),
    ]


def latest_count_report(session: Session, user: User, area_id: int, kind: ContestKind | str) -> CountReport:
    """The version that counts of an area's minutes for one contest (OutOfScope, NoMinutes)."""
    area = scope.get(session, PollingArea, area_id, user)
    try:
        kind = ContestKind(kind)
    except ValueError as exc:
        raise NoMinutes(kind) from exc
    report = session.scalars(
        scope.select(CountReport, user)
        .join(Contest, Contest.id == CountReport.contest_id)
        .where(CountReport.polling_area_id == area.id, CountReport.is_latest, Contest.kind == kind)
        .options(*_options())
    ).first()
    if report is None:
        raise NoMinutes(kind)
    return report


def _commune_reports(user: User, commune: Commune) -> sa.Select[tuple[CountReport]]:
    return (
        scope.select(CountReport, user)
        .join(PollingArea, PollingArea.id == CountReport.polling_area_id)
        .where(CountReport.is_latest, PollingArea.commune_id == commune.id)
    )


def commune_count_reports(session: Session, user: User, commune: Commune) -> list[CountReport]:
    """The latest minutes of every station of the commune the user sees, station by station, NA first."""
    reports = session.scalars(_commune_reports(user, commune).options(*_options())).all()
    return sorted(reports, key=lambda r: (r.polling_area.number, _KIND_ORDER[r.contest.kind]))


def commune_fingerprint(session: Session, user: User, commune: Commune) -> tuple[str, int]:
    """Names the commune's batch of minutes (it changes whenever any station sends or the commune reviews),
    with the number of minutes in it."""
    rows = session.execute(
        _commune_reports(user, commune).with_only_columns(CountReport.id, CountReport.version, CountReport.status)
        .order_by(CountReport.id)
    ).all()
    text = "|".join(f"{i}:{v}:{s.value}" for i, v, s in rows)
    return hashlib.sha256(f"{FORMS_VERSION}|{commune.id}|{text}".encode()).hexdigest()[:20], len(rows)


@dataclasses.dataclass(frozen=True)
class InventoryRow:
    """One ballot type's line of the inventory: None where the team did not enter it."""

    ballot: str  # "Phiếu bầu đại biểu Quốc hội"
    received: int | None
    issued: int | None
    spoiled: int | None
    unused: int | None


@dataclasses.dataclass(frozen=True)
class InventoryForm:
    """Mẫu 32/HĐBC, the polling team's inventory of ballots used (biên bản kiểm kê việc sử dụng phiếu bầu cử):
    one line per ballot type, from the version that counts of each contest's minutes."""

    ref: str
    form_number: str
    area_number: int
    area_address: str
    commune: str
    province: str
    day: datetime
    leader: str
    secretary: str
    witnesses: tuple[str, str]
    rows: list[InventoryRow]


def area_count_reports(session: Session, user: User, area_id: int) -> list[CountReport]:
    """The version that counts of each of an area's minutes, NA first (OutOfScope; NoMinutes when none)."""
    area = scope.get(session, PollingArea, area_id, user)
    reports = session.scalars(
        scope.select(CountReport, user).where(CountReport.polling_area_id == area.id, CountReport.is_latest)
        .options(*_options())
    ).all()
    if not reports:
        raise NoMinutes(area_id)
    return sorted(reports, key=lambda r: _KIND_ORDER[r.contest.kind])


def inventory_form(reports: Sequence[CountReport]) -> InventoryForm:
    """The values of Mẫu 32 from an area's minutes (``area_count_reports``): the signers and witnesses of the
    first minutes that carry an inventory (the team signs it before opening the boxes), else of the first."""
    first = next((r for r in reports if r.ballots_from_commune is not None), reports[0])
    area, commune = first.polling_area, first.polling_area.commune
    rows = [InventoryRow("Phiếu bầu " + words.contest_phrase(r.contest.kind, province=nfc(commune.province.name),
                                                             commune=nfc(commune.name)),
                         r.ballots_from_commune, r.ballots_issued if r.ballots_from_commune is not None else None,
                         r.ballots_spoiled, r.ballots_unused) for r in reports]
    versions = ", ".join(f"{r.contest.kind.value} lần {r.version}" for r in reports)
    return InventoryForm(
        ref=f"Khu vực bỏ phiếu {area.code} · biên bản kiểm phiếu {versions}", form_number=words.INVENTORY_FORM,
        area_number=area.number, area_address=nfc(area.address), commune=nfc(commune.name),
        province=nfc(commune.province.name), day=to_local(first.submitted_at),
        leader=_signer(first.signers, "leader"), secretary=_signer(first.signers, "secretary"),
        witnesses=(nfc(first.witness_1), nfc(first.witness_2)), rows=rows)


def _signer(signers: Sequence[dict], role: str) -> str:
    return next((nfc(s.get("name", "")) for s in signers if s.get("role") == role), "")


def count_form(report: CountReport) -> CountForm:
    """The values of one version of the minutes, as the form prints them."""
    area, unit, kind = report.polling_area, report.unit, report.contest.kind
    commune, province = area.commune, area.commune.province
    names = {c.id: c for c in unit.candidates}
    votes = sorted((names[v.candidate_id].ballot_order, nfc(names[v.candidate_id].full_name), v.votes)
                    for v in report.votes if v.candidate_id in names)
    ref = (f"Khu vực bỏ phiếu {area.code} · biên bản gửi lần {report.version} · biên nhận {report.receipt} · "
           f"{STATUS_LABELS[report.status]}")
    return CountForm(
        ref=ref, form_number=words.form_number("count", kind), kind=kind,
        contest=words.contest_phrase(kind, province=nfc(province.name), commune=nfc(commune.name)),
        title=words.title_lines(kind, province=nfc(province.name), commune=nfc(commune.name)),
        area_number=area.number, area_name=nfc(area.name), area_address=nfc(area.address),
        commune=nfc(commune.name), province=nfc(province.name), unit_number=unit.number, unit_name=nfc(unit.name),
        ban=words.ban_phrase(kind, province=nfc(province.name), commune=nfc(commune.name)),
        day=to_local(report.submitted_at),
        team=[(nfc(s.get("name", "")), TEAM_ROLES.get(s.get("role", ""), "")) for s in report.signers],
        leader=_signer(report.signers, "leader"), secretary=_signer(report.signers, "secretary"),
        witnesses=(nfc(report.witness_1), nfc(report.witness_2)),
        facts=[
            ("Tổng số cử tri của khu vực bỏ phiếu", report.voters_on_list, "người"),
            ("Số cử tri đã tham gia bỏ phiếu", report.voters_voted, "người"),
            ("Số phiếu phát ra", report.ballots_issued, "phiếu"),
            ("Số phiếu thu vào", report.ballots_received, "phiếu"),
            ("Số phiếu hợp lệ", report.valid, "phiếu"),
            ("Số phiếu không hợp lệ", report.invalid, "phiếu"),
        ],
        candidates=votes,
        complaints=(report.complaints_received, report.complaints_resolved, report.complaints_forwarded),
        complaints_note=nfc(report.complaints_note or ""),
        status=STATUS_LABELS[report.status],
    )

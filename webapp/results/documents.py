"""The values the Ban's, the committee's and the progress forms print, built from the results services."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from webapp.clock import to_local
from webapp.elections.models import ContestKind
from webapp.members.services import Signers
from webapp.results import words
from webapp.results.progress import TurnoutProgress
from webapp.results.rules import format_percent, format_valid_invalid
from webapp.results.services import CommitteeResults, ContestResults, UnitOutcome
from webapp.textnorm import nfc


def _pct(part: int, whole: int) -> str:
    return format_percent(part, whole, locale="vi")


def _shares(valid: int, invalid: int, received: int) -> tuple[str, str]:
    return format_valid_invalid(valid, invalid, received, locale="vi")


def _stamp(now: datetime) -> str:
    return f"lập lúc {now.strftime('%H:%M %d/%m/%Y')}"


@dataclasses.dataclass(frozen=True)
class UnitForm:
    outcome: UnitOutcome
    breakdown: list[dict[str, Any]]
    ban: str
    contest: str
    title: list[str]
    province: str
    commune: str
    communes: list[str]
    place: str
    now: datetime
    ref: str
    form_number: str | None
    copies: int | None = None
    signers: Signers = Signers()

    pct = staticmethod(_pct)
    shares = staticmethod(_shares)


def unit_form(outcome: UnitOutcome, breakdown: list[dict[str, Any]], now: datetime,
              signers: Signers = Signers()) -> UnitForm:
    unit, kind = outcome.unit, outcome.unit.contest.kind
    province = nfc(unit.province.name)
    commune = nfc(unit.commune.name) if unit.commune else ""
    now = to_local(now)
    return UnitForm(
        outcome=outcome, breakdown=breakdown,
        ban=words.ban_phrase(kind, province=province, commune=commune),
        contest=words.contest_phrase(kind, province=province, commune=commune),
        title=words.title_lines(kind, province=province, commune=commune), province=province, commune=commune, communes=[nfc(r["commune"].name) for r in breakdown],
        place=commune or province, now=now, form_number=words.form_number("unit", kind),
        copies=words.copies("unit", kind), signers=signers,
        ref=f"Đơn vị bầu cử {unit.code} · biên bản đã xác nhận {outcome.confirmed}/{outcome.expected} · {_stamp(now)}",
    )


@dataclasses.dataclass(frozen=True)
class CommitteeForm:
    results: CommitteeResults
    contest: ContestResults
    phrase: str
    title: list[str]
    place: str
    now: datetime
    ref: str
    form_number: str | None
    copies: int | None = None
    signers: Signers = Signers()

    pct = staticmethod(_pct)
    shares = staticmethod(_shares)

    @property
    def is_na(self) -> bool:
        return self.contest.contest.kind is ContestKind.NATIONAL_ASSEMBLY


def committee_form(results: CommitteeResults, contest: ContestResults, now: datetime,
                   signers: Signers = Signers()) -> CommitteeForm:
    kind = contest.contest.kind
    province = nfc(results.province.name)
    commune = nfc(results.commune.name) if results.commune else ""
    now = to_local(now)
    return CommitteeForm(
        results=results, contest=contest, phrase=words.contest_phrase(kind, province=province, commune=commune),
        title=words.title_lines(kind, province=province, commune=commune),
        place=commune or province, now=now, form_number=words.form_number("committee", kind),
        copies=words.copies("committee", kind), signers=signers,
        ref=f"{commune or province} · biên bản đã xác nhận {contest.confirmed}/{contest.expected} · {_stamp(now)}",
    )


@dataclasses.dataclass(frozen=True)
class TurnoutForm:
    progress: TurnoutProgress
    place: str
    phrases: dict[int, str]  # contest id -> "đại biểu Quốc hội khóa XVI"
    short: dict[int, str]  # contest id -> column heading
    now: datetime
    ref: str

    pct = staticmethod(_pct)
    shares = staticmethod(_shares)


SHORT = {
    ContestKind.NATIONAL_ASSEMBLY: "Quốc hội",
    ContestKind.PROVINCIAL_COUNCIL: "HĐND tỉnh, thành phố",
    ContestKind.COMMUNE_COUNCIL: "HĐND xã, phường, đặc khu",
}


def turnout_form(progress: TurnoutProgress, now: datetime) -> TurnoutForm:
    province = nfc(progress.province.name)
    commune = nfc(progress.commune.name) if progress.commune else ""
    now = to_local(now)
    return TurnoutForm(
        progress=progress, place=commune or province, now=now,
        phrases={c.id: words.contest_phrase(c.kind, province=province, commune=commune) for c in progress.contests},
        short={c.id: SHORT[c.kind] for c in progress.contests},
        ref=f"Báo cáo tiến độ · {commune or province} · {_stamp(now)}",
    )


@dataclasses.dataclass(frozen=True)
class StatisticsForm:
    rows: list[Any]  # webapp.results.statistics.ContestRow
    final: bool
    place: str
    short: dict[ContestKind, str]
    now: datetime
    ref: str
    form_number: str
    signers: Signers = Signers()

    pct = staticmethod(_pct)


def statistics_form(results: CommitteeResults, rows: list[Any], *, final: bool, form_number: str, now: datetime,
                    signers: Signers = Signers()) -> StatisticsForm:
    place = nfc(results.province.name)
    now = to_local(now)
    return StatisticsForm(rows=rows, final=final, place=place, short=SHORT, now=now, form_number=form_number,
                          signers=signers, ref=f"Biểu thống kê {'chính thức' if final else 'sơ bộ'} · {place} · "
                                                f"{_stamp(now)}")


@dataclasses.dataclass(frozen=True)
class ReportSection:
    row: Any  # webapp.results.statistics.ContestRow
    phrase: str  # "đại biểu Quốc hội khóa XVI"
    pending: list[Any]  # webapp.followups.models.FollowUpVote: additional and repeat elections not done yet


@dataclasses.dataclass(frozen=True)
class ReportForm:
    """Mẫu 27/HĐBC (báo cáo tình hình và kết quả sơ bộ) or Mẫu 29/HĐBC (báo cáo tổng kết): the provincial
    committee's written report to the National Election Council, one section per contest it runs."""

    sections: list[ReportSection]
    final: bool
    place: str
    now: datetime
    ref: str
    form_number: str
    signers: Signers = Signers()

    pct = staticmethod(_pct)


def report_form(results: CommitteeResults, rows: list[Any], pending: dict[ContestKind, list[Any]], *, final: bool,
                form_number: str, now: datetime, signers: Signers = Signers()) -> ReportForm:
    place = nfc(results.province.name)
    now = to_local(now)
    sections = [ReportSection(row=r, phrase=words.contest_phrase(r.contest.contest.kind, province=place,
                                                                 commune="xã, phường, đặc khu"),
                              pending=pending.get(r.contest.contest.kind, [])) for r in rows]
    return ReportForm(sections=sections, final=final, place=place, now=now, form_number=form_number,
                      signers=signers, ref=f"Báo cáo {'tổng kết' if final else 'sơ bộ'} · {place} · {_stamp(now)}")

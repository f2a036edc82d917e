"""What the official forms print besides the figures: form numbers and titles (the numbers in Vietnamese words
are ``webapp.reports.words``, the one module the read-back screen, the forms and the phone's port share)."""

from __future__ import annotations

from webapp.elections.models import ContestKind

# The 2026 form numbers (Nghị quyết 40/NQ-HĐBCQG). Only 20/HĐBC-QH is confirmed (domain.md §5); the others are
# inferred from the 2021 numbering shifted by two and from a third-party 2026 app, and are UNVERIFIED: correct
# them here, in this one table, once the annex is available. None: no number known, none is printed.
FORM_NUMBERS: dict[tuple[str, ContestKind], str | None] = {
    ("count", ContestKind.NATIONAL_ASSEMBLY): "18/HĐBC-QH",  # unverified
    ("count", ContestKind.PROVINCIAL_COUNCIL): "23/HĐBC-HĐND",  # unverified
    ("count", ContestKind.COMMUNE_COUNCIL): "23/HĐBC-HĐND",  # unverified (one form for every level in 2021)
    ("unit", ContestKind.NATIONAL_ASSEMBLY): "19/HĐBC-QH",  # unverified
    ("unit", ContestKind.PROVINCIAL_COUNCIL): "24/HĐBC-HĐND",  # unverified
    ("unit", ContestKind.COMMUNE_COUNCIL): "24/HĐBC-HĐND",  # unverified
    ("committee", ContestKind.NATIONAL_ASSEMBLY): "20/HĐBC-QH",  # confirmed (NEC 2026 Q&A, Câu 156)
    ("committee", ContestKind.PROVINCIAL_COUNCIL): None,  # unknown (27/HĐBC-HĐND in 2021)
    ("committee", ContestKind.COMMUNE_COUNCIL): None,  # unknown
}

# Copies of the polling team's minutes (older guidance; not re-verified for 2026).
COUNT_COPIES = 3

TERM = "khóa XVI"
COUNCIL_TERM = "nhiệm kỳ 2026 - 2031"


def council(contest: ContestKind | str, *, province: str = "", commune: str = "") -> str:
    """"Quốc hội", "Hội đồng nhân dân Thành phố Hồ Chí Minh", "Hội đồng nhân dân Phường Bến Thành"."""
    kind = ContestKind(contest)
    if kind is ContestKind.NATIONAL_ASSEMBLY:
        return "Quốc hội"
    return f"Hội đồng nhân dân {province if kind is ContestKind.PROVINCIAL_COUNCIL else commune}"


def contest_phrase(contest: ContestKind | str, *, province: str = "", commune: str = "") -> str:
    """"đại biểu Quốc hội khóa XVI", "đại biểu Hội đồng nhân dân Phường Bến Thành nhiệm kỳ 2026 - 2031"; the
    titles print it in capitals."""
    kind = ContestKind(contest)
    term = TERM if kind is ContestKind.NATIONAL_ASSEMBLY else COUNCIL_TERM
    return f"đại biểu {council(kind, province=province, commune=commune)} {term}"


def title_lines(contest: ContestKind | str, *, province: str = "", commune: str = "") -> list[str]:
    """The contest in a form's title, in capitals, the council's term on a line of its own."""
    kind = ContestKind(contest)
    if kind is ContestKind.NATIONAL_ASSEMBLY:
        return [f"ĐẠI BIỂU QUỐC HỘI {TERM}".upper()]
    return [f"đại biểu {council(kind, province=province, commune=commune)}".upper(), COUNCIL_TERM.upper()]


def ban_phrase(contest: ContestKind | str, *, province: str = "", commune: str = "") -> str:
    """"Ban bầu cử đại biểu Quốc hội", "Ban bầu cử đại biểu Hội đồng nhân dân Thành phố Hồ Chí Minh"."""
    return f"Ban bầu cử đại biểu {council(contest, province=province, commune=commune)}"


def form_number(kind: str, contest: ContestKind | str) -> str | None:
    return FORM_NUMBERS.get((kind, ContestKind(contest)))

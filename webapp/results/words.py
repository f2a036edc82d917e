"""What the official forms print besides the figures: form numbers and titles (the numbers in Vietnamese words
are ``webapp.reports.words``, the one module the read-back screen, the forms and the phone's port share)."""

from __future__ import annotations

from webapp.elections.models import ContestKind

# The 2026 form numbers: Nghị quyết 40/NQ-HĐBCQG (29/9/2025), Phụ lục 2, as the NEC's 2026 Q&A lists them
# (voters-and-drills.md §7): all confirmed. One form for the polling team's council minutes at every level (23), one for
# the Ban's council minutes (24), one for the committee's summary of each council election (25, biên bản tổng kết).
FORM_NUMBERS: dict[tuple[str, ContestKind], str | None] = {
    ("count", ContestKind.NATIONAL_ASSEMBLY): "18/HĐBC-QH",
    ("count", ContestKind.PROVINCIAL_COUNCIL): "23/HĐBC-HĐND",
    ("count", ContestKind.COMMUNE_COUNCIL): "23/HĐBC-HĐND",
    ("unit", ContestKind.NATIONAL_ASSEMBLY): "19/HĐBC-QH",
    ("unit", ContestKind.PROVINCIAL_COUNCIL): "24/HĐBC-HĐND",
    ("unit", ContestKind.COMMUNE_COUNCIL): "24/HĐBC-HĐND",
    ("committee", ContestKind.NATIONAL_ASSEMBLY): "20/HĐBC-QH",
    ("committee", ContestKind.PROVINCIAL_COUNCIL): "25/HĐBC-HĐND",
    ("committee", ContestKind.COMMUNE_COUNCIL): "25/HĐBC-HĐND",
}

# The inventory of ballots used (biên bản kiểm kê việc sử dụng phiếu bầu cử), one per polling team; its number of
# copies is not stated for 2026 (2021: 6), so the form leaves it to be written by hand.
INVENTORY_FORM = "32/HĐBC"

# Copies of each minutes (NEC 2026 Q&A, Câu 180–190).
COPIES: dict[tuple[str, ContestKind], int] = {
    ("count", ContestKind.NATIONAL_ASSEMBLY): 3, ("count", ContestKind.PROVINCIAL_COUNCIL): 3,
    ("count", ContestKind.COMMUNE_COUNCIL): 3,
    ("unit", ContestKind.NATIONAL_ASSEMBLY): 3, ("unit", ContestKind.PROVINCIAL_COUNCIL): 4,
    ("unit", ContestKind.COMMUNE_COUNCIL): 4,
    ("committee", ContestKind.NATIONAL_ASSEMBLY): 4, ("committee", ContestKind.PROVINCIAL_COUNCIL): 6,
    ("committee", ContestKind.COMMUNE_COUNCIL): 6,
}

COUNT_COPIES = COPIES[("count", ContestKind.NATIONAL_ASSEMBLY)]

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


def copies(kind: str, contest: ContestKind | str) -> int | None:
    return COPIES.get((kind, ContestKind(contest)))

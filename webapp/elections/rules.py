"""The law's configuration rules for electoral units (domain.md §6, check 19). Plain functions."""

from __future__ import annotations

import dataclasses

from webapp.elections.models import ContestKind


def min_candidates(kind: ContestKind, seats: int) -> int:
    """Điều 57.6 (NA: at least two more than seats) and Điều 58.3 with NEC guidance 45 (HĐND)."""
    if kind is ContestKind.NATIONAL_ASSEMBLY:
        return seats + 2
    if seats == 3:
        return 5
    if seats >= 4:
        return seats + 3
    return seats + 1


@dataclasses.dataclass(frozen=True)
class UnitProblem:
    code: str  # seats_out_of_range | too_few_candidates
    seats: int
    limit: int
    candidates: int = 0


def check_unit(kind: ContestKind, seats: int, candidates: int | None = None) -> list[UnitProblem]:
    """Problems with a unit's seats (Điều 10.4: ≤ 3 for the NA, ≤ 5 for HĐND) and, when known,
    its number of candidates. An empty list means the configuration is lawful."""
    problems: list[UnitProblem] = []
    if seats < 1 or seats > kind.max_seats:
        problems.append(UnitProblem("seats_out_of_range", seats, kind.max_seats))
        return problems
    if candidates is not None and candidates < min_candidates(kind, seats):
        problems.append(UnitProblem("too_few_candidates", seats, min_candidates(kind, seats), candidates))
    return problems

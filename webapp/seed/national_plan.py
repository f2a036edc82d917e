"""The shape of the synthetic national dataset, worked out in memory before anything is written.

Real 2026 numbers (domain.md §3) are scaled by ``areas / 72,195``: a smaller dataset keeps the same
proportions with fewer provinces, communes, units and seats, and every unit still satisfies the law's
rules (``webapp.elections.rules.check_unit``).
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import random
from collections.abc import Sequence

from webapp.elections.models import ContestKind
from webapp.elections.rules import min_candidates

NA = ContestKind.NATIONAL_ASSEMBLY
PROVINCIAL = ContestKind.PROVINCIAL_COUNCIL
COMMUNE = ContestKind.COMMUNE_COUNCIL


@dataclasses.dataclass(frozen=True)
class Targets:
    areas: int = 72_195
    provinces: int = 34
    communes: int = 3_321
    na_units: int = 182
    na_seats: int = 500
    na_candidates: int = 864
    provincial_seats: int = 2_552
    provincial_candidates: int = 4_217
    commune_seats: int = 72_611
    commune_candidates: int = 120_873
    voters: int = 78_928_647

    def scaled(self, areas: int) -> Targets:
        """The real numbers times ``areas / 72,195`` (the area count itself exact)."""
        if areas < 1:
            raise ValueError("at least one polling area")
        factor = areas / self.areas
        values = {f.name: max(1, round(getattr(self, f.name) * factor)) for f in dataclasses.fields(self)}
        values["areas"] = areas
        return Targets(**values)


NATIONAL = Targets()


@dataclasses.dataclass(frozen=True)
class Place:
    """A commune as the generator sees it."""

    province_code: str
    commune_code: str
    is_ward: bool
    has_council: bool


@dataclasses.dataclass
class UnitPlan:
    kind: ContestKind
    province_code: str
    commune_code: str | None
    number: int
    seats: int
    candidates: int = 0


@dataclasses.dataclass
class CommunePlan:
    place: Place
    areas: int
    na_unit: int = -1  # index into Plan.units
    provincial_unit: int = -1
    commune_units: list[int] = dataclasses.field(default_factory=list)

    def commune_unit_of(self, index: int) -> int | None:
        """The commune-council unit of the commune's ``index``-th area (0-based): contiguous runs."""
        if not self.commune_units:
            return None
        return self.commune_units[index * len(self.commune_units) // self.areas]


@dataclasses.dataclass
class Plan:
    targets: Targets
    communes: list[CommunePlan]
    units: list[UnitPlan]
    voters: list[int]  # NA voters of each area, communes in order, areas by number

    def seats(self, kind: ContestKind) -> int:
        return sum(u.seats for u in self.units if u.kind is kind)

    def candidates(self, kind: ContestKind) -> int:
        return sum(u.candidates for u in self.units if u.kind is kind)


def apportion(total: int, weights: Sequence[float], lo: Sequence[int], hi: Sequence[int]) -> list[int]:
    """Split ``total`` into integers lo[i] ≤ x[i] ≤ hi[i], proportional to ``weights`` (Sainte-Laguë)."""
    if not sum(lo) <= total <= sum(hi):
        raise ValueError(f"cannot split {total} within bounds {sum(lo)}..{sum(hi)}")
    x = list(lo)
    heap = [(-w / (x[i] + 0.5), i) for i, w in enumerate(weights) if x[i] < hi[i]]
    heapq.heapify(heap)
    for _ in range(total - sum(lo)):
        _, i = heapq.heappop(heap)
        x[i] += 1
        if x[i] < hi[i]:
            heapq.heappush(heap, (-weights[i] / (x[i] + 0.5), i))
    return x


def contiguous_groups(sizes: Sequence[int], k: int) -> list[range]:
    """Cut a sequence into ``k`` non-empty contiguous runs whose sums are as even as a greedy cut gets."""
    n = len(sizes)
    if not 1 <= k <= n:
        raise ValueError(f"cannot cut {n} items into {k} groups")
    total = sum(sizes)
    groups: list[range] = []
    start, done = 0, 0
    for g in range(k - 1):
        target = total * (g + 1) / k
        end, acc = start + 1, done + sizes[start]
        while end < n - (k - 1 - g) and abs(acc + sizes[end] - target) <= abs(acc - target):
            acc += sizes[end]
            end += 1
        groups.append(range(start, end))
        start, done = end, acc
    groups.append(range(start, n))
    return groups


def split_seats(total: int, max_units: int, five_share: float) -> list[int]:
    """Unit sizes (1–5 seats) adding up to ``total``: mostly 3-seat units, ``five_share`` of the seats in
    5-seat units (the law's candidate surplus is smallest for those), at most ``max_units`` units."""
    fives = round(five_share * total / 5)
    threes, rest = divmod(total - 5 * fives, 3)
    sizes = [5] * fives + [3] * threes
    if rest:
        if threes:
            sizes[-1] += rest  # a 4- or 5-seat unit
        elif fives:
            sizes[-1:] = [3, 2 + rest]
        else:
            sizes.append(rest)
    if len(sizes) > max_units:
        base, extra = divmod(total, max_units)
        sizes = [base + 1] * extra + [base] * (max_units - extra)
    return sizes


def _council_sizes(kind: ContestKind, seats: Sequence[int], max_units: Sequence[int],
                   target_candidates: int) -> list[list[int]]:
    """Unit sizes per council, with the share of 5-seat units tuned so that the law's minimum
    candidate count does not exceed the target (fewer when the law allows, then extras are added)."""
    ratio = target_candidates / max(1, sum(seats))
    # 3-seat units need 5/3 candidates a seat, 5-seat units 8/5: solve for the share of the latter.
    share = min(1.0, max(0.0, 25 - 15 * ratio - 0.02))
    while True:
        sizes = [split_seats(s, m, share) for s, m in zip(seats, max_units, strict=True)]
        minimum = sum(min_candidates(kind, size) for group in sizes for size in group)
        if minimum <= target_candidates or share >= 1.0:
            return sizes
        share = min(1.0, share + 0.005)


def _spread_candidates(rng: random.Random, units: list[UnitPlan], target: int) -> None:
    """Every unit gets the law's minimum, then the surplus up to ``target`` goes to units at random."""
    for unit in units:
        unit.candidates = min_candidates(unit.kind, unit.seats)
    for _ in range(target - sum(u.candidates for u in units)):
        rng.choice(units).candidates += 1


def spread_total(rng: random.Random, total: int, n: int, lo: int, hi: int) -> list[int]:
    """``n`` log-normally spread integers within [lo, hi] adding up to exactly ``total`` (clamped)."""
    total = min(max(total, n * lo), n * hi)
    raw = [rng.lognormvariate(0, 0.5) for _ in range(n)]
    factor = total / sum(raw)
    values = [min(hi, max(lo, round(r * factor))) for r in raw]
    diff = total - sum(values)
    order = list(range(n))
    while diff:
        rng.shuffle(order)
        step = max(1, abs(diff) // n)
        for i in order:
            if not diff:
                break
            room = hi - values[i] if diff > 0 else values[i] - lo
            delta = min(step, room, abs(diff))
            values[i] += delta if diff > 0 else -delta
            diff += -delta if diff > 0 else delta
    return values


def _choose_places(rng: random.Random, places: Sequence[Place], t: Targets) -> dict[str, list[Place]]:
    """The provinces and communes that receive polling areas: all of them at full scale, else a sample
    that keeps one province with a special zone without a commune council (so that case is exercised)."""
    by_province: dict[str, list[Place]] = {}
    for place in sorted(places, key=lambda p: p.commune_code):
        by_province.setdefault(place.province_code, []).append(place)
    codes = sorted(by_province)
    n_provinces = min(len(codes), t.provinces, t.areas)
    n_communes = min(max(t.communes, n_provinces), len(places), t.areas)
    if n_provinces < len(codes):
        with_zone = [c for c in codes if any(not p.has_council for p in by_province[c])]
        first = rng.choice(with_zone or codes)
        codes = sorted([first, *rng.sample([c for c in codes if c != first], n_provinces - 1)])
    sizes = [len(by_province[c]) for c in codes]
    counts = apportion(n_communes, sizes, [1] * len(codes), sizes)
    chosen: dict[str, list[Place]] = {}
    for code, count in zip(codes, counts, strict=True):
        communes = by_province[code]
        if count < len(communes):
            zones = [p for p in communes if not p.has_council][: count - 1]
            others = [p for p in communes if p.has_council]
            communes = sorted([*zones, *rng.sample(others, count - len(zones))], key=lambda p: p.commune_code)
        chosen[code] = communes
    return chosen


def make_plan(rng: random.Random, places: Sequence[Place], areas: int, targets: Targets = NATIONAL) -> Plan:
    """Provinces, communes, polling areas per commune, electoral units with seats and candidate counts,
    and each area's voters, for ``areas`` polling areas."""
    t = targets.scaled(areas)
    chosen = _choose_places(rng, places, t)
    flat = [p for code in sorted(chosen) for p in chosen[code]]
    weights = [rng.lognormvariate(0, 0.45) * (1.4 if p.is_ward else 1.0) * (1.0 if p.has_council else 0.02)
               for p in flat]
    area_counts = apportion(areas, weights, [1] * len(flat), [areas] * len(flat))
    communes = [CommunePlan(p, n) for p, n in zip(flat, area_counts, strict=True)]
    by_province: dict[str, list[CommunePlan]] = {}
    for c in communes:
        by_province.setdefault(c.place.province_code, []).append(c)
    codes = sorted(by_province)
    province_areas = [sum(c.areas for c in by_province[code]) for code in codes]
    province_communes = [len(by_province[code]) for code in codes]
    units: list[UnitPlan] = []

    # National Assembly: units proportional to polling areas, 2 or 3 seats, contiguous communes.
    n_na = min(max(t.na_units, len(codes)), sum(province_communes))
    na_counts = apportion(n_na, province_areas, [1] * len(codes), province_communes)
    na_seats = min(max(t.na_seats, 2 * n_na), 3 * n_na)
    three = set(rng.sample(range(n_na), na_seats - 2 * n_na))
    for code, count in zip(codes, na_counts, strict=True):
        members = by_province[code]
        for number, group in enumerate(contiguous_groups([c.areas for c in members], count), start=1):
            for i in group:
                members[i].na_unit = len(units)
            units.append(UnitPlan(NA, code, None, number, 3 if len(units) in three else 2))
    _spread_candidates(rng, [u for u in units if u.kind is NA], t.na_candidates)

    # Provincial councils: seats grow with the square root of the province's size.
    prov_total = min(max(t.provincial_seats, len(codes)), 5 * sum(province_communes))
    prov_seats = apportion(prov_total, [math.sqrt(a) for a in province_areas], [1] * len(codes),
                           [5 * n for n in province_communes])
    prov_sizes = _council_sizes(PROVINCIAL, prov_seats, province_communes, t.provincial_candidates)
    first = len(units)
    for code, sizes in zip(codes, prov_sizes, strict=True):
        rng.shuffle(sizes)
        members = by_province[code]
        for number, (size, group) in enumerate(
            zip(sizes, contiguous_groups([c.areas for c in members], len(sizes)), strict=True), start=1
        ):
            for i in group:
                members[i].provincial_unit = len(units)
            units.append(UnitPlan(PROVINCIAL, code, None, number, size))
    _spread_candidates(rng, units[first:], t.provincial_candidates)

    # Commune councils: only communes that have one; a unit is a run of the commune's polling areas.
    councils = [c for c in communes if c.place.has_council]
    if councils:
        com_total = min(max(t.commune_seats, len(councils)), 5 * sum(c.areas for c in councils))
        com_seats = apportion(com_total, [math.sqrt(c.areas) for c in councils], [1] * len(councils),
                              [5 * c.areas for c in councils])
        com_sizes = _council_sizes(COMMUNE, com_seats, [c.areas for c in councils], t.commune_candidates)
        first = len(units)
        for commune, sizes in zip(councils, com_sizes, strict=True):
            rng.shuffle(sizes)
            for number, size in enumerate(sizes, start=1):
                commune.commune_units.append(len(units))
                units.append(UnitPlan(COMMUNE, commune.place.province_code, commune.place.commune_code,
                                      number, size))
        _spread_candidates(rng, units[first:], t.commune_candidates)

    voters = spread_total(rng, t.voters, areas, 300, 4000)
    return Plan(t, communes, units, voters)

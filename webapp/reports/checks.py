"""Arithmetic checks of a polling team's reports (domain.md §11). Plain functions, no Flask, no database.

Impossible values BLOCK; suspicious ones need a written EXPLAINation; checks across the station's contests
only WARN. Every finding carries the numbers that disagree, so the screen can say *how* they disagree
(field-lessons 14). Checks whose inputs are blank or malformed are skipped: check 1 already reports those.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "CONTEST_ORDER", "CountContext", "CountInput", "Finding", "Severity", "blocking", "check_across_contests",
    "INVENTORY_FIELDS", "check_count", "check_turnout", "needing_explanation", "votes_field",
]

#: Contests from the widest electorate to the narrowest (domain.md §6, "who votes on which ballot").
CONTEST_ORDER = ("na", "provincial", "commune")

# The count minutes' figures and complaint counts, in the paper's order: the one list every layer reads.
COUNT_FIELDS = ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")
COMPLAINT_FIELDS = ("complaints_received", "complaints_resolved", "complaints_forwarded")
MINUTES_FIELDS = (*COUNT_FIELDS, *COMPLAINT_FIELDS)  # every figure of the minutes but the candidates' votes
# The inventory of ballots used (Mẫu 32/HĐBC, kiểm kê), entered with the minutes: the ballots the commune gave the
# team, the ones voters spoiled and exchanged for new ones, and the ones left unused. Optional as a whole.
INVENTORY_FIELDS = ("ballots_from_commune", "ballots_spoiled", "ballots_unused")


class Severity(enum.StrEnum):
    BLOCK = "block"  # impossible values: the report cannot be sent
    EXPLAIN = "explain"  # suspicious: may be sent only with a written explanation
    WARN = "warn"  # shown, never blocks (e.g. checks across the station's contests)


@dataclass(frozen=True)
class Finding:
    check: int  # the row number in domain.md §11
    code: str  # stable machine code, e.g. "valid_plus_invalid_ne_received"
    severity: Severity
    fields: tuple[str, ...]  # input field names involved ("votes:<candidate_id>", "names_kept:<k>")
    params: Mapping[str, int | str] = field(default_factory=dict)  # the numbers that disagree


@dataclass(frozen=True)
class CountInput:
    """One count minutes (biên bản kết quả kiểm phiếu) of one contest at one polling area."""

    voters_on_list: int | None  # T
    voters_voted: int | None  # V
    ballots_issued: int | None  # I
    ballots_received: int | None  # C
    valid: int | None  # G
    invalid: int | None  # B
    votes: Mapping[int, int | None]  # candidate_id -> v_j
    names_kept: Mapping[int, int] | None = None  # k -> n_k (valid ballots keeping exactly k names)
    complaints_received: int | None = 0
    complaints_resolved: int | None = 0
    complaints_forwarded: int | None = 0
    # Mẫu 32 (INVENTORY_FIELDS): all None when the team did not enter its inventory (older clients never do).
    ballots_from_commune: int | None = None
    ballots_spoiled: int | None = None
    ballots_unused: int | None = None

    @property
    def has_inventory(self) -> bool:
        return any(getattr(self, name) is not None for name in INVENTORY_FIELDS)


@dataclass(frozen=True)
class CountContext:
    seats: int  # S
    candidate_ids: frozenset[int]  # the unit's candidates: exactly one vote entry each (check 9)
    last_turnout: int | None = None  # the station's latest turnout report for this contest (check 13)
    submitted_at: datetime | None = None  # aware; check 14
    voting_closed_at: datetime | None = None  # aware; the station's close time (or early-vote date)
    frozen_voters: int | None = None  # the area's list frozen at the start of voting, for this contest (webapp.voters)


def votes_field(candidate_id: int) -> str:
    return f"votes:{candidate_id}"


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.BLOCK]


def needing_explanation(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.EXPLAIN]


def _value_problem(name: str, value: object) -> Finding | None:
    """Check 1 for one value: present, an integer (bools and floats are not), not negative."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Finding(1, "blank", Severity.BLOCK, (name,), {"field": name})
    if isinstance(value, bool) or not isinstance(value, int):
        return Finding(1, "not_an_integer", Severity.BLOCK, (name,), {"field": name, "value": str(value)})
    if value < 0:
        return Finding(1, "negative", Severity.BLOCK, (name,), {"field": name, "value": value})
    return None


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _minutes(delta_seconds: float) -> int:
    return int(-(-delta_seconds // 60))  # rounded up: 10 seconds early is "1 minute" early


def check_count(data: CountInput, ctx: CountContext) -> list[Finding]:
    """Checks 1–10, 13 and 14 of one count minutes (check 10 only when the inventory was entered)."""
    out: list[Finding] = []
    ok: dict[str, int] = {}
    for name in (*COUNT_FIELDS, *COMPLAINT_FIELDS):
        problem = _value_problem(name, getattr(data, name))
        if problem:
            out.append(problem)
        else:
            ok[name] = getattr(data, name)
    votes: dict[int, int] = {}
    for cid in sorted(data.votes):
        problem = _value_problem(votes_field(cid), data.votes[cid])
        if problem:
            out.append(problem)
        else:
            votes[cid] = data.votes[cid]
    kept: dict[int, int] | None = None
    if data.names_kept is not None:
        kept = {}
        for k in sorted(data.names_kept):
            problem = _value_problem(f"names_kept:{k}", data.names_kept[k])
            if problem:
                out.append(problem)
            else:
                kept[k] = data.names_kept[k]
        if len(kept) != len(data.names_kept):
            kept = None  # a malformed breakdown is not used for checks 7 and 8
    T, V = ok.get("voters_on_list"), ok.get("voters_voted")
    I, C = ok.get("ballots_issued"), ok.get("ballots_received")
    G, B = ok.get("valid"), ok.get("invalid")

    if T is not None and V is not None and V > T:
        out.append(Finding(2, "voted_gt_on_list", Severity.BLOCK, ("voters_voted", "voters_on_list"),
                           {"voted": V, "on_list": T, "diff": V - T}))
    if I is not None and C is not None and C > I:
        out.append(Finding(3, "received_gt_issued", Severity.BLOCK, ("ballots_received", "ballots_issued"),
                           {"received": C, "issued": I, "diff": C - I}))
    if G is not None and B is not None and C is not None and G + B != C:
        out.append(Finding(4, "valid_plus_invalid_ne_received", Severity.BLOCK,
                           ("valid", "invalid", "ballots_received"),
                           {"valid": G, "invalid": B, "sum": G + B, "received": C, "diff": abs(G + B - C)}))
    if I is not None and V is not None and I != V:
        out.append(Finding(5, "issued_ne_voted", Severity.EXPLAIN, ("ballots_issued", "voters_voted"),
                           {"issued": I, "voted": V, "diff": abs(I - V)}))
    if I is not None and C is not None and C < I:
        out.append(Finding(6, "received_lt_issued", Severity.EXPLAIN, ("ballots_received", "ballots_issued"),
                           {"received": C, "issued": I, "diff": I - C}))
    out += _check_names_kept(kept, G, ctx.seats)
    out += _check_votes(votes, kept, G, ctx, all_given=set(data.votes))
    out += _check_inventory(data, I)
    if ctx.last_turnout is not None and V is not None and ctx.last_turnout != V:
        out.append(Finding(13, "turnout_ne_voted", Severity.EXPLAIN, ("voters_voted",),
                           {"turnout": ctx.last_turnout, "voted": V, "diff": abs(V - ctx.last_turnout)}))
    if ctx.frozen_voters is not None and T is not None and ctx.frozen_voters != T:
        out.append(Finding(2, "on_list_ne_frozen", Severity.EXPLAIN, ("voters_on_list",),
                           {"on_list": T, "frozen": ctx.frozen_voters, "diff": abs(T - ctx.frozen_voters)}))
    if ctx.submitted_at is not None and ctx.voting_closed_at is not None:
        submitted = _aware(ctx.submitted_at, "submitted_at")
        closes = _aware(ctx.voting_closed_at, "voting_closed_at")
        if submitted < closes:
            out.append(Finding(14, "submitted_before_close", Severity.BLOCK, (),
                               {"submitted_at": submitted.isoformat(), "closes_at": closes.isoformat(),
                                "minutes": _minutes((closes - submitted).total_seconds())}))
    return out


def _check_names_kept(kept: Mapping[int, int] | None, G: int | None, seats: int) -> list[Finding]:
    """Check 7: a valid ballot keeps between 1 and S names (Điều 74), and the breakdown adds up to G."""
    if kept is None:
        return []
    out = [Finding(7, "names_kept_out_of_range", Severity.BLOCK, (f"names_kept:{k}",),
                   {"names": k, "ballots": n, "seats": seats})
           for k, n in sorted(kept.items()) if n and not 1 <= k <= seats]
    total = sum(kept.values())
    if G is not None and total != G:
        out.append(Finding(7, "names_kept_sum_ne_valid", Severity.BLOCK,
                           ("valid", *(f"names_kept:{k}" for k in sorted(kept))),
                           {"sum": total, "valid": G, "diff": abs(total - G)}))
    return out


def _check_votes(votes: Mapping[int, int], kept: Mapping[int, int] | None, G: int | None,
                 ctx: CountContext, *, all_given: set[int]) -> list[Finding]:
    """Checks 8 and 9: the total of names kept, each candidate's votes, and one entry per candidate."""
    out: list[Finding] = []
    vote_fields = tuple(votes_field(cid) for cid in sorted(votes))
    total = sum(votes.values())
    # Check 8 needs every candidate's votes: a blank, missing or unknown entry is reported by 1 or 9 instead.
    complete = len(votes) == len(all_given) and all_given == set(ctx.candidate_ids)
    if complete and kept is not None:
        expected = sum(k * n for k, n in kept.items())
        if total != expected:
            out.append(Finding(8, "votes_ne_names_kept", Severity.BLOCK,
                               (*vote_fields, *(f"names_kept:{k}" for k in sorted(kept))),
                               {"votes_sum": total, "expected": expected, "diff": abs(total - expected)}))
    elif complete and G is not None:
        if total < G:
            out.append(Finding(8, "votes_below_valid", Severity.BLOCK, (*vote_fields, "valid"),
                               {"votes_sum": total, "valid": G, "diff": G - total}))
        elif total > ctx.seats * G:
            out.append(Finding(8, "votes_above_max", Severity.BLOCK, (*vote_fields, "valid"),
                               {"votes_sum": total, "valid": G, "seats": ctx.seats, "max": ctx.seats * G,
                                "diff": total - ctx.seats * G}))
    if G is not None:
        for cid in sorted(votes):
            if votes[cid] > G:
                out.append(Finding(9, "candidate_votes_gt_valid", Severity.BLOCK, (votes_field(cid), "valid"),
                                   {"candidate": cid, "votes": votes[cid], "valid": G,
                                    "diff": votes[cid] - G}))
    for cid in sorted(ctx.candidate_ids - all_given):
        out.append(Finding(9, "candidate_missing", Severity.BLOCK, (votes_field(cid),), {"candidate": cid}))
    for cid in sorted(all_given - ctx.candidate_ids):
        out.append(Finding(9, "candidate_unknown", Severity.BLOCK, (votes_field(cid),), {"candidate": cid}))
    return out


def _check_inventory(data: CountInput, I: int | None) -> list[Finding]:
    """Check 10, the inventory (kiểm kê, Mẫu 32/HĐBC): every ballot the commune gave the team is issued to a voter,
    spoiled by a voter and exchanged, or unused. "Issued" is the minutes' own figure, one ballot per voter who
    voted (check 5): an exchanged spoiled ballot is kept apart from it, so received = issued + spoiled + unused.
    A difference is a ballot unaccounted for (or counted twice): sent only with a written reason."""
    if not data.has_inventory:
        return []
    out: list[Finding] = []
    ok: dict[str, int] = {}
    for name in INVENTORY_FIELDS:
        problem = _value_problem(name, getattr(data, name))
        if problem:
            out.append(problem)
        else:
            ok[name] = getattr(data, name)
    if len(ok) == len(INVENTORY_FIELDS) and I is not None:
        received, spoiled, unused = (ok[name] for name in INVENTORY_FIELDS)
        used = I + spoiled + unused
        if used != received:
            out.append(Finding(10, "inventory_ne_received", Severity.EXPLAIN, (*INVENTORY_FIELDS, "ballots_issued"),
                               {"from_commune": received, "issued": I, "spoiled": spoiled, "unused": unused,
                                "sum": used, "diff": abs(used - received)}))
    return out


def check_across_contests(reports: Mapping[str, CountInput]) -> list[Finding]:
    """Check 11: the NA electorate contains the provincial one, which contains the commune one, so
    T_na ≥ T_provincial ≥ T_commune and likewise V. Warnings only: exceptions exist."""
    present = [kind for kind in CONTEST_ORDER if kind in reports]
    unknown = set(reports) - set(CONTEST_ORDER)
    if unknown:
        raise ValueError(f"unknown contest keys: {sorted(unknown)}")
    out: list[Finding] = []
    for name, code in (("voters_on_list", "on_list_above_wider_contest"),
                       ("voters_voted", "voted_above_wider_contest")):
        for wider, narrower in zip(present, present[1:]):
            high, low = getattr(reports[wider], name), getattr(reports[narrower], name)
            if _value_problem(name, high) or _value_problem(name, low):
                continue
            if low > high:
                out.append(Finding(11, code, Severity.WARN, (name,),
                                   {"contest": narrower, "value": low, "wider_contest": wider,
                                    "wider_value": high, "diff": low - high}))
    return out


def check_turnout(*, voted: int | None, voters_on_list: int, previous: int | None, reason: str, at: datetime,
                  opens: datetime, closes: datetime) -> list[Finding]:
    """A turnout report during the day: a non-negative integer, at most the voters on the list, not lower
    than the previous report unless a reason is written, and sent within the day's hours [opens, closes]."""
    out: list[Finding] = []
    problem = _value_problem("voters_voted", voted)
    if problem:
        out.append(problem)
    else:
        if voted > voters_on_list:
            out.append(Finding(13, "turnout_gt_on_list", Severity.BLOCK, ("voters_voted",),
                               {"voted": voted, "on_list": voters_on_list, "diff": voted - voters_on_list}))
        if previous is not None and voted < previous and not (reason or "").strip():
            out.append(Finding(13, "turnout_decreased", Severity.BLOCK, ("voters_voted",),
                               {"voted": voted, "previous": previous, "diff": previous - voted}))
    at, opens, closes = _aware(at, "at"), _aware(opens, "opens"), _aware(closes, "closes")
    if not opens <= at <= closes:
        out.append(Finding(14, "turnout_outside_hours", Severity.BLOCK, (),
                           {"at": at.isoformat(), "opens": opens.isoformat(), "closes": closes.isoformat()}))
    return out

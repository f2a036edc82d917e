"""The count-minutes checks (domain.md §11): worked examples, messages, and hypothesis properties."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.reports.checks import (
    CountContext,
    CountInput,
    Finding,
    Severity,
    blocking,
    check_across_contests,
    check_count,
    check_turnout,
    needing_explanation,
)

CLOSE = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # 19:00 in Hà Nội
OPENS = datetime(2026, 3, 14, 22, 0, tzinfo=UTC)  # 05:00
CLOSES_LATEST = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)  # 21:00
FIELDS = ("voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")


def report(**changes: object) -> CountInput:
    """A consistent minutes of a 2-seat unit with three candidates: 900 on the list, 812 voted."""
    base = CountInput(voters_on_list=900, voters_voted=812, ballots_issued=812, ballots_received=812,
                      valid=800, invalid=12, votes={1: 600, 2: 450, 3: 150}, names_kept={1: 400, 2: 400})
    return dataclasses.replace(base, **changes)


CTX = CountContext(seats=2, candidate_ids=frozenset({1, 2, 3}), last_turnout=812,
                   submitted_at=CLOSE + timedelta(minutes=90), voting_closed_at=CLOSE)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --- worked examples ---------------------------------------------------------------------------------------

def test_a_consistent_report_has_no_findings() -> None:
    assert check_count(report(), CTX) == []
    assert check_count(report(names_kept=None), CTX) == []


def test_valid_plus_invalid_must_equal_received_with_the_numbers() -> None:
    findings = check_count(report(valid=800, invalid=10, ballots_received=812, ballots_issued=812), CTX)
    (f,) = [f for f in findings if f.check == 4]
    assert f == Finding(4, "valid_plus_invalid_ne_received", Severity.BLOCK,
                        ("valid", "invalid", "ballots_received"),
                        {"valid": 800, "invalid": 10, "sum": 810, "received": 812, "diff": 2})


@pytest.mark.parametrize(("changes", "code", "severity"), [
    ({"valid": None}, "blank", Severity.BLOCK),
    ({"invalid": -1, "ballots_received": 799}, "negative", Severity.BLOCK),
    ({"voters_on_list": 8.5}, "not_an_integer", Severity.BLOCK),
    ({"voters_on_list": True}, "not_an_integer", Severity.BLOCK),
    ({"complaints_received": None}, "blank", Severity.BLOCK),
    ({"voters_on_list": 811}, "voted_gt_on_list", Severity.BLOCK),
    ({"ballots_received": 813, "invalid": 13}, "received_gt_issued", Severity.BLOCK),
    ({"ballots_issued": 815}, "issued_ne_voted", Severity.EXPLAIN),
    ({"ballots_received": 811, "invalid": 11}, "received_lt_issued", Severity.EXPLAIN),
    ({"names_kept": {1: 400, 2: 399, 3: 1}}, "names_kept_out_of_range", Severity.BLOCK),
    ({"names_kept": {0: 1, 1: 399, 2: 400}}, "names_kept_out_of_range", Severity.BLOCK),
    ({"names_kept": {1: 400, 2: 401}}, "names_kept_sum_ne_valid", Severity.BLOCK),
    ({"votes": {1: 600, 2: 450, 3: 151}}, "votes_ne_names_kept", Severity.BLOCK),
    ({"votes": {1: 300, 2: 250, 3: 200}, "names_kept": None}, "votes_below_valid", Severity.BLOCK),
    ({"votes": {1: 800, 2: 800, 3: 1}, "names_kept": None}, "votes_above_max", Severity.BLOCK),
    ({"votes": {1: 801, 2: 250, 3: 149}}, "candidate_votes_gt_valid", Severity.BLOCK),
    ({"votes": {1: 600, 2: 450}}, "candidate_missing", Severity.BLOCK),
    ({"votes": {1: 600, 2: 450, 3: 150, 9: 0}}, "candidate_unknown", Severity.BLOCK),
    ({"votes": {1: 600, 2: 450, 3: None}}, "blank", Severity.BLOCK),
])
def test_each_check_with_its_severity(changes: dict, code: str, severity: Severity) -> None:
    findings = check_count(report(**changes), CTX)
    assert code in codes(findings), findings
    assert all(f.severity is severity for f in findings if f.code == code)


def test_zero_valid_ballots_allow_no_votes() -> None:
    data = report(voters_voted=5, ballots_issued=5, ballots_received=5, valid=0, invalid=5,
                  votes={1: 0, 2: 0, 3: 0}, names_kept=None)
    assert check_count(data, dataclasses.replace(CTX, last_turnout=5)) == []
    findings = check_count(dataclasses.replace(data, votes={1: 1, 2: 0, 3: 0}),
                           dataclasses.replace(CTX, last_turnout=5))
    assert {"votes_above_max", "candidate_votes_gt_valid"} <= set(codes(findings))


def test_blank_fields_do_not_cascade_into_other_checks() -> None:
    findings = check_count(report(valid=None), CTX)
    assert codes(findings) == ["blank"] and findings[0].fields == ("valid",)


def test_turnout_and_submission_time() -> None:
    findings = check_count(report(), dataclasses.replace(CTX, last_turnout=800))
    assert [(f.code, f.severity, f.params["diff"]) for f in findings] == [
        ("turnout_ne_voted", Severity.EXPLAIN, 12)]
    early = dataclasses.replace(CTX, submitted_at=CLOSE - timedelta(seconds=10))
    (f,) = check_count(report(), early)
    assert (f.code, f.severity, f.params["minutes"]) == ("submitted_before_close", Severity.BLOCK, 1)
    with pytest.raises(ValueError):
        check_count(report(), dataclasses.replace(CTX, submitted_at=datetime(2026, 3, 15, 20)))


def test_helpers_split_by_severity() -> None:
    findings = check_count(report(ballots_issued=815, valid=None), CTX)
    assert codes(blocking(findings)) == ["blank"]
    assert codes(needing_explanation(findings)) == ["issued_ne_voted", "received_lt_issued"]


def test_across_contests_warns_when_a_narrower_electorate_is_larger() -> None:
    na = report()
    provincial = report(voters_on_list=905)
    commune = report(voters_on_list=880, voters_voted=700, ballots_issued=700, ballots_received=700,
                     valid=690, invalid=10)
    assert check_across_contests({"na": na, "commune": commune}) == []
    findings = check_across_contests({"na": na, "provincial": provincial, "commune": commune})
    assert [(f.code, f.severity, f.params["contest"], f.params["diff"]) for f in findings] == [
        ("on_list_above_wider_contest", Severity.WARN, "provincial", 5)]
    commune_more = report(voters_on_list=800, voters_voted=813)
    (f,) = check_across_contests({"na": na, "commune": commune_more})
    assert (f.code, f.params["wider_contest"], f.params["diff"]) == ("voted_above_wider_contest", "na", 1)


def test_turnout_report_rules() -> None:
    at = OPENS + timedelta(hours=4)

    def run(voted: object, previous: int | None = None, reason: str = "", when: datetime = at) -> list[str]:
        return codes(check_turnout(voted=voted, voters_on_list=900, previous=previous, reason=reason, at=when,
                                   opens=OPENS, closes=CLOSES_LATEST))

    assert run(300, previous=200) == []
    assert run(900) == []
    assert run(901) == ["turnout_gt_on_list"]
    assert run(None) == ["blank"] and run(-3) == ["negative"] and run("12") == ["not_an_integer"]
    assert run(150, previous=200) == ["turnout_decreased"]
    assert run(150, previous=200, reason="   ") == ["turnout_decreased"]
    assert run(150, previous=200, reason="Đếm trùng 50 cử tri ở lần trước") == []
    assert run(10, when=OPENS - timedelta(minutes=1)) == ["turnout_outside_hours"]
    assert run(10, when=CLOSES_LATEST) == []
    assert all(f.severity is Severity.BLOCK for f in check_turnout(
        voted=1000, voters_on_list=900, previous=1100, reason="", at=OPENS - timedelta(1), opens=OPENS,
        closes=CLOSES_LATEST))


# --- messages -----------------------------------------------------------------------------------------------

ALL_CODE_EXAMPLES = [
    (report(valid=None), CTX), (report(valid=-1), CTX), (report(valid=1.5), CTX),
    (report(voters_on_list=1), CTX), (report(ballots_issued=1), CTX), (report(valid=1), CTX),
    (report(ballots_received=1), CTX), (report(names_kept={3: 800}), CTX),
    (report(votes={1: 1, 2: 450, 3: 150}), CTX), (report(votes={1: 1, 2: 0, 3: 0}, names_kept=None), CTX),
    (report(votes={1: 800, 2: 800, 3: 800}, names_kept=None), CTX), (report(votes={4: 1}), CTX),
    (report(), dataclasses.replace(CTX, last_turnout=1, submitted_at=CLOSE - timedelta(hours=1))),
    (report(), dataclasses.replace(CTX, frozen_voters=1)),
    (report(ballots_from_commune=900, ballots_spoiled=3, ballots_unused=80), CTX),
]


def test_the_minutes_voters_on_the_list_are_checked_against_the_frozen_list() -> None:
    """An area whose list was frozen: the typed "tổng số cử tri" must be the frozen total, or be explained."""
    typed = report().voters_on_list
    assert typed is not None
    assert not [f for f in check_count(report(), dataclasses.replace(CTX, frozen_voters=typed))
                if f.code == "on_list_ne_frozen"]
    found = [f for f in check_count(report(), dataclasses.replace(CTX, frozen_voters=typed + 3))
             if f.code == "on_list_ne_frozen"]
    assert [(f.severity, f.fields, dict(f.params)) for f in found] == [
        (Severity.EXPLAIN, ("voters_on_list",), {"on_list": typed, "frozen": typed + 3, "diff": 3})]
    assert not [f for f in check_count(report(), CTX) if f.code == "on_list_ne_frozen"]  # no list: no check


def all_findings() -> list[Finding]:
    findings = [f for data, ctx in ALL_CODE_EXAMPLES for f in check_count(data, ctx)]
    findings += check_across_contests({"na": report(voters_on_list=1, voters_voted=1), "commune": report()})
    findings += check_turnout(voted=901, voters_on_list=900, previous=None, reason="", at=OPENS,
                              opens=OPENS, closes=CLOSES_LATEST)
    findings += check_turnout(voted=1, voters_on_list=900, previous=2, reason="", at=OPENS - timedelta(1),
                              opens=OPENS, closes=CLOSES_LATEST)
    return findings


def test_every_message_is_used_and_described_in_both_languages(app) -> None:  # type: ignore[no-untyped-def]
    from webapp.reports.check_messages import FIELD_LABELS, MESSAGES, describe

    findings = all_findings()
    assert {f.code for f in findings} == set(MESSAGES)
    for language in ("vi", "en"):
        with app.test_request_context(headers={"Accept-Language": language}):
            for f in findings:
                text = describe(f, {1: "Nguyễn Văn An"})
                assert "%(" not in text and text
            if language == "vi":
                labels = [*MESSAGES.values(), *FIELD_LABELS.values()]
                assert [m for m in labels if str(m) == m._args[0]] == []


def test_describe_reads_as_an_official_would_write_it(app) -> None:  # type: ignore[no-untyped-def]
    from webapp.reports.check_messages import describe, field_label

    f = Finding(4, "valid_plus_invalid_ne_received", Severity.BLOCK, ("valid", "invalid", "ballots_received"),
                {"valid": 800, "invalid": 10, "sum": 810, "received": 812, "diff": 2})
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert describe(f) == "Phiếu hợp lệ + phiếu không hợp lệ = 810 nhưng số phiếu thu vào = 812: lệch 2"
        assert describe(Finding(1, "blank", Severity.BLOCK, ("valid",), {"field": "valid"})) == (
            "Số phiếu hợp lệ: chưa nhập")
        assert field_label("votes:7", {7: "Trần Thị Bình"}) == "Số phiếu bầu cho Trần Thị Bình"
        early = check_count(report(), dataclasses.replace(CTX, submitted_at=CLOSE - timedelta(hours=1)))
        assert describe(early[0]) == (
            "Biên bản được gửi lúc 18:00 15/03/2026, trước giờ kết thúc bỏ phiếu (19:00 15/03/2026)")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert describe(f) == "Valid + invalid ballots = 810 but ballots received = 812: off by 2"


# --- properties ---------------------------------------------------------------------------------------------

@st.composite
def consistent_reports(draw: st.DrawFn) -> tuple[CountInput, CountContext]:
    """A minutes that satisfies every check, built from the ballots: n_k valid ballots keep k names."""
    seats = draw(st.integers(1, 5))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=seats + 1, max_size=seats + 5, unique=True))
    kept = {k: draw(st.integers(0, 300)) for k in range(1, seats + 1)}
    G = sum(kept.values())
    remaining = sum(k * n for k, n in kept.items())
    votes: dict[int, int] = {}
    order = draw(st.permutations(ids))
    for i, cid in enumerate(order):
        left = len(order) - i - 1  # candidates after this one, each can take at most G
        votes[cid] = draw(st.integers(max(0, remaining - G * left), min(G, remaining)))
        remaining -= votes[cid]
    B = draw(st.integers(0, 60))
    V = G + B
    T = V + draw(st.integers(0, 400))
    received = draw(st.integers(0, 3))
    resolved = draw(st.integers(0, received))
    data = CountInput(voters_on_list=T, voters_voted=V, ballots_issued=V, ballots_received=V, valid=G,
                      invalid=B,
                      votes=votes, names_kept=kept if draw(st.booleans()) else None,
                      complaints_received=received, complaints_resolved=resolved,
                      complaints_forwarded=received - resolved)
    ctx = CountContext(seats=seats, candidate_ids=frozenset(ids),
                       last_turnout=draw(st.sampled_from([None, V])),
                       submitted_at=CLOSE + timedelta(minutes=draw(st.integers(0, 900))),
                       voting_closed_at=CLOSE)
    return data, ctx


def _with(data: CountInput, name: str, value: int | None) -> CountInput:
    base, _sep, key = name.partition(":")
    if base in ("votes", "names_kept"):
        return dataclasses.replace(data, **{base: {**getattr(data, base), int(key): value}})
    return dataclasses.replace(data, **{name: value})


def _value(data: CountInput, name: str) -> int | None:
    base, _sep, key = name.partition(":")
    return getattr(data, base)[int(key)] if key else getattr(data, name)


@given(consistent_reports())
def test_consistent_reports_pass(example: tuple[CountInput, CountContext]) -> None:
    assert check_count(*example) == []


# Fields tied to others by an equation of §11: any change to one of them alone is caught.
BOUND = ("voters_voted", "ballots_issued", "ballots_received", "valid", "invalid")


@st.composite
def corrupted_reports(draw: st.DrawFn) -> tuple[CountInput, CountContext, str]:
    data, ctx = draw(consistent_reports())
    names = [*BOUND, *(f"names_kept:{k}" for k in data.names_kept or {})]
    if data.names_kept is not None:
        names += [f"votes:{cid}" for cid in data.votes]  # Σv_j = Σk·n_k catches any change
    name = draw(st.sampled_from(names))
    delta = draw(st.integers(1, 50)) * draw(st.sampled_from([1, -1]))
    return _with(data, name, _value(data, name) + delta), ctx, name


@given(corrupted_reports())
def test_changing_one_bound_field_is_caught(example: tuple[CountInput, CountContext, str]) -> None:
    data, ctx, name = example
    findings = blocking(check_count(data, ctx)) + needing_explanation(check_count(data, ctx))
    assert findings, name
    assert any(name in f.fields for f in findings)


@given(consistent_reports(), st.data())
def test_blanking_any_field_blocks(example: tuple[CountInput, CountContext], data_: st.DataObject) -> None:
    data, ctx = example
    names = [*FIELDS, "complaints_received", "complaints_resolved", "complaints_forwarded",
             *(f"votes:{cid}" for cid in data.votes)]
    name = data_.draw(st.sampled_from(names))
    findings = blocking(check_count(_with(data, name, None), ctx))
    assert [(f.code, f.fields) for f in findings if f.check == 1] == [("blank", (name,))]


@given(consistent_reports(), st.integers(1, 500))
def test_lowering_voters_on_list_is_caught_exactly_below_voters_who_voted(
        example: tuple[CountInput, CountContext], delta: int) -> None:
    data, ctx = example
    lowered = data.voters_on_list - delta
    findings = check_count(dataclasses.replace(data, voters_on_list=lowered), ctx)
    assert bool(findings) == (lowered < data.voters_voted)


@given(consistent_reports(), st.data())
def test_without_breakdown_one_candidate_is_caught_exactly_when_the_bounds_break(
        example: tuple[CountInput, CountContext], data_: st.DataObject) -> None:
    """Without the names-kept breakdown, moving one candidate's votes inside G ≤ Σv ≤ S·G is undetectable:
    the property pins down that everything outside the bounds is caught."""
    data, ctx = example
    data = dataclasses.replace(data, names_kept=None)
    cid = data_.draw(st.sampled_from(sorted(data.votes)))
    new = data.votes[cid] + data_.draw(st.integers(-50, 50).filter(bool))
    changed = _with(data, f"votes:{cid}", new)
    total = sum(changed.votes.values())
    impossible = new < 0 or new > data.valid or not data.valid <= total <= ctx.seats * data.valid
    assert bool(blocking(check_count(changed, ctx))) == impossible


optional_small = st.one_of(st.none(), st.integers(-2, 12))


@st.composite
def arbitrary_reports(draw: st.DrawFn) -> tuple[CountInput, CountContext]:
    """Small random numbers: every field anywhere, so that passing ones arise by chance too."""
    seats = draw(st.integers(1, 3))
    ids = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4, unique=True))
    votes = {cid: draw(optional_small) for cid in draw(st.lists(st.integers(1, 5), max_size=4, unique=True))}
    kept = draw(st.one_of(st.none(), st.dictionaries(st.integers(0, 4), st.integers(0, 12), max_size=4)))
    data = CountInput(*(draw(optional_small) for _ in FIELDS), votes=votes, names_kept=kept,
                      complaints_received=draw(optional_small), complaints_resolved=0, complaints_forwarded=0)
    V = data.voters_voted
    ctx = CountContext(seats=seats, candidate_ids=frozenset(ids),
                       last_turnout=draw(st.sampled_from([None, V, 3])),
                       submitted_at=CLOSE + timedelta(minutes=draw(st.integers(-30, 30))),
                       voting_closed_at=CLOSE)
    return data, ctx


@st.composite
def any_reports(draw: st.DrawFn) -> tuple[CountInput, CountContext]:
    kind = draw(st.sampled_from(["consistent", "corrupted", "arbitrary"]))
    if kind == "consistent":
        return draw(consistent_reports())
    if kind == "corrupted":
        return draw(corrupted_reports())[:2]
    return draw(arbitrary_reports())


def test_a_report_that_passes_is_consistent() -> None:
    passed = {"count": 0}

    @settings(max_examples=300)
    @given(any_reports())
    def run(example: tuple[CountInput, CountContext]) -> None:
        data, ctx = example
        findings = check_count(data, ctx)
        if blocking(findings) or needing_explanation(findings):
            return
        passed["count"] += 1
        T, V, I, C, G, B = (getattr(data, name) for name in FIELDS)
        values = [T, V, I, C, G, B, *data.votes.values(), *(data.names_kept or {}).values()]
        assert all(type(x) is int and x >= 0 for x in values)
        assert V <= T and C == I == V and G + B == C
        assert set(data.votes) == ctx.candidate_ids and all(v <= G for v in data.votes.values())
        total = sum(data.votes.values())
        assert G <= total <= ctx.seats * G
        if data.names_kept is not None:
            assert all(1 <= k <= ctx.seats for k, n in data.names_kept.items() if n)
            assert sum(data.names_kept.values()) == G
            assert total == sum(k * n for k, n in data.names_kept.items())
        assert ctx.last_turnout in (None, V) and ctx.submitted_at >= ctx.voting_closed_at

    run()
    assert passed["count"] >= 30  # the property was exercised, not vacuously true

"""Property-based tests: receipt codes, numbers in words, number parsing, and exactly-once turnout storage under
any mix of new reports, replays and corrections."""

from __future__ import annotations

import re
import uuid
from datetime import time

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.helpers import AREA, vn
from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.reports import receipts, services
from webapp.reports.forms import parse_number
from webapp.reports.models import TurnoutFigure, TurnoutReport
from webapp.reports.words import vi_words

LOOK_ALIKES = set("0O1IL2Z5S8B")
DIGITS = ["không", "một", "mốt", "hai", "ba", "bốn", "năm", "lăm", "sáu", "bảy", "tám", "chín", "mười", "mươi",
          "trăm", "nghìn", "triệu", "tỷ", "lẻ"]


@given(st.integers(0, 10**6))
def test_receipt_codes_are_well_formed_and_read_back(_seed):
    code = receipts.generate()
    assert receipts.is_well_formed(code)
    assert not LOOK_ALIKES & set(code)
    shown = receipts.display(code)
    assert receipts.normalise(shown) == code
    assert receipts.normalise(shown.lower().replace("-", " ")) == code


@given(st.integers(0, 999_999_999))
def test_numbers_in_words_use_only_number_words(n):
    words = vi_words(n).split()
    assert words and set(words) <= set(DIGITS)


@given(st.integers(1, 999), st.integers(0, 999))
def test_an_inner_group_always_says_its_hundreds(high, low):
    """high × 1000 + low reads "high nghìn", then low as three digits: "không trăm lẻ năm", "không trăm mười"."""
    text = vi_words(high * 1000 + low)
    head = vi_words(high) + " nghìn"
    assert text.startswith(head)
    tail = text[len(head):].split()
    if low == 0:
        assert tail == []
    else:
        assert tail[1] == "trăm", text
        assert tail[0] == ("không" if low < 100 else vi_words(low // 100)), text
        assert ("lẻ" in tail) == (0 < low % 100 < 10), text


@given(st.integers(0, 99_999_999))
def test_typed_numbers_parse_with_or_without_thousands_separators(n):
    assert parse_number(str(n)) == n
    grouped = f"{n:,}"
    for sep in (".", ",", " "):
        assert parse_number(grouped.replace(",", sep)) == n
    assert parse_number(f"  {n} ") == n


@given(st.text(alphabet="0123456789.,- abc", min_size=1, max_size=12))
def test_anything_else_is_handed_to_the_checks_as_typed(text):
    value = parse_number(text)
    digits_only = re.fullmatch(r"\s*\d+\s*", text)
    if value is None:
        assert not text.strip()
    elif isinstance(value, int):
        assert value >= 0
    else:
        # Returned as typed: not plain digits, or more than the form accepts (the checks name it).
        assert value == text.strip()
        assert not digits_only or int(text) > 99_999_999


# One operation: send a new report (with a fresh id) or replay an earlier id; numbers rise over the day.
OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["new", "replay"]), st.integers(0, 50), st.integers(0, 3)),
    min_size=1, max_size=12,
)
SLOT_TIMES = [vn(9, 5), vn(11, 35), vn(15, 5), vn(19, 5)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_turnout_is_stored_exactly_once_whatever_is_replayed(db_session, w, operations):
    leader, area = w.user("to01"), w.area(AREA)
    savepoint = db_session.begin_nested()
    try:
        sent: dict[uuid.UUID, str] = {}
        voted = 0
        for kind, step, slot in operations:
            if kind == "replay" and sent:
                client_uuid = list(sent)[step % len(sent)]
            else:
                client_uuid = uuid.uuid4()
                voted += step
            result = services.submit_turnout(
                db_session, actor=Actor(leader, Channel.WEB), area_id=area.id,
                data=services.TurnoutInput(voted=voted, reason="sửa số"), client_uuid=client_uuid, now=SLOT_TIMES[slot],
            )
            if client_uuid in sent:
                assert result.replayed and result.report.receipt == sent[client_uuid]
            else:
                assert not result.replayed
                sent[client_uuid] = result.report.receipt
        reports = db_session.scalars(sa.select(TurnoutReport).where(TurnoutReport.polling_area_id == area.id)).all()
        assert len(reports) == len(sent) == len({r.receipt for r in reports})
        assert {r.client_uuid for r in reports} == set(sent)
        figures = db_session.scalar(sa.select(sa.func.count()).select_from(TurnoutFigure))
        assert figures == len(sent) * len(area.unit_links)
        by_slot: dict[time, list[TurnoutReport]] = {}
        for r in reports:
            by_slot.setdefault(r.slot_at, []).append(r)
        for versions in by_slot.values():
            versions.sort(key=lambda r: r.version)
            assert [r.version for r in versions] == list(range(1, len(versions) + 1))
            assert [r.is_latest for r in versions] == [False] * (len(versions) - 1) + [True]
    finally:
        savepoint.rollback()

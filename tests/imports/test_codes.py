"""Codes of polling areas and electoral units have a strict character set (issue 10 §5): an imported code
``../../X`` once became part of a photo's path on disk. Enforced on import (a Vietnamese message for the row,
nothing stored) and wherever a code is set on a model; every code the demo, the national generator and the
import templates use is accepted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from hypothesis import given
from hypothesis import strategies as st

from tests.imports.helpers import audit_rows, count, headers, rejected, xlsx
from webapp.elections import codes
from webapp.elections.models import ElectoralUnit, PollingArea
from webapp.imports.datasets import DATASETS

HOSTILE = ["../../X", "..", "26743/01", "A..B", "-A", "A-", "A B", "A\\B", "KV.", ".KV", "A--B", "Ă1", "A\tB",
           "%2e%2e", "A:B"]
AREA_ROW = ["26743", 13, "Khu vực bỏ phiếu số 13", "Nhà văn hóa khu phố 5", None, None, "QH-79-01", "T-79-01",
            "X-26743-03", 1500, 1500, 1450, None]


@pytest.mark.parametrize("code", HOSTILE)
def test_an_area_import_with_a_hostile_code_is_refused_and_stores_nothing(db_session, w, app, code):
    before = (count(db_session, PollingArea), audit_rows(db_session))
    errors = rejected(db_session, w, "xa", "polling_areas", xlsx([headers("polling_areas"), [code, *AREA_ROW]]))
    assert [(e.row, e.column) for e in errors] == [(2, "Mã KVBP")]
    with app.test_request_context(), force_locale("vi"):
        message = gettext(errors[0].message_id, **errors[0].params)
    assert message.startswith("Mã chỉ gồm chữ cái không dấu và chữ số")
    assert (count(db_session, PollingArea), audit_rows(db_session)) == before


def test_a_unit_import_with_a_hostile_code_is_refused(db_session, w):
    errors = rejected(db_session, w, "xa", "units", xlsx([
        headers("units"), ["HĐND xã", "../../X", 9, "Đơn vị bầu cử số 9", "79", "26743", 3]]))
    assert [(e.row, e.column) for e in errors] == [(2, "Mã đơn vị")]
    assert count(db_session, ElectoralUnit, ElectoralUnit.code == "../../X") == 0


def test_a_hostile_code_cannot_be_set_on_a_model_either(w):
    area = w.area("26743-01")
    with pytest.raises(ValueError):
        area.code = "../../X"
    with pytest.raises(ValueError):
        w.unit("QH-79-01").code = "QH/79"
    assert area.code == "26743-01"


def test_every_code_of_the_demo_and_the_import_templates_is_accepted(db_session):
    demo = db_session.scalars(sa.select(PollingArea.code).union_all(sa.select(ElectoralUnit.code))).all()
    assert len(demo) > 40 and all(codes.is_code(c) for c in demo)
    examples = [c.example for d in DATASETS.values() for c in d.columns
                if c.key in ("code", "area", "unit") and isinstance(c.example, str)]
    assert examples and all(codes.is_code(c) for c in examples)
    for accepted in ("26743-13", "QH-79-01", "X-26734-01", "KV.01", "T_79_01", "2026"):
        assert codes.is_code(accepted)


@pytest.mark.no_database
@given(st.text(alphabet=st.sampled_from("AZ09-_./\\ .Ă%:"), max_size=12))
def test_no_accepted_code_can_leave_a_folder(text):
    if codes.is_code(text):
        assert ".." not in text and "/" not in text and "\\" not in text
        assert not text.startswith(".") and not text.endswith(".") and text.strip() == text

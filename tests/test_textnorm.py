"""One fold for every name comparison: diacritics, tone-mark placement, dashes, apostrophes and spacing."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.textnorm import APOSTROPHES, DASHES, fold

# Runs on SQLite only (scripts/test.sh): text normalisation is a plain function, no database.
pytestmark = pytest.mark.no_database


@pytest.mark.parametrize(("a", "b"), [
    ("Xuân Hương – Đà Lạt", "Xuân Hương - Đà Lạt"),
    ("Xuân Hương – Đà Lạt", "xuan huong-da lat"),
    ("D’Ran", "D'Ran"),
    ("Hòa Bình", "Hoà Bình"),  # old and new tone-mark placement
    ("Thủy", "Thuỷ"),
    ("Bến  Thành", "ben thanh"),
    ("Phường Đa Kao", unicodedata.normalize("NFD", "Phường Đa Kao")),
])
def test_spellings_that_differ_only_in_marks_fold_the_same(a, b):
    assert fold(a) == fold(b)


def test_different_names_stay_different():
    assert fold("Hòa Bình") != fold("Hòa Bình 2") and fold("D'Ran") != fold("Dran")


names = st.text(alphabet=st.sampled_from("abcdeđôơưáàảãạăâĐÔ -'" + DASHES + APOSTROPHES), max_size=30)


@given(names)
def test_fold_is_idempotent_and_marks_are_interchangeable(name):
    assert fold(fold(name)) == fold(name)
    plain = name.translate(str.maketrans({**{c: "-" for c in DASHES}, **{c: "'" for c in APOSTROPHES}}))
    assert fold(name) == fold(plain) == fold(unicodedata.normalize("NFD", name))

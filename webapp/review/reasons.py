"""The reason codes of a return for correction: a short fixed list the leader understands at a glance, plus text."""

from __future__ import annotations

from collections.abc import Sequence

from webapp.i18n import _l

REASONS = {
    "numbers_mismatch": _l("The numbers do not match the paper minutes"),
    "photo_missing": _l("The photo of the minutes is missing or cannot be read"),
    "wrong_place": _l("Wrong contest, electoral unit or polling area"),
    "signatures_missing": _l("Signatures or witnesses are missing"),
    "explanation_missing": _l("An explanation is missing or does not match"),
    "other": _l("Other (see the note)"),
}
# A return needs text with these codes: "other" says nothing by itself.
NEEDS_TEXT = frozenset({"other"})


def labels(codes: Sequence[str]) -> list[str]:
    """The codes' labels in the current language (unknown codes as they are)."""
    return [str(REASONS[c]) if c in REASONS else c for c in codes]


def summarise(codes: Sequence[str], text: str) -> str:
    """One line for the report's ``returned_reasons``, as the leader's pages show it: "label; label — text"."""
    line = "; ".join(labels(codes))
    text = text.strip()
    return f"{line} — {text}" if line and text else (line or text)

"""The reason codes of a return for correction: a short fixed list the leader understands at a glance, plus text."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from babel.support import NullTranslations, Translations

from webapp.i18n import _l
from webapp.imports.common import N_

MESSAGES = {
    "numbers_mismatch": N_("The numbers do not match the paper minutes"),
    "photo_missing": N_("The photo of the minutes is missing or cannot be read"),
    "wrong_place": N_("Wrong contest, electoral unit or polling area"),
    "signatures_missing": N_("Signatures or witnesses are missing"),
    "explanation_missing": N_("An explanation is missing or does not match"),
    "other": N_("Other (see the note)"),
}
REASONS = {code: _l(message) for code, message in MESSAGES.items()}
# A return needs text with these codes: "other" says nothing by itself.
NEEDS_TEXT = frozenset({"other"})


def labels(codes: Sequence[str]) -> list[str]:
    """The codes' labels in the current language (unknown codes as they are)."""
    return [str(REASONS[c]) if c in REASONS else c for c in codes]


# The line stored with a returned report is in the polling teams' language, whoever returned it and however (a
# page, the API, a script): the leader reads it, not the reviewer.
STORED_LOCALE = "vi"
_TRANSLATIONS = Path(__file__).resolve().parent.parent.parent / "translations"


@functools.cache
def _catalog(locale: str) -> NullTranslations:
    # Babel's catalog loader, not Flask-Babel's: services run outside requests too.
    return Translations.load(str(_TRANSLATIONS), [locale])


def summarise(codes: Sequence[str], text: str, locale: str = STORED_LOCALE) -> str:
    """One line for the report's ``returned_reasons``, as the leader's pages show it: "label; label — text",
    in ``locale`` and without Flask."""
    catalog = _catalog(locale)
    line = "; ".join(catalog.gettext(MESSAGES[c]) if c in MESSAGES else c for c in codes)
    text = text.strip()
    return f"{line} — {text}" if line and text else (line or text)

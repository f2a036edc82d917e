"""Text normalisation for Vietnamese input: NFC everywhere, and a folded form for searching and matching.

``fold`` is the one comparison key of names in the app (search boxes, imports matching names, the ``*_folded``
columns): names as the NEC writes them must match whatever dash, apostrophe or tone-mark placement a keyboard,
a spreadsheet or a package used ("Xuân Hương – Đà Lạt" / "Xuân Hương - Đà Lạt", "D’Ran" / "D'Ran",
"Hòa" / "Hoà")."""

import re
import unicodedata

# Every dash and hyphen folds to "-", every apostrophe-like mark to "'".
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
APOSTROPHES = "\u2018\u2019\u201a\u201b\u02bc\u02b9\u2032\uff07\u0060\u00b4"
_MARKS = str.maketrans({**{c: "-" for c in DASHES}, **{c: "'" for c in APOSTROPHES}})
_AROUND_DASH = re.compile(r"\s*-\s*")


def nfc(value: str) -> str:
    """Compose decomposed Vietnamese (some keyboards send it) and trim the edges."""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """Lower-case, no diacritics (so no tone-mark placement either), one kind of dash with no spaces around it,
    one kind of apostrophe, single spaces: "Bến  Thành" -> "ben thanh", "Xuân Hương – Đà Lạt" -> "xuan huong-da
    lat", "D’Ran" -> "d'ran"."""
    if value.isascii():  # nothing to decompose: numbers, codes, "x" (most cells of an import)
        stripped = value.translate(_MARKS)
    else:
        decomposed = unicodedata.normalize("NFD", value.translate(_MARKS).replace("Đ", "D").replace("đ", "d"))
        stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _AROUND_DASH.sub("-", " ".join(stripped.lower().split()))

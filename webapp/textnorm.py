"""Text normalisation for Vietnamese input: NFC everywhere, and a folded form for searching."""

import unicodedata


def nfc(value: str) -> str:
    """Compose decomposed Vietnamese (some keyboards send it) and trim the edges."""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """Lower-case, no diacritics, single spaces: "Bến  Thành" -> "ben thanh"."""
    decomposed = unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())

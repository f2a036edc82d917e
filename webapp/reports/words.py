"""Numbers in Vietnamese words for the read-back screen ("812 — tám trăm mười hai").

num2words reads each group of three digits correctly, but joins the groups as if a short inner group were a
small number ("2024: hai nghìn lẻ hai mươi bốn"); the paper minutes say "hai nghìn không trăm hai mươi bốn".
So the groups are read by num2words and joined here."""

from __future__ import annotations

from num2words import num2words

_SCALES = ("", "nghìn", "triệu", "tỷ")


def _inner(group: int) -> str:
    """A group of three digits after the first: always says its hundreds."""
    if group >= 100:
        return num2words(group, lang="vi")
    if group >= 10:
        return "không trăm " + num2words(group, lang="vi")
    return "không trăm lẻ " + num2words(group, lang="vi")


def vi_words(number: int) -> str:
    if number < 0:
        return "âm " + vi_words(-number)
    if number == 0:
        return "không"
    groups: list[int] = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        return num2words(int("".join(f"{g:03d}" for g in reversed(groups))), lang="vi")
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        text = num2words(group, lang="vi") if index == top else _inner(group)
        words.append(f"{text} {_SCALES[index]}".strip())
    return " ".join(words)

"""Reading activation slips back out of a PDF with poppler's pdftotext, as a person would read the paper."""

from __future__ import annotations

import html
import re
import subprocess

_PAGE = re.compile(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', re.DOTALL)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')
# Words joined without spaces: "Tênđăngnhập:to02-26743Mãdùngmộtlần:(cònhạnđến…)ACDE-FGHJ".
_SLIP = re.compile(r"Tênđăngnhập:(\S+?)Mãdùngmộtlần:(?:\([^)]*\))?([A-Z0-9]{4}-[A-Z0-9]{4})")


def text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pages(pdf: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))


def slips(pdf: bytes) -> dict[str, str]:
    """username -> code of every slip: the words of each column of each page, read top to bottom."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    found: dict[str, str] = {}
    for width, body in _PAGE.findall(out):
        words = [(float(x), float(y), html.unescape(w)) for x, y, w in _WORD.findall(body)]
        for right in (False, True):
            column = [w for w in words if (w[0] >= float(width) / 2) is right]
            found.update(_SLIP.findall("".join(w[2] for w in _reading_order(column))))
    return found


def _reading_order(words: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Lines by their bottom edge (words of different sizes on one line differ by a point or two), then x."""
    lines: list[list[tuple[float, float, str]]] = []
    for word in sorted(words, key=lambda w: w[1]):
        if lines and word[1] - lines[-1][0][1] < 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [w for line in lines for w in sorted(line)]

"""Catalog upkeep: ``update`` extracts and merges, ``fill [FILE.json]`` sets vi translations from a JSON object
{msgid: msgstr} (default: every translations/pending/*.json), ``check`` fails when the vi catalog misses or fuzzes any message, ``compile`` builds .mo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def _po(lang: str) -> Path:
    return ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"


def update() -> None:
    subprocess.run([*PYBABEL, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                    "--no-location", "--sort-output", "-o", str(POT), "."], cwd=ROOT, check=True)
    for lang in ("vi", "en"):
        subprocess.run([*PYBABEL, "-q", "update", "-i", str(POT), "-d", "translations", "-l", lang,
                        "--no-fuzzy-matching", "--ignore-obsolete"], cwd=ROOT, check=True)


def missing(lang: str = "vi") -> list[str]:
    with _po(lang).open("rb") as fh:
        catalog = read_po(fh)
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def fill(path: str | None = None) -> None:
    """Apply {msgid: vi} from one JSON file, or from every translations/pending/*.json."""
    files = [Path(path)] if path else sorted((ROOT / "translations" / "pending").glob("*.json"))
    mapping: dict[str, object] = {}
    for file in files:
        mapping.update(json.loads(file.read_text(encoding="utf-8")))
    with _po("vi").open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in mapping:
            value = mapping[key]
            message.string = tuple(value) if isinstance(message.id, tuple) and isinstance(value, list) else (
                (value,) if isinstance(message.id, tuple) else value)
            message.flags.discard("fuzzy")
    with _po("vi").open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "fill":
        fill(sys.argv[2] if len(sys.argv) > 2 else None)
    elif command == "compile":
        subprocess.run([*PYBABEL, "-q", "compile", "-d", "translations"], cwd=ROOT, check=True)
    elif command == "check":
        gaps = missing()
        for gap in gaps:
            print(f"untranslated in vi: {gap!r}")
        return 1 if gaps else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

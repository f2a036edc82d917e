"""Which modules of ``webapp`` import which, between packages or inside one: a plain listing of the structure.

    python scripts/imports_between.py                      # every package -> package edge, with the modules behind it
    python scripts/imports_between.py reports progress     # only the edges among these packages, module by module
    python scripts/imports_between.py --cycles             # module-level import cycles (imports inside functions too)

Reads the source with ``ast`` (nothing is imported or run), so it works on any checkout: run it before and after a
change to see the edges it adds or removes.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from import_cycles import cycles, imports, modules  # the graph and its cycles, one way for both scripts

ROOT = Path(__file__).resolve().parent.parent / "webapp"


def graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, read as ``import_cycles`` reads them."""
    known = modules(ROOT)
    return {name: imports(name, path, known) for name, path in known.items()}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(webapp)"


def main(argv: list[str]) -> None:
    edges = graph()
    if "--cycles" in argv:
        for component in cycles(edges):
            print(" <-> ".join(component))
        return
    wanted = set(argv)
    between: dict[tuple[str, str], set[str]] = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            a, b = package_of(source), package_of(target)
            if wanted and not {a, b} <= wanted:
                continue
            if a != b or wanted:
                between[(a, b)].add(f"{source.removeprefix('webapp.')} -> {target.removeprefix('webapp.')}")
    for (a, b), lines in sorted(between.items()):
        if wanted:
            print(f"{a} -> {b}:")
            print("".join(f"    {line}\n" for line in sorted(lines)), end="")
        else:
            print(f"{a} -> {b} ({len(lines)})")


if __name__ == "__main__":
    main(sys.argv[1:])

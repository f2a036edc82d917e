"""Which modules of ``webapp`` import which, between packages or inside one: a plain listing of the structure.

    python scripts/imports_between.py                      # every package -> package edge, with the modules behind it
    python scripts/imports_between.py reports progress     # only the edges among these packages, module by module
    python scripts/imports_between.py --cycles             # module-level import cycles (imports inside functions too)

Reads the source with ``ast`` (nothing is imported or run), so it works on any checkout: run it before and after a
change to see the edges it adds or removes.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "webapp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("webapp"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if not base.startswith("webapp"):
                continue
            # "from webapp.reports import services": the submodule when there is one, else the package.
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if (ROOT.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (ROOT.parent / sub.replace(".", "/")).is_dir() else base)
    return found


def graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: {i for i in _imports(path, name) if i in modules and i != name} for name, path in modules.items()}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(webapp)"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


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

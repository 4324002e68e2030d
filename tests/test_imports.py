"""The package's import graph: no circle, and the floors hold.

Every ``import`` statement of every module counts, at module level and
inside functions alike (a deferred import is still a dependency; deferring it
only hides a circle until the function runs).  Read with :mod:`ast`, nothing
is imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "jakstat_rules"


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module of the package that an imported name lives in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (its own packages' ``__init__`` left out)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    where = ".".join(base + ([node.module] if node.module else []))
                else:
                    where = node.module or ""
                targets |= {f"{where}.{a.name}" if f"{where}.{a.name}" in modules else where
                            for a in node.names}
        owners = {_owner(t, modules) for t in targets if t.startswith("jakstat_rules")}
        graph[name] = {o for o in owners if o and o != name and not name.startswith(o + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_imports_in_functions_and_relative_ones():
    graph = import_graph()
    assert "jakstat_rules.network" in graph["jakstat_rules.artifacts"]          # module level
    assert "jakstat_rules.export.sbml" in graph["jakstat_rules.artifacts"]      # in a function
    assert "jakstat_rules.petab_io" in graph["jakstat_rules.calibrate.compiled"]  # from ..x


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle():
    assert cycles(import_graph()) == []


def test_floors():
    """The model knows no export or data, export and data know no calibration."""
    graph = import_graph()
    rules = {"jakstat_rules.model": ("jakstat_rules.export", "jakstat_rules.data",
                                     "jakstat_rules.calibrate", "jakstat_rules.artifacts"),
             "jakstat_rules.network": ("jakstat_rules.export", "jakstat_rules.artifacts"),
             "jakstat_rules.export": ("jakstat_rules.calibrate", "jakstat_rules.data",
                                      "jakstat_rules.artifacts"),
             "jakstat_rules.data": ("jakstat_rules.calibrate",),
             "jakstat_rules.petab_io": ("jakstat_rules.calibrate", "jakstat_rules.data")}
    broken = [(m, t) for m, targets in graph.items() for floor, above in rules.items()
              if m == floor or m.startswith(floor + ".")
              for t in targets if t.startswith(above)]
    assert broken == []

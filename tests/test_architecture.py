"""The house's layering, read from the code's own imports (an AST walk, nothing imported).

Data flows one way: inputs -> landing -> dbt models -> exports -> contracts -> reports.
The rules the folders promise:
- ``lakehouse/`` (the core) imports nothing else of the project;
- ``python_udfs/`` and ``consumers/`` (pure functions, the trainers' rule book) import
  nothing else of the project;
- no module outside ``mmfactory/`` (the command line on top) imports ``mmfactory``;
- no package imports one that sits above it (the order below), and no imports go in circles.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. A package may import only packages on a lower or its own floor.
FLOORS: dict[str, int] = {
    "lakehouse": 0, "python_udfs": 0, "consumers": 0,
    "ingest": 1,
    "render": 2, "quality": 2, "generation": 2,
    "models": 3,
    "expectations": 4, "review": 4, "releases": 4,
    "mmfactory": 5,
    "bench": 6,
}
STANDALONE = ("lakehouse", "python_udfs", "consumers")


def _modules() -> dict[str, Path]:
    """Every project module (dotted name -> file), tests excluded."""
    found = {}
    for package in FLOORS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    """The project modules ``path`` imports (absolute and relative), at any depth."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in FLOORS}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(path, name):
            # an import of a name inside a module counts as an import of that module
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges[name].add(target)
    return edges


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_tree_is_read(graph: dict[str, set[str]]) -> None:
    assert "lakehouse.settings" in _modules()
    assert graph["mmfactory.cli"], "the command line imports the packages below it"


@pytest.mark.parametrize("package", STANDALONE)
def test_standalone_packages_import_nothing_of_the_project(graph: dict[str, set[str]], package: str) -> None:
    bad = sorted(f"{m} -> {t}" for m, ts in graph.items() if _top(m) == package
                 for t in ts if _top(t) != package)
    assert not bad, f"{package}/ must stand alone:\n" + "\n".join(bad)


def test_only_the_command_line_imports_mmfactory(graph: dict[str, set[str]]) -> None:
    bad = sorted(f"{m} -> {t}" for m, ts in graph.items() if _top(m) != "mmfactory"
                 for t in ts if _top(t) == "mmfactory")
    assert not bad, "\n".join(bad)


def test_no_import_runs_back_up(graph: dict[str, set[str]]) -> None:
    bad = sorted(f"{m} (floor {FLOORS[_top(m)]}) -> {t} (floor {FLOORS[_top(t)]})"
                 for m, ts in graph.items() for t in ts if FLOORS[_top(t)] > FLOORS[_top(m)])
    assert not bad, "\n".join(bad)


def test_no_cycles(graph: dict[str, set[str]]) -> None:
    """Depth-first search for a back edge among modules."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)

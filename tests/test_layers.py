"""The layout is the architecture: imports inside watcher/ only run down the pipeline.

    base (clock, text, urls, language, resources < redact < errors, model < config < logs,
    metrics) < fetch < parse < normalise < match < store < digest < deliver
    < jobs (the orchestrators) < schedule < web < cli (the front ends; ``watcher web`` and
    ``watcher run`` start the web view)

Every import counts, at module level or inside a function (a lazy import is still an
import); only those under ``if TYPE_CHECKING:`` are exempt. There is no exceptions list. Within
one layer, modules must not import each other in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "watcher"

# Each entry is a rank; a module may import its own rank's package or lower ranks only.
ORDER: list[set[str]] = [
    {"__init__"},  # the version
    {"clock", "text", "urls", "language", "resources"},
    {"redact"},
    {"errors", "model"},
    {"config"},
    {"logs", "metrics"},
    {"fetch"},
    {"parse"},
    {"normalise"},
    {"match"},
    {"store"},
    {"digest"},
    {"deliver"},
    {"jobs"},
    {"schedule"},
    {"web"},
    {"cli"},
    {"__main__"},
]
RANK = {name: rank for rank, names in enumerate(ORDER) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    """``watcher.match.query`` → ``match``; ``watcher`` itself → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported watcher module) for every runtime import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt = _type_checking_lines(tree)
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in exempt:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "watcher":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            if base.split(".")[0] != "watcher":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if _is_module(candidate) else base


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_package_has_a_layer() -> None:
    layers = {layer(module_name(path)) for path in SOURCES}
    assert layers <= set(RANK), f"place these in ORDER: {sorted(layers - set(RANK))}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_only_run_down(path: Path) -> None:
    importer = module_name(path)
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {importer} imports {target} "
        f"({layer(importer)} may not import {layer(target)})"
        for line, target in imports(path)
        if not _allowed(layer(importer), layer(target))
    ]
    assert not upward, "\n".join(upward)


def _allowed(importer: str, target: str) -> bool:
    """Its own package, or a lower rank (modules of one rank are independent of each other)."""
    return importer == target or RANK[target] < RANK[importer]


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {module_name(path): set() for path in SOURCES}
    for path in SOURCES:
        graph[module_name(path)].update(
            target for _, target in imports(path) if target in graph and target != "watcher"
        )
    cycles = list(_cycles(graph))
    assert not cycles, "import circles: " + "; ".join(" → ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """One circle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(graph):
        if node not in index:
            yield from visit(node)

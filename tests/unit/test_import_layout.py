"""The task side's modules import each other in one direction only: no import circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ironrelay

PACKAGE = Path(ironrelay.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, modules: set[str]) -> set[str]:
    """Return the ironrelay modules imported anywhere in `tree` (functions too), typing aside."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in modules}


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    modules = set(files)
    return {
        name: _imports(ast.parse(path.read_text()), modules) - {name}
        for name, path in files.items()
    }


def _find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def walk(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            circle = walk(target, [*trail, node])
            if circle:
                return circle
        done.add(node)
        return None

    for start in sorted(graph):
        circle = walk(start, [])
        if circle:
            return circle
    return None


def test_ironrelay_modules_import_without_a_circle():
    circle = _find_circle(_import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_find_circle_reports_a_function_level_circle():
    # The shape of the old layout: the decorator imported the queue inside defer().
    names = {"old.tasks", "old.queue"}
    graph = {
        "old.tasks": _imports(ast.parse("def defer():\n    from old import queue\n"), names),
        "old.queue": {"old.tasks"},
    }
    assert _find_circle(graph) == ["old.queue", "old.tasks", "old.queue"]


def test_registry_and_errors_import_without_the_queue_or_models():
    code = (
        "import sys, ironrelay.tasks.registry, ironrelay.tasks.errors;"
        "loaded = [m for m in ('ironrelay.tasks.queue', 'ironrelay.models') if m in sys.modules];"
        "assert not loaded, loaded"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

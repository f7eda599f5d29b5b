"""The import rules of DESIGN.md's layout table, and no import cycle between our modules.

Every module of the checked folders is parsed with `ast`, and every import counts: at the
top, inside functions (deferred imports), under `if TYPE_CHECKING:` and in `try` blocks.
Relative imports are resolved against the importing module's package; `from pkg import
name` imports the module `pkg.name` when that is one of our modules, else `pkg` itself.

Importing `a.b.c` also runs `a/__init__` and `a/b/__init__`, but those parent packages
are not counted as imported (as import-linter counts them): otherwise every package whose
`__init__` re-exports its own modules would be a cycle with each of them.

`airflow/` holds DAG files, which Airflow loads by path: they are checked as importers,
and `airflow.*` names are Apache Airflow's, not ours.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]

# folder -> the folders of ours its modules may import (besides their own): DESIGN.md.
RULES: dict[str, frozenset[str]] = {
    "lake": frozenset(),
    "expectations": frozenset({"lake"}),
    "pipelines": frozenset({"lake", "expectations"}),
    "airflow": frozenset({"pipelines"}),
    "app": frozenset({"lake", "pipelines"}),
    "pages": frozenset({"app", "lake"}),
}
# Folders of ours that are not packages (their files are loaded by path).
NOT_PACKAGES = frozenset({"airflow"})


@dataclass(frozen=True)
class Import:
    """One import of a module of ours: `source` (module name) imports `target` at
    `path:line` (path relative to the tree's root)."""

    source: str
    path: str
    line: int
    target: str

    @property
    def source_folder(self) -> str:
        return self.path.split("/")[0]

    @property
    def target_folder(self) -> str:
        return self.target.split(".")[0]


def _module_name(root: Path, file: Path) -> str:
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_packages(root: Path) -> frozenset[str]:
    """Return the top-level packages of the tree at `root` (folders with an `__init__.py`),
    the names whose imports are ours."""
    return frozenset(
        init.parent.name
        for init in root.glob("*/__init__.py")
        if init.parent.name not in NOT_PACKAGES
    )


def _imported(node: ast.AST, module: str, is_package: bool, modules: set[str]) -> list[str]:
    """The module names `node` imports (empty for anything but an import statement)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base_parts = package[: len(package) - (node.level - 1)]
        base = ".".join([*base_parts, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    targets = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        targets.append(submodule if submodule in modules else base)
    return targets


def collect_imports(root: Path, folders: Iterable[str]) -> tuple[list[Import], set[str]]:
    """Return every import of one of our modules made by the modules under `folders` of
    the tree at `root` (once per line and target), and the names of all those modules."""
    files = sorted(file for folder in folders for file in (root / folder).rglob("*.py"))
    modules = {_module_name(root, file) for file in files}
    ours = our_packages(root)
    imports: list[Import] = []
    for file in files:
        module = _module_name(root, file)
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            for target in _imported(node, module, file.name == "__init__.py", modules):
                if target.split(".")[0] in ours:
                    path = file.relative_to(root).as_posix()
                    imports.append(Import(module, path, getattr(node, "lineno", 0), target))
    return list(dict.fromkeys(imports)), modules


def layer_violations(imports: Iterable[Import], rules: Mapping[str, frozenset[str]]) -> list[str]:
    """Return one line per import that crosses the layer rules, as `path:line: ...`."""
    problems = []
    for imp in imports:
        allowed = rules.get(imp.source_folder, frozenset())
        if imp.target_folder != imp.source_folder and imp.target_folder not in allowed:
            may = ", ".join(sorted(allowed)) or "nothing of ours"
            problems.append(
                f"{imp.path}:{imp.line}: {imp.source} imports {imp.target} "
                f"({imp.source_folder}/ may import {may})"
            )
    return problems


def import_cycles(imports: Iterable[Import]) -> list[list[str]]:
    """Return the strongly connected components of more than one module in the graph of
    `imports` (Tarjan's algorithm), each sorted, the list sorted."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.target != imp.source:
            graph.setdefault(imp.source, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        # Recursive; the module graph is a few hundred nodes deep at most.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def _cycle_report(cycles: Sequence[list[str]], imports: Iterable[Import]) -> list[str]:
    """Each cycle with the imports that make it, as `path:line: a -> b`."""
    lines = []
    for members in cycles:
        inside = set(members)
        lines.append("cycle: " + ", ".join(members))
        lines.extend(
            f"  {imp.path}:{imp.line}: {imp.source} -> {imp.target}"
            for imp in imports
            if imp.source in inside and imp.target in inside and imp.source != imp.target
        )
    return lines


@pytest.fixture(scope="module")
def project_imports() -> list[Import]:
    return collect_imports(ROOT, RULES)[0]


def test_the_layers_import_only_what_design_allows(project_imports: list[Import]) -> None:
    problems = layer_violations(project_imports, RULES)

    assert not problems, "imports across the layer rules:\n" + "\n".join(problems)


def test_no_import_cycle_between_our_modules(project_imports: list[Import]) -> None:
    cycles = import_cycles(project_imports)

    assert not cycles, "import cycles:\n" + "\n".join(_cycle_report(cycles, project_imports))


def test_every_checked_folder_has_modules(project_imports: list[Import]) -> None:
    _, modules = collect_imports(ROOT, RULES)

    assert {module.split(".")[0] for module in modules} == set(RULES)


# --- the checker itself, on a synthetic tree ------------------------------------------


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


SYNTHETIC = {
    "lake/__init__.py": "",
    "lake/sub/__init__.py": "from . import deep\n",
    "lake/sub/deep.py": "import polars\n",
    # a cycle made by a deferred import and a relative one
    "lake/a.py": "def load():\n    from lake import b\n    return b\n",
    "lake/b.py": "from . import a\nfrom .sub import deep\n",
    # one violation, hidden under TYPE_CHECKING
    "lake/c.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from app.x import Thing\n"
    ),
    "app/__init__.py": "",
    "app/x.py": "import lake.sub.deep\nfrom lake import c\n\nThing = int\n",
    "airflow/dag.py": "from airflow.sdk import dag\nfrom app import x\n",
}


def test_the_checker_resolves_imports(tmp_path: Path) -> None:
    _write(tmp_path, SYNTHETIC)

    imports, _ = collect_imports(tmp_path, ("lake", "app", "airflow"))

    edges = {(imp.source, imp.target) for imp in imports}
    assert edges == {
        ("lake.sub", "lake.sub.deep"),
        ("lake.a", "lake.b"),
        ("lake.b", "lake.a"),
        ("lake.b", "lake.sub.deep"),
        ("lake.c", "app.x"),
        ("app.x", "lake.sub.deep"),
        ("app.x", "lake.c"),
        ("airflow.dag", "app.x"),  # Apache Airflow's `airflow.sdk` is not ours
    }


def test_the_checker_finds_a_violation_and_a_cycle(tmp_path: Path) -> None:
    _write(tmp_path, SYNTHETIC)
    imports, _ = collect_imports(tmp_path, ("lake", "app", "airflow"))

    problems = layer_violations(imports, RULES)
    cycles = import_cycles(imports)

    assert problems == [
        "airflow/dag.py:2: airflow.dag imports app.x (airflow/ may import pipelines)",
        "lake/c.py:4: lake.c imports app.x (lake/ may import nothing of ours)",
    ]
    assert cycles == [["app.x", "lake.c"], ["lake.a", "lake.b"]]
    assert "  lake/a.py:2: lake.a -> lake.b" in _cycle_report(cycles, imports)

"""Imports flow one way (design.md, "Flow"): spec → catalog → validate → modules → engine →
policies → report → api → cli. Read from the source with ``ast`` (nothing is imported), over
clusterforge/, modules/ (clusterforge.modules) and policies/ (clusterforge.policies).

Every import counts, the lazy ones inside functions included — a lazy import is still a
dependency, only a later one. Imports under ``if TYPE_CHECKING:`` are types, not run-time edges.
A module importing its own parent package (``from clusterforge.validate.rules import _util``) is
how Python reaches a sibling and no cycle.

A cloud hook is an import too: a module calling ``profile(...).hook("name")`` (or
``optional_hook``) imports, through importlib, every module ``clouds.json`` names for that hook,
and the graph has those edges — an importlib hook cannot hide an upward import or a cycle.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Import name → source folder (setup.py ships modules/ and policies/ inside clusterforge).
PACKAGES = {
    "clusterforge": ROOT / "clusterforge",
    "clusterforge.modules": ROOT / "modules",
    "clusterforge.policies": ROOT / "policies",
}

#: Each part of the package (a subpackage, or a top-level module) and its place in the flow: a
#: part imports only parts at its own level or below.
LEVEL = {
    # Shared by every layer: the error and finding types, secret redaction, cloud profiles (data).
    "clusterforge.errors": 0,
    "clusterforge.findings": 0,
    "clusterforge.secrets": 0,
    "clusterforge.clouds": 0,
    # Each cloud's hooks (clouds/<cloud>.py: credentials command, service prices, CI login). The
    # profile names them and its callers (cost, verify, workflow) reach them through
    # CloudProfile.hook, an import of each named module (HOOK_CALLS): at cost's level, importing
    # only the catalog layer and the profiles.
    "clusterforge.clouds.<cloud>": 3,
    "clusterforge.generated": 0,  # reading and regenerating the prebuilt files
    "clusterforge.ruleindex": 0,  # the generated index of rule ids and titles (data, read-only)
    "clusterforge.plainbox": 0,  # rich's uncoloured text layout without rich's console
    "clusterforge.spelling": 0,  # did-you-mean for a misspelt name (difflib)
    "clusterforge.spec": 1,
    "clusterforge": 1,  # the package root: the spec models re-exported (lazily), __version__
    "clusterforge.catalog": 2,
    "clusterforge.validate": 3,
    "clusterforge.cost": 3,
    "clusterforge.modules": 4,
    "clusterforge.graph": 5,
    "clusterforge.engine": 5,
    "clusterforge.render": 5,  # GitOps rendering of the add-ons the modules build
    "clusterforge.policies": 6,
    "clusterforge.report": 7,
    "clusterforge.api": 8,
    "clusterforge.verify": 9,
    "clusterforge.workflow": 9,
    "clusterforge.cli": 10,
}

#: The upward imports there are, each with its reason. Keep this short.
UPWARD = {
    # Stack projects generated before run_project moved to clusterforge.api import it from
    # clusterforge.modules; modules/__init__.py's __getattr__ hands it over, lazily.
    ("clusterforge.modules", "clusterforge.api"),
}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every clusterforge module ``module``'s source imports at run time."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), module, is_package)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: None if is_package else -1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            # `from package import name` may import the submodule package.name.
            yield from (f"{target}.{alias.name}" for alias in node.names)
        yield from _imports(node, module, is_package)


def import_graph(packages: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of ``packages`` it imports, read in a fresh interpreter.

    CPython 3.11 can leave ``ast.parse`` raising "SystemError: AST constructor recursion depth
    mismatch" in a process where an earlier test hit a RecursionError (the deep-nesting input
    tests do, on purpose): the graph is built where no test ran before.
    """
    code = (
        "import importlib.util, json, sys, pathlib\n"
        f"spec = importlib.util.spec_from_file_location('layering', {str(Path(__file__))!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "packages = {k: pathlib.Path(v) for k, v in json.loads(sys.argv[1]).items()}\n"
        "graph = mod.import_graph_here(packages)\n"
        "print(json.dumps({k: sorted(v) for k, v in graph.items()}))\n"
    )
    argv = [sys.executable, "-c", code, json.dumps({k: str(v) for k, v in packages.items()})]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return {k: set(v) for k, v in json.loads(done.stdout).items()}


#: The methods of CloudProfile that import the module a hook's name points at.
HOOK_CALLS = ("hook", "optional_hook")


def hook_targets(clouds_json: Path) -> dict[str, set[str]]:
    """Hook name → the modules the cloud profiles name for it (``clouds.json`` ``hooks``)."""
    targets: dict[str, set[str]] = {}
    for name, entry in json.loads(clouds_json.read_text(encoding="utf-8")).items():
        if name.startswith("_"):
            continue
        for hook, target in entry["hooks"].items():
            targets.setdefault(hook, set()).add(target.partition(":")[0])
    return targets


def _hooks_called(tree: ast.AST) -> Iterator[str]:
    """The hook names ``tree`` asks a profile for (``.hook("service_costs")``)."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in HOOK_CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def import_graph_here(packages: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of ``packages`` it imports (run time, own ancestors left out), the
    cloud hooks it calls included."""
    sources: dict[str, tuple[Path, bool]] = {}
    for name, folder in packages.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            module = ".".join([name, *parts[:-1]] if is_package else [name, *parts])
            sources[module] = (path, is_package)
    clouds_json = packages.get("clusterforge", ROOT / "-") / "catalog/data/common/clouds.json"
    hooks = hook_targets(clouds_json) if clouds_json.is_file() else {}
    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        called = {t for name in _hooks_called(tree) for t in hooks.get(name, ())}
        graph[module] = {
            target
            for target in (*_imports(tree, module, is_package), *called)
            if target in sources
            and target != module
            and not module.startswith(target + ".")  # its own parent package
        }
    return graph


def part(module: str) -> str:
    """The flow part a module belongs to (``clusterforge.catalog.resolve`` → catalog)."""
    for prefix in ("clusterforge.modules", "clusterforge.policies"):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    if module.startswith("clusterforge.clouds."):
        return "clusterforge.clouds.<cloud>"
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGES)


def _part_edges(graph: dict[str, set[str]]) -> set[tuple[str, str, str, str]]:
    return {
        (part(module), part(target), module, target)
        for module, targets in graph.items()
        for target in targets
        if part(module) != part(target)
    }


def test_every_part_has_a_place_in_the_flow(graph: dict[str, set[str]]) -> None:
    assert {part(m) for m in graph} <= set(LEVEL), "a new part: give it a LEVEL"


def test_imports_point_one_way(graph: dict[str, set[str]]) -> None:
    upward = sorted(
        f"{module} imports {target}"
        for source, dest, module, target in _part_edges(graph)
        if LEVEL[dest] > LEVEL[source] and (source, dest) not in UPWARD
    )
    assert upward == []


@pytest.mark.parametrize(
    ("layer", "never"),
    [
        ("clusterforge.modules", ("engine", "cli", "report", "workflow", "verify", "policies")),
        ("clusterforge.catalog", ("validate", "modules", "engine", "report", "api", "cli")),
        ("clusterforge.spec", ("catalog", "validate", "modules", "engine", "report", "cli")),
        ("clusterforge.validate", ("modules", "engine", "policies", "report", "api", "cli")),
        ("clusterforge.policies", ("modules", "engine", "report", "api", "cli")),
    ],
)
def test_what_a_layer_never_imports(
    graph: dict[str, set[str]], layer: str, never: tuple[str, ...]
) -> None:
    forbidden = {f"clusterforge.{name}" for name in never}
    assert (
        sorted(
            f"{module} imports {target}"
            for source, dest, module, target in _part_edges(graph)
            if source == layer and dest in forbidden
        )
        == []
    )


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    shim = {("clusterforge.modules", "clusterforge.api")}  # UPWARD, lazy, by design
    without_shim = {
        module: {t for t in targets if (module, t) not in shim} for module, targets in graph.items()
    }
    assert cycles(without_shim) == []


def test_a_hook_is_an_import_by_its_caller(graph: dict[str, set[str]]) -> None:
    """cost, verify and the CI pipelines reach the hooks through importlib; the graph counts the
    modules clouds.json names as their imports (so the level and cycle tests see them)."""
    named = hook_targets(PACKAGES["clusterforge"] / "catalog/data/common/clouds.json")
    assert named["service_costs"] <= graph["clusterforge.cost"]
    assert named["credentials_command"] <= graph["clusterforge.verify.access"]
    assert named["github_login"] | named["gitlab_login"] <= graph["clusterforge.workflow.ci"]
    assert "clusterforge.clouds.kubernetes" not in graph["clusterforge.cost"]  # names none


def test_the_catalog_resolver_and_add_ons_are_no_circle(graph: dict[str, set[str]]) -> None:
    assert "clusterforge.catalog.addons" in graph["clusterforge.catalog.resolve"]
    assert "clusterforge.catalog.resolve" not in graph["clusterforge.catalog.addons"]


def test_the_checker_sees_a_planted_cycle_and_a_type_only_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from pkg.a import f\n")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import c\n")
    (package / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
        "from . import d\nfrom .. import b\n"
    )
    (package / "sub" / "d.py").write_text("")
    planted = import_graph({"pkg": package})
    assert planted["pkg.sub.c"] == {"pkg.sub.d", "pkg.b"}  # the TYPE_CHECKING import is no edge
    assert cycles(planted) == [["pkg.a", "pkg.b"]]  # sub -> sub.c is a parent edge, no cycle


def test_old_projects_still_find_run_project() -> None:
    import clusterforge.modules
    from clusterforge import api

    assert clusterforge.modules.run_project is api.run_project
    with pytest.raises(AttributeError):
        _ = clusterforge.modules.no_such_name  # type: ignore[attr-defined]

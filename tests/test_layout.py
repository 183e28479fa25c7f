"""The package's shape: small modules, data flowing one way (plan -> builders -> catalog -> analyses -> viz/reports -> cli)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linfen_geo

ROOT = Path(linfen_geo.__file__).parent
MODULES = sorted(ROOT.rglob("*.py"))


#: thin methods that hand a result to the drawing or writing layer, imported lazily (as xarray's ``.plot``)
DELEGATES = {"plot", "plot_suitability", "plot_by_county", "write", "to_excel", "markdown", "html"}


def _nodes(tree: ast.AST):
    """Every node, except the bodies of :data:`DELEGATES` methods."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in DELEGATES:
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _imports(path: Path) -> set[str]:
    """linfen_geo modules imported in the file, module level or inside functions (delegates aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("linfen_geo")}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT.parent).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_module_over_800_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 800


# analyses are pure: they neither draw, write files, parse command lines, nor reach into the catalog's internals
FORBIDDEN = {
    "analysis": (
        "linfen_geo.viz",
        "linfen_geo.reports",
        "linfen_geo.cli",
        "linfen_geo.layer_catalog.core",  # the public linfen_geo.layer_catalog (get_catalog) is the API edge
        "linfen_geo.layer_catalog.schema",
        "linfen_geo.layer_catalog.codehash",
    ),
    "layers": (
        "linfen_geo.viz",
        "linfen_geo.reports",
        "linfen_geo.cli",
        "linfen_geo.analysis",
        "linfen_geo.layer_catalog",
    ),
    "io": ("linfen_geo.viz", "linfen_geo.reports", "linfen_geo.cli", "linfen_geo.analysis"),
    "plan": ("linfen_geo.viz", "linfen_geo.reports", "linfen_geo.cli", "linfen_geo.analysis", "linfen_geo.layers"),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_data_flows_one_way(package):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in _imports(path):
            if module.startswith(FORBIDDEN[package]):
                bad.append(f"{_rel(path)} imports {module}")
    assert not bad, "\n".join(bad)

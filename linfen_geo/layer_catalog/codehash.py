"""Which code a built layer depends on, as one digest: the cache key's code part.

A built layer must be rebuilt whenever the code that made it changes: its
builder module *and* every module of the package that builder uses (a shared
helper in ``crs.py`` or ``terrain.py`` changes the output just as much). This
module follows a builder's imports of its own package statically (``ast``, no
import side effects), across ``import x``/``from x import y`` at any depth
(function-local imports included), and hashes the sources it reaches together
with the package version.

Examples
--------
>>> files = code_files("linfen_geo.layers.springs")
>>> sorted(f.name for f in files if f.name in ("springs.py", "crs.py", "geometry.py"))
['crs.py', 'geometry.py', 'springs.py']
>>> len(code_digest("linfen_geo.layers.springs"))
64
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from pathlib import Path

__all__ = ["code_digest", "code_files"]

#: modules every built layer passes through after its builder (validation, storage CRS, repair)
ALWAYS = ("linfen_geo.layer_catalog.schema", "linfen_geo.crs", "linfen_geo.geometry")


def _file_of(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(path: Path, module: str, root: str) -> set[str]:
    """Modules of package ``root`` imported anywhere in the file (absolute or relative)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[: len(base) - node.level + 1]
                name = ".".join(parent + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            # ``from pkg import submodule`` names modules too
            found.update(f"{name}.{a.name}" for a in node.names)
    return {m for m in found if m == root or m.startswith(root + ".")}


def code_files(module: str) -> frozenset[Path]:
    """Source files of ``module`` and of every module of its package it imports, transitively.

    A package's ``__init__.py`` counts when something imports from the package itself;
    a parent package is not followed on its own (ours only re-export names).
    """
    return _code_files(module)


@functools.cache
def _code_files(module: str) -> frozenset[Path]:
    root = module.split(".")[0]
    seen: set[str] = set()
    files: set[Path] = set()
    todo = [module, *(m for m in ALWAYS if m.split(".")[0] == root)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _file_of(name)
        if path is None:
            continue  # a name imported from a module, not a module
        files.add(path)
        todo.extend(_imports(path, name, root) - seen)
    return frozenset(files)


def code_digest(module: str) -> str:
    """SHA-256 of the package version and the sources :func:`code_files` finds for ``module``.

    The sources are read on every call (a few hundred kB, about a millisecond), so an
    edited file is noticed at once, whatever the file system's timestamp resolution.
    """
    h = hashlib.sha256()
    root = module.split(".")[0]
    h.update(str(getattr(importlib.import_module(root), "__version__", "")).encode())
    top = _file_of(root)
    base = top.parent.parent if top else Path("/")
    for path in sorted(code_files(module)):
        if path.exists():
            h.update(str(path.relative_to(base) if path.is_relative_to(base) else path.name).encode())
            h.update(path.read_bytes())
    return h.hexdigest()

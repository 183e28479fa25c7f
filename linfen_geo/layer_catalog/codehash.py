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
import re
from pathlib import Path

__all__ = ["code_digest", "code_files"]

#: modules every built layer passes through after its builder (validation, storage CRS, repair)
ALWAYS = ("linfen_geo.layer_catalog.schema", "linfen_geo.crs", "linfen_geo.geometry")


def _file_of(module: str) -> Path | None:
    """The source file of a module of an installed package, found on disk without importing anything.

    (``importlib.util.find_spec`` of ``a.b.c`` imports ``a.b``, which for a name imported *from* a
    module would import that module and all it imports: seconds of rasterio/dask for one lookup.)
    """
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # the top-level package only: imports nothing else
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    base = Path(spec.origin).parent if spec.origin.endswith("__init__.py") else None
    if base is None:
        return Path(spec.origin) if len(parts) == 1 and spec.origin.endswith(".py") else None
    if len(parts) == 1:
        return Path(spec.origin)
    stem = base.joinpath(*parts[1:])
    for cand in (stem.with_suffix(".py"), stem / "__init__.py"):
        if cand.is_file():
            return cand
    return None


_IMPORT_LINE = re.compile(r"[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+[\w.])")


def _import_statements(source: str) -> str:
    r"""The import statements of a source, one per line (parsing only these is ~10x faster than the file).

    Multi-line ``from x import (...)`` and backslash continuations are joined; a text line that only
    looks like an import (in a docstring) is dropped if it does not parse, or adds a harmless extra file.

    Examples
    --------
    >>> print(_import_statements("import a\nx = 1\n    from b.c import (d,\n        e)\n"))
    import a
    from b.c import (d, e)
    """
    lines = source.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _IMPORT_LINE.match(lines[i]):
            stmt = lines[i].split("#")[0].strip()
            while (stmt.count("(") > stmt.count(")") or stmt.endswith("\\")) and i + 1 < len(lines):
                i += 1
                stmt = stmt.rstrip("\\") + " " + lines[i].split("#")[0].strip()
            try:
                ast.parse(stmt)
            except SyntaxError:
                stmt = ""
            if stmt:
                out.append(stmt)
        i += 1
    return "\n".join(out)


def _imports(path: Path, module: str, root: str) -> set[str]:
    """Modules of package ``root`` imported anywhere in the file (absolute or relative)."""
    tree = ast.parse(_import_statements(path.read_text(encoding="utf-8")), filename=str(path))
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

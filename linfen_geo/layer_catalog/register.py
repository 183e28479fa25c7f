"""Users' own layers added to the catalog (:func:`register_layer`), and the data credits layers need.

Kept beside :mod:`linfen_geo.layer_catalog.core`, whose :class:`~linfen_geo.layer_catalog.core.Catalog`
methods ``register`` and ``attributions`` call these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from linfen_geo.errors import InputError
from linfen_geo.layer_catalog.schema import Schema

if TYPE_CHECKING:
    from linfen_geo.layer_catalog.core import Catalog

__all__ = ["attributions", "register_layer"]


def register_layer(
    catalog: Catalog,
    name: str,
    path: str | os.PathLike[str],
    *,
    id: str,
    geometry: str = "polygon",
    title_zh: str | None = None,
    title_en: str | None = None,
    name_column: str | None = None,
    status: str = "official",
    source: str | None = None,
    licence: str | None = None,
    accuracy: str | None = None,
    crs: Any = None,
    layer: str | int | None = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> None:
    """Add a new vector layer of the user's (永久基本农田, 饮用水水源保护区 ...) to the catalog.

    It is validated like a replacement (readable file, CRS, geometry family, the id column, the
    layer must overlap Linfen); a bad file is refused with one line and the catalog is unchanged.
    Registered layers appear in :meth:`table`, siting rules name them (``[[siting.rules]]
    layer = name``), and coverage/overlap analyses take them by name.

    Parameters
    ----------
    name
        The new layer's name (lower case, letters, digits and ``_``; not a catalog layer: to
        replace one use :meth:`use`).
    path
        Vector file (GeoPackage, shapefile, GeoJSON, File GDB, KML ...).
    id
        The column identifying a feature (e.g. ``BSM``).
    geometry
        ``polygon``, ``line`` or ``point``.
    title_zh, title_en
        Names shown in tables, maps and reports (default: ``name``).
    name_column
        Optional column with a feature's name (e.g. ``DLMC``), shown with its contacts.
    status, source, licence, accuracy, crs, layer, columns, encoding
        As for :meth:`use`; ``columns`` maps further schema columns to yours.
    """
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
        raise InputError(f"layer name {name!r}: use lower-case letters, digits and _ (e.g. basic_farmland)")
    if name in catalog.specs and name not in catalog.registered:
        raise InputError(f"{name!r} is a catalog layer: replace it with lg.use({name!r}, path) instead")
    kinds = {"polygon": ("Polygon", "MultiPolygon"), "line": ("LineString", "MultiLineString"),
             "point": ("Point", "MultiPoint")}  # fmt: skip
    if geometry not in kinds:
        raise InputError(f"layer {name!r}: geometry must be one of {', '.join(kinds)}, not {geometry!r}")
    if not id or not isinstance(id, str):
        raise InputError(f'layer {name!r}: give its id column (id = "BSM")')
    cols = {id: "str", **({"name": "str"} if name_column else {})}
    from linfen_geo.layer_catalog.core import LayerSpec

    spec = LayerSpec(
        name=name,
        title_zh=title_zh or name,
        title_en=title_en or name,
        kind="vector",
        schema=Schema(geometry=kinds[geometry], columns=cols),
        id=id,
        status=status,
        source=source,
        licence=licence,
        accuracy=accuracy,
    )
    previous = catalog.specs.get(name)
    catalog.specs[name] = spec
    catalog.registered.add(name)
    mapping = {**({"name": name_column} if name_column else {}), **dict(columns or {})}
    try:
        catalog.use(name, path, status=status, source=source, licence=licence, accuracy=accuracy, crs=crs,
                 layer=layer, columns=mapping, encoding=encoding)  # fmt: skip
    except BaseException:
        if previous is None:
            catalog.specs.pop(name, None)
            catalog.registered.discard(name)
        else:
            catalog.specs[name] = previous
        raise


def attributions(catalog: Catalog, names: Sequence[str] | None = None) -> list[str]:
    """Credits the licences of ``names`` (default: every layer) and their inputs require, once each.

    Taken from the ``attribution`` of each shipped file's ``data/sources.toml`` entry (ODbL and
    CC BY data must be credited wherever they are shown); a replacement layer credits its own
    ``source``.
    """
    seen: list[str] = []
    todo = list(names) if names is not None else catalog.names()
    done: set[str] = set()
    while todo:
        name = todo.pop(0)
        if name in done:
            continue
        done.add(name)
        spec = catalog.spec(name)
        if name in catalog.replacements:
            credit = catalog.replacements[name].source
        elif spec.file:
            credit = catalog.sources.get(spec.file, {}).get("attribution", "")
        else:
            credit = ""
            todo.extend(spec.inputs)
        if credit and credit not in seen:
            seen.append(credit)
    return seen

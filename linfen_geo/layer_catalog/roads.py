"""Put OpenStreetMap corridor roads into the catalog: ``lg.use_roads_from_osm(path)``.

:func:`linfen_geo.io.osm.roads_from_osm` only reads an extract; :func:`use_roads_from_osm`
is the catalog side -- ``use("corridor_roads", ...)`` with those lines -- so that every layer
built on ``corridor_roads`` (``corridors``, ``corridors_terrain``) rebuilds on them. Like any
:func:`~linfen_geo.layer_catalog.core.use`, ``lg.reset("corridor_roads")`` undoes it.

The name follows the catalog's verb for "replace a layer by this data" (``lg.use``,
``lg.use_plan``); it reads as ``use`` + ``roads_from_osm``, which is what it does.
:func:`use_osm_roads`, its name until 0.1, is a deprecated alias.

Examples
--------
>>> import linfen_geo as lg
>>> lg.use_roads_from_osm("shanxi-latest.osm.pbf", fill_missing=True)  # doctest: +SKIP
>>> lg.load("corridors_terrain")  # now on OpenStreetMap lines  # doctest: +SKIP
>>> lg.reset("corridor_roads")  # back to the illustrative alignments  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from linfen_geo.crs import STORAGE_CRS

__all__ = ["use_osm_roads", "use_roads_from_osm"]


def use_roads_from_osm(
    path: str | os.PathLike[str],
    *,
    catalog: Any = None,
    fill_missing: bool = False,
    margin_m: float = 5000.0,
) -> gpd.GeoDataFrame:
    """Make an OpenStreetMap extract's corridor roads the catalog's ``corridor_roads`` layer.

    The lines of :func:`linfen_geo.io.osm.roads_from_osm` are written (atomically) to a
    GeoPackage in the catalog's cache folder and registered with status ``real`` (real data,
    not an official survey). Every layer built on ``corridor_roads`` (``corridors``,
    ``corridors_terrain``) rebuilds on them; ``reset("corridor_roads")`` undoes it.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm`` file.
    catalog
        The :class:`~linfen_geo.layer_catalog.core.Catalog` to change (default: the session's).
    fill_missing
        Keep the catalog's current line (e.g. the illustrative alignment, flagged
        ``illustrative``) for corridors that no OSM way matches; by default they are left
        out (and warned about).
    margin_m
        See :func:`linfen_geo.io.osm.roads_from_osm`.

    Returns
    -------
    geopandas.GeoDataFrame
        The roads now in the catalog.

    Raises
    ------
    InputError
        If the extract cannot be read or no way matches any corridor (the catalog is unchanged).

    Examples
    --------
    >>> import linfen_geo as lg
    >>> lg.use_roads_from_osm("missing.osm.pbf")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: OpenStreetMap extract missing.osm.pbf does not exist
    >>> roads = lg.use_roads_from_osm("shanxi-latest.osm.pbf", fill_missing=True)  # doctest: +SKIP
    >>> lg.catalog().set_index("name").loc["corridor_roads", "status"]  # doctest: +SKIP
    'real'
    """
    from linfen_geo.files import atomic_write
    from linfen_geo.io.osm import OSM_LICENCE, roads_from_osm

    if catalog is None:
        from linfen_geo.layer_catalog.core import get_catalog

        catalog = get_catalog()
    path = Path(path).expanduser()
    roads = roads_from_osm(path, catalog.plan, catalog=catalog, margin_m=margin_m)
    missing = list(roads.attrs.get("missing_corridors", []))
    if fill_missing and missing:
        current = catalog.load("corridor_roads")
        keep = current[current["corridor_id"].isin(missing)].copy()
        keep["source"] = f"kept from {catalog.provenance('corridor_roads')['source']}"
        keep["illustrative"] = keep["illustrative"].astype(bool) | (catalog.status("corridor_roads") == "illustrative")
        order = {c["id"]: i for i, c in enumerate(catalog.plan["corridors"])}
        roads = pd.concat([roads, keep[[c for c in keep.columns if c in roads.columns]]], ignore_index=True)
        roads = gpd.GeoDataFrame(roads, geometry="geometry", crs=STORAGE_CRS)
        roads = roads.iloc[np.argsort(roads["corridor_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    digest = hashlib.sha256(roads.to_json().encode()).hexdigest()[:16]
    gpkg = Path(catalog.cache_dir) / f"corridor_roads_osm-{digest}.gpkg"
    atomic_write(gpkg, lambda tmp: roads.to_file(tmp, driver="GPKG", layer="corridor_roads"))
    note = f"; no OSM way for {', '.join(missing)}" + (" (kept the previous lines)" if fill_missing else "")
    catalog.use(
        "corridor_roads",
        gpkg,
        status="real",
        source=f"OpenStreetMap extract {path.name}",
        licence=OSM_LICENCE,
        accuracy="OpenStreetMap way geometry (typically +-5-20 m)" + (note if missing else ""),
        layer="corridor_roads",
    )
    return catalog.load("corridor_roads")


def use_osm_roads(
    path: str | os.PathLike[str],
    *,
    catalog: Any = None,
    fill_missing: bool = False,
    margin_m: float = 5000.0,
) -> gpd.GeoDataFrame:
    """Deprecated alias of :func:`use_roads_from_osm` (removed in the next release).

    Parameters
    ----------
    path, catalog, fill_missing, margin_m
        As for :func:`use_roads_from_osm`.

    Returns
    -------
    geopandas.GeoDataFrame
        The roads now in the catalog.

    Examples
    --------
    >>> import warnings
    >>> import linfen_geo as lg
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     lg.use_osm_roads("missing.osm.pbf")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: OpenStreetMap extract missing.osm.pbf does not exist
    >>> caught[0].category.__name__, str(caught[0].message).split(":")[0]
    ('DeprecationWarning', 'use_osm_roads is deprecated and will be removed in the next release')
    """
    warnings.warn(
        "use_osm_roads is deprecated and will be removed in the next release: "
        "use linfen_geo.use_roads_from_osm (same arguments)",
        DeprecationWarning,
        stacklevel=2,
    )
    return use_roads_from_osm(path, catalog=catalog, fill_missing=fill_missing, margin_m=margin_m)

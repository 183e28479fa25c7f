"""The corridor query API: the corridor layer of a mode, and the plain / mountain stretches of the roads.

The builders (:mod:`linfen_geo.layers.corridors`, :mod:`linfen_geo.layers.corridors_terrain`) make
the layers; these functions answer questions about them. Both take data (layers, a DEM, a plan)
or catalog layer names, resolved at this edge through :mod:`linfen_geo.analysis._prep`;
``lg.corridor_layer`` and ``lg.corridor_stretches`` are these functions.

Examples
--------
>>> import linfen_geo as lg
>>> lg.corridor_layer("buffer")["corridor_id"].tolist()  # doctest: +SKIP
['C1', 'C2', 'C3', 'C4']
>>> sorted(MODES)
['buffer', 'terrain']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import xarray as xr

from linfen_geo.analysis._prep import as_layer, as_raster, session_catalog
from linfen_geo.crs import STORAGE_CRS, WORK_CRS
from linfen_geo.errors import InputError

__all__ = ["MODES", "corridor_layer", "corridor_stretches", "stretches_of_roads"]

#: corridor mode -> catalog layer
MODES: dict[str, str] = {"buffer": "corridors", "terrain": "corridors_terrain"}


def corridor_layer(
    mode: str | None = None, catalog: Any = None, *, plan: Mapping[str, Any] | None = None
) -> gpd.GeoDataFrame:
    """The corridor layer of a mode: ``buffer`` (1 km each side) or ``terrain`` (first ridge line).

    Parameters
    ----------
    mode
        ``"buffer"`` or ``"terrain"``; None uses the plan file's ``corridor_rules.mode``.
    catalog
        A :class:`~linfen_geo.layer_catalog.Catalog` (default: the session's).
    plan
        The plan whose ``corridor_rules.mode`` applies when ``mode`` is None (default: the catalog's).

    Returns
    -------
    geopandas.GeoDataFrame
        The ``corridors`` or ``corridors_terrain`` layer (EPSG:4326); both share
        ``corridor_id``, ``name_zh``, ``name_en``, ``mode``, ``area_km2`` and ``illustrative``.

    Raises
    ------
    InputError
        For an unknown mode.

    Examples
    --------
    >>> corridor_layer("buffer")["mode"].unique().tolist()  # doctest: +SKIP
    ['buffer']
    >>> corridor_layer("ridge")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: unknown corridor mode 'ridge': use one of buffer, terrain
    """
    if mode is not None and mode not in MODES:
        raise InputError(f"unknown corridor mode {mode!r}: use one of {', '.join(MODES)}")
    cat = session_catalog(catalog)
    plan = plan if plan is not None else cat.plan
    mode = mode or plan["corridor_rules"].get("mode", "buffer")
    if mode not in MODES:
        raise InputError(f"plan file: corridor_rules.mode = {mode!r} is not one of {', '.join(MODES)}")
    return as_layer(MODES[mode], cat)


def stretches_of_roads(roads: gpd.GeoDataFrame, dem: xr.DataArray, plan: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Plain and mountain stretches of corridor roads on a DEM, by the plan's ``[corridor_terrain]`` rule.

    The segmentation the ``corridors_terrain`` builder uses (no flow routing: fast), on the same
    work grid: the DEM at ``corridor_terrain.resolution_m`` around the roads.

    Parameters
    ----------
    roads
        Road lines with a ``corridor_id`` column (several rows per corridor allowed), any CRS.
    dem
        Elevation (m), any CRS.
    plan
        A parsed plan (``[corridor_terrain]``, ``[terrain] basin_max_elevation_m``).

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`~linfen_geo.layers.corridors_terrain.road_stretches` columns plus ``corridor_id``,
        one LineString per stretch, in EPSG:4546.

    Examples
    --------
    >>> s = stretches_of_roads(lg.load("corridor_roads"), lg.load("dem"), lg.load_plan())  # doctest: +SKIP
    >>> s.groupby(["corridor_id", "kind"])["length_m"].sum()  # doctest: +SKIP
    """
    from linfen_geo.grid import to_work_grid
    from linfen_geo.layers.corridors_terrain import road_stretches, stretch_fields, terrain_rules, work_bounds

    rules = terrain_rules(plan)
    roads_work = roads.to_crs(WORK_CRS)
    dem_work = to_work_grid(dem, rules["resolution_m"], bounds=work_bounds(roads_work, rules))
    fields = stretch_fields(dem_work, rules, near=shapely.union_all(roads_work.geometry.values))
    parts = [
        road_stretches(roads_work[roads_work["corridor_id"] == cid], dem_work, rules, fields=fields).assign(
            corridor_id=cid
        )
        for cid in dict.fromkeys(roads_work["corridor_id"])  # four corridors
    ]
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WORK_CRS)


def corridor_stretches(
    catalog: Any = None,
    *,
    roads: gpd.GeoDataFrame | str = "corridor_roads",
    dem: xr.DataArray | str = "dem",
    plan: Mapping[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """Plain and mountain stretches of the corridor roads on the DEM (EPSG:4326).

    :func:`stretches_of_roads` on the catalog's ``corridor_roads`` and ``dem`` and its plan, or
    on the layers and plan given.

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`~linfen_geo.layers.corridors_terrain.road_stretches` columns plus ``corridor_id``,
        one LineString per stretch.

    Examples
    --------
    >>> s = corridor_stretches()  # doctest: +SKIP
    >>> s.groupby(["corridor_id", "kind"])["length_m"].sum()  # doctest: +SKIP
    """
    uses_catalog = isinstance(roads, str) or isinstance(dem, str) or plan is None
    cat = session_catalog(catalog) if uses_catalog else catalog
    out = stretches_of_roads(
        as_layer(roads, cat, what="the corridor roads"),
        as_raster(dem, cat, what="the DEM"),
        plan if plan is not None else cat.plan,
    )
    return out.to_crs(STORAGE_CRS)

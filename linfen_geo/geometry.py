"""Geometry helpers shared by the catalog, the builders and the analyses.

Nothing here knows about layers or the plan: these are functions of geometry arrays.

Repair is *by structure*: each polygon part becomes its (repaired) shell minus the union of its
(repaired) holes, and the parts of a feature are unioned. A hole drawn outside its shell therefore
removes nothing and adds nothing (GEOS 3.14's ``make_valid(method="structure")`` turns such a hole
into extra land), a bow-tie shell keeps the area it encloses, and a polygon with no area left is
reported, never silently emptied.

Examples
--------
>>> from shapely.geometry import Polygon
>>> p = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(12, 0), (16, 0), (16, 4), (12, 4)]])  # hole outside
>>> float(make_valid_structure(np.array([p]))[0].area)
100.0
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["POLYGONAL", "make_valid_structure", "repair_geometries", "repair_report"]

#: the polygon geometry family
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})


def _structure(polys: np.ndarray) -> np.ndarray:
    return shapely.make_valid(polys, method="structure", keep_collapsed=False)


def make_valid_structure(geoms: np.ndarray) -> np.ndarray:
    """Repair polygons by structure: per part, shell minus holes; parts unioned. Vectorised.

    Parameters
    ----------
    geoms : numpy.ndarray of Polygon / MultiPolygon
        Polygonal geometries (valid ones come back equal in area).

    Returns
    -------
    numpy.ndarray
        Valid Polygon / MultiPolygon geometries; an empty geometry where nothing with area is left.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> float(make_valid_structure(np.array([bowtie]))[0].area)
    2.0
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    parts, owner = shapely.get_parts(geoms, return_index=True)
    shells = _structure(shapely.polygons(shapely.get_exterior_ring(parts)))
    n_holes = shapely.get_num_interior_rings(parts)
    fixed = shells
    if n_holes.sum():
        hole_part = np.repeat(np.arange(len(parts)), n_holes)
        k = np.arange(len(hole_part)) - np.repeat(np.cumsum(n_holes) - n_holes, n_holes)
        holes = _structure(shapely.polygons(shapely.get_interior_ring(parts[hole_part], k)))
        hp, hi = shapely.get_parts(holes, return_index=True)
        with_holes = np.unique(hole_part[hi]) if len(hp) else np.array([], dtype=int)
        if len(with_holes):
            compact = np.searchsorted(with_holes, hole_part[hi])
            unioned = _structure(shapely.multipolygons(hp, indices=compact))  # structure unions the parts
            fixed = shells.copy()
            fixed[with_holes] = shapely.difference(shells[with_holes], unioned)
    fp, fi = shapely.get_parts(fixed, return_index=True)
    keep = (shapely.get_type_id(fp) == 3) & ~shapely.is_empty(fp)  # polygons only (no lines or points)
    fp, fowner = fp[keep], owner[fi[keep]]
    out[:] = shapely.from_wkt(["POLYGON EMPTY"] * n)
    if len(fp):
        has = np.unique(fowner)
        merged = _structure(shapely.multipolygons(fp, indices=np.searchsorted(has, fowner)))
        single = shapely.get_num_geometries(merged) == 1
        merged[single] = shapely.get_geometry(merged[single], 0)
        out[has] = merged
    return out


def repair_report(before: np.ndarray, after: np.ndarray, crs: Any, labels: Any) -> pd.DataFrame:
    """What repair did to each repaired feature: why it was invalid, its area before and after (m2).

    Areas are computed in :data:`linfen_geo.crs.AREA_CRS` (equal-area). ``area_before_m2`` is the
    area of the outline as drawn (shell minus holes, as GEOS measures an invalid polygon).
    """
    from linfen_geo.crs import AREA_CRS, reproject

    b = reproject(np.asarray(before, dtype=object), crs, AREA_CRS)
    a = reproject(np.asarray(after, dtype=object), crs, AREA_CRS)
    area_b, area_a = shapely.area(b), shapely.area(a)
    drawn = area_b > 1e-6 * np.maximum(area_a, 1.0)  # below that, the outline as drawn encloses nothing
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(drawn, (area_a - area_b) / np.where(drawn, area_b, 1), np.where(area_a > 0, np.inf, 0))
    area_b = np.where(drawn, area_b, 0.0)
    return pd.DataFrame(
        {
            "feature": list(labels),
            "reason": shapely.is_valid_reason(np.asarray(before, dtype=object)),
            "area_before_m2": area_b,
            "area_after_m2": area_a,
            "area_change": change,
        }
    )


def repair_geometries(geoms: gpd.GeoSeries, family: set[str] | None = None) -> tuple[gpd.GeoSeries, int]:
    """Make invalid geometries valid, keeping the parts of the wanted family.

    Polygons are repaired by structure (:func:`make_valid_structure`); other geometries with
    GEOS ``make_valid``. Returns the repaired series and the number of features repaired.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bowtie = gpd.GeoSeries([Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])])
    >>> fixed, n = repair_geometries(bowtie, {"Polygon", "MultiPolygon"})
    >>> n, fixed.iloc[0].geom_type, round(fixed.iloc[0].area, 3)
    (1, 'MultiPolygon', 0.5)
    """
    values = np.asarray(geoms.values)
    bad = ~shapely.is_valid(values) & ~shapely.is_missing(values)
    n = int(bad.sum())
    if not n:
        return geoms, 0
    out = values.copy()
    polygonal = bad & np.isin(shapely.get_type_id(values), (3, 6))
    if polygonal.any():
        out[polygonal] = make_valid_structure(values[polygonal])
    other = bad & ~polygonal
    if other.any():
        out[other] = shapely.make_valid(values[other])
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs), n

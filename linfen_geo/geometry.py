"""Geometry helpers shared by the catalog, the builders and the analyses.

Nothing here knows about layers or the plan: these are functions of geometry arrays.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["POLYGONAL", "repair_geometries"]

#: the polygon geometry family
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})


def repair_geometries(geoms: gpd.GeoSeries, family: set[str] | None = None) -> tuple[gpd.GeoSeries, int]:
    """Make invalid geometries valid, keeping the parts of the wanted family.

    Returns the repaired series and the number of features repaired.

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
    if family and family & POLYGONAL:
        # "structure" keeps polygons polygonal (no stray lines or points from collapsed parts)
        fixed = shapely.make_valid(values[bad], method="structure", keep_collapsed=False)
    else:
        fixed = shapely.make_valid(values[bad])
    out = values.copy()
    out[bad] = fixed
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs), n

"""Corridor x county zones for the greening tabulation: disjoint atoms, every zone a sum of atoms.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> c = gpd.GeoDataFrame({"corridor_id": ["A"]}, geometry=[box(500_000, 4_000_000, 502_000, 4_001_000)], crs=4546)
>>> k = gpd.GeoDataFrame({"adcode": [1]}, geometry=[box(499_000, 3_999_000, 503_000, 4_002_000)], crs=4546)
>>> corridor_zones(c, k)[["atom_id", "corridors", "adcode"]].values.tolist()
[['A|1', 'A', 1]]
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from linfen_geo.crs import AREA_CRS, as_crs, require_crs
from linfen_geo.errors import InputError

__all__ = ["SLIVER_M2", "corridor_zones", "polygonal"]

#: corridor area outside every county polygon smaller than this is dropped (boundary mismatch)
SLIVER_M2 = 10_000.0


def polygonal(geom: Any) -> Any:
    """The polygonal part of a geometry (intersections may add lines and points).

    Examples
    --------
    >>> from shapely.geometry import GeometryCollection, LineString, box
    >>> polygonal(GeometryCollection([box(0, 0, 1, 1), LineString([(2, 2), (3, 3)])])).geom_type
    'Polygon'
    """
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def corridor_zones(
    corridors: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    corridor_id: str = "corridor_id",
    county_id: str = "adcode",
    sliver_m2: float = SLIVER_M2,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Disjoint zones (atoms) from corridors x counties.

    Each atom is the land covered by one set of corridors (overlapping corridors make atoms
    covered by two) inside one county. Every corridor x county piece, corridor and county is a
    sum of atoms. Corridor land outside every county polygon becomes atoms of county ``0`` if it
    reaches ``sliver_m2``; smaller slivers (boundary mismatch) are dropped and their area is kept
    in ``attrs["dropped_m2"]``.

    Parameters
    ----------
    corridors, counties
        Polygon layers with ``corridor_id`` / ``county_id`` columns.
    crs
        CRS the polygon overlay runs in (default: AREA_CRS, where every area is measured: the
        atoms then sum exactly to each corridor's area as the other analyses report it).

    Returns
    -------
    geopandas.GeoDataFrame
        ``atom_id, corridors ("C2+C3"), adcode, area_m2, geometry`` in ``crs``; ``area_m2`` is
        the ellipsoidal area (AREA_CRS).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> def b(*xy):  # km boxes near Linfen in EPSG:4546
    ...     return box(*(500_000 + 1000 * v if i % 2 == 0 else 4_000_000 + 1000 * v for i, v in enumerate(xy)))
    >>> c = gpd.GeoDataFrame({"corridor_id": ["A", "B"]}, geometry=[b(0, 0, 4, 1), b(3, 0, 4, 3)], crs=4546)
    >>> k = gpd.GeoDataFrame({"adcode": [1, 2]}, geometry=[b(0, 0, 2, 3), b(2, 0, 4, 3)], crs=4546)
    >>> z = corridor_zones(c, k)
    >>> sorted(z["atom_id"])
    ['A+B|2', 'A|1', 'A|2', 'B|2']
    """
    require_crs(corridors, "the corridors")
    require_crs(counties, "the counties")
    for df, col, what in ((corridors, corridor_id, "corridors"), (counties, county_id, "counties")):
        if col not in df.columns:
            raise InputError(f"the {what} have no {col!r} column")
        if df[col].duplicated().any():
            raise InputError(f"the {what} repeat ids in {col!r}: dissolve them first")
    crs = as_crs(crs) if crs is not None else AREA_CRS
    c = corridors.to_crs(crs)
    ct = counties.to_crs(crs)
    order = [str(v) for v in c[corridor_id]]
    faces: list[tuple[frozenset[str], Any]] = []
    for cid, g in zip(order, c.geometry.values, strict=True):  # 4 corridors: polygon overlay, no pixels
        g = polygonal(shapely.make_valid(g))
        new: list[tuple[frozenset[str], Any]] = []
        rest = g
        for s, f in faces:
            inter, diff = polygonal(shapely.intersection(f, g)), polygonal(shapely.difference(f, g))
            if inter.area > 1e-9 * f.area:
                new.append((s | {cid}, inter))
            if diff.area > 1e-9 * f.area:
                new.append((s, diff))
            rest = polygonal(shapely.difference(rest, f))
        if rest.area > 1e-9 * g.area:
            new.append((frozenset({cid}), rest))
        faces = new
    cgeoms = np.array([polygonal(shapely.make_valid(g)) for g in ct.geometry.values], dtype=object)
    cids = ct[county_id].to_numpy()
    all_counties = shapely.union_all(cgeoms)
    rows: list[dict[str, Any]] = []
    outside: list[dict[str, Any]] = []
    crumbs = []
    for s, f in faces:
        key = "+".join(sorted(s, key=order.index))
        crumb = 1e-9 * f.area  # overlay noise
        for cid, p in zip(cids, shapely.intersection(cgeoms, f), strict=True):
            p = polygonal(p)
            if p.area > crumb:
                rows.append({"corridors": key, county_id: cid, "geometry": p})
            elif p.area > 0:
                crumbs.append(p)
        rest = polygonal(shapely.difference(f, all_counties))
        if rest.area > crumb:
            outside.append({"corridors": key, county_id: 0, "geometry": rest})
        elif rest.area > 0:
            crumbs.append(rest)
    dropped = float(gpd.GeoSeries(crumbs, crs=crs).to_crs(AREA_CRS).area.sum()) if crumbs else 0.0
    if outside:  # corridor land outside the county polygons: kept when it is more than a sliver
        out = gpd.GeoDataFrame(outside, geometry="geometry", crs=crs)
        a = out.to_crs(AREA_CRS).area.to_numpy()
        rows += [r for r, v in zip(outside, a, strict=True) if v >= sliver_m2]
        dropped += float(a[a < sliver_m2].sum())
    if not rows:
        raise InputError("the corridors do not overlap any county")
    z = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    z.insert(0, "atom_id", z["corridors"] + "|" + z[county_id].astype(str))
    z["area_m2"] = z.to_crs(AREA_CRS).area.to_numpy()
    z = z[["atom_id", "corridors", county_id, "area_m2", "geometry"]].reset_index(drop=True)
    z.attrs["dropped_m2"] = dropped
    z.attrs["corridor_order"] = order
    return z

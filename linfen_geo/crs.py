"""CRS constants and guards: the one place that decides which CRS does what.

linfen_geo uses three coordinate reference systems, each for one job:

``STORAGE_CRS`` (EPSG:4326, WGS 84 lon/lat)
    Every layer the catalog returns is in this CRS. The shipped base data are
    WGS 84; official CGCS2000 data (EPSG:4490) are accepted and reprojected on
    load (CGCS2000 and WGS 84 agree to a few centimetres here).
``AREA_CRS`` (Albers equal-area on the CGCS2000 ellipsoid, tuned to Linfen)
    Every area the library reports is computed here. An equal-area projection
    gives ellipsoidal areas (to ~1e-9 relative), unlike Gauss-Kruger, whose
    scale error grows to ~0.04 % in area at the edge of the 3-degree zone.
``WORK_CRS`` (EPSG:4546, CGCS2000 / 3-degree Gauss-Kruger CM 111E)
    Buffers, distances, lengths and terrain rasters: conformal, the CRS
    planners' coordinates come in. ``GK_ZONE_CRS`` (EPSG:4525) is the same
    projection with the zone number 37 prefixed to the easting.

Metric operations in a geographic CRS raise :class:`GeographicCRSError`;
combining layers in different CRSs raises :class:`CRSMismatchError` unless
the caller asks for reprojection.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from linfen_geo.crs import area_m2
>>> sq = gpd.GeoSeries([box(0, 0, 100, 100)], crs=AREA_CRS)
>>> float(area_m2(sq).sum())
10000.0
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS, Transformer

from linfen_geo.errors import CRSError, CRSMismatchError, GeographicCRSError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "AREA_CRS",
    "AREA_CRS_NAME",
    "GK_ZONE_CRS",
    "STORAGE_CRS",
    "WORK_CRS",
    "WORK_CRS_NAME",
    "area_m2",
    "is_equal_area",
    "as_crs",
    "buffer_m",
    "crs_label",
    "ensure_same_crs",
    "length_m",
    "reproject",
    "reproject_each",
    "require_crs",
    "require_projected",
    "MAX_STORED_SEGMENT_M",
    "to_area_crs",
    "to_storage_crs",
    "to_work_crs",
    "transformer",
]

STORAGE_CRS = CRS.from_epsg(4326)

AREA_CRS_NAME = "CGCS2000 / Linfen Albers equal-area (lon_0 111.5E, lat_1 35.4N, lat_2 36.9N)"
AREA_CRS = CRS.from_proj4(
    "+proj=aea +lat_0=0 +lon_0=111.5 +lat_1=35.4 +lat_2=36.9 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"
)

WORK_CRS = CRS.from_epsg(4546)
WORK_CRS_NAME = "EPSG:4546 CGCS2000 / 3-degree Gauss-Kruger CM 111E"
GK_ZONE_CRS = CRS.from_epsg(4525)


def as_crs(crs: Any) -> CRS:
    """Parse anything pyproj understands into a :class:`pyproj.CRS`.

    Raises
    ------
    CRSError
        If ``crs`` is None or not understood.

    Examples
    --------
    >>> as_crs(4546).to_epsg()
    4546
    """
    if crs is None:
        raise CRSError("no CRS given: pass an EPSG code such as 4326 or 4546")
    if not isinstance(crs, CRS):
        if isinstance(crs, float) and crs.is_integer():
            crs = int(crs)
        if isinstance(crs, (bool, float)):
            raise CRSError(f"unknown CRS {crs!r}: give an EPSG code (e.g. 4490, 4546) or a WKT/PROJ string")
        try:
            crs = CRS.from_user_input(crs)
        except Exception as exc:  # pyproj raises CRSError of its own, plus others
            raise CRSError(f"unknown CRS {crs!r}: give an EPSG code (e.g. 4490, 4546) or a WKT/PROJ string") from exc
    if not (crs.is_geographic or crs.is_projected):
        kind = crs.type_name.lower()
        raise CRSError(
            f"CRS {crs.name!r} is {'an' if kind[0] in 'aeiou' else 'a'} {kind}, not a geographic or projected CRS: its coordinates cannot be placed "
            "on the earth; give the horizontal CRS (e.g. 4490 or 4546)"
        )
    return crs


def crs_label(crs: Any) -> str:
    """Short human-readable label for a CRS, e.g. ``'EPSG:4546'`` or the area CRS name.

    Examples
    --------
    >>> crs_label(4326)
    'EPSG:4326'
    >>> crs_label(AREA_CRS) == AREA_CRS_NAME
    True
    """
    crs = as_crs(crs)
    if crs == AREA_CRS:
        return AREA_CRS_NAME
    epsg = crs.to_epsg(min_confidence=90)
    return f"EPSG:{epsg}" if epsg else crs.name


def _crs_of(obj: Any) -> CRS | None:
    crs = getattr(obj, "crs", None)
    if crs is None and hasattr(obj, "rio"):
        crs = obj.rio.crs
    return None if crs is None else as_crs(crs)


def require_crs(obj: Any, what: str = "this layer") -> CRS:
    """Return the CRS of ``obj``; raise :class:`CRSError` if it has none."""
    crs = _crs_of(obj)
    if crs is None:
        raise CRSError(f"{what} has no CRS: set one with .set_crs(EPSG) before using it")
    return crs


def require_projected(obj: Any, operation: str = "area") -> CRS:
    """Return the CRS of ``obj`` if it is projected; raise otherwise.

    Parameters
    ----------
    obj
        A GeoDataFrame, GeoSeries or DataArray with a CRS.
    operation
        What the caller is about to compute, used in the message.

    Raises
    ------
    GeographicCRSError
        If the CRS is geographic (degrees), naming the fix.
    CRSError
        If there is no CRS at all.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> require_projected(gpd.GeoSeries([Point(111, 36)], crs=4326))
    Traceback (most recent call last):
    ...
    linfen_geo.errors.GeographicCRSError: cannot compute area in EPSG:4326: its units are degrees, ...
    """
    crs = require_crs(obj, f"the input to {operation}")
    if not crs.is_projected:
        fix = (
            "reproject first: obj.to_crs(linfen_geo.AREA_CRS) for areas, "
            "obj.to_crs(linfen_geo.WORK_CRS) (EPSG:4546) for lengths, buffers and distances"
        )
        raise GeographicCRSError(
            f"cannot compute {operation} in {crs_label(crs)}: its units are degrees, not metres; {fix}"
        )
    return crs


def ensure_same_crs(*layers: Any, reproject: bool = False) -> list[Any]:
    """Check that every layer shares one CRS, or reproject them to the first's.

    Parameters
    ----------
    *layers
        GeoDataFrames/GeoSeries, each with a CRS.
    reproject
        If True, reproject every layer to the CRS of the first instead of raising.

    Returns
    -------
    list
        The layers, reprojected where asked.

    Raises
    ------
    CRSMismatchError
        If CRSs differ and ``reproject`` is False.
    """
    if not layers:
        return []
    target = require_crs(layers[0], "the first layer")
    out = [layers[0]]
    for i, layer in enumerate(layers[1:], start=2):
        crs = require_crs(layer, f"layer {i}")
        if crs == target:
            out.append(layer)
        elif reproject:
            out.append(layer.to_crs(target))
        else:
            raise CRSMismatchError(
                f"layer {i} is in {crs_label(crs)} but layer 1 is in {crs_label(target)}: "
                "reproject one of them, or pass reproject=True"
            )
    return out


def to_area_crs(obj: Any) -> Any:
    """Reproject a GeoDataFrame/GeoSeries to :data:`AREA_CRS` (no-op if already there)."""
    return obj if require_crs(obj) == AREA_CRS else obj.to_crs(AREA_CRS)


#: longest straight edge (metres, in the source's projected CRS) a layer keeps when stored in lon/lat
MAX_STORED_SEGMENT_M = 100.0


def to_storage_crs(obj: Any, max_segment_m: float = MAX_STORED_SEGMENT_M) -> Any:
    """Reproject to :data:`STORAGE_CRS`, densifying projected edges to ``max_segment_m`` first.

    A straight edge in a projected CRS is a curve in lon/lat. Storing it as a
    straight lon/lat segment moves it (by up to tens of metres for a 14 km edge),
    so the same stored layer would intersect differently in lon/lat and in a
    projected CRS. Densifying before reprojecting keeps every stored edge within
    centimetres of the projected one.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoSeries([box(500000, 3980000, 514000, 3990000)], crs=4546)
    >>> stored = to_storage_crs(g)
    >>> int(stored.count_coordinates().iloc[0])  # 48 km of edges in <= 100 m steps, closed ring
    481
    """
    import shapely

    crs = require_crs(obj)
    if crs == STORAGE_CRS:
        return obj
    if crs.is_projected and max_segment_m > 0:
        unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        obj = obj.copy()
        geoms = _geoms(obj)
        dense = shapely.segmentize(np.asarray(geoms.values), max_segment_m / unit)
        obj = (
            obj.set_geometry(dense, crs=crs)
            if hasattr(obj, "set_geometry")
            else type(obj)(dense, index=obj.index, crs=crs)
        )
    return obj.to_crs(STORAGE_CRS)


def to_work_crs(obj: Any) -> Any:
    """Reproject a GeoDataFrame/GeoSeries to :data:`WORK_CRS` (no-op if already there)."""
    return obj if require_crs(obj) == WORK_CRS else obj.to_crs(WORK_CRS)


def _geoms(obj: Any) -> Any:
    return obj.geometry if hasattr(obj, "geometry") else obj


#: projection methods that preserve area: their planar areas are true areas
EQUAL_AREA_METHODS = frozenset(
    {
        "albers equal area",
        "lambert azimuthal equal area",
        "lambert azimuthal equal area (spherical)",
        "lambert cylindrical equal area",
        "lambert cylindrical equal area (spherical)",
        "equal earth",
        "mollweide",
        "sinusoidal",
        "eckert iv",
        "eckert vi",
        "goode homolosine",
        "interrupted goode homolosine",
    }
)


def is_equal_area(crs: Any) -> bool:
    """True for a projected CRS whose projection preserves area (Albers, LAEA, Equal Earth ...).

    Examples
    --------
    >>> is_equal_area(AREA_CRS), is_equal_area(4546), is_equal_area(3857)
    (True, False, False)
    """
    crs = as_crs(crs)
    op = crs.coordinate_operation
    if not crs.is_projected or op is None:
        return False
    method = op.method_name.lower()
    return method in EQUAL_AREA_METHODS or crs.to_proj4().startswith(("+proj=aea", "+proj=laea", "+proj=cea"))


def area_m2(obj: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """True (ellipsoidal) area of each feature in square metres; refuses a geographic CRS.

    In an equal-area CRS the planar area is returned. In any other projected CRS (Gauss-Kruger,
    UTM, Web Mercator ...) planar areas are wrong (Web Mercator: x1.54 at Linfen's latitude), so
    the geometries are densified (edges <= 100 m) and measured in :data:`AREA_CRS` instead.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> float(area_m2(gpd.GeoSeries([box(0, 0, 10, 20)], crs=AREA_CRS)).iloc[0])
    200.0
    >>> sq = gpd.GeoSeries([box(12400000, 4300000, 12401000, 4301000)], crs=3857)  # 1 km "square" at 36 N
    >>> round(float(area_m2(sq).iloc[0]) / 1e6, 3)
    0.653
    """
    import shapely

    crs = require_projected(obj, "area")
    geoms = _geoms(obj)
    if is_equal_area(crs):
        return geoms.area
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    dense = shapely.segmentize(np.asarray(geoms.values), 100.0 / unit)
    projected = reproject(dense, crs, AREA_CRS)
    return type(geoms.area)(shapely.area(projected), index=geoms.index)


def length_m(obj: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Length of each feature in metres; refuses a geographic CRS."""
    require_projected(obj, "length")
    return _geoms(obj).length


def buffer_m(obj: gpd.GeoDataFrame | gpd.GeoSeries, distance: float | np.ndarray, **kwargs: Any) -> gpd.GeoSeries:
    """Buffer each feature by ``distance`` metres; refuses a geographic CRS.

    Extra keyword arguments go to :meth:`geopandas.GeoSeries.buffer`
    (``quad_segs``, ``cap_style`` ...).
    """
    require_projected(obj, "buffer")
    kwargs.setdefault("quad_segs", 16)
    return _geoms(obj).buffer(distance, **kwargs)


# --------------------------------------------------------------------------- arrays of shapely geometries


@lru_cache(maxsize=32)
def _transformer_between(src_wkt: str, dst_wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src_wkt), CRS.from_wkt(dst_wkt), always_xy=True)


def transformer(src: Any, dst: Any) -> Transformer:
    """A cached ``always_xy`` :class:`pyproj.Transformer` from ``src`` to ``dst``.

    Building a transformer costs milliseconds; this keeps the last 32 pairs
    (pyproj transformers are thread-safe, so they can be shared).

    Examples
    --------
    >>> t = transformer(4546, 4326)
    >>> t is transformer("EPSG:4546", STORAGE_CRS)
    True
    >>> [round(v, 6) for v in t.transform(500000.0, 3995000.0)]
    [111.0, 36.085232]
    """
    return _transformer_between(as_crs(src).to_wkt(), as_crs(dst).to_wkt())


def reproject_each(geoms: Any, src: Any, dsts: Sequence[Any]) -> list[np.ndarray]:
    """Reproject an array of shapely geometries to several CRSs, reading its coordinates once.

    Works vertex by vertex on plain shapely arrays (no GeoSeries is built), with
    a cached :func:`transformer`; 2D output. A target equal to ``src`` gives a
    (shallow) copy of the input.

    Parameters
    ----------
    geoms
        Array-like of shapely geometries (None allowed) in ``src``.
    src
        Their CRS (anything :func:`as_crs` accepts).
    dsts
        The target CRSs.

    Returns
    -------
    list of numpy.ndarray
        One object array per target, in the order of ``dsts``.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> work, area = reproject_each([Point(111.0, 36.0)], STORAGE_CRS, [WORK_CRS, AREA_CRS])
    >>> round(work[0].x, 3), round(area[0].x, 1)
    (500000.0, -45078.0)
    """
    import shapely

    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return [arr.copy() for _ in dsts]
    src_crs = as_crs(src)
    xy: np.ndarray | None = None
    out = []
    for dst in dsts:
        if src_crs == as_crs(dst):
            out.append(arr.copy())
            continue
        if xy is None:
            xy = shapely.get_coordinates(arr)
        x, y = transformer(src_crs, dst).transform(xy[:, 0], xy[:, 1])
        out.append(shapely.set_coordinates(arr.copy(), np.column_stack([x, y])))
    return out


def reproject(geoms: Any, src: Any, dst: Any) -> np.ndarray:
    """Reproject an array of shapely geometries from ``src`` to ``dst`` (see :func:`reproject_each`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> sq = reproject([box(500000, 3995000, 500100, 3995100)], WORK_CRS, STORAGE_CRS)
    >>> back = reproject(sq, STORAGE_CRS, WORK_CRS)
    >>> round(float(back[0].area), 6)
    10000.0
    """
    return reproject_each(geoms, src, (dst,))[0]

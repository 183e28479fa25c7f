"""Convert lon/lat between WGS 84, GCJ-02 ("Mars") and BD-09 (Baidu) coordinates.

Chinese web maps do not publish coordinates in WGS 84 (EPSG:4326):

GCJ-02 (国测局坐标, "Mars coordinates")
    The obfuscated datum that the surveying administration requires of
    published maps. AMap (高德), Tencent Maps, Google Maps China and most Chinese
    GPS apps use it. It is WGS 84 plus a smooth, non-linear, deliberately
    undocumented offset of up to ~0.7 km. The widely circulated
    reverse-engineered forward formula (``a = 6378245.0``,
    ``ee = 0.00669342162296594323`` and the ``transformlat``/``transformlon``
    polynomials) is generally found to match the official service to about a
    metre and is the de-facto definition every open-source converter uses.
BD-09 (百度坐标)
    Baidu Maps applies a second, small rotation-and-shift on top of GCJ-02
    (``x_pi = pi * 3000 / 180``), adding another 0.75-1 km.

Near Linfen (111.52 E, 36.08 N) GCJ-02 lies about 0.56 km from WGS 84, almost
due east (+0.0062 deg of longitude, -0.0001 deg of latitude), and BD-09 another
0.87 km north-east of GCJ-02. Points digitised from AMap or Baidu and overlaid
on WGS 84 or CGCS2000 layers without conversion are off by a street block or more.

Accuracy
    The forward conversions (WGS 84 -> GCJ-02 -> BD-09) are the published
    formulas evaluated exactly; they *are* the definition. Neither has a
    closed-form inverse. The common one-step inverses (``2 * g - f(g)`` for
    GCJ-02, the subtract-and-unrotate formula for BD-09) err by up to ~6 m and
    ~0.2 m respectively; here both start from those and are refined by
    vectorised fixed-point iteration until every point changes by less than
    1e-9 deg (~0.1 mm), at most 10 iterations (3-4 suffice in practice).
    Round trips therefore agree to ~1e-9 deg or better, far below 1 cm.

Points outside China
    Like the reference implementations, points outside the rough bounding
    box of China (lon < 72.004 or lon > 137.8347, lat < 0.8293 or
    lat > 55.8271; see :func:`out_of_china`) are returned unchanged by every
    conversion, BD-09 included. The box is tested on the *input* of each
    conversion, so round trips are exact everywhere except within ~2 km of the
    box edge (far from Linfen). NaN coordinates stay NaN.

All functions take scalars or array-likes (broadcast against each other) and
return float64 arrays of the broadcast shape, or NumPy float scalars for scalar
input. Longitude always comes first.

Examples
--------
>>> from linfen_geo.io.chinacoords import gcj02_to_wgs84, wgs84_to_gcj02
>>> lon, lat = wgs84_to_gcj02(111.52, 36.08)
>>> print(f"{lon:.6f} {lat:.6f}")
111.526214 36.079872
>>> back = gcj02_to_wgs84(lon, lat)
>>> print(f"{back[0]:.9f} {back[1]:.9f}")
111.520000000 36.080000000
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import shapely

from linfen_geo.errors import CRSError, InputError

__all__ = [
    "EE",
    "SYSTEMS",
    "X_PI",
    "A",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "transform_geometry",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Semi-major axis (Krasovsky 1940 ellipsoid) used by the GCJ-02 formula, metres.
A = 6378245.0
#: First eccentricity squared used by the GCJ-02 formula.
EE = 0.00669342162296594323
#: pi * 3000 / 180, the BD-09 angular constant.
X_PI = np.pi * 3000.0 / 180.0

#: Coordinate system names accepted by :func:`convert`, :func:`transform_geometry` and :func:`to_wgs84`.
SYSTEMS = ("wgs84", "gcj02", "bd09")

# Bounding box used by the reference implementations to skip points outside China.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

# Fixed-point inversion: stop when every point moves by less than _INV_TOL degrees.
_INV_TOL = 1e-9
_INV_MAX_ITER = 10

# shapely >= 2.1 keeps each geometry's own dimensionality with transform(include_z=None)
_SHAPELY_KEEPS_Z = tuple(int(p) for p in shapely.__version__.split(".")[:2]) >= (2, 1)

Coord: TypeAlias = "npt.NDArray[np.float64] | np.float64"


# --------------------------------------------------------------------------- helpers


def _as_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    return np.broadcast_arrays(lon_a, lat_a)


def _out(x: np.ndarray) -> Coord:
    """Return a NumPy scalar for 0-d results, else the array itself."""
    return x[()] if x.ndim == 0 else x


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < _LON_MIN) | (lon > _LON_MAX) | (lat < _LAT_MIN) | (lat > _LAT_MAX)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Latitude offset polynomial of GCJ-02 (``transformlat``), x/y relative to (105 E, 35 N)."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Longitude offset polynomial of GCJ-02 (``transformlng``), x/y relative to (105 E, 35 N)."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS 84 offset (degrees) evaluated at WGS 84 ``lon``/``lat`` (no China test)."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 forward formula (no China test)."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The usual one-step BD-09 inverse (error up to ~2e-6 deg); used as the starting guess."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    skip: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration from the guess ``(x, y)``.

    Points where ``skip`` is True (outside China) are not iterated.

    ``forward`` is the identity plus a slowly varying offset (Jacobian of the
    offset ~1e-3), so ``p <- p - (forward(p) - target)`` contracts by about
    three orders of magnitude per step. Each point stops on its own once its
    correction is below ``_INV_TOL``, so a point's result does not depend on
    the other points in the batch.
    """
    shape = np.shape(lon)
    x_f = np.array(x, dtype=np.float64).reshape(-1)  # always a fresh 1-d copy (x may be a NumPy scalar)
    y_f = np.array(y, dtype=np.float64).reshape(-1)
    lon_f = np.asarray(lon, dtype=np.float64).reshape(-1)
    lat_f = np.asarray(lat, dtype=np.float64).reshape(-1)
    active = np.flatnonzero(~np.asarray(skip).reshape(-1))
    for _ in range(_INV_MAX_ITER):
        if active.size == 0:
            break
        fx, fy = forward(x_f[active], y_f[active])
        ex = fx - lon_f[active]
        ey = fy - lat_f[active]
        x_f[active] -= ex
        y_f[active] -= ey
        # NaN-safe: NaN corrections compare False and drop out
        active = active[(np.abs(ex) >= _INV_TOL) | (np.abs(ey) >= _INV_TOL)]
    return x_f.reshape(shape), y_f.reshape(shape)


def _gcj_forward_raw(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


# --------------------------------------------------------------------------- public API


def out_of_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_] | np.bool_:
    """Whether points fall outside the bounding box inside which the offsets apply.

    The box is the one of the reference implementations: 72.004-137.8347 E,
    0.8293-55.8271 N. It is a rough rectangle, not China's border (it includes,
    e.g., Mongolia, the Korean peninsula and parts of Southeast Asia).

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray of bool or numpy.bool_
        True where the point is outside the box.

    Examples
    --------
    >>> bool(out_of_china(111.52, 36.08)), bool(out_of_china(2.35, 48.86))
    (False, True)
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    return _out(_out_of_china(lon_a, lat_a))


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Coord, Coord]:
    """Convert WGS 84 lon/lat to GCJ-02 (AMap/Tencent) lon/lat.

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 longitude and latitude in degrees (broadcast together).

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        GCJ-02 coordinates. Points outside China (:func:`out_of_china`) are
        returned unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41024450 39.91640428
    >>> wgs84_to_gcj02([111.52, 2.35], [36.08, 48.86])[0]
    array([111.52621374,   2.35      ])
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    glon, glat = _gcj_forward_raw(lon_a, lat_a)
    out = _out_of_china(lon_a, lat_a)
    return _out(np.where(out, lon_a, glon)), _out(np.where(out, lat_a, glat))


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Coord, Coord]:
    """Convert GCJ-02 lon/lat to WGS 84 by iterative inversion of :func:`wgs84_to_gcj02`.

    Starts from the usual one-step inverse ``2 * g - f(g)`` (error up to ~6
    metres) and iterates ``w <- w - (f(w) - g)`` until every point moves less
    than 1e-9 deg (at most 10 iterations), so ``wgs84_to_gcj02`` of the result
    reproduces the input to ~1e-9 deg (< 1 mm).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees (broadcast together).

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        WGS 84 coordinates. Points outside China are returned unchanged.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    >>> print(f"{lon:.9f} {lat:.9f}")
    116.404000000 39.915000000
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon_a, lat_a)
    out = _out_of_china(lon_a, lat_a)
    wlon, wlat = _invert(_gcj_forward_raw, lon_a, lat_a, lon_a - dlon, lat_a - dlat, out)
    return _out(np.where(out, lon_a, wlon)), _out(np.where(out, lat_a, wlat))


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Coord, Coord]:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu) lon/lat.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees (broadcast together).

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        BD-09 coordinates. Points outside China are returned unchanged.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41036949 39.92133699
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    blon, blat = _gcj_to_bd(lon_a, lat_a)
    out = _out_of_china(lon_a, lat_a)
    return _out(np.where(out, lon_a, blon)), _out(np.where(out, lat_a, blat))


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Coord, Coord]:
    """Convert BD-09 lon/lat to GCJ-02 by iterative inversion of :func:`gcj02_to_bd09`.

    The usual closed-form inverse is itself approximate (errors up to
    ~2e-6 deg, ~0.2 m); it is used as the starting guess and refined by
    fixed-point iteration to 1e-9 deg, so results may differ from other
    converters by up to ~2e-6 deg.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees (broadcast together).

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        GCJ-02 coordinates. Points outside China are returned unchanged.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.41036949371029, 39.92133699351021)
    >>> print(f"{lon:.9f} {lat:.9f}")
    116.404000000 39.915000000
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    glon, glat = _bd_to_gcj_approx(lon_a, lat_a)
    out = _out_of_china(lon_a, lat_a)
    glon, glat = _invert(_gcj_to_bd, lon_a, lat_a, glon, glat, out)
    return _out(np.where(out, lon_a, glon)), _out(np.where(out, lat_a, glat))


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Coord, Coord]:
    """Convert WGS 84 lon/lat to BD-09: :func:`wgs84_to_gcj02` then :func:`gcj02_to_bd09`.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41662724 39.92269955
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Coord, Coord]:
    """Convert BD-09 lon/lat to WGS 84: :func:`bd09_to_gcj02` then :func:`gcj02_to_wgs84`.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(111.52, 36.08))
    >>> print(f"{lon:.9f} {lat:.9f}")
    111.520000000 36.080000000
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_CONVERTERS: dict[tuple[str, str], Callable[[Any, Any], tuple[Coord, Coord]]] = {
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("wgs84", "bd09"): wgs84_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
}

_ALIASES = {
    "wgs84": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "bd": "bd09",
    "baidu": "bd09",
}


def _system(name: Any, what: str) -> str:
    key = str(name).lower().replace("-", "").replace("_", "").replace(" ", "").replace(":", "")
    try:
        return _ALIASES[key]
    except KeyError:
        raise InputError(f"unknown {what} coordinate system {name!r}: use one of {', '.join(SYSTEMS)}") from None


def convert(lon: npt.ArrayLike, lat: npt.ArrayLike, src: str, dst: str) -> tuple[Coord, Coord]:
    """Convert lon/lat from system ``src`` to system ``dst``.

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in degrees.
    src, dst : {"wgs84", "gcj02", "bd09"}
        Case-insensitive; "GCJ-02", "BD-09", "gcj", "baidu", "amap" are accepted too.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        Converted coordinates (float64 copies when ``src == dst``).

    Raises
    ------
    InputError
        If ``src`` or ``dst`` is not a known system.

    Examples
    --------
    >>> lon, lat = convert(116.404, 39.915, "GCJ-02", "BD-09")
    >>> print(f"{lon:.6f} {lat:.6f}")
    116.410369 39.921337
    >>> convert(0, 0, "wgs84", "utm")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: unknown target coordinate system 'utm': use one of wgs84, gcj02, bd09
    """
    s = _system(src, "source")
    d = _system(dst, "target")
    if s == d:
        lon_a, lat_a = _as_arrays(lon, lat)
        return _out(lon_a.copy()), _out(lat_a.copy())
    return _CONVERTERS[(s, d)](lon, lat)


def transform_geometry(geom: Any, src: str, dst: str) -> Any:
    """Convert every vertex of shapely geometries from ``src`` to ``dst``.

    Uses :func:`shapely.transform`, so all coordinates of all geometries are
    converted in one vectorised call. Z values, if present, are kept.

    Parameters
    ----------
    geom : shapely.Geometry or array_like of shapely.Geometry
        A geometry or an array of geometries (None entries stay None). For a
        GeoSeries/GeoDataFrame use :func:`to_wgs84`.
    src, dst : {"wgs84", "gcj02", "bd09"}
        Coordinate systems, as in :func:`convert`.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        Same type and shape as the input (the input itself when ``src == dst``).

    Raises
    ------
    InputError
        If ``src`` or ``dst`` is not a known system.

    Examples
    --------
    >>> from shapely import Point
    >>> p = transform_geometry(Point(111.52, 36.08), "wgs84", "gcj02")
    >>> print(f"{p.x:.6f} {p.y:.6f}")
    111.526214 36.079872
    """
    s = _system(src, "source")
    d = _system(dst, "target")
    if s == d:
        return geom
    func = _CONVERTERS[(s, d)]

    def _xy(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=np.float64, copy=True)
        x, y = func(coords[:, 0], coords[:, 1])
        out[:, 0] = x
        out[:, 1] = y
        return out

    if _SHAPELY_KEEPS_Z:
        return shapely.transform(geom, _xy, include_z=None)
    # shapely 2.0 has no per-geometry include_z=None: transform 2-D and 3-D geometries separately
    arr = np.asarray(geom, dtype=object)
    has_z = shapely.has_z(arr)
    if arr.ndim == 0:
        return shapely.transform(geom, _xy, include_z=bool(has_z))
    result = shapely.transform(arr, _xy, include_z=False)
    if np.any(has_z):
        result[has_z] = shapely.transform(arr[has_z], _xy, include_z=True)
    return result


_STORAGE_EPSG = {4326, 4490}


def to_wgs84(data: Any, src: str) -> Any:
    """Return a GeoDataFrame/GeoSeries whose GCJ-02 or BD-09 lon/lat are converted to WGS 84.

    Use this for points or outlines digitised from AMap/Tencent (``"gcj02"``)
    or Baidu (``"bd09"``) that were loaded with a lon/lat CRS label (or none).

    Parameters
    ----------
    data : geopandas.GeoDataFrame or geopandas.GeoSeries
        Geometries whose coordinates are lon/lat in ``src``. Its ``crs`` may
        be None, EPSG:4326 or EPSG:4490 (the label is ignored: the numbers are
        what matters). Only the active geometry column is converted.
    src : {"gcj02", "bd09", "wgs84"}
        The system the coordinates are really in.

    Returns
    -------
    geopandas.GeoDataFrame or geopandas.GeoSeries
        A copy with WGS 84 coordinates and ``crs`` EPSG:4326; other columns
        and the index are unchanged.

    Raises
    ------
    InputError
        If ``src`` is not a known system.
    CRSError
        If ``data`` carries a CRS other than EPSG:4326/4490 (e.g. a projected
        one), since GCJ-02/BD-09 values are always lon/lat degrees.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> gs = gpd.GeoSeries([Point(111.526214, 36.079872)])
    >>> out = to_wgs84(gs, "gcj02")
    >>> out.crs.to_epsg(), round(float(out.x.iloc[0]), 4), round(float(out.y.iloc[0]), 4)
    (4326, 111.52, 36.08)
    """
    s = _system(src, "source")
    crs = getattr(data, "crs", None)
    if crs is not None:
        epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
        if epsg not in _STORAGE_EPSG and str(crs).upper() != "OGC:CRS84":
            raise CRSError(
                f"to_wgs84 expects lon/lat data labelled EPSG:4326, EPSG:4490 or no CRS, got {crs!s}; "
                f"{s} coordinates are degrees, not projected metres"
            )
    if hasattr(data, "columns"):  # GeoDataFrame: convert the active geometry column
        out = data.copy()
        name = data.geometry.name
        new = transform_geometry(np.asarray(data.geometry.array), s, "wgs84")
        out[name] = type(data.geometry)(new, index=data.index, crs=None)
        return out.set_crs(4326, allow_override=True)
    new = transform_geometry(np.asarray(data.array), s, "wgs84")
    return type(data)(new, index=data.index, crs=4326, name=data.name)

"""Cell arithmetic of north-up rasters: cell size in metres, windows, aligned grids, nearest cells.

Examples
--------
>>> from rasterio.transform import from_origin
>>> window_of((250.0, 0.0, 750.0, 500.0), from_origin(0, 1000, 100, 100), (10, 10), margin=0)
(5, 10, 2, 8)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from linfen_geo.crs import as_crs
from linfen_geo.errors import CRSError

__all__ = ["EARTH_RADIUS_M", "aligned_grid", "cell_size_m", "covers", "nearest_index", "window_of"]

#: mean Earth radius (IUGG), for the size of a geographic cell
EARTH_RADIUS_M = 6_371_008.8


def _grid_info(raster: Any) -> tuple[Any, float, float, tuple[float, float, float, float]]:
    """(crs, |x res|, |y res|, bounds) of a rioxarray DataArray or an open rasterio dataset."""
    if hasattr(raster, "rio"):
        crs = raster.rio.crs
        rx, ry = (abs(float(v)) for v in raster.rio.resolution())
        bounds = tuple(float(v) for v in raster.rio.bounds())
    elif hasattr(raster, "transform") and hasattr(raster, "bounds"):  # rasterio dataset
        crs = raster.crs
        rx, ry = abs(float(raster.transform.a)), abs(float(raster.transform.e))
        bounds = tuple(float(v) for v in raster.bounds)
    else:
        raise TypeError(f"expected a rioxarray DataArray or a rasterio dataset, not {type(raster).__name__}")
    return crs, rx, ry, bounds  # type: ignore[return-value]


def cell_size_m(raster: Any) -> tuple[float, float]:
    """(dx, dy) cell size of a raster in metres (at its centre latitude when geographic).

    The one cell-size helper of the package: projected grids are converted from their axis unit,
    geographic ones use a sphere of radius :data:`EARTH_RADIUS_M`.

    Parameters
    ----------
    raster
        A rioxarray DataArray or an open rasterio dataset.

    Raises
    ------
    CRSError
        If the raster has no CRS.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), coords={"y": [36.01, 36.0], "x": [111.0, 111.01]})
    >>> [round(v) for v in cell_size_m(da.rio.write_crs(4326))]
    [900, 1112]
    """
    crs, rx, ry, b = _grid_info(raster)
    if crs is None:
        raise CRSError("the raster has no CRS")
    crs = as_crs(crs)
    if crs.is_geographic:
        lat = math.radians((b[1] + b[3]) / 2)
        k = math.pi / 180 * EARTH_RADIUS_M
        return rx * k * math.cos(lat), ry * k
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return rx * factor, ry * factor


def window_of(
    bounds: Sequence[float], transform: Any, shape: tuple[int, int], margin: int
) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the cells touching ``bounds`` (+ ``margin`` cells), clipped to the grid.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> window_of((150.0, 150.0, 350.0, 350.0), from_origin(0, 1000, 100, 100), (10, 10), margin=1)
    (5, 10, 0, 5)
    """
    inv = ~transform
    c0, r0 = inv * (bounds[0], bounds[3])
    c1, r1 = inv * (bounds[2], bounds[1])
    eps = 1e-9
    row0 = max(0, math.floor(r0 + eps) - margin)
    col0 = max(0, math.floor(c0 + eps) - margin)
    row1 = min(shape[0], math.ceil(r1 - eps) + margin)
    col1 = min(shape[1], math.ceil(c1 - eps) + margin)
    return row0, row1, col0, col1


def covers(outer: Sequence[float], inner: Sequence[float], rel: float = 1e-9) -> bool:
    """Whether the bounds ``outer`` contain the bounds ``inner`` (up to ``rel`` of the coordinates).

    Examples
    --------
    >>> covers((0, 0, 10, 10), (1, 1, 10, 10)), covers((0, 0, 10, 10), (1, 1, 11, 10))
    (True, False)
    """
    tol = rel * max(abs(v) for v in outer) + 1e-12
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


def aligned_grid(
    bounds: Sequence[float], res: float, *, origin: tuple[float, float] = (0.0, 0.0), pad: int = 0
) -> tuple[Any, int, int]:
    """Transform, height and width of the grid of ``res`` cells, edges on ``origin + k * res``, covering ``bounds``.

    ``pad`` adds that many cells on every side. Cells then do not depend on how the source was
    cropped: the same place always falls in the same cell.

    Examples
    --------
    >>> t, h, w = aligned_grid((1050.0, 2010.0, 1990.0, 2590.0), 100.0)
    >>> (t.c, t.f, h, w)
    (1000.0, 2600.0, 6, 10)
    """
    from affine import Affine

    ox, oy = origin
    x0 = ox + (math.floor((bounds[0] - ox) / res) - pad) * res
    y0 = oy + (math.floor((bounds[1] - oy) / res) - pad) * res
    x1 = ox + (math.ceil((bounds[2] - ox) / res) + pad) * res
    y1 = oy + (math.ceil((bounds[3] - oy) / res) + pad) * res
    return Affine(res, 0.0, x0, 0.0, -res, y1), round((y1 - y0) / res), round((x1 - x0) / res)


def nearest_index(centres: np.ndarray, origin: float, step: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of the cell containing each coordinate on a regular axis (clipped), and whether it is inside.

    Examples
    --------
    >>> import numpy as np
    >>> idx, ok = nearest_index(np.array([-5.0, 5.0, 15.0, 25.0]), 0.0, 10.0, 2)
    >>> idx.tolist(), ok.tolist()
    ([0, 0, 1, 1], [False, True, True, False])
    """
    idx = np.floor((centres - origin) / step).astype(np.int64)
    ok = (idx >= 0) & (idx < n)
    return np.clip(idx, 0, n - 1), ok

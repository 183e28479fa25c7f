"""Terrain on a projected grid: the gradient, slope, aspect, local relief, hillshade, mask vectorising.

Every terrain computation runs on a DEM reprojected to :data:`~linfen_geo.crs.WORK_CRS`
(EPSG:4546, metres; :func:`linfen_geo.grid.to_work_grid`) so that slopes and distances are in
metres, never degrees. :func:`gradient` is the package's one finite-difference gradient: slope,
aspect, hillshade and the greening terrain codes all derive from it.

Examples
--------
>>> import numpy as np, xarray as xr
>>> z = xr.DataArray(np.tile(np.arange(5.0) * 100, (5, 1)), dims=("y", "x"),
...                  coords={"y": np.arange(5)[::-1] * 1000.0, "x": np.arange(5) * 1000.0})
>>> z = z.rio.write_crs(4546)
>>> float(slope_deg(z)[2, 2].round(2))
5.71
"""

from __future__ import annotations

from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from linfen_geo.crs import as_crs, require_projected
from linfen_geo.errors import InputError
from linfen_geo.grid.cells import cell_size_m

__all__ = [
    "GRADIENT_METHODS",
    "gradient",
    "slope_deg",
    "aspect_deg",
    "local_min",
    "local_relief",
    "hillshade",
    "mask_to_polygons",
    "rasterize_like",
]

#: finite-difference kernels of :func:`gradient`
GRADIENT_METHODS = ("central", "horn")


def _cell(da: xr.DataArray, what: str = "slope") -> tuple[float, float]:
    """(dx, dy) cell size in metres of a projected grid (a geographic one is refused)."""
    require_projected(da, what)
    return cell_size_m(da)


def gradient(z: np.ndarray, dx: float, dy: float, *, method: str = "central") -> tuple[np.ndarray, np.ndarray]:
    """Eastward and northward rise per metre of a north-up elevation array: the one gradient of the package.

    Parameters
    ----------
    z
        Elevations, rows running north -> south, on ``dx`` x ``dy`` metre cells. Float arrays keep
        their dtype (float32 in, float32 out).
    dx, dy
        Cell width and height in metres.
    method
        ``"central"`` (default): central differences inside, one-sided at the edges
        (:func:`numpy.gradient`) - what every terrain rule of the plan (red lines, corridors,
        greening) was calibrated on. ``"horn"``: Horn's (1981) 3 x 3 weighted kernel, as
        ``gdaldem slope`` and xarray-spatial compute it; edge cells (and cells with a NaN
        neighbour) are NaN.

    Returns
    -------
    (gx, gn)
        ``dz/dx`` (east) and ``dz/dy`` (north) per cell.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[3.0, 3.0, 3.0], [2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]) * 10  # rises northwards
    >>> [float(v[1, 1]) for v in gradient(z, 100.0, 100.0)], [float(v[1, 1]) for v in gradient(z, 100.0, 100.0, method="horn")]
    ([0.0, 0.1], [0.0, 0.1])
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    if method == "central":
        gs, gx = np.gradient(z, dy, dx)  # rows go north -> south: gs is the southward gradient
        return gx, -gs
    if method != "horn":
        raise InputError(f"gradient method must be one of {', '.join(GRADIENT_METHODS)}, not {method!r}")
    gx = np.full(z.shape, np.nan, dtype=z.dtype)
    gn = np.full(z.shape, np.nan, dtype=z.dtype)
    if z.shape[0] >= 3 and z.shape[1] >= 3:
        a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
        d, f = z[1:-1, :-2], z[1:-1, 2:]
        g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
        gx[1:-1, 1:-1] = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx)
        gn[1:-1, 1:-1] = ((a + 2 * b + c) - (g + 2 * h + i)) / (8 * dy)
    return gx, gn


def _gradient(z: xr.DataArray, method: str) -> tuple[np.ndarray, np.ndarray]:
    dx, dy = _cell(z)
    return gradient(np.asarray(z.values, dtype=float), dx, dy, method=method)


def slope_deg(z: xr.DataArray, *, method: str = "central") -> xr.DataArray:
    """Slope in degrees of a DEM on a projected grid (:func:`gradient`, central differences by default).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.tile(np.arange(4.0) * 100, (4, 1)), dims=("y", "x"),
    ...                  coords={"y": [3000.0, 2000, 1000, 0], "x": [0.0, 1000, 2000, 3000]}).rio.write_crs(4546)
    >>> float(slope_deg(z)[1, 1].round(2)), float(slope_deg(z, method="horn")[1, 1].round(2))
    (5.71, 5.71)
    """
    gx, gn = _gradient(z, method)
    return z.copy(data=np.degrees(np.arctan(np.hypot(gx, gn)))).rename("slope_deg")


def aspect_deg(z: xr.DataArray, *, method: str = "central") -> xr.DataArray:
    """Aspect in degrees clockwise from north (the direction the slope faces); NaN where flat.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.tile(np.arange(4.0) * 100, (4, 1)), dims=("y", "x"),  # rises eastwards: faces west
    ...                  coords={"y": [3000.0, 2000, 1000, 0], "x": [0.0, 1000, 2000, 3000]}).rio.write_crs(4546)
    >>> float(aspect_deg(z)[1, 1])
    270.0
    """
    gx, gn = _gradient(z, method)
    aspect = (np.degrees(np.arctan2(-gx, -gn)) + 360.0) % 360.0
    with np.errstate(invalid="ignore"):
        aspect[np.hypot(gx, gn) < 1e-9] = np.nan
    return z.copy(data=aspect).rename("aspect_deg")


def hillshade(
    z: xr.DataArray, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0, exaggeration: float = 3.0
) -> np.ndarray:
    """Hillshade (0-1, NaN where the DEM has none) of a DEM on a projected grid, for map backgrounds.

    ``exaggeration`` steepens the relief, which a ~1 km DEM otherwise flattens.
    """
    dx, dy = _cell(z)
    values = np.asarray(z.values, dtype=float)
    gx, gn = gradient(values, dx, dy)
    slope = np.arctan(np.hypot(gx, gn) * exaggeration)
    aspect = np.arctan2(-gx, -gn)
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.where(np.isfinite(values), np.clip(shade, 0.0, 1.0), np.nan)


def _window(z: xr.DataArray, window_m: float) -> int:
    dx, _ = _cell(z)
    return max(3, round(window_m / dx) | 1)


def local_min(z: xr.DataArray, window_m: float) -> xr.DataArray:
    """Lowest elevation within a square window of ``window_m`` (NaN treated as +inf)."""
    from scipy.ndimage import minimum_filter

    values = np.where(np.isfinite(z.values), z.values, np.inf)
    out = minimum_filter(values, size=_window(z, window_m), mode="nearest")
    return z.copy(data=np.where(np.isfinite(out), out, np.nan))


def local_relief(z: xr.DataArray, window_m: float) -> xr.DataArray:
    """Max minus min elevation within a square window (relief, 起伏度)."""
    from scipy.ndimage import maximum_filter

    hi = maximum_filter(np.where(np.isfinite(z.values), z.values, -np.inf), size=_window(z, window_m), mode="nearest")
    lo = local_min(z, window_m).values
    relief = hi - lo
    return z.copy(data=np.where(np.isfinite(relief), relief, np.nan)).rename("relief_m")


def mask_to_polygons(mask: xr.DataArray | np.ndarray, like: xr.DataArray | None = None) -> Any:
    """Vectorise the True cells of a boolean grid into one (multi)polygon GeoSeries entry per patch.

    Returns a GeoSeries (in the grid's CRS) of 4-connected patches.
    """
    import geopandas as gpd
    import rasterio.features
    from shapely.geometry import shape

    ref = like if like is not None else mask
    arr = np.asarray(mask.values if hasattr(mask, "values") else mask).astype("uint8")
    transform = ref.rio.transform()
    geoms = [
        shape(g)
        for g, v in rasterio.features.shapes(arr, mask=arr.astype(bool), transform=transform, connectivity=4)
        if v == 1
    ]
    return gpd.GeoSeries(geoms, crs=as_crs(ref.rio.crs))


def rasterize_like(geoms: Any, like: xr.DataArray, *, all_touched: bool = False) -> np.ndarray:
    """Boolean grid (shape of ``like``) of the cells whose centre lies in ``geoms`` (any CRS with .crs)."""
    import rasterio.features

    geoms = geoms.to_crs(as_crs(like.rio.crs))
    shapes = (
        [(g, 1) for g in geoms.geometry if g is not None and not g.is_empty]
        if hasattr(geoms, "geometry")
        else [(g, 1) for g in geoms if g is not None and not g.is_empty]
    )
    if not shapes:
        return np.zeros(like.shape, dtype=bool)
    return rasterio.features.rasterize(
        shapes, out_shape=like.shape, transform=like.rio.transform(), fill=0, all_touched=all_touched, dtype="uint8"
    ).astype(bool)

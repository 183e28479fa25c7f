"""Terrain on a projected grid: reprojection, slope, aspect, local relief, mask vectorising.

Every terrain computation runs on a DEM reprojected to :data:`~linfen_geo.crs.WORK_CRS`
(EPSG:4546, metres) so that slopes and distances are in metres, never degrees.

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

from linfen_geo.crs import WORK_CRS, as_crs, require_projected

__all__ = [
    "to_work_grid",
    "cell_size",
    "slope_deg",
    "aspect_deg",
    "local_min",
    "local_relief",
    "hillshade",
    "mask_to_polygons",
    "rasterize_like",
]


def to_work_grid(
    da: xr.DataArray, resolution_m: float, *, crs: Any = WORK_CRS, categorical: bool = False
) -> xr.DataArray:
    """Reproject a raster to a projected grid of ``resolution_m`` metre cells.

    Continuous rasters (DEM) use bilinear resampling, categorical ones (land cover) nearest.
    Nodata becomes NaN for continuous rasters.
    """
    from rasterio.enums import Resampling

    resampling = Resampling.nearest if categorical else Resampling.bilinear
    if not categorical and not np.issubdtype(da.dtype, np.floating):
        da = da.astype("float32")
        if da.rio.nodata is not None:
            da = da.where(da != da.rio.nodata)
        da = da.rio.write_nodata(np.nan)
    out = da.rio.reproject(as_crs(crs), resolution=resolution_m, resampling=resampling)
    if not categorical:
        out = out.where(np.isfinite(out))
    return out


def cell_size(da: xr.DataArray) -> tuple[float, float]:
    """(dx, dy) cell size in metres, refusing a geographic grid."""
    require_projected(da, "slope")
    rx, ry = da.rio.resolution()
    return abs(float(rx)), abs(float(ry))


def _gradient(z: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    dx, dy = cell_size(z)
    values = np.asarray(z.values, dtype=float)
    gy, gx = np.gradient(values, dy, dx)  # rows go north -> south: gy is the southward gradient
    return gx, -gy


def slope_deg(z: xr.DataArray) -> xr.DataArray:
    """Slope in degrees (central differences) of a DEM on a projected grid."""
    gx, gn = _gradient(z)
    return z.copy(data=np.degrees(np.arctan(np.hypot(gx, gn)))).rename("slope_deg")


def aspect_deg(z: xr.DataArray) -> xr.DataArray:
    """Aspect in degrees clockwise from north (the direction the slope faces); NaN where flat."""
    gx, gn = _gradient(z)
    aspect = (np.degrees(np.arctan2(-gx, -gn)) + 360.0) % 360.0
    aspect[np.hypot(gx, gn) < 1e-9] = np.nan
    return z.copy(data=aspect).rename("aspect_deg")


def hillshade(
    z: xr.DataArray, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0, exaggeration: float = 3.0
) -> np.ndarray:
    """Hillshade (0-1, NaN where the DEM has none) of a DEM on a projected grid, for map backgrounds.

    ``exaggeration`` steepens the relief, which a ~1 km DEM otherwise flattens.
    """
    dx, dy = cell_size(z)
    values = np.asarray(z.values, dtype=float)
    gy, gx = np.gradient(values, dy, dx)
    slope = np.arctan(np.hypot(gx, gy) * exaggeration)
    aspect = np.arctan2(-gx, gy)
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.where(np.isfinite(values), np.clip(shade, 0.0, 1.0), np.nan)


def _window(z: xr.DataArray, window_m: float) -> int:
    dx, _ = cell_size(z)
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
    return gpd.GeoSeries(geoms, crs=ref.rio.crs)


def rasterize_like(geoms: Any, like: xr.DataArray, *, all_touched: bool = False) -> np.ndarray:
    """Boolean grid (shape of ``like``) of the cells whose centre lies in ``geoms`` (any CRS with .crs)."""
    import rasterio.features

    geoms = geoms.to_crs(like.rio.crs)
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

"""The DEM regridder: rasters onto the metric work grid (:data:`~linfen_geo.crs.WORK_CRS`).

Every slope, relief or flow computation runs on a DEM in EPSG:4546 (metres), never in degrees.
:func:`to_work_grid` brings a whole raster (or a cropped part) there in memory;
:class:`WorkDEM` does the same window by window for DEMs too large to load, on the same aligned
grid; :func:`sample_nearest` carries a work-grid array back onto another grid by nearest
neighbour (classes are never blended).

Examples
--------
>>> import numpy as np, xarray as xr
>>> da = xr.DataArray(np.ones((20, 20), dtype="int16"), dims=("y", "x"),
...                   coords={"y": 36.1 - np.arange(20) * 0.001, "x": 111.5 + np.arange(20) * 0.001})
>>> w = to_work_grid(da.rio.write_crs(4326).rio.write_nodata(-1), 100)
>>> w.dtype, w.rio.crs.to_epsg(), w.rio.resolution(), float(w.rio.transform().c) % 100
(dtype('float32'), 4546, (100.0, -100.0), 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from linfen_geo.crs import WORK_CRS, as_crs
from linfen_geo.errors import CRSError, InputError
from linfen_geo.grid.cells import aligned_grid, cell_size_m, nearest_index, window_of
from linfen_geo.grid.readers import WindowReader

__all__ = ["WorkDEM", "sample_nearest", "to_work_grid"]


def _finite(nodata: Any) -> bool:
    return nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata))


def to_work_grid(
    da: xr.DataArray,
    resolution_m: float | str = "native",
    *,
    bounds: Sequence[float] | None = None,
    snap: bool = True,
    categorical: bool = False,
    crs: Any = WORK_CRS,
) -> xr.DataArray:
    """Reproject a raster (a DEM unless ``categorical``) to a projected grid of ``resolution_m`` cells.

    Parameters
    ----------
    da
        Raster in any CRS (a band dimension of size 1 is dropped).
    resolution_m
        Cell size in metres, or ``"native"``: the raster's coarser cell side (:func:`cell_size_m`,
        rounded to the millimetre).
    bounds
        Bounds in ``crs`` (minx, miny, maxx, maxy) to crop to before reprojecting (saves time on a
        large raster); None keeps the whole raster.
    snap
        True: cell edges lie on multiples of ``resolution_m`` in ``crs``, so a cell's value does not
        depend on how the raster was cropped, and a raster already on such a grid of that cell size
        is cropped, not resampled. False: GDAL's default output grid for the raster's extent (the
        grid the plan's layer builders were tuned on; kept so their layers do not move).
    categorical
        Nearest neighbour, values and dtype kept (land cover). Otherwise (a DEM): bilinear, float32,
        the nodata value (and any non-finite value) becomes NaN.
    crs
        Target CRS (default EPSG:4546).

    Returns
    -------
    xarray.DataArray
        The raster on the target grid.

    Raises
    ------
    CRSError
        The raster has no CRS.
    InputError
        ``bounds`` do not overlap the raster.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.arange(16.0).reshape(4, 4), dims=("y", "x"),
    ...                  coords={"y": 4000150.0 - np.arange(4) * 100, "x": 500050.0 + np.arange(4) * 100})
    >>> same = to_work_grid(z.rio.write_crs(4546), 100)  # already on a 100 m EPSG:4546 grid: not resampled
    >>> bool((same.values == z.values).all()), same.dtype
    (True, dtype('float32'))
    """
    from rasterio.enums import Resampling

    if "band" in da.dims:
        da = da.squeeze("band", drop=True)
    if da.rio.crs is None:
        raise CRSError("the raster has no CRS: write one with .rio.write_crs(EPSG) or pass crs= to lg.use(name, path)")
    res = round(max(cell_size_m(da)), 3) if resolution_m == "native" else float(resolution_m)
    crs = as_crs(crs)
    box = None
    if snap or bounds is not None:
        full = np.asarray(da.rio.transform_bounds(crs, densify_pts=21))
        box = full if bounds is None else np.r_[np.maximum(full[:2], bounds[:2]), np.minimum(full[2:], bounds[2:])]
        if box[0] >= box[2] or box[1] >= box[3]:
            raise InputError("the raster does not cover the requested bounds")
    same_grid = snap and as_crs(da.rio.crs) == crs and bool(np.allclose(np.abs(da.rio.resolution()), res))
    if bounds is not None:
        da = da.rio.clip_box(*box, crs=crs, auto_expand=True)
    if categorical:
        resampling = Resampling.nearest
    else:
        resampling = Resampling.bilinear
        nodata = da.rio.nodata
        if not np.issubdtype(da.dtype, np.floating) or (nodata is not None and np.isfinite(nodata)):
            da = da.astype("float32")
            if nodata is not None:
                da = da.where(da != nodata)
        da = da.astype("float32").rio.write_nodata(np.nan, encoded=False)
    if same_grid:
        return da
    if snap:
        transform, h, w = aligned_grid(box, res)
        out = da.rio.reproject(crs, transform=transform, shape=(h, w), resampling=resampling)
    else:
        out = da.rio.reproject(crs, resolution=res, resampling=resampling)
    return out if categorical else out.where(np.isfinite(out)).astype("float32")


@dataclass
class WorkDEM:
    """A DEM read window by window onto the work grid (EPSG:4546): :func:`to_work_grid` for large DEMs.

    Build it with :meth:`prepare`; :meth:`work_grid` gives the aligned window around some bounds,
    :meth:`elevation` its values (a file-backed DEM is read only where asked, in parallel threads).
    A DEM already on a square EPSG:4546 grid is sliced, not warped; any other is warped (bilinear)
    onto cells aligned on multiples of the cell size, keeping only cells surely inside its extent.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.arange(100.0).reshape(10, 10), dims=("y", "x"),
    ...                  coords={"y": 4001000.0 - np.arange(10) * 100 - 50, "x": 500050.0 + np.arange(10) * 100})
    >>> dem = WorkDEM.prepare(z.rio.write_crs(4546), None)
    >>> t, h, w = dem.work_grid((500200.0, 4000300.0, 500400.0, 4000500.0), pad_cells=0)
    >>> dem.elevation(t, h, w).tolist()
    [[52.0, 53.0], [62.0, 63.0]]
    """

    dem: xr.DataArray  # north-up, 2-D
    res: float  # work-grid cell (m)
    origin: tuple[float, float]  # a grid corner (x, y) in WORK_CRS
    aligned: bool  # DEM already on the work grid (EPSG:4546): slice, no warp
    work_bounds: tuple[float, float, float, float]  # DEM extent in WORK_CRS (inner for warped DEMs)
    nodata: float | None

    def __post_init__(self) -> None:
        self.transform = self.dem.rio.transform()  # cached: rioxarray recomputes it on every call
        self.crs = as_crs(self.dem.rio.crs)
        self.reader = WindowReader(self.dem)
        self.shape = self.dem.shape

    @classmethod
    def prepare(cls, dem: xr.DataArray, resolution_m: float | None) -> WorkDEM:
        """The work grid of a north-up 2-D DEM (:func:`~linfen_geo.grid.north_up`).

        ``resolution_m`` None: the DEM's own cell (the geometric mean of its sides, whole metres),
        and the DEM's own grid when it is a square EPSG:4546 grid.
        """
        from rasterio.warp import transform_bounds

        crs = as_crs(dem.rio.crs)
        nodata = dem.rio.nodata
        nodata = float(nodata) if _finite(nodata) else None
        b = dem.rio.bounds()
        rx, ry = (abs(float(v)) for v in dem.rio.resolution())
        if crs == WORK_CRS and resolution_m is None and math.isclose(rx, ry, rel_tol=1e-9):
            t = dem.rio.transform()  # already on a square EPSG:4546 grid: used as is
            return cls(dem, rx, (t.c, t.f), True, b, nodata)
        if resolution_m is None:
            dx, dy = cell_size_m(dem)
            resolution_m = float(round(math.sqrt(dx * dy)))
        res = float(resolution_m)
        wb = transform_bounds(crs, WORK_CRS, *b, densify_pts=51)
        if crs != WORK_CRS:  # the transformed extent is curved: keep the cells surely inside it
            wb = (wb[0] + res, wb[1] + res, wb[2] - res, wb[3] - res)
        return cls(dem, res, (0.0, 0.0), False, wb, nodata)

    def _mask(self, z: np.ndarray) -> np.ndarray:
        z = z.astype(np.float32)
        for nd in {self.nodata, self.reader.nodata}:
            if _finite(nd):
                z[z == nd] = np.nan
        return z

    def work_grid(self, bounds: Sequence[float], pad_cells: int = 3) -> tuple[Any, int, int] | None:
        """Transform and shape of the work-grid window covering ``bounds`` (WORK_CRS) + padding, inside the DEM."""
        t, h, w = aligned_grid(bounds, self.res, origin=self.origin, pad=pad_cells)
        r = self.res
        x0, y1 = t.c, t.f
        x1, y0 = x0 + w * r, y1 - h * r
        ox, oy = self.origin
        wb = self.work_bounds
        if self.aligned:
            x0, y0, x1, y1 = max(x0, wb[0]), max(y0, wb[1]), min(x1, wb[2]), min(y1, wb[3])
        else:  # snap the DEM's inner extent onto the grid
            x0 = max(x0, ox + math.ceil((wb[0] - ox) / r) * r)
            y0 = max(y0, oy + math.ceil((wb[1] - oy) / r) * r)
            x1 = min(x1, ox + math.floor((wb[2] - ox) / r) * r)
            y1 = min(y1, oy + math.floor((wb[3] - oy) / r) * r)
        w, h = round((x1 - x0) / r), round((y1 - y0) / r)
        if w < 2 or h < 2:
            return None
        from rasterio.transform import Affine

        return Affine(r, 0.0, x0, 0.0, -r, y1), h, w

    def elevation(self, transform: Any, h: int, w: int) -> np.ndarray:
        """DEM values (float32, NaN = no data) on a work-grid window."""
        from rasterio.enums import Resampling
        from rasterio.warp import reproject, transform_bounds

        dt = self.transform
        if self.aligned:
            col0 = round((transform.c - dt.c) / dt.a)
            row0 = round((transform.f - dt.f) / dt.e)
            return self._mask(self.reader.read(row0, row0 + h, col0, col0 + w))
        bounds = (transform.c, transform.f - h * self.res, transform.c + w * self.res, transform.f)
        sb = transform_bounds(WORK_CRS, self.crs, *bounds, densify_pts=21)
        r0, r1, c0, c1 = window_of(sb, dt, self.shape, margin=2)
        src = self._mask(self.reader.read(r0, r1, c0, c1))
        out = np.full((h, w), np.nan, dtype=np.float32)
        reproject(
            src,
            out,
            src_transform=dt * dt.translation(c0, r0),
            src_crs=self.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=WORK_CRS,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        return out

    def close(self) -> None:
        """Close the DEM file handles."""
        self.reader.close()


def sample_nearest(
    src: np.ndarray,
    src_transform: Any,
    dst_transform: Any,
    dst_shape: tuple[int, int],
    *,
    fill: int,
    src_crs: Any = WORK_CRS,
    dst_crs: Any = WORK_CRS,
) -> tuple[np.ndarray, bool]:
    """Nearest-neighbour values of a grid at the cell centres of another; and whether every cell got one.

    In the same CRS this is index arithmetic (exact, no warp); otherwise a GDAL nearest warp
    (``complete`` is then False: it cannot tell). Cells outside ``src`` get ``fill``.

    Examples
    --------
    >>> import numpy as np
    >>> from rasterio.transform import from_origin
    >>> src = np.arange(4, dtype="uint8").reshape(2, 2)
    >>> out, complete = sample_nearest(src, from_origin(0, 200, 100, 100), from_origin(100, 200, 100, 100), (2, 2), fill=9)
    >>> out.tolist(), complete  # the second column lies east of the source
    ([[1, 9], [3, 9]], False)
    """
    h, w = dst_shape
    if as_crs(src_crs) == as_crs(dst_crs):
        t, s = dst_transform, src_transform
        cols, okc = nearest_index(t.c + (np.arange(w) + 0.5) * t.a, s.c, s.a, src.shape[1])
        rows, okr = nearest_index(t.f + (np.arange(h) + 0.5) * t.e, s.f, s.e, src.shape[0])
        out = np.take(np.take(src, rows, axis=0), cols, axis=1)
        complete = bool(okr.all() and okc.all())
        if not complete:
            out[~(okr[:, None] & okc[None, :])] = fill
        return out, complete
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    out = np.full((h, w), fill, dtype=src.dtype)
    reproject(
        src,
        out,
        src_transform=src_transform,
        src_crs=src_crs,
        src_nodata=None,
        dst_transform=dst_transform,
        dst_crs=dst_crs,
        dst_nodata=fill,
        resampling=Resampling.nearest,
    )
    return out, False

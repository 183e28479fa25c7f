"""Reading 2-D rasters by window: north-up checks, file block shapes, thread-parallel window reads.

Examples
--------
>>> import numpy as np, xarray as xr
>>> da = xr.DataArray(np.arange(12.0).reshape(3, 4), dims=("y", "x"),
...                   coords={"y": [2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]}).rio.write_crs(4546)
>>> r = WindowReader(north_up(da, "the grid"))
>>> r.read(1, 3, 0, 2).tolist()
[[4.0, 5.0], [8.0, 9.0]]
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from linfen_geo.errors import CRSError, InputError

__all__ = ["WindowReader", "file_blocks", "north_up"]


def north_up(da: xr.DataArray, what: str) -> xr.DataArray:
    """The raster as a 2-D ``(y, x)`` array with rows running south and columns east.

    A band dimension of size 1 is dropped; flipped axes are reversed (a view, nothing is read).

    Raises
    ------
    InputError
        Not a DataArray, several bands, not 2-D, or a rotated grid.
    CRSError
        No CRS.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.arange(4.0).reshape(1, 2, 2), dims=("band", "y", "x"),
    ...                   coords={"band": [1], "y": [0.5, 1.5], "x": [0.5, 1.5]}).rio.write_crs(4546)
    >>> north_up(da, "the DEM").values.tolist()  # the y axis ran north: flipped
    [[2.0, 3.0], [0.0, 1.0]]
    """
    if not isinstance(da, xr.DataArray):
        raise InputError(f"{what} must be an xarray DataArray (rioxarray), not {type(da).__name__}")
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise InputError(f"{what}: expected one band, found {da.sizes['band']}")
        da = da.isel(band=0, drop=True)
    if da.ndim != 2:
        raise InputError(f"{what}: expected a 2-D raster, found dims {da.dims}")
    if da.rio.crs is None:
        raise CRSError(f"{what} has no CRS: write one with .rio.write_crs(EPSG)")
    t = da.rio.transform()
    if t.b != 0 or t.d != 0:
        raise InputError(f"{what} is a rotated grid: warp it to a north-up grid first")
    if t.e > 0:
        da = da.isel({da.rio.y_dim: slice(None, None, -1)})
    if t.a < 0:
        da = da.isel({da.rio.x_dim: slice(None, None, -1)})
    return da.transpose(da.rio.y_dim, da.rio.x_dim)


def file_blocks(da: xr.DataArray) -> tuple[int, int] | None:
    """Block (chunk) shape of a file-backed, north-up raster opened with rioxarray, if 256-1024 cells a side.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> file_blocks(xr.DataArray(np.zeros((2, 2)), dims=("y", "x"))) is None  # in memory: no blocks
    True
    """
    chunks = da.encoding.get("preferred_chunks") or {}
    try:
        by, bx = int(chunks[da.rio.y_dim]), int(chunks[da.rio.x_dim])
        t = da.rio.transform()
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if t.e > 0 or t.a < 0 or not (256 <= by <= 1024 and 256 <= bx <= 1024):
        return None
    return by, bx


class WindowReader:
    """Windows of a 2-D raster by position (row and column ranges).

    A DataArray that is an untouched lazy view of a single-band file (``rioxarray.open_rasterio``)
    is read straight from the file with one handle per thread, so tiles read in parallel
    (rioxarray serialises every read behind one global lock); anything else is read through
    xarray (lazy file-backed arrays still read only the window). :attr:`nodata` and
    :attr:`dtype` describe the values :meth:`read` returns. Call :meth:`close` when done.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> r = WindowReader(xr.DataArray(np.eye(3, dtype="uint8"), dims=("y", "x")))
    >>> r.read(0, 2, 1, 3).tolist(), r.path
    ([[0, 0], [1, 0]], None)
    """

    def __init__(self, da: xr.DataArray):
        self.var = da.variable
        self.nodata = da.rio.nodata
        self.dtype = da.dtype
        self.path: str | None = None
        self._local = threading.local()
        self._handles: list[Any] = []
        self._lock = threading.Lock()
        source = da.encoding.get("source")
        if source and not getattr(da.variable, "_in_memory", True):
            try:
                import rasterio

                with rasterio.open(source) as ds:
                    if (
                        ds.count == 1
                        and (ds.height, ds.width) == tuple(da.shape)
                        and ds.transform.almost_equals(da.rio.transform())
                        and ds.scales == (1.0,)
                        and ds.offsets == (0.0,)
                    ):
                        self.path, self.nodata, self.dtype = str(source), ds.nodata, np.dtype(ds.dtypes[0])
            except Exception:  # not a file rasterio reads: go through xarray
                self.path = None

    def read(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Values of rows ``r0:r1`` and columns ``c0:c1``."""
        if self.path is None:
            return np.asarray(self.var[r0:r1, c0:c1].values)
        from rasterio.windows import Window

        ds = getattr(self._local, "ds", None)
        if ds is None:
            import rasterio

            ds = self._local.ds = rasterio.open(self.path)
            with self._lock:
                self._handles.append(ds)
        return ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))

    def close(self) -> None:
        """Close the file handles the threads opened."""
        with self._lock:
            for ds in self._handles:
                ds.close()
            self._handles.clear()

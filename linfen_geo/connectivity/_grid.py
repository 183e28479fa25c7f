"""The one input type of the connectivity engine: a 2-D grid with its cell size and CRS.

Every connectivity function accepts a :class:`numpy.ndarray` (with ``cellsize``
given in metres, or in cells when omitted) or an :class:`xarray.DataArray`
carrying a projected CRS through rioxarray. Geographic grids are refused:
cost distances and current densities are per metre, and degrees are not metres.

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity._grid import as_grid
>>> g = as_grid(np.ones((3, 4)), cellsize=30.0)
>>> g.shape, g.cellsize, int(g.valid.sum())
((3, 4), 30.0, 12)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from linfen_geo.errors import GeographicCRSError, InputError

__all__ = ["Grid", "as_grid"]


@dataclass(frozen=True)
class Grid:
    """A validated raster: float64 values, a mask of valid cells, cell size and georeferencing.

    Attributes
    ----------
    values : numpy.ndarray
        float64 2-D array; invalid (nodata / non-finite) cells hold NaN.
    valid : numpy.ndarray
        bool 2-D array, True where ``values`` is usable.
    cellsize : float
        Cell side in CRS units (metres for a projected CRS; 1.0 "cell" when unknown).
    transform : affine.Affine or None
        Affine transform of the cell corners, when the input had one.
    crs : pyproj.CRS or None
        Projected CRS of the grid, when the input had one.
    """

    values: np.ndarray
    valid: np.ndarray
    cellsize: float
    transform: Any = None
    crs: Any = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    def like(self, values: np.ndarray, name: str | None = None) -> Any:
        """Wrap an output array like the input: a DataArray with CRS/transform, else the array itself."""
        if self.transform is None:
            return values
        import rioxarray  # noqa: F401  (registers .rio)
        import xarray as xr

        t = self.transform
        ny, nx = values.shape
        xs = t.c + t.a * (np.arange(nx) + 0.5)
        ys = t.f + t.e * (np.arange(ny) + 0.5)
        da = xr.DataArray(values, coords={"y": ys, "x": xs}, dims=("y", "x"), name=name)
        if self.crs is not None:
            da = da.rio.write_crs(self.crs)
        return da.rio.write_transform(t)


def as_grid(
    data: Any,
    *,
    cellsize: float | None = None,
    crs: Any = None,
    nodata: float | None = None,
    name: str = "grid",
) -> Grid:
    """Validate a raster input and return a :class:`Grid`.

    Parameters
    ----------
    data : numpy.ndarray or xarray.DataArray
        2-D values. A DataArray's CRS, transform and nodata (rioxarray) are used.
    cellsize : float, optional
        Cell side in metres for array input (default 1.0, i.e. results in cell units).
    crs : CRS-like, optional
        CRS for array input; must be projected.
    nodata : float, optional
        Value marking missing cells (in addition to NaN / inf).
    name : str
        Name used in error messages.

    Raises
    ------
    GeographicCRSError
        The grid's CRS is geographic (degrees).
    InputError
        Not 2-D, non-square cells, or no valid cell.

    Examples
    --------
    >>> import numpy as np
    >>> from linfen_geo.connectivity._grid import as_grid
    >>> as_grid(np.array([[1.0, -9999.0]]), nodata=-9999).valid.tolist()
    [[True, False]]
    """
    transform = None
    if hasattr(data, "dims") and hasattr(data, "values"):  # xarray.DataArray
        da = data.squeeze(drop=True) if data.ndim > 2 else data
        try:
            rio = da.rio
            crs = rio.crs if rio.crs is not None else crs
            transform = rio.transform() if da.ndim == 2 else None
            if nodata is None:
                nodata = rio.nodata if rio.nodata is not None else rio.encoded_nodata
        except Exception:  # no rioxarray georeferencing: plain values
            transform = None
        values = np.asarray(da.values, dtype="float64")
        if transform is not None:
            dx, dy = abs(transform.a), abs(transform.e)
            if not np.isclose(dx, dy, rtol=1e-6):
                raise InputError(f"{name}: cells are {dx:g} x {dy:g}, not square; resample to square cells first")
            if cellsize is None:
                cellsize = dx
    else:
        values = np.array(data, dtype="float64", copy=True)
    if values.ndim != 2:
        raise InputError(f"{name}: expected a 2-D grid, got {values.ndim} dimensions")
    if crs is not None:
        from pyproj import CRS

        crs = CRS.from_user_input(crs)
        if crs.is_geographic:
            raise GeographicCRSError(
                f"{name} is in a geographic CRS ({crs.name}); cost distances need metres: "
                "reproject it to a projected CRS (e.g. EPSG:4546) first"
            )
    if cellsize is None:
        cellsize = 1.0
    if not (np.isfinite(cellsize) and cellsize > 0):
        raise InputError(f"{name}: cell size must be a positive number, got {cellsize!r}")
    valid = np.isfinite(values)
    if nodata is not None and np.isfinite(nodata):
        valid &= values != nodata
    if not valid.any():
        raise InputError(f"{name}: no valid cell (all nodata)")
    values = np.where(valid, values, np.nan)
    return Grid(values=values, valid=valid, cellsize=float(cellsize), transform=transform, crs=crs)

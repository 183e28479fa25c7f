"""Rasters on grids: cell size, windows, window readers, and the one DEM regridder.

- :mod:`~linfen_geo.grid.cells` - :func:`cell_size_m` (metres, geographic grids at their centre
  latitude), :func:`window_of`, :func:`covers`, :func:`aligned_grid`, :func:`nearest_index`;
- :mod:`~linfen_geo.grid.readers` - :func:`north_up`, :func:`file_blocks`, :class:`WindowReader`
  (thread-parallel window reads of a file-backed raster);
- :mod:`~linfen_geo.grid.regrid` - :func:`to_work_grid` (a raster onto the metric work grid,
  EPSG:4546), :class:`WorkDEM` (the same, window by window, for large DEMs) and
  :func:`sample_nearest`.

(:mod:`linfen_geo.connectivity._grid` is something else: the habitat grid of the connectivity model.)

Examples
--------
>>> import numpy as np, xarray as xr
>>> import linfen_geo.grid as grid
>>> da = xr.DataArray(np.zeros((3, 3)), dims=("y", "x"),
...                   coords={"y": [36.01, 36.0, 35.99], "x": [111.0, 111.01, 111.02]}).rio.write_crs(4326)
>>> round(max(grid.cell_size_m(da)))
1112
"""

from linfen_geo.grid.cells import EARTH_RADIUS_M, aligned_grid, cell_size_m, covers, nearest_index, window_of
from linfen_geo.grid.readers import WindowReader, file_blocks, north_up
from linfen_geo.grid.regrid import WorkDEM, sample_nearest, to_work_grid

__all__ = [
    "EARTH_RADIUS_M",
    "WindowReader",
    "WorkDEM",
    "aligned_grid",
    "cell_size_m",
    "covers",
    "file_blocks",
    "nearest_index",
    "north_up",
    "sample_nearest",
    "to_work_grid",
    "window_of",
]

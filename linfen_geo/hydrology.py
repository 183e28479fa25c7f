"""Hydrology on a projected grid: DEM conditioning, D8 flow directions, drainage to outlets.

The plan's corridor rule reaches "to the first ridge line" (第一重山脊线): in the mountains a
corridor covers the slopes whose water runs down to the road's valley, bounded by the first
drainage divide on each side. This module supplies the three hydrological steps:

1. **Conditioning** - single-cell pits are raised to their lowest neighbour (:func:`fill_pits`,
   vectorised numpy) and every depression is filled to its spill level by priority flood
   (Wang & Liu 2006), so that every cell drains to the edge of the DEM.
2. **D8 flow directions** - each cell drains to one of its eight neighbours. They come from
   the same priority flood that fills the depressions: a cell drains to the lowest neighbour of
   the filled DEM (D8 without the sqrt(2) weighting of diagonal drops); on the flats left by
   filling, flow follows the flood towards the depression's spill point, so flats drain
   without a separate flat-resolution step.
3. **Drainage to outlets** - :func:`drains_to` labels every cell with the outlet (e.g. a road
   cell) that its D8 flow path reaches first; :func:`catchment_mask` is the union of the
   catchments of all outlets. Both visit each cell once, downstream to upstream.

The flow routines are those of `pyflwdir <https://deltares.github.io/pyflwdir/>`_ (Deltares,
numba). pysheds 0.5 was evaluated first: its ``compute_hand`` / ``accumulation`` call
``np.in1d``, removed in numpy 2.4, and its depression filling took 59 s on 25 M cells against
15 s for pyflwdir on the same machine.

Arrays are :class:`xarray.DataArray` grids on a projected CRS (metres), as made by
:func:`linfen_geo.grid.to_work_grid`. D8 codes follow ESRI/pyflwdir: 1 E, 2 SE, 4 S, 8 SW,
16 W, 32 NW, 64 N, 128 NE; 0 is a pit (the DEM edge or an unfilled sink), 247 nodata.

Examples
--------
A tilted plane with a trench along column 2: everything east of the trench drains into it.

>>> import numpy as np, xarray as xr
>>> z = np.tile(np.array([5.0, 3.0, 0.0, 3.0, 6.0]), (5, 1)) + np.arange(5)[:, None] * 0.1
>>> dem = xr.DataArray(z, dims=("y", "x"), coords={"y": 4000.0 - np.arange(5) * 100, "x": np.arange(5) * 100.0})
>>> dem = dem.rio.write_crs(4546)
>>> flow = route(dem)
>>> outlets = np.zeros(z.shape, dtype=bool)
>>> outlets[:, 2] = True
>>> catchment_mask(flow, outlets).values[2].tolist()
[True, True, True, True, True]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from linfen_geo.crs import require_projected
from linfen_geo.errors import InputError

__all__ = [
    "D8_NODATA",
    "D8_PIT",
    "FlowRouting",
    "catchment_mask",
    "drains_to",
    "fill_depressions",
    "fill_pits",
    "route",
]

#: D8 code of a pit (the DEM edge, or a sink deeper than ``max_depth_m``)
D8_PIT = 0
#: D8 code of a nodata cell
D8_NODATA = 247


def _check_grid(dem: xr.DataArray, what: str) -> None:
    if dem.ndim != 2:
        raise InputError(f"{what}: expected a 2-D grid (squeeze the band dimension first), got dims {dem.dims}")
    require_projected(dem, what)


def fill_pits(dem: xr.DataArray) -> xr.DataArray:
    """Raise single-cell pits to the elevation of their lowest neighbour.

    A pit is a cell lower than all eight neighbours (the grid's edge cells are never pits).
    NaN cells stay NaN and count as no neighbour.

    Parameters
    ----------
    dem
        Elevation on a projected grid.

    Returns
    -------
    xarray.DataArray
        The DEM with pits filled (same grid, float).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.array([[5.0, 5, 5], [5, 1, 4], [5, 5, 5]]), dims=("y", "x"),
    ...                  coords={"y": [200.0, 100, 0], "x": [0.0, 100, 200]}).rio.write_crs(4546)
    >>> float(fill_pits(z)[1, 1])
    4.0
    """
    from scipy.ndimage import minimum_filter

    _check_grid(dem, "fill_pits")
    z = np.asarray(dem.values, dtype="float64")
    ring = np.ones((3, 3), dtype=bool)
    ring[1, 1] = False
    lowest = minimum_filter(np.where(np.isfinite(z), z, np.inf), footprint=ring, mode="constant", cval=-np.inf)
    pit = np.isfinite(z) & np.isfinite(lowest) & (z < lowest)
    return dem.copy(data=np.where(pit, lowest, z))


def fill_depressions(dem: xr.DataArray, *, max_depth_m: float | None = None) -> tuple[xr.DataArray, xr.DataArray]:
    """Fill depressions by priority flood and derive D8 flow directions.

    Parameters
    ----------
    dem
        Elevation on a projected grid; NaN is nodata. The edge of the valid cells is the
        outlet: every other cell drains to it once depressions are filled.
    max_depth_m
        Leave depressions deeper than this as pits (sinks); None fills every depression.

    Returns
    -------
    filled, d8
        The filled DEM (float32) and the D8 flow directions (uint8, codes in the module doc).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = np.full((5, 5), 10.0); z[2, 2] = 1.0; z[2, 4] = 8.0
    >>> dem = xr.DataArray(z, dims=("y", "x"), coords={"y": np.arange(5)[::-1] * 30.0,
    ...                    "x": np.arange(5) * 30.0}).rio.write_crs(4546)
    >>> filled, d8 = fill_depressions(dem)
    >>> float(filled[2, 2]), int(d8[2, 3])  # the pit is filled to its spill level, and drains east
    (10.0, 1)
    """
    from pyflwdir.dem import fill_depressions as _fill

    _check_grid(dem, "fill_depressions")
    z = np.asarray(dem.values, dtype="float32")
    filled, d8 = _fill(z, nodata=np.nan, max_depth=-1.0 if max_depth_m is None else float(max_depth_m))
    out_z = dem.copy(data=filled).rename("filled_dem")
    out_d8 = dem.copy(data=d8).rename("d8")
    out_d8 = out_d8.rio.write_nodata(D8_NODATA, encoded=False)
    out_d8.attrs["encoding"] = "D8 ESRI: 1 E, 2 SE, 4 S, 8 SW, 16 W, 32 NW, 64 N, 128 NE; 0 pit, 247 nodata"
    return out_z, out_d8


@dataclass
class FlowRouting:
    """A conditioned DEM with its D8 flow network, reusable for many outlet sets.

    Build it with :func:`route`. ``timings`` records the seconds spent per stage
    (``fill`` = pit and depression filling with the D8 directions, ``flowdir`` = building the
    downstream-to-upstream cell order).
    """

    filled: xr.DataArray
    d8: xr.DataArray
    timings: dict[str, float] = field(default_factory=dict)
    _network: Any = field(default=None, repr=False)

    @property
    def network(self) -> Any:
        """The :class:`pyflwdir.FlwdirRaster` (built on first use, with its cell order)."""
        if self._network is None:
            import pyflwdir

            t0 = time.perf_counter()
            net = pyflwdir.from_array(
                np.asarray(self.d8.values), ftype="d8", check_ftype=False, transform=self.d8.rio.transform()
            )
            net.idxs_seq  # noqa: B018  (orders the cells once; every later query reuses the order)
            self._network = net
            self.timings["flowdir"] = self.timings.get("flowdir", 0.0) + time.perf_counter() - t0
        return self._network

    def drains_to(self, outlets: np.ndarray | xr.DataArray) -> xr.DataArray:
        """See :func:`drains_to`."""
        labels = np.asarray(getattr(outlets, "values", outlets))
        if labels.shape != self.d8.shape:
            raise InputError(f"outlets grid {labels.shape} does not match the flow grid {self.d8.shape}")
        if labels.dtype == bool:
            labels = labels.astype("uint32")
        if not np.issubdtype(labels.dtype, np.integer) or labels.min(initial=0) < 0:
            raise InputError("outlets must be a boolean grid or integer labels >= 0 (0 = not an outlet)")
        idxs = np.flatnonzero((labels != 0) & (np.asarray(self.d8.values) != D8_NODATA))
        if idxs.size == 0:
            return self.d8.copy(data=np.zeros(self.d8.shape, dtype="uint32")).rename("drains_to")
        ids = labels.ravel()[idxs].astype("uint32")
        reached = self.network.basins(idxs=idxs, ids=ids)
        return self.d8.copy(data=np.asarray(reached, dtype="uint32")).rename("drains_to").rio.write_nodata(None)


def route(dem: xr.DataArray, *, max_depth_m: float | None = None) -> FlowRouting:
    """Condition a DEM (fill pits, then depressions) and compute its D8 flow network.

    Parameters
    ----------
    dem
        Elevation on a projected grid (NaN = nodata), e.g. from
        :func:`linfen_geo.grid.to_work_grid`.
    max_depth_m
        See :func:`fill_depressions`.

    Returns
    -------
    FlowRouting
        ``filled`` DEM, ``d8`` directions, and :meth:`FlowRouting.drains_to` for outlets.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> z = xr.DataArray(np.add.outer(np.arange(4.0), np.arange(4.0)), dims=("y", "x"),
    ...                  coords={"y": [300.0, 200, 100, 0], "x": [0.0, 100, 200, 300]}).rio.write_crs(4546)
    >>> route(z).d8.values[1:3, 1:3].tolist()  # lowest neighbour is north-west (code 32)
    [[32, 32], [32, 32]]
    """
    _check_grid(dem, "route")
    t0 = time.perf_counter()
    filled, d8 = fill_depressions(fill_pits(dem), max_depth_m=max_depth_m)
    return FlowRouting(filled=filled, d8=d8, timings={"fill": time.perf_counter() - t0})


def _routing(flow: FlowRouting | xr.DataArray) -> FlowRouting:
    if isinstance(flow, FlowRouting):
        return flow
    if isinstance(flow, xr.DataArray) and np.issubdtype(flow.dtype, np.integer):
        return FlowRouting(filled=flow.astype("float32"), d8=flow)
    raise InputError("pass a FlowRouting (from route(dem)) or a D8 direction grid (uint8)")


def drains_to(flow: FlowRouting | xr.DataArray, outlets: np.ndarray | xr.DataArray) -> xr.DataArray:
    """Label each cell with the outlet its D8 flow path reaches first.

    Parameters
    ----------
    flow
        A :class:`FlowRouting` from :func:`route` (reuse it for many outlet sets), or a D8 grid.
    outlets
        Grid of outlet labels on the flow grid: 0 = not an outlet, any positive integer = the
        outlet's label (a boolean grid labels every outlet 1). Outlet cells keep their label.

    Returns
    -------
    xarray.DataArray
        uint32 grid: the label of the first outlet cell downstream of each cell, 0 where the
        flow path leaves the DEM (or ends in a pit) without meeting an outlet.

    Examples
    --------
    Two trenches: cells drain to the nearer downhill one.

    >>> import numpy as np, xarray as xr
    >>> z = np.tile(np.array([4.0, 0.5, 3.0, 6.0, 3.0, 0.0, 4.0]), (5, 1)) + np.arange(5)[:, None] * 0.01
    >>> dem = xr.DataArray(z, dims=("y", "x"), coords={"y": 500.0 - np.arange(5) * 100.0,
    ...                    "x": np.arange(7) * 100.0}).rio.write_crs(4546)
    >>> labels = np.zeros(z.shape, dtype="uint32"); labels[:, 1] = 1; labels[:, 5] = 2
    >>> drains_to(route(dem), labels).values[2].tolist()  # the ridge at column 3 drains either way
    [1, 1, 1, 1, 2, 2, 2]
    """
    return _routing(flow).drains_to(outlets)


def catchment_mask(flow: FlowRouting | xr.DataArray, outlets: np.ndarray | xr.DataArray) -> xr.DataArray:
    """Cells whose D8 flow path reaches any outlet cell (the union of the outlets' catchments).

    Parameters
    ----------
    flow
        A :class:`FlowRouting` from :func:`route`, or a D8 grid.
    outlets
        Boolean (or label) grid of outlet cells, e.g. the cells a road passes through.

    Returns
    -------
    xarray.DataArray
        Boolean grid, True for the outlets and every cell upstream of one.
    """
    return (drains_to(flow, np.asarray(getattr(outlets, "values", outlets)) != 0) > 0).rename("catchment")

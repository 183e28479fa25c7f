"""Cost-weighted distance, allocation and least-cost paths on a resistance grid.

Moves join the 8 neighbours of a cell; a move costs the mean resistance of the
two cells times its length (cell size, or cell size x sqrt(2) on a diagonal),
as in ArcGIS Cost Distance, Linkage Mapper and scikit-image's
``MCP_Geometric``, which computes it here (exact, float64). Resistances are per
metre: the grid must be in a projected CRS (geographic grids are refused).

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity import cost_distance
>>> src = np.zeros((1, 4), bool); src[0, 0] = True
>>> cost_distance(np.array([[1.0, 1, 3, 1]]), src, cellsize=10.0).tolist()
[[0.0, 10.0, 30.0, 50.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from linfen_geo.connectivity._grid import Grid, as_grid
from linfen_geo.errors import InputError

__all__ = ["cost_allocation", "cost_distance", "least_cost_path", "resistance_grid", "source_ids"]


def resistance_grid(
    resistance: Any, *, cellsize: float | None = None, crs: Any = None, nodata: float | None = None
) -> Grid:
    """Validated resistance :class:`~linfen_geo.connectivity._grid.Grid`; resistances must be > 0 (NaN: impassable)."""
    g = as_grid(resistance, cellsize=cellsize, crs=crs, nodata=nodata, name="resistance")
    if np.any(g.values[g.valid] <= 0):
        raise InputError("resistance: values must be > 0 (use NaN / nodata for impassable cells)")
    return g


def source_ids(sources: Any, shape: tuple[int, int]) -> np.ndarray:
    """Integer source ids per cell (0: none) from a boolean mask or an id grid."""
    s = np.asarray(sources.values if hasattr(sources, "dims") else sources)
    if s.shape != shape:
        raise InputError(f"sources: shape {s.shape} differs from the resistance grid {shape}")
    if s.dtype == bool:
        return s.astype(np.int64)
    s = np.where(np.isfinite(s.astype("float64")), s, 0)
    if np.any(s != np.round(s)):
        raise InputError("sources: ids must be whole numbers")
    return np.where(s > 0, s, 0).astype(np.int64)


def _mcp(g: Grid) -> Any:
    from skimage.graph import MCP_Geometric

    costs = np.where(g.valid, g.values, np.inf)
    return MCP_Geometric(costs, fully_connected=True, sampling=(g.cellsize, g.cellsize))


def _cwd(g: Grid, cells: np.ndarray) -> tuple[np.ndarray, Any]:
    if not len(cells):
        raise InputError("sources: no source cell on a valid resistance cell")
    mcp = _mcp(g)
    cost, _ = mcp.find_costs([tuple(c) for c in cells.tolist()])
    cost = np.where(np.isfinite(cost) & g.valid, cost, np.inf)
    return cost, mcp


def cost_distance(
    resistance: Any, sources: Any, *, cellsize: float | None = None, crs: Any = None, nodata: float | None = None
) -> Any:
    """Accumulated cost from the nearest source cell (inf where unreachable, NaN on nodata).

    Parameters
    ----------
    resistance : numpy.ndarray or xarray.DataArray
        Resistance per metre of each cell (> 0; NaN / nodata impassable).
    sources : array-like
        Boolean mask or id grid (> 0) of source cells.
    cellsize, crs, nodata
        For array input (see :func:`linfen_geo.connectivity._grid.as_grid`).

    Returns
    -------
    numpy.ndarray or xarray.DataArray
        Like the input.
    """
    g = resistance_grid(resistance, cellsize=cellsize, crs=crs, nodata=nodata)
    ids = source_ids(sources, g.shape)
    cost, _ = _cwd(g, np.argwhere((ids > 0) & g.valid))
    return g.like(np.where(g.valid, cost, np.nan), name="cost_distance")


def cost_allocation(
    resistance: Any, sources: Any, *, cellsize: float | None = None, crs: Any = None, nodata: float | None = None
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Nearest source id of every cell (0: unreachable or nodata), and each source's own cost distance.

    Returns
    -------
    allocation : numpy.ndarray
        int64 grid of source ids.
    cwd : dict
        Source id -> cost-distance grid from that source alone (inf: unreachable).

    Examples
    --------
    >>> import numpy as np
    >>> alloc, cwd = cost_allocation(np.ones((1, 5)), np.array([[1, 0, 0, 0, 2]]))
    >>> alloc.tolist(), cwd[2].tolist()
    ([[1, 1, 1, 2, 2]], [[4.0, 3.0, 2.0, 1.0, 0.0]])
    """
    g = resistance_grid(resistance, cellsize=cellsize, crs=crs, nodata=nodata)
    ids = source_ids(sources, g.shape)
    ids = np.where(g.valid, ids, 0)
    uniq = np.unique(ids[ids > 0])
    if not len(uniq):
        raise InputError("sources: no source cell on a valid resistance cell")
    cwd = {int(i): _cwd(g, np.argwhere(ids == i))[0] for i in uniq}
    stack = np.stack([cwd[int(i)] for i in uniq])
    best = np.argmin(stack, axis=0)  # ties go to the lower id
    alloc = np.where(np.isfinite(stack.min(axis=0)), uniq[best], 0)
    return alloc.astype(np.int64), cwd


def least_cost_path(
    resistance: Any,
    start: Any,
    end: Any,
    *,
    cellsize: float | None = None,
    crs: Any = None,
    nodata: float | None = None,
) -> tuple[np.ndarray, float, float]:
    """Least-cost path from a set of start cells to a set of end cells.

    Parameters
    ----------
    start, end : array-like
        Boolean masks (or id grids, > 0) of the two areas.

    Returns
    -------
    path : numpy.ndarray
        (n, 2) row / column indices from the start area to the end area.
    cost : float
        Cost-weighted distance of the path.
    length : float
        Length of the path in CRS units (cell centre to cell centre).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((3, 3), bool); b = a.copy(); a[0, 0] = b[2, 2] = True
    >>> p, c, l = least_cost_path(np.ones((3, 3)), a, b)
    >>> p.tolist(), round(c, 6), round(l, 6)
    ([[0, 0], [1, 1], [2, 2]], 2.828427, 2.828427)
    """
    g = resistance_grid(resistance, cellsize=cellsize, crs=crs, nodata=nodata)
    s = source_ids(start, g.shape) > 0
    e = (source_ids(end, g.shape) > 0) & g.valid
    cost, mcp = _cwd(g, np.argwhere(s & g.valid))
    ends = np.argwhere(e)
    if not len(ends):
        raise InputError("end: no end cell on a valid resistance cell")
    k = int(np.argmin(cost[e]))
    if not np.isfinite(cost[e][k]):
        raise InputError("end: unreachable from start (separated by nodata)")
    path = np.array(mcp.traceback(tuple(ends[k])), dtype=np.int64)
    return path, float(cost[e][k]), path_length(path, g.cellsize)


def path_length(path: np.ndarray, cellsize: float) -> float:
    """Length of a cell path (centre to centre), diagonal steps sqrt(2) cells."""
    if len(path) < 2:
        return 0.0
    steps = np.abs(np.diff(path, axis=0))
    return float(np.sum(np.where(steps.sum(axis=1) == 2, np.sqrt(2.0), 1.0)) * cellsize)

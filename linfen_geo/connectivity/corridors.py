"""Least-cost corridors between habitat sources, after Linkage Mapper.

For sources (core areas, an id grid) on a resistance grid:

1. the cost-weighted distance (CWD) from every source and the cost allocation;
2. a link between every pair of sources whose allocation zones touch (8 neighbours);
3. per link the least-cost distance LCD_ab, the least-cost path, its length,
   the edge-to-edge Euclidean distance and the ratios CWD/Euclidean and
   CWD/path length; links whose path crosses a third source are dropped
   (Linkage Mapper's default);
4. the normalised least-cost corridor CWD_a + CWD_b - LCD_ab, cut at a width
   (in cost units), as a raster mosaic (minimum over links) and as polygons.

:func:`pinch_points` runs circuit theory inside each corridor (Pinchpoint
Mapper), :func:`barrier_improvement` scores restoration (Barrier Mapper), and
:func:`gravity_model` weights links by G_ab = N_a N_b / D_ab^2.

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity import corridor_network
>>> src = np.zeros((5, 9), int); src[:, 0] = 1; src[:, 8] = 2
>>> net = corridor_network(np.ones((5, 9)), src, width=0.5)
>>> net.links[["a", "b", "lcd", "path_length"]].to_dict("records")
[{'a': 1, 'b': 2, 'lcd': 8.0, 'path_length': 8.0}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from linfen_geo.connectivity._grid import Grid
from linfen_geo.connectivity.cost import _cwd, path_length, resistance_grid, source_ids
from linfen_geo.errors import InputError

__all__ = ["CorridorNetwork", "barrier_improvement", "corridor_network", "gravity_model", "pinch_points"]


@dataclass
class CorridorNetwork:
    """Result of :func:`corridor_network`.

    Attributes
    ----------
    links : pandas.DataFrame
        One row per adjacent pair: ``a``, ``b``, ``lcd``, ``path_length``,
        ``euclidean`` (edge to edge), ``cwd_to_euclidean``, ``cwd_to_path_length``,
        ``dropped`` (the path crosses a third source), ``through``.
    corridors : numpy.ndarray
        Normalised corridor value (minimum over kept links), NaN beyond ``width``.
    allocation : numpy.ndarray
        Source id of the cheapest source of each cell (0: none).
    cwd : dict
        Source id -> cost-distance grid.
    paths : dict
        (a, b) -> (n, 2) cells of the least-cost path.
    width : float
        Cut-off of the normalised corridors (cost units).
    """

    links: Any
    corridors: np.ndarray
    allocation: np.ndarray
    cwd: dict[int, np.ndarray]
    paths: dict[tuple[int, int], np.ndarray]
    width: float
    grid: Grid = field(repr=False)
    ids: np.ndarray = field(repr=False)

    def corridor(self, a: int, b: int) -> np.ndarray:
        """Normalised corridor CWD_a + CWD_b - LCD_ab of one link (all cells)."""
        lcd = float(self.links.set_index(["a", "b"]).loc[(a, b), "lcd"])
        return self.cwd[a] + self.cwd[b] - lcd

    def polygons(self) -> Any:
        """Corridor polygons (cells within ``width``) of the kept links, as a GeoDataFrame."""
        import geopandas as gpd
        from affine import Affine
        from rasterio.features import shapes
        from shapely.geometry import shape
        from shapely.ops import unary_union

        t = self.grid.transform or Affine(self.grid.cellsize, 0, 0, 0, -self.grid.cellsize, 0)
        rows = []
        for rec in self.links[~self.links["dropped"]].itertuples():
            m = (self.corridor(rec.a, rec.b) <= self.width) & self.grid.valid
            geoms = [shape(gm) for gm, v in shapes(m.astype(np.uint8), mask=m, transform=t) if v == 1]
            rows.append({"a": rec.a, "b": rec.b, "lcd": rec.lcd, "geometry": unary_union(geoms)})
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=self.grid.crs)


def _adjacent_pairs(alloc: np.ndarray) -> list[tuple[int, int]]:
    pairs = set()
    for a, b in (
        (alloc[:, :-1], alloc[:, 1:]),
        (alloc[:-1, :], alloc[1:, :]),
        (alloc[:-1, :-1], alloc[1:, 1:]),
        (alloc[:-1, 1:], alloc[1:, :-1]),
    ):
        m = (a != b) & (a > 0) & (b > 0)
        lo, hi = np.minimum(a[m], b[m]), np.maximum(a[m], b[m])
        pairs.update(zip(lo.tolist(), hi.tolist(), strict=True))
    return sorted(pairs)


def corridor_network(
    resistance: Any,
    sources: Any,
    *,
    width: float,
    drop_through_sources: bool = True,
    cellsize: float | None = None,
    crs: Any = None,
    nodata: float | None = None,
) -> CorridorNetwork:
    """Links between adjacent sources, their least-cost paths and corridors (Linkage Mapper).

    Parameters
    ----------
    resistance : numpy.ndarray or xarray.DataArray
        Resistance per metre (> 0; NaN impassable), projected CRS.
    sources : array-like
        Source (core area) id per cell, > 0.
    width : float
        Corridor cut-off of CWD_a + CWD_b - LCD_ab, in cost units.
    drop_through_sources : bool
        Drop links whose least-cost path crosses a third source.
    """
    import pandas as pd
    from scipy.ndimage import distance_transform_edt

    g = resistance_grid(resistance, cellsize=cellsize, crs=crs, nodata=nodata)
    ids_grid = np.where(g.valid, source_ids(sources, g.shape), 0)
    uniq = np.unique(ids_grid[ids_grid > 0])
    if len(uniq) < 2:
        raise InputError("sources: fewer than two sources on valid cells")
    cwd: dict[int, np.ndarray] = {}
    mcps: dict[int, Any] = {}
    for i in uniq.tolist():
        cwd[i], mcps[i] = _cwd(g, np.argwhere(ids_grid == i))
    stack = np.stack([cwd[i] for i in uniq.tolist()])
    alloc = np.where(np.isfinite(stack.min(axis=0)), uniq[np.argmin(stack, axis=0)], 0).astype(np.int64)
    del stack
    rows, paths = [], {}
    corr = np.full(g.shape, np.inf)
    for a, b in _adjacent_pairs(alloc):
        in_b = ids_grid == b
        k = int(np.argmin(np.where(in_b, cwd[a], np.inf)))
        lcd = float(cwd[a].flat[k])
        path = np.array(mcps[a].traceback(np.unravel_index(k, g.shape)), dtype=np.int64)  # a to b
        paths[a, b] = path
        on = ids_grid[path[:, 0], path[:, 1]]
        through = sorted({int(x) for x in on if x not in (0, a, b)})
        dropped = bool(through) and drop_through_sources
        eu = float(np.min(distance_transform_edt(ids_grid != a)[in_b])) * g.cellsize
        plen = path_length(path, g.cellsize)
        rows.append({
            "a": a, "b": b, "lcd": lcd, "path_length": plen, "euclidean": eu,
            "cwd_to_euclidean": lcd / eu if eu > 0 else np.inf,
            "cwd_to_path_length": lcd / plen if plen > 0 else np.inf,
            "dropped": dropped, "through": through,
        })  # fmt: skip
        if not dropped:
            np.minimum(corr, cwd[a] + cwd[b] - lcd, out=corr)
    links = pd.DataFrame(rows, columns=["a", "b", "lcd", "path_length", "euclidean", "cwd_to_euclidean",
                                        "cwd_to_path_length", "dropped", "through"])  # fmt: skip
    corr = np.where((corr <= width) & g.valid, corr, np.nan)
    return CorridorNetwork(links, corr, alloc, cwd, paths, float(width), g, ids_grid)


def pinch_points(network: CorridorNetwork, **circuit_kw: Any) -> np.ndarray:
    """Current density within each kept corridor, 1 A between its two sources (Pinchpoint Mapper).

    Each corridor (cells within the width) is a resistor network of its own;
    the two sources are focal regions. Returns the maximum over corridors of the
    current maps (0 outside corridors). ``circuit_kw`` go to
    :func:`~linfen_geo.connectivity.circuit_pairwise` (e.g. ``neighbours=4``).
    """
    from linfen_geo.connectivity.circuit import circuit_pairwise

    out = np.zeros(network.grid.shape)
    for rec in network.links[~network.links["dropped"]].itertuples():
        inside = (network.corridor(rec.a, rec.b) <= network.width) & network.grid.valid
        inside |= np.isin(network.ids, [rec.a, rec.b]) & network.grid.valid
        res = np.where(inside, network.grid.values, np.nan)
        focal = np.where(np.isin(network.ids, [rec.a, rec.b]), network.ids, 0)
        r = circuit_pairwise(res, focal, focal_on_nodata="disconnected", **circuit_kw)
        if r.cumulative_current is not None:
            np.maximum(out, r.cumulative_current, out=out)
    return out


def _disk(radius_cells: int) -> np.ndarray:
    y, x = np.ogrid[-radius_cells : radius_cells + 1, -radius_cells : radius_cells + 1]
    return x * x + y * y <= radius_cells * radius_cells


def barrier_improvement(
    network: CorridorNetwork, radii: list[float], *, restored_resistance: float = 1.0
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Barrier Mapper improvement score: how much restoring a disk around each cell would cut LCD.

    For a link (a, b) and a radius R (CRS units), the score of cell x is
    ``LCD_ab - (min CWD_a + min CWD_b over the disk of radius R at x + 2 R r)``,
    with ``r`` the ``restored_resistance`` of the restored disk (McRae et al.
    2012), clipped at 0; the map is the maximum over kept links.

    Returns
    -------
    best : numpy.ndarray
        Maximum over radii of the score divided by the restored diameter 2R
        (improvement per metre restored, comparable across radii).
    per_radius : dict
        Radius -> score map.
    """
    from scipy.ndimage import minimum_filter

    per: dict[float, np.ndarray] = {}
    best = np.zeros(network.grid.shape)
    kept = network.links[~network.links["dropped"]]
    for rad in radii:
        rc = round(rad / network.grid.cellsize)
        if rc < 1:
            raise InputError(f"radius {rad} is under one cell ({network.grid.cellsize})")
        fp = _disk(rc)
        score = np.zeros(network.grid.shape)
        for rec in kept.itertuples():
            ma = minimum_filter(network.cwd[rec.a], footprint=fp, mode="constant", cval=np.inf)
            mb = minimum_filter(network.cwd[rec.b], footprint=fp, mode="constant", cval=np.inf)
            s = rec.lcd - (ma + mb + 2 * rad * restored_resistance)
            np.maximum(score, np.where(np.isfinite(s), s, 0.0), out=score)
        score[~network.grid.valid] = np.nan
        per[float(rad)] = score
        best = np.fmax(best, score / (2 * rad))
    return best, per


def gravity_model(network: CorridorNetwork, *, area_unit: float = 1.0) -> Any:
    """Interaction strength of each kept link: G_ab = N_a N_b / D_ab^2.

    ``N = ln(area / area_unit) / P`` with P the mean resistance of the source's
    cells and area in CRS units squared; ``D_ab = LCD_ab / max LCD`` over kept
    links. Returns the kept links with columns ``n_a``, ``n_b``, ``d``, ``g``.
    """
    g = network.grid
    links = network.links[~network.links["dropped"]].copy()
    n = {}
    for i in np.unique(network.ids[network.ids > 0]).tolist():
        cells = network.ids == i
        area = cells.sum() * g.cellsize**2 / area_unit
        n[i] = np.log(area) / float(np.mean(g.values[cells]))
    links["n_a"] = links["a"].map(n)
    links["n_b"] = links["b"].map(n)
    links["d"] = links["lcd"] / links["lcd"].max()
    links["g"] = links["n_a"] * links["n_b"] / links["d"] ** 2
    return links.reset_index(drop=True)

"""Circuit theory on rasters, with Circuitscape's semantics (pairwise, one-to-all, all-to-one, advanced).

The raster is a resistor network (see :mod:`linfen_geo.connectivity._network`):
one node per valid cell, short-circuit regions merged into one node, 4 or 8
neighbours, conductors from averaged conductances or resistances, diagonals
divided by sqrt(2). Each job builds one Laplacian and one solver (sparse LU, or
pyamg smoothed-aggregation AMG as CG preconditioner) per connected component,
and reuses it: with k focal nodes in a component, k-1 solves (node k grounded)
give every pairwise resistance, every pair's voltages (differences of two
solutions) and, by Kron reduction onto the focal nodes, the one-to-all and
all-to-one fields. 45 pairs of 10 points cost 9 solves.

Current maps follow Circuitscape.jl (``src/out.jl``): a cell's current is the
larger of the current flowing into and out of its node, i.e. half the sum of
the absolute currents of its conductors for a node without source or ground.

Examples
--------
Two cells of resistance 1 and 3 in a row (conductance averaging: the
conductor is (1 + 1/3) / 2 = 2/3 S, so R = 1.5 ohm):

>>> import numpy as np
>>> from linfen_geo.connectivity import circuit_pairwise
>>> r = circuit_pairwise(np.array([[1.0, 3.0]]), np.array([[1, 2]]), neighbours=4)
>>> r.resistance.round(9).tolist()
[[0.0, 1.5], [1.5, 0.0]]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from linfen_geo.connectivity._focal import FocalCells, focal_cells, merge_pair_regions, merge_point_regions
from linfen_geo.connectivity._grid import as_grid
from linfen_geo.connectivity._maps import map_template, wrap_maps
from linfen_geo.connectivity._network import Network, branch_node_currents, build_network, node_currents_injected
from linfen_geo.connectivity._solve import GroundedSolver
from linfen_geo.errors import InputError

__all__ = [
    "AdvancedResult",
    "FocalResult",
    "PairwiseResult",
    "circuit_advanced",
    "circuit_all_to_one",
    "circuit_one_to_all",
    "circuit_pairwise",
    "conductance_grid",
]


@dataclass
class PairwiseResult:
    """Result of :func:`circuit_pairwise`.

    Attributes
    ----------
    ids : numpy.ndarray
        Focal ids, sorted (rows / columns of ``resistance``).
    resistance : numpy.ndarray
        Effective resistances (ohm, or cell units); -1 for pairs in different
        components, on no cell, or excluded; 0 on the diagonal.
    cumulative_current, max_current : numpy.ndarray, xarray.DataArray or None
        Sum and maximum over pairs of the current maps (A per cell; unit current
        between each pair); ``max_current`` is -9999 where no pair was solved.
    currents, voltages : dict
        Per-pair maps keyed by ``(id_a, id_b)`` when asked for; voltages are 0 V
        at ``id_a`` (1 A flows from ``id_b`` to ``id_a``).

    Maps are numpy arrays for array input (0 A / 0 V on cells without a node).
    For a DataArray habitat they are DataArrays on its grid (dims, coords, CRS,
    transform), NaN (``_FillValue``) on cells without a node and, in
    ``max_current``, where no pair was solved; ``attrs`` give ``units`` ("A",
    "V") and ``long_name``; names ``cumulative_current``, ``max_current``,
    ``current_<a>_<b>``, ``voltage_<a>_<b>``.
    """

    ids: np.ndarray
    resistance: np.ndarray
    cumulative_current: Any = None
    max_current: Any = None
    currents: dict[tuple[int, int], Any] = field(default_factory=dict)
    voltages: dict[tuple[int, int], Any] = field(default_factory=dict)

    def pairs(self) -> list[tuple[int, int, float]]:
        """``(id_a, id_b, resistance)`` for every pair a < b (Circuitscape's 3-column file)."""
        k = len(self.ids)
        return [
            (int(self.ids[i]), int(self.ids[j]), float(self.resistance[j, i]))
            for i in range(k)
            for j in range(i + 1, k)
        ]


@dataclass
class FocalResult:
    """Result of :func:`circuit_one_to_all` / :func:`circuit_all_to_one`.

    ``resistance`` holds, per focal id, the resistance between it and all other
    focal nodes tied together (one-to-all), 0 (all-to-one), or -1 when the id had
    nothing to connect to. Maps are keyed by focal id; numpy arrays, or
    DataArrays for a DataArray habitat, as in :class:`PairwiseResult` (names
    ``current_<id>``, ``voltage_<id>``).
    """

    ids: np.ndarray
    resistance: np.ndarray
    cumulative_current: Any = None
    max_current: Any = None
    currents: dict[int, Any] = field(default_factory=dict)
    voltages: dict[int, Any] = field(default_factory=dict)


@dataclass
class AdvancedResult:
    """Result of :func:`circuit_advanced`: voltage (V) and current (A) maps, 0 outside solved components.

    numpy arrays, or for a DataArray habitat DataArrays named ``voltage`` and
    ``current`` on its grid, NaN on cells without a node.
    """

    voltage: Any
    current: Any
    solved_components: int


def conductance_grid(
    habitat: Any,
    *,
    is_conductance: bool = False,
    cellsize: float | None = None,
    crs: Any = None,
    nodata: float | None = None,
    name: str = "habitat",
) -> np.ndarray:
    """Cell conductances of a resistance (or conductance) grid; 0 where there is no cell.

    Raises
    ------
    InputError
        A resistance of zero or below (use a short-circuit region for zero
        resistance), a negative conductance, or no valid cell.
    GeographicCRSError
        The grid is in a geographic CRS.

    Examples
    --------
    >>> import numpy as np
    >>> conductance_grid(np.array([[2.0, np.nan]])).tolist()
    [[0.5, 0.0]]
    """
    g = as_grid(habitat, cellsize=cellsize, crs=crs, nodata=nodata, name=name)
    v = g.values[g.valid]
    if is_conductance:
        if np.any(v < 0):
            raise InputError(f"{name}: {int((v < 0).sum())} cells have a negative conductance")
        return np.where(g.valid, g.values, 0.0)
    if np.any(v <= 0):
        raise InputError(
            f"{name}: {int((v <= 0).sum())} cells have a resistance of zero or below; "
            "give zero-resistance areas as short-circuit regions instead"
        )
    return np.where(g.valid, 1.0 / np.where(g.valid, g.values, 1.0), 0.0)


def _ids_grid(a: Any, shape: tuple[int, int], name: str) -> np.ndarray | None:
    if a is None:
        return None
    v = np.asarray(a.values if hasattr(a, "dims") else a, dtype="float64")
    if v.shape != shape:
        raise InputError(f"{name}: shape {v.shape} differs from the habitat grid {shape}")
    v = np.where(np.isfinite(v) & (v > 0), v, 0)
    return v.astype(np.int64)


def _prepare(habitat, focal, regions, kw) -> tuple[np.ndarray, np.ndarray | None, FocalCells]:
    cond = conductance_grid(habitat, **kw)
    reg = _ids_grid(regions, cond.shape, "short-circuit regions")
    if isinstance(focal, tuple) and len(focal) == 3:  # (ids, rows, cols): several ids may share a cell
        ids, rows, cols = (np.asarray(a, dtype=np.int64).ravel() for a in focal)
        ny, nx = cond.shape
        if np.any((rows < 0) | (rows >= ny) | (cols < 0) | (cols >= nx)):
            raise InputError("focal: at least one focal cell lies outside the habitat grid")
        keep = ids > 0
        order = np.argsort(ids[keep], kind="stable")
        pts = FocalCells(ids[keep][order], rows[keep][order], cols[keep][order])
        if len(pts.unique) < 2:
            raise InputError("focal: fewer than two focal nodes (ids > 0)")
        return cond, reg, pts
    fv = np.asarray(focal.values if hasattr(focal, "dims") else focal, dtype="float64")
    if fv.shape != cond.shape:
        raise InputError(f"focal: shape {fv.shape} differs from the habitat grid {cond.shape}")
    return cond, reg, focal_cells(fv)


def _check_on_cells(net: Network, pts: FocalCells, policy: str) -> None:
    if policy == "disconnected":
        return
    nodes = net.nodemap[pts.rows, pts.cols]
    missing = [int(p) for p in pts.unique if np.all(nodes[pts.ids == p] < 0)]
    if missing:
        r, c = pts.first_cell(missing[0])
        raise InputError(
            f"focal node {missing[0]} (row {r}, column {c}) lies on no valid habitat cell"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; move it, or pass focal_on_nodata='disconnected' (Circuitscape: resistance -1)"
        )


class _Basis:
    """k-1 grounded solves for the focal nodes of one component; everything else follows from them.

    ``x`` (nodes x k-1) holds the solutions with 1 A into focal node i and the
    last focal node grounded; the grounded node's own solution is 0. The matrix
    and the AMG hierarchy are freed once the solves are done.
    """

    def __init__(self, net: Network, comp: int, focal_nodes: np.ndarray, method: str, rtol: float) -> None:
        focal_nodes = np.asarray(focal_nodes)
        if net.n_components == 1:  # the whole network: no renumbering, no copy of the conductors
            self.nodes = None
            self.focal = focal_nodes.astype(np.int64)
            n = net.n_nodes
        else:
            self.nodes = np.flatnonzero(net.component == comp)
            self.focal = np.searchsorted(self.nodes, focal_nodes).astype(np.int64)  # local numbers
            n = len(self.nodes)
        self.u, self.w, self.g = net.sub_edges(self.nodes)
        k = len(self.focal)
        solver = GroundedSolver.from_edges(
            self.u, self.w, self.g, n, grounded=self.focal[-1:], method=method, rtol=rtol
        )
        b = sp.csr_matrix((np.ones(k - 1), (self.focal[:-1], np.arange(k - 1))), shape=(n, k - 1))
        self.x = np.asfortranarray(solver.solve_many(b))  # k-1 solves, one hierarchy; columns contiguous
        del solver, b
        z = np.zeros((k, k))
        z[:, :-1] = self.x[self.focal]
        self.z = (z + z.T) / 2.0  # Green's function on the focal nodes (row/column of the ground is 0)

    def _sol(self, i: int) -> np.ndarray:
        return self.x[:, i] if i < self.x.shape[1] else np.zeros(self.x.shape[0])

    def pair(self, i: int, j: int) -> tuple[float, np.ndarray]:
        """Resistance between focal nodes i and j, and voltages with 1 A from j to i and 0 V at i."""
        v = self._sol(j) - self._sol(i)
        v -= v[self.focal[i]]
        return float(v[self.focal[j]]), v

    def resistance(self, i: int, j: int) -> float:
        z = self.z
        return float(z[i, i] + z[j, j] - 2.0 * z[i, j])

    def kron(self) -> np.ndarray:
        """Kron-reduced Laplacian of the focal nodes."""
        m = len(self.focal)
        k = np.zeros((m, m))
        if m > 1:
            kr = np.linalg.inv(self.z[:-1, :-1])
            k[:-1, :-1] = kr
            k[-1, :-1] = k[:-1, -1] = -kr.sum(axis=0)
            k[-1, -1] = kr.sum()
        return k

    def grounded_field(self, grounded: np.ndarray, inject: np.ndarray) -> np.ndarray:
        """Voltages with the focal nodes ``grounded`` (bool) at 0 V and currents ``inject`` into the others."""
        k = self.kron()
        free = ~grounded
        vf = np.linalg.solve(k[np.ix_(free, free)], inject[free])
        vfull = np.zeros(len(self.focal))
        vfull[free] = vf
        j = k @ vfull  # currents entering each focal node (the grounds' are negative)
        v = self.x @ j[:-1]
        self.last_inject = j
        return v - v[self.focal[np.flatnonzero(grounded)[0]]]

    def currents(self, v: np.ndarray, inject: np.ndarray | None = None) -> np.ndarray:
        """Node currents for voltages ``v``; ``inject``: currents entering at the focal nodes (sum 0)."""
        if inject is None:
            return branch_node_currents(self.u, self.w, self.g, v)
        return node_currents_injected(
            self.u, self.w, self.g, v, dict(zip(self.focal.tolist(), inject.tolist(), strict=True))
        )


def _pair_key_sets(pairs: Iterable[tuple[int, int]] | None) -> set[tuple[int, int]] | None:
    if pairs is None:
        return None
    out = set()
    for a, b in pairs:
        out.add((int(a), int(b)))
        out.add((int(b), int(a)))
    return out


def _solve_pairs(
    net: Network,
    pts_ids: np.ndarray,
    pts_nodes: np.ndarray,
    res: np.ndarray,
    index: dict[int, int],
    excluded: set[tuple[int, int]],
    maps: dict,
    out: PairwiseResult,
    method: str,
    rtol: float,
) -> None:
    """Solve the pairs of single-node focal points on one network (Circuitscape's no-polygons path)."""
    want_any = maps["cur"] or maps["volt"] or maps["cum"]
    for comp in np.unique(net.component[pts_nodes[pts_nodes >= 0]]):
        in_comp = (pts_nodes >= 0) & (net.component[np.maximum(pts_nodes, 0)] == comp)
        sub = np.flatnonzero(in_comp)
        _, first = np.unique(pts_nodes[sub], return_index=True)
        unodes = pts_nodes[sub][np.sort(first)]
        for n in unodes:  # focal ids sharing a node: resistance 0
            same = pts_ids[pts_nodes == n]
            for a in same:
                for b in same:
                    if a != b:
                        res[index[a], index[b]] = 0.0
        if len(unodes) < 2:
            continue
        basis = _Basis(net, comp, unodes, method, rtol)
        # only the sum wanted: add node currents, spread on the grid once (same additions, same order per cell)
        node_sum = np.zeros(basis.x.shape[0]) if maps["cum"] and not maps["cur"] and out.max_current is None else None
        for i in range(len(unodes)):
            ids_i = pts_ids[pts_nodes == unodes[i]]
            for j in range(i + 1, len(unodes)):
                ids_j = pts_ids[pts_nodes == unodes[j]]
                combos = [(a, b) for a in ids_i for b in ids_j if (int(a), int(b)) not in excluded]
                if not combos:
                    continue
                if want_any:
                    r, v = basis.pair(i, j)
                else:
                    r, v = basis.resistance(i, j), None
                for a, b in combos:
                    res[index[a], index[b]] = res[index[b], index[a]] = r
                    if v is None:
                        continue
                    key = (int(a), int(b))
                    if maps["volt"]:
                        out.voltages[key] = net.to_grid(v, basis.nodes)
                    inj = np.zeros(len(unodes))
                    inj[i], inj[j] = -1.0, 1.0
                    cur = basis.currents(v, inj)
                    if node_sum is not None:
                        node_sum += cur
                        continue
                    cur = net.to_grid(cur, basis.nodes)
                    if maps["cur"]:
                        out.currents[key] = cur
                    out.cumulative_current += cur
                    if out.max_current is not None:
                        np.maximum(out.max_current, cur, out=out.max_current)
        if node_sum is not None:
            out.cumulative_current += net.to_grid(node_sum, basis.nodes)


def circuit_pairwise(
    habitat: Any,
    focal: Any,
    *,
    is_conductance: bool = False,
    neighbours: int = 8,
    average: str = "conductance",
    short_circuit: Any = None,
    include_pairs: Iterable[tuple[int, int]] | None = None,
    exclude_pairs: Iterable[tuple[int, int]] | None = None,
    focal_ids: Iterable[int] | None = None,
    current_maps: bool = True,
    pair_maps: bool = False,
    voltage_maps: bool = False,
    max_current: bool = False,
    focal_on_nodata: str = "error",
    solver: str = "auto",
    rtol: float = 1e-10,
    cellsize: float | None = None,
    crs: Any = None,
    nodata: float | None = None,
) -> PairwiseResult:
    """Effective resistance, current and voltage maps between every pair of focal nodes.

    Parameters
    ----------
    habitat : numpy.ndarray or xarray.DataArray
        Resistance per cell (``is_conductance=True``: conductance). NaN / nodata: no cell.
    focal : array-like or tuple
        Focal id per cell (> 0; 0 / NaN: none), same shape; or a tuple
        ``(ids, rows, cols)`` of focal cells (several ids may share a cell). An id on several
        cells is a focal region: as in Circuitscape, each pair is then solved on
        its own network in which the two regions are short-circuited.
    neighbours : {4, 8}
    average : {"conductance", "resistance"}
        Circuitscape's ``connect_using_avg_resistances = False / True``.
    short_circuit : array-like, optional
        Short-circuit region id per cell (0: none).
    include_pairs, exclude_pairs : iterable of (id, id), optional
        Solve only these pairs (ids in no pair are dropped from the result), or all but these.
    focal_ids : iterable of int, optional
        Keep only these focal ids (default: all; with ``include_pairs``, the ids it names).
    current_maps, pair_maps, voltage_maps, max_current : bool
        Compute the cumulative current map; keep each pair's current map; keep
        each pair's voltage map; compute the maximum current map.
    focal_on_nodata : {"error", "disconnected"}
        A focal id with no valid cell raises, or gets resistance -1 (Circuitscape).
    solver : {"auto", "amg", "direct"}
        See :class:`linfen_geo.connectivity._solve.GroundedSolver`.
    rtol : float
        Relative residual of the CG solves.
    cellsize, crs, nodata
        For array input: see :func:`linfen_geo.connectivity._grid.as_grid`.

    Returns
    -------
    PairwiseResult
        Maps are numpy arrays for array input, DataArrays on the habitat's grid
        for a DataArray habitat (see :class:`PairwiseResult`).

    Examples
    --------
    A 3 x 3 grid of unit resistances, corners 1 and 2, 4 neighbours:

    >>> import numpy as np
    >>> f = np.zeros((3, 3)); f[0, 0], f[2, 2] = 1, 2
    >>> r = circuit_pairwise(np.ones((3, 3)), f, neighbours=4, pair_maps=True)
    >>> round(float(r.resistance[0, 1]), 6), round(float(r.currents[1, 2][1, 1]), 6)
    (1.5, 0.5)

    The same grid as a georeferenced DataArray (30 m cells, a nodata hole):
    the maps come back as DataArrays on that grid, NaN where there is no cell.

    >>> import xarray as xr, rioxarray  # noqa: F401
    >>> hab = xr.DataArray(
    ...     np.array([[1.0, 1, 1], [1, np.nan, 1], [1, 1, 1]]),
    ...     dims=("y", "x"), coords={"y": [75.0, 45.0, 15.0], "x": [15.0, 45.0, 75.0]},
    ... ).rio.write_crs("EPSG:4546")
    >>> cum = circuit_pairwise(hab, f, neighbours=4).cumulative_current
    >>> cum.name, cum.attrs["units"], str(cum.rio.crs), cum.rio.transform().a
    ('cumulative_current', 'A', 'EPSG:4546', 30.0)
    >>> cum.values.round(3).tolist()
    [[1.0, 0.5, 0.5], [0.5, nan, 0.5], [0.5, 0.5, 1.0]]
    """
    cond, reg, pts = _prepare(
        habitat,
        focal,
        short_circuit,
        {"cellsize": cellsize, "crs": crs, "nodata": nodata, "is_conductance": is_conductance},
    )
    excluded: set[tuple[int, int]] = set()
    if focal_ids is not None:
        pts = pts.keep(np.array(sorted(int(i) for i in focal_ids), dtype=np.int64))
    if include_pairs is not None:
        inc = _pair_key_sets(include_pairs) or set()
        if focal_ids is None:
            pts = pts.keep(np.array(sorted({a for a, _ in inc}), dtype=np.int64))
        u = pts.unique
        excluded = {(int(a), int(b)) for a in u for b in u if a != b and (int(a), int(b)) not in inc}
    if exclude_pairs is not None:
        excluded |= _pair_key_sets(exclude_pairs) or set()
    tmpl = map_template(habitat)
    ids = pts.unique
    k = len(ids)
    index = {int(p): i for i, p in enumerate(ids)}
    res = -np.ones((k, k))
    out = PairwiseResult(ids=ids, resistance=res)
    maps = {"cur": pair_maps and current_maps, "volt": voltage_maps, "cum": current_maps or max_current}
    if maps["cum"] or maps["volt"]:
        out.cumulative_current = np.zeros(cond.shape)
        out.max_current = np.full(cond.shape, -9999.0) if max_current else None
    if not pts.has_regions:
        net = build_network(cond, regions=reg, neighbours=neighbours, average=average)
        _check_on_cells(net, pts, focal_on_nodata)
        nodes = net.nodemap[pts.rows, pts.cols]
        _solve_pairs(net, pts.ids, nodes, res, index, excluded, maps, out, solver, rtol)
        has_node = net.nodemap >= 0 if tmpl is not None else None
        del net
    else:
        base = build_network(cond, regions=reg, neighbours=neighbours, average=average)
        _check_on_cells(base, pts, focal_on_nodata)
        has_node = base.nodemap >= 0 if tmpl is not None else None
        del base
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if (int(a), int(b)) in excluded:
                    continue
                net = build_network(
                    cond, regions=merge_pair_regions(reg, pts, cond.shape, a, b), neighbours=neighbours, average=average
                )
                pair_nodes = np.array([net.nodemap[pts.first_cell(a)], net.nodemap[pts.first_cell(b)]])
                if has_node is not None:  # the pair's focal regions may add nodes on nodata cells
                    has_node |= net.nodemap >= 0
                sub = -np.ones((2, 2))
                _solve_pairs(
                    net, np.array([a, b]), pair_nodes, sub, {int(a): 0, int(b): 1}, set(), maps, out, solver, rtol
                )
                res[index[int(a)], index[int(b)]] = res[index[int(b)], index[int(a)]] = sub[0, 1]
    np.fill_diagonal(res, 0.0)
    if not current_maps:
        out.cumulative_current = None
    return wrap_maps(out, tmpl, has_node, "pairs")


def _focal_mode(
    mode: str,
    habitat: Any,
    focal: Any,
    *,
    strengths: dict[int, float] | None,
    include_pairs: Iterable[tuple[int, int]] | None,
    focal_ids: Iterable[int] | None,
    short_circuit: Any,
    neighbours: int,
    average: str,
    current_maps: bool,
    point_maps: bool,
    voltage_maps: bool,
    max_current: bool,
    focal_on_nodata: str,
    solver: str,
    rtol: float,
    grid_kw: dict,
) -> FocalResult:
    cond, reg, pts = _prepare(habitat, focal, short_circuit, grid_kw)
    inc = _pair_key_sets(include_pairs)
    if focal_ids is not None:
        pts = pts.keep(np.array(sorted(int(i) for i in focal_ids), dtype=np.int64))
    elif inc is not None:
        pts = pts.keep(np.array(sorted({a for a, _ in inc}), dtype=np.int64))
    ids = pts.unique
    net = build_network(cond, regions=merge_point_regions(reg, pts, cond.shape), neighbours=neighbours, average=average)
    _check_on_cells(net, pts, focal_on_nodata)
    cell_nodes = net.nodemap[pts.rows, pts.cols]
    res = np.full(len(ids), -1.0)
    out = FocalResult(ids=ids, resistance=res)
    if current_maps or max_current:
        out.cumulative_current = np.zeros(cond.shape)
        out.max_current = np.full(cond.shape, -9999.0) if max_current else None
    if strengths is not None:
        missing = [int(p) for p in ids if int(p) not in strengths]
        if missing:
            raise InputError(f"source strengths: no strength for focal id {missing[0]}")
    bases: dict[int, _Basis] = {}
    for i, n in enumerate(ids):
        n = int(n)
        others = {int(p) for p in ids if p != n and (inc is None or (n, int(p)) in inc)}
        check = cell_nodes[i] if i < len(cell_nodes) else -1  # Circuitscape tests the component of the i-th focal cell
        if check < 0:
            continue
        comp = net.component[check]
        in_comp = (cell_nodes >= 0) & (net.component[np.maximum(cell_nodes, 0)] == comp)
        if comp not in bases:
            fn = np.unique(cell_nodes[in_comp])
            if len(fn) < 2:
                continue
            bases[comp] = _Basis(net, comp, fn, solver, rtol)
        basis = bases[comp]
        fnodes = np.unique(cell_nodes[in_comp])
        pos = {int(v): t for t, v in enumerate(fnodes)}
        grounded = np.zeros(len(fnodes), dtype=bool)
        inject = np.zeros(len(fnodes))
        own = in_comp & (pts.ids == n)
        oth = in_comp & np.isin(pts.ids, list(others))
        if mode == "one-to-all":
            s = strengths[n] if strengths is not None else 1.0
            first = np.flatnonzero(pts.ids == n)[0]
            if not in_comp[first]:
                continue
            src = pos[int(cell_nodes[first])]
            inject[src] = s
            for v in np.unique(cell_nodes[oth]):
                grounded[pos[int(v)]] = True
            grounded[src] = False  # Circuitscape's rmvgnd: the source wins
        else:
            for v in np.unique(cell_nodes[own]):
                grounded[pos[int(v)]] = True
            for p in others:
                cells = np.flatnonzero(oth & (pts.ids == p))
                if strengths is not None:  # Circuitscape: every cell of a region carries the strength
                    np.add.at(inject, [pos[int(cell_nodes[c])] for c in cells], strengths[p])
                elif len(cells) and cells[0] == np.flatnonzero(pts.ids == p)[0]:
                    inject[pos[int(cell_nodes[cells[0]])]] += 1.0
            inject[grounded] = 0.0  # rmvsrc: the ground wins
        if not grounded.any() or inject.sum() == 0:
            continue
        v = basis.grounded_field(grounded, inject)
        if mode == "one-to-all":
            r = float(v[basis.focal[src]]) / s
            res[i] = -1.0 if r == 0 else r
        else:
            res[i] = 0.0
        if voltage_maps:
            out.voltages[n] = net.to_grid(v, basis.nodes)
        if out.cumulative_current is not None:
            cur = net.to_grid(basis.currents(v, basis.last_inject), basis.nodes)
            if point_maps:
                out.currents[n] = cur
            out.cumulative_current += cur
            if out.max_current is not None:
                np.maximum(out.max_current, cur, out=out.max_current)
    if not current_maps:
        out.cumulative_current = None
    tmpl = map_template(habitat)
    return wrap_maps(out, tmpl, net.nodemap >= 0 if tmpl is not None else None, "focal nodes")


def circuit_advanced(
    habitat: Any,
    sources: Any,
    grounds: Any,
    *,
    is_conductance: bool = False,
    grounds_are_resistances: bool = True,
    direct_grounds: bool = False,
    unit_currents: bool = False,
    remove: str = "keepall",
    short_circuit: Any = None,
    neighbours: int = 8,
    average: str = "conductance",
    solver: str = "auto",
    rtol: float = 1e-10,
    cellsize: float | None = None,
    crs: Any = None,
    nodata: float | None = None,
) -> AdvancedResult:
    """Voltages and currents for given current sources and grounds (Circuitscape's advanced mode).

    Parameters
    ----------
    sources : array-like
        Current (A) injected in each cell (0 / NaN: none; negative: a sink).
    grounds : array-like
        Resistance (``grounds_are_resistances``; 0 = direct ground) or
        conductance (``inf`` = direct ground) from each cell to ground; NaN: none.
    direct_grounds, unit_currents : bool
        Make every ground direct (0 ohm); make every source 1 A.
    remove : {"keepall", "rmvsrc", "rmvgnd", "rmvall"}
        Conflicts (a node with both source and ground): keep both, drop the
        source, drop the ground, or (Circuitscape.jl) drop the source. A direct
        ground never stays on a node with a positive source. As in
        Circuitscape.jl, dropping a resistive ground keeps its conductance in the
        system; only the check "does this component have a ground" sees it gone.

    Examples
    --------
    >>> import numpy as np
    >>> r = circuit_advanced(np.ones((1, 3)), np.array([[1.0, 0, 0]]), np.array([[np.nan, np.nan, 0.0]]), neighbours=4)
    >>> r.voltage.round(9).tolist(), r.current.round(9).tolist()
    ([[2.0, 1.0, 0.0]], [[1.0, 1.0, 1.0]])
    """
    cond = conductance_grid(habitat, is_conductance=is_conductance, cellsize=cellsize, crs=crs, nodata=nodata)
    reg = _ids_grid(short_circuit, cond.shape, "short-circuit regions")
    net = build_network(cond, regions=reg, neighbours=neighbours, average=average)
    src = np.nan_to_num(np.asarray(sources, dtype="float64"), nan=0.0)
    gnd = np.asarray(grounds, dtype="float64")
    for name, a in (("sources", src), ("grounds", gnd)):
        if a.shape != cond.shape:
            raise InputError(f"{name}: shape {a.shape} differs from the habitat grid {cond.shape}")
    if unit_currents:
        src = np.where(src != 0, 1.0, 0.0)
    with np.errstate(divide="ignore"):
        gc = np.where(np.isnan(gnd), 0.0, 1.0 / gnd) if grounds_are_resistances else np.nan_to_num(gnd, nan=0.0)
    if np.any(gc < 0):
        raise InputError("grounds: negative ground resistance or conductance")
    if direct_grounds:
        gc = np.where(gc != 0, np.inf, 0.0)
    has = net.nodemap >= 0
    n = net.n_nodes
    s_node = np.bincount(net.nodemap[has], src[has], n)
    g_node = np.bincount(net.nodemap[has], np.where(np.isinf(gc[has]), 0.0, gc[has]), n)
    inf_node = np.zeros(n, dtype=bool)
    inf_node[net.nodemap[has & np.isinf(gc)]] = True
    finite = g_node.copy()  # Circuitscape takes the resistive grounds before resolving conflicts
    g_node[inf_node] = np.inf
    conflict = (s_node != 0) & (g_node != 0)
    if remove not in ("keepall", "rmvsrc", "rmvgnd", "rmvall"):
        raise InputError(f"remove must be keepall, rmvsrc, rmvgnd or rmvall, got {remove!r}")
    if remove in ("rmvsrc", "rmvall"):
        s_node[conflict] = 0.0
    elif remove == "rmvgnd":
        g_node[conflict] = 0.0
    g_node[np.isinf(g_node) & (s_node > 0)] = 0.0
    volt = np.zeros(n)
    cur = np.zeros(n)
    solved = 0
    for comp in np.unique(net.component):
        nodes = np.flatnonzero(net.component == comp)
        if s_node[nodes].sum() == 0 or g_node[nodes].sum() == 0:
            continue
        direct = np.flatnonzero(np.isinf(g_node[nodes]))
        u, w, g = net.sub_edges(nodes)
        gs = GroundedSolver.from_edges(
            u, w, g, len(nodes), grounded=direct, ground_g=finite[nodes], method=solver, rtol=rtol
        )
        v = gs.solve(s_node[nodes])
        del gs
        volt[nodes] = v
        cur[nodes] = branch_node_currents(u, w, g, v, finite[nodes])
        solved += 1
    out = AdvancedResult(voltage=net.to_grid(volt), current=net.to_grid(cur), solved_components=solved)
    tmpl = map_template(habitat)
    return wrap_maps(out, tmpl, net.nodemap >= 0 if tmpl is not None else None, "advanced")


def circuit_one_to_all(habitat: Any, focal: Any, **kw: Any) -> FocalResult:
    """Each focal node in turn injects current (1 A, or its strength) while all others are grounded.

    Keywords as :func:`circuit_pairwise` (``point_maps`` replaces ``pair_maps``),
    plus ``strengths`` (dict id -> amperes). Focal regions are short-circuited.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.array([[1, 0, 2, 0, 3]])
    >>> circuit_one_to_all(np.ones((1, 5)), f, neighbours=4).resistance.round(9).tolist()
    [2.0, 1.0, 2.0]
    """
    return _focal_mode("one-to-all", habitat, focal, **_focal_kw(kw))


def circuit_all_to_one(habitat: Any, focal: Any, **kw: Any) -> FocalResult:
    """Each focal node in turn is grounded while every other injects 1 A (or its strength).

    ``resistance`` is 0 for solved ids, -1 for ids with nothing to connect to.

    Examples
    --------
    >>> import numpy as np
    >>> r = circuit_all_to_one(np.ones((1, 3)), np.array([[1, 0, 2]]), neighbours=4, point_maps=True)
    >>> r.currents[1].round(9).tolist()
    [[1.0, 1.0, 1.0]]
    """
    return _focal_mode("all-to-one", habitat, focal, **_focal_kw(kw))


def _focal_kw(kw: dict) -> dict:
    defaults = {
        "strengths": None, "include_pairs": None, "focal_ids": None, "short_circuit": None, "neighbours": 8, "average": "conductance",
        "current_maps": True, "point_maps": False, "voltage_maps": False, "max_current": False,
        "focal_on_nodata": "error", "solver": "auto", "rtol": 1e-10,
    }  # fmt: skip
    grid_kw = {k: kw.pop(k) for k in ("cellsize", "crs", "nodata", "is_conductance") if k in kw}
    unknown = set(kw) - set(defaults)
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    return {**defaults, **kw, "grid_kw": grid_kw}

"""The resistor network of a raster, built the way Circuitscape builds it.

Every valid cell (conductance > 0) is a node; cells of one short-circuit region
share one node. Neighbouring nodes are joined by a conductor whose value is the
mean of the two cells' conductances (``average="conductance"``) or the
reciprocal of the mean of their resistances (``average="resistance"``);
diagonal conductors are divided by sqrt(2). Nodes are numbered as
Circuitscape.jl numbers them (column-major order of each node's first valid
cell), so branch orientations, and therefore the rounding of tiny branch
currents in current maps, match its outputs.

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity._network import build_network
>>> net = build_network(np.array([[1.0, 1.0], [0.0, 1.0]]), neighbours=4)
>>> net.n_nodes, net.edges_u.tolist(), net.edges_w.tolist(), net.edges_g.tolist()
(3, [0, 1], [1, 2], [1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = [
    "Network",
    "branch_node_currents",
    "build_network",
    "laplacian_from_edges",
    "node_currents_injected",
    "node_map",
]

SQRT2 = np.sqrt(2.0)


def node_map(conductance: np.ndarray, regions: np.ndarray | None = None) -> np.ndarray:
    """Node number (1-based, 0 = no node) of each cell (int32).

    Cells of one region (``regions`` value != 0) share the node of the region's
    first valid cell in column-major order; a region's invalid cells join that
    node too (as in Circuitscape), a region without a valid cell is ignored.
    """
    valid = conductance > 0
    reg = sel = None
    if regions is not None and regions.size:
        reg = np.asarray(regions, dtype=np.int64)
        sel = valid & (reg != 0)
    if sel is None or not sel.any():  # no region: nodes numbered in column-major order of their cells
        vt = valid.T
        num = np.cumsum(vt, dtype=np.int32).reshape(vt.shape)
        num *= vt
        return np.ascontiguousarray(num.T)
    lin = np.arange(valid.size, dtype=np.int64).reshape(valid.shape, order="F")
    rep = np.where(valid, lin, -1)
    ids, first = _group_min(reg[sel], lin[sel])
    del lin
    inreg = reg != 0
    pos = np.searchsorted(ids, reg[inreg])
    pos_c = np.minimum(pos, len(ids) - 1)
    hit = ids[pos_c] == reg[inreg]
    vals = rep[inreg]
    vals[hit] = first[pos_c[hit]]
    rep[inreg] = vals
    nodemap = np.zeros(valid.shape, dtype=np.int32)
    has = rep >= 0
    _, inv = np.unique(rep[has], return_inverse=True)
    nodemap[has] = inv + 1
    return nodemap


def _group_min(keys: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((vals, keys))
    k, v = keys[order], vals[order]
    start = np.r_[0, np.flatnonzero(np.diff(k)) + 1]
    return k[start], v[start]


@dataclass(frozen=True)
class Network:
    """A resistor network on raster cells.

    Attributes
    ----------
    nodemap : numpy.ndarray
        int32 grid of 0-based node numbers, -1 where a cell has no node.
    n_nodes : int
        Number of nodes.
    edges_u, edges_w : numpy.ndarray
        End nodes of each conductor (int32), ``edges_u < edges_w`` (parallel conductors summed),
        sorted by ``edges_w``, then ``edges_u``.
    edges_g : numpy.ndarray
        Conductance of each conductor.
    component : numpy.ndarray
        Connected-component label of each node (int32).
    """

    nodemap: np.ndarray
    n_nodes: int
    edges_u: np.ndarray
    edges_w: np.ndarray
    edges_g: np.ndarray
    component: np.ndarray

    @property
    def n_components(self) -> int:
        return int(self.component.max()) + 1 if self.n_nodes else 0

    def _local(self, nodes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        if nodes is None or len(nodes) == self.n_nodes:  # the whole network: the edges themselves, no copy
            return self.edges_u, self.edges_w, self.edges_g, self.n_nodes
        local = np.full(self.n_nodes, -1, dtype=np.int32)
        local[nodes] = np.arange(len(nodes), dtype=np.int32)
        keep = (local[self.edges_u] >= 0) & (local[self.edges_w] >= 0)
        return local[self.edges_u[keep]], local[self.edges_w[keep]], self.edges_g[keep], len(nodes)

    def laplacian(self, nodes: np.ndarray | None = None) -> sp.csr_matrix:
        """Graph Laplacian of the whole network, or of the sub-network on ``nodes`` (sorted node numbers)."""
        u, w, g, n = self._local(nodes)
        return laplacian_from_edges(u, w, g, n)

    def sub_edges(self, nodes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Conductors inside ``nodes`` (sorted; None: all), in local numbering (views when all nodes)."""
        u, w, g, _ = self._local(nodes)
        return u, w, g

    def to_grid(self, node_values: np.ndarray, nodes: np.ndarray | None = None, fill: float = 0.0) -> np.ndarray:
        """Spread node values (of all nodes, or of ``nodes`` only) on the cells; ``fill`` elsewhere."""
        full = np.full(self.n_nodes + 1, fill, dtype="float64")
        if nodes is None:
            full[:-1] = node_values
        else:
            full[nodes] = node_values
        return full[self.nodemap]  # nodemap -1 reads the trailing fill


def laplacian_from_edges(
    u: np.ndarray,
    w: np.ndarray,
    g: np.ndarray,
    n: int,
    keep: np.ndarray | None = None,
    ground_g: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Laplacian (plus ``diag(ground_g)``) of the conductors ``(u, w, g)`` on n nodes, CSR, int32 indices.

    With ``keep`` (bool, length n) the rows and columns of the other nodes are
    left out (direct grounds: their voltage is 0), without building the full
    matrix first; their conductors still count in the diagonal of their neighbours.
    """
    deg = np.bincount(u, g, n)
    deg += np.bincount(w, g, n)
    if ground_g is not None:
        deg += ground_g
    if keep is not None and not keep.all():
        new = np.cumsum(keep, dtype=np.int32)
        new -= 1
        sel = keep[u] & keep[w]
        u, w, g, deg, n = new[u[sel]], new[w[sel]], g[sel], deg[keep], int(keep.sum())
        del new, sel
    if len(u) > 1 and not np.all((w[1:] > w[:-1]) | ((w[1:] == w[:-1]) & (u[1:] > u[:-1]))):
        return _laplacian_coo(u, w, g, deg, n)
    return _laplacian_sorted(u, w, g, deg, n)


def _laplacian_coo(u: np.ndarray, w: np.ndarray, g: np.ndarray, deg: np.ndarray, n: int) -> sp.csr_matrix:
    idx = np.int32 if 2 * len(u) + n < 2**31 - 1 else np.int64
    diag = np.arange(n, dtype=idx)
    rows = np.concatenate([u.astype(idx, copy=False), w.astype(idx, copy=False), diag])
    cols = np.concatenate([w.astype(idx, copy=False), u.astype(idx, copy=False), diag])
    del diag
    data = np.concatenate([-g, -g, deg])
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def _laplacian_sorted(u: np.ndarray, w: np.ndarray, g: np.ndarray, deg: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR Laplacian of conductors sorted by (w, u), written in place: no sort, no COO copy.

    Row i holds its lower neighbours (the conductors with w = i, already in
    order), the diagonal, then its upper neighbours (u = i), which one CSR to
    CSC conversion of the lower triangle puts in order.
    """
    e = len(u)
    idx = np.int32 if 2 * e + n < 2**31 - 1 else np.int64
    cnt_lo = np.bincount(w, minlength=n).astype(idx)
    lo_ptr = np.zeros(n + 1, dtype=idx)
    np.cumsum(cnt_lo, out=lo_ptr[1:])
    up = sp.csr_matrix((g, u.astype(idx, copy=False), lo_ptr), shape=(n, n)).tocsc()
    cnt_up = np.diff(up.indptr).astype(idx, copy=False)
    indptr = np.zeros(n + 1, dtype=idx)
    np.cumsum(cnt_lo + cnt_up + 1, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=idx)
    data = np.empty(int(indptr[-1]))
    pos = np.arange(e, dtype=idx)
    pos += (indptr[:-1] - lo_ptr[:-1])[w]
    indices[pos] = u
    data[pos] = g
    dpos = indptr[:-1] + cnt_lo
    del lo_ptr, cnt_lo
    pos = np.arange(e, dtype=idx)
    pos += np.repeat(dpos + 1 - up.indptr[:-1].astype(idx, copy=False), cnt_up)
    indices[pos] = up.indices
    data[pos] = up.data
    del pos, up
    np.negative(data, out=data)
    indices[dpos] = np.arange(n, dtype=idx)
    data[dpos] = deg
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


def _conductors(a_c: np.ndarray, b_c: np.ndarray, average: str, diag: bool) -> np.ndarray:
    """Conductor between cells of conductances a_c and b_c (inf / NaN from overflow: 0)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if average == "conductance":
            g = a_c + b_c
            g /= 2.0
        else:
            g = 1.0 / ((1.0 / a_c + 1.0 / b_c) / 2.0)
        if diag:
            g /= SQRT2
    g[~np.isfinite(g)] = 0.0
    return g


def _edges_column_order(c: np.ndarray, nm1: np.ndarray, neighbours: int, average: str) -> tuple[np.ndarray, ...]:
    """Conductors of a network without regions, already in Circuitscape's order (by upper node, then lower).

    Without regions nodes are numbered in column-major order of their cells, so
    the lower node of a conductor is the neighbour earlier in that order. In the
    transposed grid (column-major = row-major) the earlier neighbours of a cell
    are, in order: up-left diagonal, left, down-left diagonal, up. One slot per
    neighbour and cell, flattened and compacted: no sort.
    """
    ct, nt = c.T, nm1.T  # (nx, ny): ct[i, j] is column i, row j
    nx, ny = ct.shape
    slots = [(-1, -1, True), (-1, 0, False), (-1, 1, True), (0, -1, False)]
    if neighbours == 4:
        slots = [s for s in slots if not s[2]]
    gs = np.zeros((nx, ny, len(slots)))
    lo = np.zeros((nx, ny, len(slots)), dtype=np.int32)
    for s, (di, dj, diag) in enumerate(slots):
        i0, j0, j1 = -di, max(0, -dj), ny - max(0, dj)
        hn, ln = nt[i0:, j0:j1], nt[i0 + di : nx + di, j0 + dj : j1 + dj]
        ok = (hn > 0) & (ln > 0)
        g = _conductors(ct[i0:, j0:j1], ct[i0 + di : nx + di, j0 + dj : j1 + dj], average, diag)
        gs[i0:, j0:j1, s] = np.where(ok, g, 0.0)
        lo[i0:, j0:j1, s] = ln
        del hn, ln, ok, g
    return gs, lo


def build_network(
    conductance: np.ndarray,
    *,
    regions: np.ndarray | None = None,
    neighbours: int = 8,
    average: str = "conductance",
) -> Network:
    """Build the resistor network of a conductance grid (0 / NaN = no cell).

    Parameters
    ----------
    conductance : numpy.ndarray
        Cell conductances; cells <= 0 or NaN carry no node (unless inside a region).
    regions : numpy.ndarray, optional
        Short-circuit region ids (0 = none); each region becomes one node.
    neighbours : {4, 8}
        Connection scheme.
    average : {"conductance", "resistance"}
        How a conductor between two cells is computed (Circuitscape's
        ``connect_using_avg_resistances``).

    Notes
    -----
    Node numbers and conductor ends are int32 (int64 beyond 2**31 nodes). Memory:
    without regions the conductors are laid out directly in their final order
    (about 130 bytes per cell at the peak for 8 neighbours); with regions they are
    sorted and parallel conductors summed.
    """
    if neighbours not in (4, 8):
        from linfen_geo.errors import InputError

        raise InputError(f"neighbours must be 4 or 8, got {neighbours!r}")
    if average not in ("conductance", "resistance"):
        from linfen_geo.errors import InputError

        raise InputError(f"average must be 'conductance' or 'resistance', got {average!r}")
    c = np.where(np.isfinite(conductance) & (conductance > 0), conductance, 0.0).astype("float64", copy=False)
    nm1 = node_map(c, regions)
    n = int(nm1.max())
    plain = regions is None or not np.any((np.asarray(regions) != 0) & (c > 0))
    if plain:
        gs, lo = _edges_column_order(c, nm1, neighbours, average)
        keep = gs > 0
        eg = gs[keep]
        del gs
        eu = lo[keep]
        del lo
        ew = np.broadcast_to(nm1.T[:, :, None], keep.shape)[keep]
        del keep
        eu -= 1
        ew -= 1
    else:
        eu, ew, eg = _edges_sorted(c, nm1, n, neighbours, average)
    del c
    _, comp = connected_components(sp.coo_matrix((eg, (eu, ew)), shape=(n, n)), directed=False)
    return Network(
        nodemap=nm1 - 1, n_nodes=n, edges_u=eu, edges_w=ew, edges_g=eg, component=comp.astype(np.int32, copy=False)
    )


def _edges_sorted(
    c: np.ndarray, nm1: np.ndarray, n: int, neighbours: int, average: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conductors of any network: per neighbour offset, then sorted by (upper, lower) node and summed."""
    ny, nx = c.shape
    us, ws, gs = [], [], []
    offsets = [(0, 1, False), (1, 0, False)]
    if neighbours == 8:
        offsets += [(1, 1, True), (-1, 1, True)]
    for dr, dc, diag in offsets:
        r0, r1 = max(0, -dr), ny - max(0, dr)
        a_n = nm1[r0:r1, 0 : nx - dc]
        b_n = nm1[r0 + dr : r1 + dr, dc:nx]
        keep = (a_n > 0) & (b_n > 0) & (a_n != b_n)
        g = _conductors(c[r0:r1, 0 : nx - dc][keep], c[r0 + dr : r1 + dr, dc:nx][keep], average, diag)
        x, y = a_n[keep], b_n[keep]
        us.append(np.minimum(x, y) - 1)
        ws.append(np.maximum(x, y) - 1)
        gs.append(g)
    u, w, g = np.concatenate(us), np.concatenate(ws), np.concatenate(gs)
    del us, ws, gs
    pos = g > 0
    u, w, g = u[pos], w[pos], g[pos]
    order = np.argsort(w.astype(np.int64) * max(n, 1) + u, kind="stable")  # Circuitscape walks column by column
    u, w, g = u[order], w[order], g[order]
    start = np.r_[True, (u[1:] != u[:-1]) | (w[1:] != w[:-1])]
    if not start.all():  # parallel conductors (through a region): one conductor, their sum
        first = np.flatnonzero(start)
        u, w, g = u[first], w[first], np.add.reduceat(g, first)
    return u, w, g


def branch_node_currents(
    u: np.ndarray,
    w: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    ground_g: np.ndarray | None = None,
) -> np.ndarray:
    """Current through each node, as Circuitscape computes it for current maps.

    The current of a node is the larger of the current flowing into it and the
    current flowing out of it (through conductors and, for ``ground_g``, to
    ground); for a node without source or ground both are equal, half the sum of
    the absolute currents of its conductors. Branch currents smaller than 1e-8
    of the largest one are set to zero first, as Circuitscape does.
    """
    n = len(v)
    f = g * (v[u] - v[w])  # current from u to w
    with np.errstate(divide="ignore", invalid="ignore"):
        fp = np.where(np.abs(f / f.max()) < 1e-8, 0.0, f) if len(f) else f
        fn = np.where(np.abs(f / (-f).max()) < 1e-8, 0.0, f) if len(f) else f
    inflow = np.bincount(w, np.maximum(fp, 0.0), n) + np.bincount(u, np.maximum(-fp, 0.0), n)
    outflow = np.bincount(u, np.maximum(fn, 0.0), n) + np.bincount(w, np.maximum(-fn, 0.0), n)
    if ground_g is not None:
        gc = ground_g * v
        inflow = inflow + np.where(gc < 0, -gc, 0.0)
        outflow = outflow + np.where(gc > 0, gc, 0.0)
    return np.maximum(inflow, outflow)


def node_currents_injected(
    u: np.ndarray, w: np.ndarray, g: np.ndarray, v: np.ndarray, inject: dict[int, float]
) -> np.ndarray:
    """:func:`branch_node_currents` for a network whose only sources and sinks are direct injections.

    A node's inflow and outflow differ by the current injected there, so the
    larger is (sum of |branch currents| + |injected|) / 2: two weighted counts
    instead of four. Branch currents under 1e-8 of the largest are dropped
    (one threshold; Circuitscape applies it per flow direction, which changes
    nothing above 1e-8 of the largest branch current).
    """
    f = v[u]
    f -= v[w]
    f *= g
    np.abs(f, out=f)
    if len(f):
        f[f < 1e-8 * f.max()] = 0.0
    s = np.bincount(u, f, len(v)) + np.bincount(w, f, len(v))
    for node, amps in inject.items():
        s[node] += abs(amps)
    return s / 2.0

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

__all__ = ["Network", "branch_node_currents", "build_network", "node_map", "node_currents_injected"]

SQRT2 = np.sqrt(2.0)


def node_map(conductance: np.ndarray, regions: np.ndarray | None = None) -> np.ndarray:
    """Node number (1-based, 0 = no node) of each cell.

    Cells of one region (``regions`` value != 0) share the node of the region's
    first valid cell in column-major order; a region's invalid cells join that
    node too (as in Circuitscape), a region without a valid cell is ignored.
    """
    valid = conductance > 0
    lin = np.arange(valid.size, dtype=np.int64).reshape(valid.shape, order="F")
    rep = np.where(valid, lin, -1)
    if regions is not None and regions.size:
        reg = np.asarray(regions, dtype=np.int64)
        sel = valid & (reg != 0)
        if sel.any():
            ids, first = _group_min(reg[sel], lin[sel])
            inreg = reg != 0
            pos = np.searchsorted(ids, reg[inreg])
            pos_c = np.minimum(pos, len(ids) - 1)
            hit = ids[pos_c] == reg[inreg]
            vals = rep[inreg]
            vals[hit] = first[pos_c[hit]]
            rep[inreg] = vals
    nodemap = np.zeros(valid.shape, dtype=np.int64)
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
        int64 grid of 0-based node numbers, -1 where a cell has no node.
    n_nodes : int
        Number of nodes.
    edges_u, edges_w : numpy.ndarray
        End nodes of each conductor, ``edges_u < edges_w`` (parallel conductors summed).
    edges_g : numpy.ndarray
        Conductance of each conductor.
    component : numpy.ndarray
        Connected-component label of each node.
    """

    nodemap: np.ndarray
    n_nodes: int
    edges_u: np.ndarray
    edges_w: np.ndarray
    edges_g: np.ndarray
    component: np.ndarray

    def laplacian(self, nodes: np.ndarray | None = None) -> sp.csr_matrix:
        """Graph Laplacian of the whole network, or of the sub-network on ``nodes`` (sorted node numbers)."""
        u, w, g, n = self.edges_u, self.edges_w, self.edges_g, self.n_nodes
        if nodes is not None:
            local = np.full(self.n_nodes, -1, dtype=np.int64)
            local[nodes] = np.arange(len(nodes))
            keep = (local[u] >= 0) & (local[w] >= 0)
            u, w, g, n = local[u[keep]], local[w[keep]], g[keep], len(nodes)
        a = sp.coo_matrix((np.r_[g, g], (np.r_[u, w], np.r_[w, u])), shape=(n, n)).tocsr()
        return (sp.diags(np.asarray(a.sum(axis=1)).ravel()) - a).tocsr()

    def sub_edges(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Conductors inside ``nodes`` (sorted), in local numbering."""
        local = np.full(self.n_nodes, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        keep = (local[self.edges_u] >= 0) & (local[self.edges_w] >= 0)
        return local[self.edges_u[keep]], local[self.edges_w[keep]], self.edges_g[keep]

    def to_grid(self, node_values: np.ndarray, nodes: np.ndarray | None = None, fill: float = 0.0) -> np.ndarray:
        """Spread node values (of all nodes, or of ``nodes`` only) on the cells; ``fill`` elsewhere."""
        full = np.full(self.n_nodes + 1, fill, dtype="float64")
        if nodes is None:
            full[:-1] = node_values
        else:
            full[nodes] = node_values
        return full[self.nodemap]  # nodemap -1 reads the trailing fill


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
    """
    if neighbours not in (4, 8):
        from linfen_geo.errors import InputError

        raise InputError(f"neighbours must be 4 or 8, got {neighbours!r}")
    if average not in ("conductance", "resistance"):
        from linfen_geo.errors import InputError

        raise InputError(f"average must be 'conductance' or 'resistance', got {average!r}")
    c = np.where(np.isfinite(conductance) & (conductance > 0), conductance, 0.0).astype("float64")
    nm1 = node_map(c, regions)
    ny, nx = c.shape
    us, ws, gs = [], [], []
    offsets = [(0, 1, False), (1, 0, False)]
    if neighbours == 8:
        offsets += [(1, 1, True), (-1, 1, True)]
    with np.errstate(divide="ignore", invalid="ignore"):
        for dr, dc, diag in offsets:
            r0, r1 = max(0, -dr), ny - max(0, dr)
            a_n = nm1[r0:r1, 0 : nx - dc]
            b_n = nm1[r0 + dr : r1 + dr, dc:nx]
            a_c = c[r0:r1, 0 : nx - dc]
            b_c = c[r0 + dr : r1 + dr, dc:nx]
            keep = (a_n > 0) & (b_n > 0) & (a_n != b_n)
            x, y = a_c[keep], b_c[keep]
            g = (x + y) / 2.0 if average == "conductance" else 1.0 / ((1.0 / x + 1.0 / y) / 2.0)
            if diag:
                g = g / SQRT2
            us.append(a_n[keep] - 1)
            ws.append(b_n[keep] - 1)
            gs.append(np.nan_to_num(g, nan=0.0, posinf=0.0))
    u, w, g = np.concatenate(us), np.concatenate(ws), np.concatenate(gs)
    n = int(nm1.max())
    lo, hi = np.minimum(u, w), np.maximum(u, w)
    keep = g > 0
    m = sp.coo_matrix((g[keep], (lo[keep], hi[keep])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m = m.tocoo()
    order = np.lexsort((m.row, m.col))  # Circuitscape walks the upper triangle column by column
    eu, ew, eg = m.row[order].astype(np.int64), m.col[order].astype(np.int64), m.data[order]
    _, comp = connected_components(sp.coo_matrix((eg, (eu, ew)), shape=(n, n)), directed=False)
    return Network(nodemap=nm1 - 1, n_nodes=n, edges_u=eu, edges_w=ew, edges_g=eg, component=comp)


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
    f = np.abs(g * (v[u] - v[w]))
    if len(f):
        f[f < 1e-8 * f.max()] = 0.0
    s = np.bincount(u, f, len(v)) + np.bincount(w, f, len(v))
    for node, amps in inject.items():
        s[node] += abs(amps)
    return s / 2.0

"""Corridors (廊道) between adjacent sources: least-cost paths, gravity ranks, pinch points, barriers, current.

On the connectivity engine (:mod:`linfen_geo.connectivity`, Linkage Mapper semantics):

- :func:`~linfen_geo.connectivity.corridor_network`: links between sources whose cost
  allocation zones touch, least-cost paths, corridors cut at ``[pattern] corridor_width_cost``;
- :func:`~linfen_geo.connectivity.gravity_model`: G_ab = N_a N_b / D_ab^2 (N = ln(area in ha) /
  mean resistance); rank 1 = largest G; important (重要廊道) when G >= ``gravity_threshold`` x max G;
- :func:`~linfen_geo.connectivity.pinch_points`: current within each corridor (1 A between its
  two sources); pinch-point cells carry >= ``pinch_share`` of their corridor's peak current;
- :func:`~linfen_geo.connectivity.barrier_improvement` with ``barrier_radii_m`` and the
  restored class's resistance; barrier cells score > ``barrier_min_score``;
- the cumulative current of Circuitscape pairwise runs between the linked sources (full grid).

Examples
--------
>>> import numpy as np
>>> path_line(np.array([[0, 0], [1, 1]]), __import__("affine").Affine(10, 0, 0, 0, -10, 20)).wkt
'LINESTRING (5 15, 15 5)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from linfen_geo.pattern.landscape import Landscape, cell_centres

__all__ = ["Network", "corridor_links", "lcp_cells", "path_line", "sensitivity"]


def path_line(path: np.ndarray, transform: Any) -> Any:
    """A least-cost path (rows, cols) as a LineString through its cell centres (one cell: zero length)."""
    import shapely

    xs = transform.c + transform.a * (path[:, 1] + 0.5)
    ys = transform.f + transform.e * (path[:, 0] + 0.5)
    if len(path) == 1:
        xs, ys = np.r_[xs, xs], np.r_[ys, ys]
    return shapely.linestrings(np.c_[xs, ys])


@dataclass
class Network:
    """Result of :func:`corridor_links` (arrays on the landscape grid).

    Attributes
    ----------
    net : linfen_geo.connectivity.CorridorNetwork
    links : pandas.DataFrame
        Kept links: ``link_id``, ``a``, ``b``, ``lcd``, ``path_length`` (m), ``euclidean``, ratios,
        ``n_a``, ``n_b``, ``d``, ``g``, ``rank``, ``level`` (important / general), ``r_eff`` (ohm,
        full grid), ``r_corridor`` (ohm, within the corridor), ``pinch_current`` (peak A).
    link_of_cell : numpy.ndarray
        Index (``link_id``) of the corridor each cell belongs to (lowest normalised cost), -1 outside.
    pinch, current, barrier : numpy.ndarray
        Corridor current (pinch points), cumulative current, barrier score per metre restored.
    barrier_radius : numpy.ndarray
        Radius (m) giving each cell's best barrier score.
    """

    net: Any
    links: Any
    link_of_cell: np.ndarray
    corridor_value: np.ndarray
    pinch: np.ndarray
    current: np.ndarray
    barrier: np.ndarray
    barrier_radius: np.ndarray


def lcp_cells(net: Any, shape: tuple[int, int]) -> np.ndarray:
    """bool grid of the cells on the least-cost paths of the kept links."""
    out = np.zeros(shape, bool)
    for rec in net.links[~net.links["dropped"]].itertuples():
        p = net.paths[rec.a, rec.b]
        out[p[:, 0], p[:, 1]] = True
    return out


def _corridor_resistance(net: Any, a: int, b: int, width: float) -> np.ndarray:
    """Resistance restricted to one corridor and its two sources (NaN elsewhere), as Pinchpoint Mapper."""
    inside = (net.corridor(a, b) <= width) & net.grid.valid
    inside |= np.isin(net.ids, [a, b]) & net.grid.valid
    return np.where(inside, net.grid.values, np.nan)


def corridor_resistance_ohm(res: np.ndarray, ids: np.ndarray, a: int, b: int) -> float:
    """Effective resistance between sources a and b on ``res`` (focal regions; -1: not connected)."""
    from linfen_geo.connectivity.circuit import circuit_pairwise

    focal = np.where(np.isin(ids, [a, b]), ids, 0)
    r = circuit_pairwise(res, focal, current_maps=False, focal_on_nodata="disconnected")
    return float(r.resistance[0, 1]) if len(r.ids) == 2 else -1.0


def corridor_links(ls: Landscape, resistance: np.ndarray, ids: np.ndarray, w: Any, restored: np.ndarray) -> Network:
    """Corridors, paths, gravity ranks, pinch points, barrier scores and current of a source set.

    Parameters
    ----------
    resistance : numpy.ndarray
        Resistance per metre (NaN: no cell).
    ids : numpy.ndarray
        Source id per cell.
    w
        ``[pattern]`` weights (:class:`linfen_geo.plan.model.Pattern`).
    restored : numpy.ndarray
        Resistance of restored cells (for the barrier score: its mean over valid cells).
    """
    from linfen_geo.connectivity import barrier_improvement, circuit_pairwise, corridor_network, gravity_model
    from linfen_geo.connectivity import pinch_points as _pinch

    da = ls.like(resistance, "resistance")
    net = corridor_network(da, ids, width=w.corridor_width_cost)
    links = gravity_model(net, area_unit=1e4)
    links.insert(0, "link_id", np.arange(len(links)))
    g_cut = float(np.quantile(links["g"], w.gravity_threshold)) if len(links) else 0.0
    links["rank"] = links["g"].rank(ascending=False, method="first").astype(int)
    links["level"] = np.where(links["g"] >= g_cut, "important", "general")
    links["level_zh"] = np.where(links["level"] == "important", "重要廊道", "一般廊道")
    # corridor membership: the kept link of lowest normalised corridor value
    if len(links):
        stack = np.stack([net.corridor(int(a), int(b)) for a, b in links[["a", "b"]].itertuples(index=False)])
        best = np.argmin(np.where(np.isfinite(stack), stack, np.inf), axis=0)
        value = np.take_along_axis(stack, best[None], axis=0)[0]
        del stack
    else:
        best, value = np.zeros(ls.shape, int), np.full(ls.shape, np.inf)
    inside = (value <= w.corridor_width_cost) & ls.valid
    link_of_cell = np.where(inside, best, -1)
    pinch = _pinch(net)
    # per link: peak corridor current outside the sources, and the corridor's own effective resistance
    r_corr = []
    for rec in links.itertuples():
        r_corr.append(
            corridor_resistance_ohm(_corridor_resistance(net, rec.a, rec.b, net.width), net.ids, rec.a, rec.b)
        )
    links["r_corridor"] = r_corr
    from scipy import ndimage as ndi

    lab = np.where((link_of_cell >= 0) & (ids == 0), link_of_cell + 1, 0)
    links["pinch_current"] = ndi.maximum(pinch, labels=lab, index=np.arange(1, len(links) + 1)) if len(links) else []
    # barrier score: restored disks get the mean restored resistance of the study area
    r_rest = float(np.nanmean(restored))
    best_score, per = barrier_improvement(net, list(w.barrier_radii_m), restored_resistance=r_rest)
    radii = np.array(sorted(per))
    scores = np.stack([per[r] / (2 * r) for r in radii])
    b_radius = np.where(best_score > 0, radii[np.argmax(np.nan_to_num(scores), axis=0)], np.nan)
    # cumulative current between the linked sources (full grid)
    pairs = [(int(a), int(b)) for a, b in links[["a", "b"]].itertuples(index=False)]
    cp = circuit_pairwise(da, ids, include_pairs=pairs, focal_on_nodata="disconnected")
    lookup = {
        (int(cp.ids[i]), int(cp.ids[j])): float(cp.resistance[i, j])
        for i in range(len(cp.ids))
        for j in range(len(cp.ids))
    }
    links["r_eff"] = [lookup.get(p, -1.0) for p in pairs]
    current = np.where(ls.valid, cp.cumulative_current, np.nan)
    links.attrs["definitions"] = {
        "lcd": "least-cost distance between the two sources (cost units = resistance x m)",
        "path_length": "length of the least-cost path, cell centre to cell centre (m, EPSG:4546)",
        "g": "gravity G = N_a N_b / D^2, N = ln(area ha) / mean resistance, D = lcd / max lcd",
        "rank": "1 = largest G",
        "level": f"important when G >= the {w.gravity_threshold} quantile of the links' G ([pattern] gravity_threshold)",
        "r_eff": "effective resistance between the two sources on the whole grid (ohm, Circuitscape pairwise)",
        "r_corridor": "effective resistance within the corridor and the two sources (ohm, Pinchpoint Mapper)",
        "pinch_current": "peak current (A) in the corridor outside the sources, 1 A between the sources",
    }
    return Network(net, links, link_of_cell, value, np.where(ls.valid, pinch, np.nan), current,
                   np.where(ls.valid, best_score, np.nan), b_radius)  # fmt: skip


def pinch_cells(ls: Landscape, nw: Network, ids: np.ndarray, share: float) -> Any:
    """Pinch-point cells: corridor cells (not sources) with current >= ``share`` x their corridor's peak."""
    import geopandas as gpd

    lk = nw.link_of_cell
    ok = (lk >= 0) & (ids == 0) & np.isfinite(nw.pinch)
    peak = nw.links["pinch_current"].to_numpy(float)
    sel = ok & (nw.pinch >= share * np.where(lk >= 0, peak[np.maximum(lk, 0)], np.inf)) & (nw.pinch > 0)
    r, c = np.nonzero(sel)
    x, y = cell_centres(ls, r, c)
    li = lk[r, c]
    links = nw.links.set_index("link_id")
    cur = nw.pinch[r, c]
    gdf = gpd.GeoDataFrame(
        {"link_id": li, "a": links.loc[li, "a"].to_numpy(), "b": links.loc[li, "b"].to_numpy(),
         "current": cur, "share_of_peak": cur / peak[li], "row": r, "col": c},
        geometry=gpd.points_from_xy(x, y), crs=ls.crs,
    )  # fmt: skip
    gdf["is_peak"] = gdf["share_of_peak"] >= 1 - 1e-12
    return gdf.sort_values(["link_id", "current"], ascending=[True, False]).reset_index(drop=True)


def barrier_cells(ls: Landscape, nw: Network, ids: np.ndarray, min_score: float) -> Any:
    """Barrier cells: improvement score (per metre restored) > ``min_score``, outside the sources, ranked."""
    import geopandas as gpd

    sel = np.isfinite(nw.barrier) & (nw.barrier > min_score) & (ids == 0)
    r, c = np.nonzero(sel)
    x, y = cell_centres(ls, r, c)
    gdf = gpd.GeoDataFrame(
        {"score": nw.barrier[r, c], "radius_m": nw.barrier_radius[r, c], "link_id": nw.link_of_cell[r, c],
         "row": r, "col": c},
        geometry=gpd.points_from_xy(x, y), crs=ls.crs,
    )  # fmt: skip
    gdf = gdf.sort_values("score", ascending=False).reset_index(drop=True)
    gdf.insert(0, "rank", np.arange(1, len(gdf) + 1))
    return gdf


def sensitivity(ls: Landscape, w: Any, ids: np.ndarray, base: np.ndarray, pct: float, runs: int, seed: int) -> Any:
    """Stability of the least-cost paths under weights perturbed by +-``pct`` % (seeded).

    Returns a table per run: ``share_kept`` = share of the baseline least-cost-path cells that are
    on a least-cost path of the run (same sources), and ``links``.
    """
    import pandas as pd
    from scipy.ndimage import binary_dilation

    from linfen_geo.connectivity import corridor_network
    from linfen_geo.pattern.resistance import perturb, resistance_surface

    rng = np.random.default_rng(seed)
    rows = []
    n0 = int(base.sum())
    for i in range(int(runs)):
        wp = perturb(w, pct, rng)
        res, _ = resistance_surface(ls, wp)
        net = corridor_network(ls.like(res, "resistance"), ids, width=wp.corridor_width_cost)
        cells = lcp_cells(net, ls.shape)
        near = binary_dilation(cells, structure=np.ones((3, 3), bool))
        corr = np.isfinite(net.corridors)
        rows.append({"run": i + 1, "pct": pct, "seed": seed, "links": int((~net.links["dropped"]).sum()),
                     "lcp_cells": int(cells.sum()),
                     "share_kept": float((cells & base).sum() / n0) if n0 else np.nan,
                     "share_within_1_cell": float((near & base).sum() / n0) if n0 else np.nan,
                     "share_in_corridors": float((corr & base).sum() / n0) if n0 else np.nan})  # fmt: skip
    t = pd.DataFrame(rows)
    t.attrs["definitions"] = {
        "share_kept": "share of the baseline least-cost-path cells on a least-cost path of the perturbed run",
        "share_within_1_cell": "share of the baseline path cells within one cell of a perturbed path (equal-cost "
        "alternatives on uniform land-cover blocks swap easily)",
        "share_in_corridors": "share of the baseline path cells inside the perturbed run's corridors",
        "pct": "every weight x U(1 - pct/100, 1 + pct/100); factors f -> 1 + (f - 1) u",
    }
    return t

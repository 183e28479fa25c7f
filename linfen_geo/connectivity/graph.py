"""Patch importance on habitat graphs with Conefor's semantics: PC, dPC, IIC, dIIC, ECA.

Nodes are habitat patches with an attribute a_i (area, or area x quality);
``distances`` holds the distance of each direct link (inf / NaN: no direct link).

- Probability of connectivity (Saura & Pascual-Hortal 2007): direct
  probabilities p_ij = exp(-k d_ij), with k set by one distance and its
  probability (``k = -ln(p0) / d0``); p*_ij is the maximum product of
  probabilities over all paths (p*_ii = 1); PC = sum_ij a_i a_j p*_ij / A_L^2.
- Equivalent connected area ECA = sqrt(sum_ij a_i a_j p*_ij) (Saura et al. 2011).
- Integral index of connectivity: links where d_ij <= threshold;
  IIC = sum_ij a_i a_j / (1 + nl_ij) / A_L^2, nl_ij the number of links of the
  shortest topological path (pairs not connected add 0).
- dI_k = 100 (I - I_without_k) / I, split (Saura & Rubio 2010) into
  ``intra`` (a_k^2), ``flux`` (the pairs starting or ending at k) and
  ``connector`` (the rest: k as a stepping stone).

Examples
--------
>>> import numpy as np
>>> from linfen_geo.connectivity import patch_importance
>>> d = np.array([[0, 1, np.inf], [1, 0, 1], [np.inf, 1, 0]], dtype=float)
>>> t = patch_importance([1.0, 1.0, 1.0], d, metric="PC", distance=1.0, probability=0.5)
>>> t.round(3)[["dPC", "dPCintra", "dPCflux", "dPCconnector"]].values.tolist()
[[45.455, 18.182, 27.273, 0.0], [63.636, 18.182, 36.364, 9.091], [45.455, 18.182, 27.273, 0.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from linfen_geo.errors import InputError

__all__ = ["connectivity_indices", "max_product_probability", "patch_importance", "topological_links"]


def _check(attributes: Any, distances: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(attributes, dtype="float64").ravel()
    d = np.asarray(distances, dtype="float64")
    if d.shape != (len(a), len(a)):
        raise InputError(f"distances: expected a {len(a)} x {len(a)} matrix, got {d.shape}")
    if np.any(a < 0) or not np.all(np.isfinite(a)):
        raise InputError("attributes must be finite and >= 0")
    d = np.where(np.isnan(d), np.inf, d)
    d = np.minimum(d, d.T)  # an undirected graph
    if np.any(d < 0):
        raise InputError("distances must be >= 0")
    np.fill_diagonal(d, 0.0)
    return a, d


def max_product_probability(distances: np.ndarray, k: float) -> np.ndarray:
    """p*_ij: maximum over paths of the product of exp(-k d) (a shortest path in k d); 1 on the diagonal."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    has = np.isfinite(distances) & ~np.eye(len(distances), dtype=bool)
    w = np.maximum(distances[has] * k, 1e-300)  # a zero weight would read as no link
    g = sp.csr_matrix((w, np.nonzero(has)), shape=distances.shape)
    length = shortest_path(g, method="D", directed=False)
    p = np.exp(-length)
    p[np.isinf(length)] = 0.0
    np.fill_diagonal(p, 1.0)
    return p


def topological_links(distances: np.ndarray, threshold: float) -> np.ndarray:
    """nl_ij: number of links of the shortest path with links where d <= threshold (inf: not connected)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    has = (distances <= threshold) & ~np.eye(len(distances), dtype=bool)
    g = sp.csr_matrix(has.astype(float))
    return shortest_path(g, method="D", directed=False, unweighted=True)


def _pair_matrix(metric: str, d: np.ndarray, k: float | None, threshold: float | None) -> np.ndarray:
    if metric == "PC":
        return max_product_probability(d, k)  # type: ignore[arg-type]
    nl = topological_links(d, threshold)  # type: ignore[arg-type]
    return np.where(np.isfinite(nl), 1.0 / (1.0 + nl), 0.0)


def _params(metric: str, distance: float | None, probability: float | None, k: float | None, threshold: float | None):
    if metric not in ("PC", "IIC"):
        raise InputError(f"metric must be 'PC' or 'IIC', got {metric!r}")
    if metric == "PC":
        if k is None:
            if distance is None or probability is None or not (0 < probability < 1) or distance <= 0:
                raise InputError("PC needs k, or distance > 0 and 0 < probability < 1 (p = exp(-k d))")
            k = -np.log(probability) / distance
        return float(k), None
    if threshold is None:
        raise InputError("IIC needs a distance threshold")
    return None, float(threshold)


def connectivity_indices(
    attributes: Any,
    distances: Any,
    *,
    metric: str = "PC",
    distance: float | None = None,
    probability: float | None = None,
    k: float | None = None,
    threshold: float | None = None,
    landscape_area: float | None = None,
) -> dict[str, float]:
    """PC (or IIC) of the whole graph, its numerator, and ECA (PC) / EC(IIC).

    ``landscape_area`` (A_L) is needed for the index itself; without it only the
    numerator and ECA are returned.

    Examples
    --------
    >>> connectivity_indices([4.0, 1.0], [[0, 2], [2, 0]], distance=2.0, probability=0.5, landscape_area=10.0)
    {'numerator': 21.0, 'ECA': 4.58257569495584, 'PC': 0.21}
    """
    a, d = _check(attributes, distances)
    k, thr = _params(metric, distance, probability, k, threshold)
    num = float(a @ _pair_matrix(metric, d, k, thr) @ a)
    out = {"numerator": num, "ECA" if metric == "PC" else "EC": float(np.sqrt(num))}
    if landscape_area is not None:
        out[metric] = num / float(landscape_area) ** 2
    return out


def patch_importance(
    attributes: Any,
    distances: Any,
    *,
    metric: str = "PC",
    distance: float | None = None,
    probability: float | None = None,
    k: float | None = None,
    threshold: float | None = None,
    ids: Any = None,
) -> Any:
    """Importance of each node for connectivity: dPC or dIIC and its intra / flux / connector fractions.

    Parameters
    ----------
    attributes : array-like
        a_i of each node (area, or a quality-weighted area).
    distances : array-like
        n x n distances of the direct links (inf / NaN: none).
    metric : {"PC", "IIC"}
    distance, probability, k : float
        PC: ``k``, or a distance and the probability of crossing it.
    threshold : float
        IIC: links are the pairs at most this far apart.
    ids : array-like, optional
        Node labels (default 0..n-1).

    Returns
    -------
    pandas.DataFrame
        Columns ``d<metric>``, ``d<metric>intra``, ``d<metric>flux``, ``d<metric>connector`` (percent).
    """
    import pandas as pd

    a, d = _check(attributes, distances)
    kk, thr = _params(metric, distance, probability, k, threshold)
    pm = _pair_matrix(metric, d, kk, thr)
    num = float(a @ pm @ a)
    if num == 0:
        raise InputError("the index is 0 (all attributes are 0)")
    n = len(a)
    rows = []
    for node in range(n):
        keep = np.arange(n) != node
        rest = _pair_matrix(metric, d[np.ix_(keep, keep)], kk, thr)
        after = float(a[keep] @ rest @ a[keep])
        total = 100.0 * (num - after) / num
        intra = 100.0 * a[node] ** 2 / num
        flux = 100.0 * 2.0 * float(a[node] * (pm[node, keep] @ a[keep])) / num
        conn = total - intra - flux
        rows.append((total, intra, flux, 0.0 if abs(conn) < 1e-9 * max(total, 1.0) else conn))
    cols = [f"d{metric}", f"d{metric}intra", f"d{metric}flux", f"d{metric}connector"]
    index = pd.Index(np.arange(n) if ids is None else np.asarray(ids), name="node")
    return pd.DataFrame(rows, columns=cols, index=index)

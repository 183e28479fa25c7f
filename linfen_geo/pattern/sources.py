"""Ecological sources (生态源地): MSPA cores of the habitat classes, plus the nature reserves, ranked by dPC.

1. Habitat = cells of ``[pattern] habitat_classes`` (common classes); MSPA
   (:func:`linfen_geo.connectivity.mspa`, native engine: core exact vs GTB, 8-connected, edge width
   ``mspa_edge_width_m`` in whole cells) on the study area (outside = missing); core = codes 17/117.
2. Core patches (8-connected) of at least ``min_core_area_km2`` are candidate sources.
3. Each nature reserve (all its zones) is a source when ``reserves_as_sources``; a core patch
   overlapping a reserve joins it (the reserve with the largest overlap).
4. dPC (Conefor, :func:`linfen_geo.connectivity.patch_importance`) of every candidate, with the
   source area (km2) as attribute and edge-to-edge Euclidean distances, p = ``dispersal_probability``
   at ``dispersal_distance_m``. Sources = the reserves + the cores with dPC >= ``source_min_dpc``.

Examples
--------
>>> import numpy as np
>>> hab = np.zeros((12, 30), bool); hab[1:11, 1:11] = True; hab[1:11, 19:29] = True
>>> lab = core_patches(hab, np.ones_like(hab), edge_cells=1)
>>> sorted(np.unique(lab[lab > 0]).tolist())
[1, 2]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from linfen_geo.errors import InputError
from linfen_geo.pattern.landscape import Landscape, rasterize

__all__ = ["Sources", "core_patches", "edge_distances", "find_sources"]

_S8 = np.ones((3, 3), bool)


def core_patches(habitat: np.ndarray, valid: np.ndarray, *, edge_cells: int) -> np.ndarray:
    """MSPA core patches of a habitat mask, labelled 1..n (8-connected); 0 elsewhere."""
    from scipy import ndimage as ndi

    from linfen_geo.connectivity import mspa

    if not habitat[valid].any():
        raise InputError("no habitat cell in the study area: check [pattern] habitat_classes")
    gtb = np.where(valid, np.where(habitat, 2, 1), 0).astype(np.uint8)
    if (gtb == 1).sum() == 0:  # MSPA needs some background
        core = habitat & valid
    else:
        codes = np.asarray(mspa(gtb, edge_width=max(1, int(edge_cells)), engine="native"))  # core is exact natively
        core = np.isin(codes, (17, 117))
    lab, _ = ndi.label(core, structure=_S8)
    return lab


def edge_distances(ids: np.ndarray, uniq: np.ndarray, cellsize: float) -> np.ndarray:
    """Edge-to-edge Euclidean distances (m, cell centres) between sources (n x n, 0 on the diagonal)."""
    from scipy import ndimage as ndi

    n = len(uniq)
    d = np.zeros((n, n))
    for i, s in enumerate(uniq.tolist()):  # one distance transform per source
        dist = ndi.distance_transform_edt(ids != s) * cellsize
        d[i] = ndi.minimum(dist, labels=ids, index=uniq)
    d = np.minimum(d, d.T)
    np.fill_diagonal(d, 0.0)
    return d


class Sources:
    """Result of :func:`find_sources`.

    Attributes
    ----------
    ids : numpy.ndarray
        Source id per cell (kept sources only; 0 elsewhere).
    table : pandas.DataFrame
        One row per candidate: ``source_id``, ``kind`` (reserve / core), ``reserve``, ``name_zh``,
        ``name_en``, ``area_km2``, ``core_km2``, ``dPC``, ``dPCintra``, ``dPCflux``, ``dPCconnector``,
        ``dpc_rank``, ``kept``.
    habitat, core : numpy.ndarray
        bool habitat mask and MSPA core mask.
    """

    def __init__(self, ids: np.ndarray, table: Any, habitat: np.ndarray, core: np.ndarray):
        self.ids, self.table, self.habitat, self.core = ids, table, habitat, core


def _reserve_ids(ls: Landscape) -> tuple[np.ndarray, list[dict[str, Any]]]:
    gdf = ls.layers.get("reserves")
    if gdf is None or not len(gdf):
        return np.zeros(ls.shape, np.int64), []
    key = "reserve" if "reserve" in gdf.columns else gdf.columns[0]
    diss = gdf.dissolve(by=key, as_index=False, aggfunc="first")
    ids = rasterize(diss.geometry, ls, values=np.arange(1, len(diss) + 1))
    present = set(np.unique(ids[ls.valid]).tolist())
    small = [i for i in range(1, len(diss) + 1) if i not in present]  # smaller than a cell: touched cells
    if small:
        touch = rasterize(diss.geometry.iloc[[i - 1 for i in small]], ls, all_touched=True, values=small)
        ids = np.where((ids == 0) & (touch > 0), touch, ids)
    ids = np.where(ls.valid, ids, 0)
    info = [
        {"reserve": str(r[key]), "name_zh": str(r.get("name_zh", r[key])), "name_en": str(r.get("name_en", r[key])),
         "status": str(r.get("outline_status", ls.meta.get("statuses", {}).get("reserves", "")))}
        for _, r in diss.iterrows()
    ]  # fmt: skip
    return ids, info


def find_sources(ls: Landscape, w: Any) -> Sources:
    """Candidate and kept sources of a landscape under the ``[pattern]`` weights ``w``.

    Examples
    --------
    >>> import numpy as np
    >>> from linfen_geo.pattern.landscape import Landscape
    >>> from linfen_geo.plan.loader import load_plan
    >>> plan = load_plan().model
    >>> c = np.full((20, 40), 3, np.uint8); c[2:18, 2:18] = 0; c[2:18, 22:38] = 0
    >>> s = find_sources(Landscape.from_arrays(c, list(plan.greening.classes)), plan.pattern)
    >>> s.table[["source_id", "kind", "area_km2", "kept"]].values.tolist()
    [[1, 'core', 196.0, True], [2, 'core', 196.0, True]]
    """
    import pandas as pd

    from linfen_geo.connectivity.graph import patch_importance

    hab_codes = [ls.class_names.index(c) for c in w.habitat_classes]
    habitat = np.isin(ls.classes, hab_codes) & ls.valid
    edge = max(1, round(w.mspa_edge_width_m / ls.cellsize))
    lab = core_patches(habitat, ls.valid, edge_cells=edge)
    cell_km2 = ls.cellsize**2 / 1e6
    n_lab = int(lab.max())
    sizes = np.bincount(lab.ravel(), minlength=n_lab + 1) * cell_km2
    big = np.flatnonzero(sizes >= w.min_core_area_km2)
    big = big[big > 0]
    res_ids, info = _reserve_ids(ls) if w.reserves_as_sources else (np.zeros(ls.shape, np.int64), [])
    nr = len(info)
    # core patch -> reserve with the largest overlap (0: none)
    both = (lab > 0) & (res_ids > 0) & np.isin(lab, big)
    join = np.zeros(n_lab + 1, np.int64)
    if both.any():
        pair = lab[both] * (nr + 1) + res_ids[both]
        up, cnt = np.unique(pair, return_counts=True)
        order = np.lexsort((-cnt, up // (nr + 1)))
        up = up[order]
        first = np.r_[True, np.diff(up // (nr + 1)) != 0]
        join[up[first] // (nr + 1)] = up[first] % (nr + 1)
    own = big[join[big] == 0]
    new_id = np.zeros(n_lab + 1, np.int64)
    new_id[own] = nr + 1 + np.arange(len(own))
    new_id[big] = np.where(join[big] > 0, join[big], new_id[big])
    ids = np.where(res_ids > 0, res_ids, new_id[lab])
    ids = np.where(ls.valid, ids, 0)
    uniq = np.unique(ids[ids > 0])
    if len(uniq) < 2:
        raise InputError(f"only {len(uniq)} source(s): lower [pattern] min_core_area_km2 or check the habitat classes")
    area = np.bincount(ids.ravel(), minlength=uniq.max() + 1)[uniq] * cell_km2
    core_km2 = np.bincount(ids[lab > 0].ravel(), minlength=uniq.max() + 1)[uniq] * cell_km2
    reserve_km2 = np.bincount(res_ids.ravel(), minlength=uniq.max() + 1)[uniq] * cell_km2
    d = edge_distances(ids, uniq, ls.cellsize)
    dpc = patch_importance(
        area, d, metric="PC", distance=w.dispersal_distance_m, probability=w.dispersal_probability, ids=uniq
    )
    rows = []
    for k, s in enumerate(uniq.tolist()):
        r = (
            info[s - 1]
            if s <= nr
            else {"reserve": "", "name_zh": f"核心区 {s}", "name_en": f"MSPA core {s}", "status": "model"}
        )
        rows.append({"source_id": s, "kind": "reserve" if s <= nr else "core", **r,
                     "area_km2": float(area[k]), "core_km2": float(core_km2[k]), "reserve_km2": float(reserve_km2[k])})  # fmt: skip
    table = pd.DataFrame(rows).join(dpc.reset_index(drop=True))
    table["dpc_rank"] = table["dPC"].rank(ascending=False, method="min").astype(int)
    table["kept"] = (table["kind"] == "reserve") | (table["dPC"] >= w.source_min_dpc)
    if table["kept"].sum() < 2:
        raise InputError("fewer than two sources pass [pattern] source_min_dpc: lower it")
    kept_ids = table.loc[table["kept"], "source_id"].to_numpy()
    ids = np.where(np.isin(ids, kept_ids), ids, 0)
    table.attrs["definitions"] = {
        "area_km2": "cells of the source x cell area (km2, EPSG:4546 grid)",
        "core_km2": "MSPA core cells in the source (km2)",
        "reserve_km2": "cells of the nature reserve itself (km2); a reserve's source also holds the MSPA core "
        "patches overlapping it (joined to the reserve of largest overlap)",
        "dPC": "importance for the probability of connectivity (%), area attribute, edge-to-edge Euclidean distance",
        "kept": "a source of the pattern: a nature reserve, or dPC >= [pattern] source_min_dpc",
    }
    return Sources(ids, table, habitat, lab > 0)

"""Mine-restoration priority (矿山修复优先级): the connectivity gain of restoring each mine.

For every mine site (the 420 legacy sites, illustrative) and every real coal-mine area:

- its cells: the cell holding a site smaller than a cell (its centroid), or the cells whose centre
  lies in a larger area (all touched cells if none); on the 1 km grid the cell is the restoration
  unit, more than a small site's own area;
- ``barrier_score``: the largest Barrier Mapper improvement score (cost units per metre restored)
  of its cells;
- ``link``: the modelled corridor its cells lie in (the lowest normalised corridor value);
- ``dR_ohm`` / ``dR_pct``: the drop of the effective resistance between that corridor's two sources
  (within the corridor, as Pinchpoint Mapper) when its cells get the restored class's resistance
  (never raised: min of the two); 0 for a mine in no corridor;
- ``corridor_cost``: normalised corridor value (cost units above the least-cost path) of its best
  cell: how far from the network it is;
- context: county, plan barriers (B1-B3), plan corridors, red lines it touches.

Rank 1 = largest ``dR_pct``, then ``barrier_score``, then the smallest ``corridor_cost``.

Examples
--------
>>> import numpy as np
>>> feature_cells_frame(np.array([0, 0, 1]), np.array([1, 2, 3]), np.array([4, 5, 6])).to_dict("list")
{'feature': [0, 0, 1], 'row': [1, 2, 3], 'col': [4, 5, 6]}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from linfen_geo.pattern.landscape import Landscape, rasterize
from linfen_geo.pattern.network import Network, _corridor_resistance, corridor_resistance_ohm

__all__ = ["feature_cells", "feature_cells_frame", "mine_priority"]


def feature_cells_frame(feature: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Any:
    """A (feature, row, col) table."""
    import pandas as pd

    return pd.DataFrame({"feature": feature, "row": rows, "col": cols})


def feature_cells(gdf: Any, ls: Landscape, *, by_centroid: bool) -> Any:
    """Cells of each feature: (feature index, row, col); centroid cells for small sites or cell-less areas."""
    import shapely

    n = len(gdf)
    geoms = gdf.geometry.values
    if by_centroid:
        f = np.arange(n)
        r_ = np.zeros(0, int)
        k_ = np.zeros(0, int)
        f_ = np.zeros(0, int)
    else:
        lab = rasterize(geoms, ls, values=np.arange(1, n + 1))
        r_, k_ = np.nonzero(lab)
        f_ = lab[r_, k_] - 1
        f = np.setdiff1d(np.arange(n), f_)
    c = shapely.centroid(geoms[f])
    col, row = ~ls.transform * (shapely.get_x(c), shapely.get_y(c))
    row, col = np.floor(row).astype(int), np.floor(col).astype(int)
    ok = (row >= 0) & (row < ls.shape[0]) & (col >= 0) & (col < ls.shape[1])
    return feature_cells_frame(np.r_[f_, f[ok]], np.r_[r_, row[ok]], np.r_[k_, col[ok]])


def _context(gdf: Any, ls: Landscape) -> Any:
    """Barrier, plan-corridor and red-line ids each feature touches ('' when none)."""
    import geopandas as gpd
    import pandas as pd

    out = pd.DataFrame(index=np.arange(len(gdf)))
    g = gpd.GeoDataFrame({"feature": np.arange(len(gdf))}, geometry=gdf.geometry.values, crs=gdf.crs)
    for name, col in (("barriers", "barrier_id"), ("corridors", "corridor_id"), ("redlines", "redline_id")):
        layer = ls.layers.get(name)
        if layer is None or col not in layer.columns:
            out[name] = ""
            continue
        j = gpd.sjoin(g, layer[[col, "geometry"]], predicate="intersects", how="inner")
        ids = j.groupby("feature")[col].agg(lambda s: ",".join(sorted(set(map(str, s)))))
        out[name] = ids.reindex(out.index).fillna("")
    return out


def mine_priority(ls: Landscape, nw: Network, restored: np.ndarray) -> Any:
    """The priority table of every mine site and coal-mine area (see the module docstring).

    Parameters
    ----------
    ls : Landscape
        With ``layers["mines"]`` and / or ``layers["coal_mines"]`` (and the context layers).
    nw : Network
        The corridor network of the pattern.
    restored : numpy.ndarray
        Resistance of each cell once restored.
    """
    import pandas as pd

    parts = []
    for name, kind, id_col, small in (("mines", "legacy site 遗留矿山", "site_id", True),
                                      ("coal_mines", "coal mine 煤矿", "mine_id", False)):  # fmt: skip
        gdf = ls.layers.get(name)
        if gdf is None or not len(gdf):
            continue
        gdf = gdf.reset_index(drop=True)
        cells = feature_cells(gdf, ls, by_centroid=small)
        cells = cells[ls.valid[cells["row"], cells["col"]]]
        cells = cells.assign(
            score=np.nan_to_num(nw.barrier[cells["row"], cells["col"]]),
            link=nw.link_of_cell[cells["row"], cells["col"]],
            cvalue=nw.corridor_value[cells["row"], cells["col"]],
        )
        g = cells.groupby("feature")
        t = pd.DataFrame({
            "kind": kind, "id": gdf[id_col].astype(str),
            "name": gdf.get("name_zh", gdf.get("mineral", pd.Series([""] * len(gdf)))).astype(str),
            "county": gdf.get("county", pd.Series([""] * len(gdf))).astype(str),
            "status": gdf.get("restoration_status", gdf.get("status", pd.Series([""] * len(gdf)))).astype(str),
            "illustrative": gdf.get("illustrative", pd.Series([name == "mines"] * len(gdf))).astype(bool),
            "cells": g.size().reindex(range(len(gdf))).fillna(0).astype(int),
            "barrier_score": g["score"].max().reindex(range(len(gdf))).fillna(0.0),
            "corridor_cost": g["cvalue"].min().reindex(range(len(gdf))).fillna(np.inf),
        })  # fmt: skip
        best = cells.loc[cells.groupby("feature")["cvalue"].idxmin()] if len(cells) else cells
        t["link_id"] = best.set_index("feature")["link"].reindex(range(len(gdf))).fillna(-1).astype(int)
        t["link_id"] = np.where(t["corridor_cost"] <= nw.net.width, t["link_id"], -1)
        t = t.join(_context(gdf, ls))
        t["geometry"] = gdf.geometry.values
        packed = cells["row"].to_numpy() * ls.shape[1] + cells["col"].to_numpy()
        t["_cells"] = pd.Series(packed).groupby(cells["feature"].to_numpy()).agg(lambda v: tuple(sorted(v)))
        t["_cells"] = t["_cells"].apply(lambda v: v if isinstance(v, tuple) else ())
        parts.append(t)
    if not parts:
        return pd.DataFrame()
    t = pd.concat(parts, ignore_index=True)
    links = nw.links.set_index("link_id")
    t["a"] = t["link_id"].map(links["a"]).astype("Int64")
    t["b"] = t["link_id"].map(links["b"]).astype("Int64")
    t["link_level"] = t["link_id"].map(links["level"]).fillna("")
    t["R_before_ohm"] = t["link_id"].map(links["r_corridor"])
    # one circuit solve per distinct (corridor, cells) restored
    t["dR_ohm"] = 0.0
    todo = t[t["link_id"] >= 0]
    cache: dict[tuple[int, tuple], float] = {}
    base_res: dict[int, np.ndarray] = {}
    for i, rec in todo.iterrows():
        key = (int(rec["link_id"]), rec["_cells"])
        if key not in cache:
            lk = links.loc[key[0]]
            if key[0] not in base_res:
                base_res[key[0]] = _corridor_resistance(nw.net, int(lk["a"]), int(lk["b"]), nw.net.width)
            res = base_res[key[0]].copy()
            rr, cc = np.divmod(np.asarray(key[1], dtype=np.int64), ls.shape[1])
            res[rr, cc] = np.where(np.isfinite(res[rr, cc]), np.minimum(res[rr, cc], restored[rr, cc]), res[rr, cc])
            after = corridor_resistance_ohm(res, nw.net.ids, int(lk["a"]), int(lk["b"]))
            cache[key] = float(lk["r_corridor"]) - after if after > 0 else 0.0
        t.loc[i, "dR_ohm"] = max(cache[key], 0.0)
    t["dR_pct"] = np.where(t["R_before_ohm"] > 0, 100 * t["dR_ohm"] / t["R_before_ohm"], 0.0)
    t["dR_pct"] = t["dR_pct"].fillna(0.0)
    t = t.sort_values(["dR_pct", "barrier_score", "corridor_cost"], ascending=[False, False, True], kind="stable")
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    t["why"] = [_why(r) for r in t.itertuples()]
    t = t.drop(columns=["_cells"]).reset_index(drop=True)
    t.attrs["definitions"] = {
        "rank": "1 = largest dR_pct, then barrier_score, then the smallest corridor_cost",
        "cells": "grid cells restored (1 km): the cell of a small site's centroid, or the cells of a large area",
        "barrier_score": "largest Barrier Mapper improvement score of its cells (cost units saved per metre restored)",
        "corridor_cost": "normalised corridor value CWD_a + CWD_b - LCD_ab of its best cell (cost units); 0 = on a path",
        "link_id": "the modelled corridor it lies in (-1: none within [pattern] corridor_width_cost)",
        "dR_ohm": "drop of the corridor's effective resistance (ohm) when its cells get the restored resistance",
        "dR_pct": "dR_ohm / R_before_ohm x 100",
        "barriers, corridors, redlines": "ids of the plan barriers, plan corridors (buffer) and red lines it touches",
        "illustrative": "True for the 420 legacy sites (示意, modelled positions), False for real coal-mine boundaries",
    }
    return t


def _why(r: Any) -> str:
    if r.link_id < 0:
        return f"outside the modelled corridors (cost {r.corridor_cost:,.0f} above a path); barrier score {r.barrier_score:,.1f}"
    return (
        f"in corridor {r.a}-{r.b} ({r.link_level}); restoring its {r.cells} cell(s) cuts the corridor's effective "
        f"resistance by {r.dR_pct:.2f} %; barrier score {r.barrier_score:,.1f}"
    )

"""Answers to the plan: tables and one sentence each (Chinese and English).

- :func:`plan_corridor_share`: how much of the modelled network (least-cost-path length, cumulative
  current) lies inside the plan's four corridors, buffer and terrain modes, and which modelled
  corridors no plan corridor covers (less than ``[pattern] covered_min_share`` of the path inside);
- :func:`reserve_pairs`: effective resistance (whole grid, Circuitscape pairwise, each reserve a
  focal region) and least-cost distance between each pair of nature reserves;
- :func:`barrier_comparison`: the plan's barriers B1-B3 against the pattern (sources, paths, current
  and resistance inside each, and what lies outside all of them);
- :func:`sentences`: the answer sentences.

Examples
--------
>>> import shapely
>>> covered_length([shapely.LineString([(0, 0), (10, 0)])], shapely.box(0, -1, 4, 1)).tolist()
[4.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from linfen_geo.pattern.landscape import Landscape, rasterize

__all__ = ["barrier_comparison", "covered_length", "plan_corridor_share", "reserve_pairs", "sentences"]


def covered_length(lines: Any, zone: Any) -> np.ndarray:
    """Length (CRS units) of each line inside ``zone`` (vectorised shapely)."""
    import shapely

    return shapely.length(shapely.intersection(np.asarray(lines, dtype=object), zone))


def plan_corridor_share(ls: Landscape, links: Any, current: np.ndarray, covered_min: float) -> tuple[Any, Any]:
    """Per mode: share of path length and of current inside the plan corridors; per link: covered or not.

    Returns
    -------
    summary : pandas.DataFrame
        ``mode``, ``layer``, ``path_km``, ``inside_km``, ``length_share``, ``current_share``.
    per_link : pandas.DataFrame
        ``link_id``, ``a``, ``b``, ``path_km``, ``inside_buffer_share``, ``inside_terrain_share``,
        ``best_plan_corridor``, ``covered``.
    """
    import pandas as pd
    import shapely

    rows = []
    per = links[["link_id", "a", "b", "rank", "level"]].copy()
    lines = np.asarray(links.geometry.values, dtype=object) if "geometry" in links else np.array([], dtype=object)
    total = float(shapely.length(lines).sum()) if len(lines) else 0.0
    per["path_km"] = shapely.length(lines) / 1000 if len(lines) else []
    cur = np.where(np.isfinite(current), current, 0.0)
    for mode, name in (("buffer", "corridors"), ("terrain", "corridors_terrain")):
        layer = ls.layers.get(name)
        if layer is None or not len(layer):
            continue
        zone = shapely.union_all(layer.geometry.values)
        inside = covered_length(lines, zone) if len(lines) else np.zeros(0)
        per[f"inside_{mode}_share"] = np.where(
            per["path_km"] > 0, inside / 1000 / per["path_km"].replace(0, np.nan), 0.0
        )
        best = []
        ids = (
            layer["corridor_id"].astype(str).to_numpy() if "corridor_id" in layer else np.arange(len(layer)).astype(str)
        )
        if len(lines):
            each = shapely.length(
                shapely.intersection(lines[:, None], np.asarray(layer.geometry.values, dtype=object)[None, :])
            )
            best = np.where(each.max(axis=1) > 0, ids[np.argmax(each, axis=1)], "")
        per[f"best_{mode}_corridor"] = best
        mask = rasterize(layer.geometry, ls) & ls.valid
        rows.append({"mode": mode, "layer": name, "path_km": total / 1000, "inside_km": float(inside.sum()) / 1000,
                     "length_share": float(inside.sum()) / total if total else np.nan,
                     "current_share": float(cur[mask].sum() / cur.sum()) if cur.sum() > 0 else np.nan,
                     "area_share_of_city": float(mask.sum() / ls.valid.sum())})  # fmt: skip
    shares = [c for c in per.columns if c.startswith("inside_")]
    per["covered"] = per[shares].max(axis=1) >= covered_min if shares else False
    summary = pd.DataFrame(rows)
    summary.attrs["definitions"] = {
        "length_share": "length of the modelled least-cost paths inside the plan corridors / their total length",
        "current_share": "cumulative current (Circuitscape, linked sources) in cells whose centre is inside / total",
        "area_share_of_city": "share of the study area's cells inside the plan corridors (what chance alone gives)",
    }
    per.attrs["definitions"] = {
        "covered": f"at least {covered_min:.0%} of the path inside a plan corridor (either mode)",
        "inside_buffer_share, inside_terrain_share": "share of the path's length inside the plan corridors",
    }
    return summary, per


def reserve_pairs(ls: Landscape, resistance: np.ndarray) -> Any:
    """Effective resistance (ohm) and least-cost distance (cost units) between each pair of reserves."""
    import pandas as pd

    from linfen_geo.connectivity import circuit_pairwise
    from linfen_geo.connectivity.cost import _cwd, resistance_grid
    from linfen_geo.pattern.sources import _reserve_ids, edge_distances

    ids, info = _reserve_ids(ls)
    uniq = np.unique(ids[ids > 0])
    if len(uniq) < 2:
        return pd.DataFrame()
    cp = circuit_pairwise(ls.like(resistance, "resistance"), ids, current_maps=False, focal_on_nodata="disconnected")
    g = resistance_grid(ls.like(resistance, "resistance"))
    lcd = np.full((len(uniq), len(uniq)), np.inf)
    for i, s in enumerate(uniq.tolist()):
        cost, _ = _cwd(g, np.argwhere(ids == s))
        from scipy import ndimage as ndi

        lcd[i] = ndi.minimum(np.where(np.isfinite(cost), cost, np.inf), labels=ids, index=uniq)
    eu = edge_distances(ids, uniq, ls.cellsize)
    pos = {int(v): k for k, v in enumerate(cp.ids.tolist())}
    rows = []
    iu, ju = np.triu_indices(len(uniq), 1)
    for i, j in zip(iu.tolist(), ju.tolist(), strict=True):
        a, b = int(uniq[i]), int(uniq[j])
        ra, rb = info[a - 1], info[b - 1]
        rows.append({"a": ra["reserve"], "b": rb["reserve"], "a_zh": ra["name_zh"], "b_zh": rb["name_zh"],
                     "a_status": ra["status"], "b_status": rb["status"],
                     "r_eff_ohm": float(cp.resistance[pos[a], pos[b]]), "lcd": float(min(lcd[i, j], lcd[j, i])),
                     "euclidean_km": float(eu[i, j]) / 1000})  # fmt: skip
    t = pd.DataFrame(rows)
    t["lcd_per_km"] = t["lcd"] / (t["euclidean_km"].where(t["euclidean_km"] > 0) * 1000) * 1000
    t = t.sort_values("r_eff_ohm").reset_index(drop=True)
    t.attrs["definitions"] = {
        "r_eff_ohm": "effective resistance between the two reserves on the whole grid (each a focal region)",
        "lcd": "least-cost distance (cost units = resistance x m) between the reserves' cells",
        "euclidean_km": "edge-to-edge distance, cell centres (km)",
        "lcd_per_km": "lcd per km of edge-to-edge distance (mean resistance met)",
        "a_status, b_status": "real outline or illustrative (modelled) outline",
    }
    return t


def barrier_comparison(ls: Landscape, src_ids: np.ndarray, links: Any, current: np.ndarray, res: np.ndarray) -> Any:
    """Each plan barrier (B1-B3) against the pattern, and the rest of the city outside all barriers."""
    import pandas as pd
    import shapely

    layer = ls.layers.get("barriers")
    if layer is None or not len(layer):
        return pd.DataFrame()
    cell_km2 = ls.cellsize**2 / 1e6
    cur = np.where(np.isfinite(current), current, 0.0)
    src = src_ids > 0
    lines = np.asarray(links.geometry.values, dtype=object)
    total_len = float(shapely.length(lines).sum())
    zones = [(str(r.barrier_id), str(getattr(r, "name_zh", "")), r.geometry) for r in layer.itertuples()]
    zones.append(("outside", "屏障以外 outside all barriers", None))
    union = shapely.union_all(layer.geometry.values)
    any_b = rasterize([union], ls) & ls.valid
    rows = []
    for bid, name, geom in zones:
        m = (rasterize([geom], ls) & ls.valid) if geom is not None else (ls.valid & ~any_b)
        zone = geom if geom is not None else shapely.difference(shapely.box(*ls_bounds(ls)), union)
        inside_len = float(covered_length(lines, zone).sum()) if len(lines) else 0.0
        rows.append({
            "barrier_id": bid, "name_zh": name, "area_km2": float(m.sum() * cell_km2),
            "source_km2": float((m & src).sum() * cell_km2),
            "source_share_of_zone": float((m & src).sum() / m.sum()) if m.sum() else np.nan,
            "share_of_sources": float((m & src).sum() / src.sum()) if src.sum() else np.nan,
            "path_km": inside_len / 1000, "share_of_paths": inside_len / total_len if total_len else np.nan,
            "share_of_current": float(cur[m].sum() / cur.sum()) if cur.sum() else np.nan,
            "mean_resistance": float(np.nanmean(res[m])) if m.any() else np.nan,
        })  # fmt: skip
    t = pd.DataFrame(rows)
    t["current_density_ratio"] = t["share_of_current"] / (t["area_km2"] / t["area_km2"].iloc[:-1].sum())
    t.attrs["definitions"] = {
        "source_share_of_zone": "share of the zone's cells that are sources of the pattern",
        "share_of_sources / share_of_paths / share_of_current": "of the whole pattern, inside the zone",
        "current_density_ratio": "share of current / share of barrier area (>1: the zone carries more than its size)",
        "outside": "study-area cells outside every plan barrier",
    }
    return t


def ls_bounds(ls: Landscape) -> tuple[float, float, float, float]:
    """Bounds of the grid (CRS units)."""
    t, (h, w) = ls.transform, ls.shape
    return t.c, t.f + t.e * h, t.c + t.a * w, t.f


def sentences(share: Any, per_link: Any, pairs: Any, mines: Any, barriers: Any, sens: Any) -> dict[str, dict[str, str]]:
    """One sentence per answer, ``{key: {"zh": ..., "en": ...}}``, computed from the tables."""
    out: dict[str, dict[str, str]] = {}
    if len(share):
        main = share[share["variant"] == "plan weights"] if "variant" in share else share
        alt = share[share["variant"] != "plan weights"] if "variant" in share else share.iloc[:0]
        s = main.set_index("mode")
        b = s.loc["buffer"] if "buffer" in s.index else None
        tr = s.loc["terrain"] if "terrain" in s.index else None
        unc = per_link[~per_link["covered"]]
        ul = ", ".join(f"{r.a}-{r.b}" for r in unc.itertuples()) or "none"
        parts_en, parts_zh = [], []
        for lab_en, lab_zh, r in (("buffer", "缓冲区", b), ("terrain", "地形", tr)):
            if r is not None:
                parts_en.append(f"{r.length_share:.1%} of the path length and {r.current_share:.1%} of the current in "
                                f"{lab_en} mode (the corridors cover {r.area_share_of_city:.1%} of the city)")  # fmt: skip
                parts_zh.append(f"{lab_zh}模式下最小成本路径长度的{r.length_share:.1%}、累积电流的{r.current_share:.1%}"
                                f"（规划廊道占全市面积{r.area_share_of_city:.1%}）")  # fmt: skip
        out["plan_corridors"] = {
            "en": f"Of the modelled corridor network ({b.path_km if b is not None else 0:,.0f} km of least-cost paths), "
            + "; ".join(parts_en) + f" lie inside the plan's four corridors; modelled corridors no plan corridor "
            f"covers: {ul} ({len(unc)} of {len(per_link)}).",
            "zh": "模拟的生态廊道网络中，" + "；".join(parts_zh) + f"位于规划的四条廊道内；未被任何规划廊道覆盖的模拟廊道："
            f"{ul}（{len(unc)}/{len(per_link)}条）。",
        }  # fmt: skip
        if len(alt):
            a = alt.set_index("mode")["length_share"]
            out["plan_corridors"]["en"] += (
                " Without the resistance penalty on the corridor roads themselves, "
                + ", ".join(f"{v:.1%} ({m})" for m, v in a.items())
                + " of the path length would lie inside."
            )
            out["plan_corridors"]["zh"] += (
                "若不对廊道所沿道路本身设阻力惩罚，路径长度的"
                + "、".join(f"{v:.1%}（{'缓冲区' if m == 'buffer' else '地形'}）" for m, v in a.items())
                + "位于规划廊道内。"
            )
    if len(pairs):
        best, worst = pairs.iloc[0], pairs.iloc[-1]
        out["reserves"] = {
            "en": f"Best-connected reserves: {best.a_zh}-{best.b_zh} (effective resistance {best.r_eff_ohm:.3g} ohm, "
            f"least-cost distance {best.lcd:,.0f}); worst: {worst.a_zh}-{worst.b_zh} ({worst.r_eff_ohm:.3g} ohm, "
            f"{worst.lcd:,.0f}).",
            "zh": f"连通性最好的保护区对：{best.a_zh}—{best.b_zh}（有效电阻{best.r_eff_ohm:.3g}欧，最小累积阻力{best.lcd:,.0f}）；"
            f"最差：{worst.a_zh}—{worst.b_zh}（{worst.r_eff_ohm:.3g}欧，{worst.lcd:,.0f}）。",
        }  # fmt: skip
    if len(mines):
        top = mines.head(10)
        ins = int((mines["link_id"] >= 0).sum())
        ids = ", ".join(top["id"])
        out["mines"] = {
            "en": f"{ins} of {len(mines)} mine sites/areas lie in a modelled corridor; the ten whose restoration most "
            f"cuts a corridor's effective resistance: {ids} (top: {top.iloc[0]['id']}, -{top.iloc[0]['dR_pct']:.2f} %).",
            "zh": f"{len(mines)}处矿山中{ins}处位于模拟廊道内；修复后廊道有效电阻下降最多的前十处：{ids}"
            f"（第一：{top.iloc[0]['id']}，下降{top.iloc[0]['dR_pct']:.2f}%）。",
        }  # fmt: skip
    if len(barriers):
        bt = barriers.set_index("barrier_id")
        inner = bt.drop(index="outside", errors="ignore")
        lo = inner["source_share_of_zone"].idxmin()
        out_row = bt.loc["outside"] if "outside" in bt.index else None
        out["barriers"] = {
            "en": f"Sources fill {inner['source_share_of_zone'].round(3).to_dict()} of the barriers; {lo} holds the "
            f"least; outside all barriers lie {out_row.share_of_sources:.1%} of the source area and "
            f"{out_row.share_of_paths:.1%} of the path length.",
            "zh": f"生态源地占各屏障面积：{inner['source_share_of_zone'].round(3).to_dict()}；{lo}最少；"
            f"屏障以外有源地面积的{out_row.share_of_sources:.1%}、廊道路径长度的{out_row.share_of_paths:.1%}。",
        }  # fmt: skip
    if sens is not None and len(sens):
        out["sensitivity"] = {
            "en": f"With every weight perturbed by +-{sens['pct'].iloc[0]:g} % ({len(sens)} runs, seed "
            f"{sens['seed'].iloc[0]}), {sens['share_kept'].mean():.1%} of the least-cost-path cells stay on a path "
            f"(range {sens['share_kept'].min():.1%}-{sens['share_kept'].max():.1%}); "
            f"{sens['share_within_1_cell'].mean():.1%} stay within one cell of a path and "
            f"{sens['share_in_corridors'].mean():.1%} inside the corridors.",
            "zh": f"所有权重随机扰动±{sens['pct'].iloc[0]:g}%（{len(sens)}次，种子{sens['seed'].iloc[0]}）后，"
            f"平均{sens['share_kept'].mean():.1%}的最小成本路径栅格保持不变（{sens['share_kept'].min():.1%}-"
            f"{sens['share_kept'].max():.1%}）；{sens['share_within_1_cell'].mean():.1%}位于路径1个栅格以内，"
            f"{sens['share_in_corridors'].mean():.1%}位于廊道内。",
        }  # fmt: skip
    return out

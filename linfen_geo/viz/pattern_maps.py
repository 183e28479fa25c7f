"""Maps of a security-pattern result: the cumulative current with the plan's corridors, the mine priority.

Examples
--------
>>> import linfen_geo as lg
>>> res = lg.security_pattern(sensitivity=0)  # doctest: +SKIP
>>> fig = plot_current(res)  # doctest: +SKIP
>>> fig = plot_mine_priority(res)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from linfen_geo.pattern import PatternResult

__all__ = ["plot_current", "plot_mine_priority"]


def _extent(da: Any) -> list[float]:
    x0, y0, x1, y1 = da.rio.bounds()
    return [x0, x1, y0, y1]


def _base(res: PatternResult, ax: Any) -> None:
    """Counties and plan barriers as thin outlines."""
    ls = res.meta["landscape"]
    cty = ls.layers.get("counties")
    if cty is not None:
        cty.boundary.plot(ax=ax, color="#777777", linewidth=0.4, zorder=3)


def _notes(fig: Any, res: PatternResult) -> None:
    from linfen_geo.viz.charts import illustrative_note

    illustrative_note(fig, res.illustrative)
    if any(n.startswith("COARSE") for n in res.notes):
        fig.text(0.01, 0.025, "粗分辨率 COARSE: land cover ~5 km (MODIS); sources and corridors are approximate",
                 fontsize=7, color="#b30000", va="bottom")  # fmt: skip


def plot_current(res: PatternResult, *, dpi: int = 150) -> Figure:
    """Cumulative current (log scale), sources, least-cost paths by rank, and the plan's corridors over it."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from linfen_geo.viz.fonts import set_cjk_font
    from linfen_geo.viz.maps import add_map_furniture

    set_cjk_font()
    cur = res.rasters["cumulative_current"]
    v = np.asarray(cur.values, float)
    v = np.where(np.asarray(res.rasters["sources"].values) > 0, np.nan, v)  # sources are short-circuited regions
    pos = v[np.isfinite(v) & (v > 0)]
    fig, ax = plt.subplots(figsize=(8.5, 8.0), dpi=dpi)
    norm = LogNorm(vmin=max(np.percentile(pos, 2), 1e-6), vmax=pos.max()) if len(pos) else None
    im = ax.imshow(np.where(v > 0, v, np.nan), extent=_extent(cur), cmap="magma", norm=norm, zorder=1)
    fig.colorbar(im, ax=ax, shrink=0.6, label="累积电流 cumulative current (A, log)")
    ls = res.meta["landscape"]
    res.layers["sources"].plot(ax=ax, facecolor="#1a9850", edgecolor="#0b5e2a", alpha=0.55, linewidth=0.6, zorder=4)
    paths = res.layers["corridor_paths"]
    imp = paths["level"] == "important"
    if imp.any():
        paths[imp].plot(ax=ax, color="#00e5ff", linewidth=2.2, zorder=6)
    if (~imp).any():
        paths[~imp].plot(ax=ax, color="#00e5ff", linewidth=1.2, linestyle="--", zorder=6)
    for mode, colour in (("corridors", "#ffffff"), ("corridors_terrain", "#ffd92f")):
        layer = ls.layers.get(mode)
        if layer is not None:
            layer.boundary.plot(ax=ax, color=colour, linewidth=0.9, zorder=7)
    pp = res.layers["pinch_points"]
    if len(pp):
        pk = pp[pp["is_peak"]]
        ax.scatter(pk.geometry.x, pk.geometry.y, marker="x", color="#ff3030", s=25, zorder=8)
    _base(res, ax)
    handles = [
        Patch(facecolor="#1a9850", alpha=0.55, label="生态源地 sources (MSPA cores + reserves)"),
        Line2D([], [], color="#00e5ff", linewidth=2.2, label="重要廊道 important least-cost paths"),
        Line2D([], [], color="#00e5ff", linewidth=1.2, linestyle="--", label="一般廊道 general least-cost paths"),
        Patch(facecolor="none", edgecolor="#ffffff", label="规划廊道 plan corridors (buffer) [示意]"),
        Patch(facecolor="none", edgecolor="#ffd92f", label="规划廊道 plan corridors (terrain) [示意]"),
        Line2D([], [], marker="x", color="#ff3030", linestyle="none", label="夹点 pinch point (corridor peak)"),
    ]
    ax.set_facecolor("#202020")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(
        "生态安全格局：累积电流与规划廊道\nEcological security pattern: cumulative current and the plan's corridors"
    )
    add_map_furniture(ax, legend_handles=handles)
    _notes(fig, res)
    return fig


def plot_mine_priority(res: PatternResult, *, top: int = 10, dpi: int = 150) -> Figure:
    """Mine sites coloured by the drop in corridor resistance if restored; the top ``top`` labelled."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from linfen_geo.viz.fonts import set_cjk_font
    from linfen_geo.viz.maps import add_map_furniture

    set_cjk_font()
    bs = res.rasters["barrier_score"]
    b = np.asarray(bs.values, float)
    fig, ax = plt.subplots(figsize=(8.5, 8.0), dpi=dpi)
    im = ax.imshow(np.where(b > 0, b, np.nan), extent=_extent(bs), cmap="Greys", alpha=0.8, zorder=1)
    fig.colorbar(im, ax=ax, shrink=0.6, label="障碍点改善得分 barrier improvement score (cost per m restored)")
    res.layers["corridor_polygons"].plot(ax=ax, facecolor="#a6d96a", edgecolor="none", alpha=0.35, zorder=2)
    res.layers["corridor_paths"].plot(ax=ax, color="#1a9850", linewidth=1.0, zorder=3)
    _base(res, ax)
    mp = res.layers["mine_priority"]
    pts = mp.geometry.representative_point()
    size = np.where(mp["dR_pct"] > 0, 15 + 15 * np.sqrt(mp["dR_pct"].clip(0, 100)), 5)
    sc = ax.scatter(pts.x, pts.y, c=mp["dR_pct"], s=size, cmap="YlOrRd", edgecolor="#444444", linewidth=0.3,
                    vmin=0, vmax=max(float(mp["dR_pct"].max()), 1e-9), zorder=5)  # fmt: skip
    fig.colorbar(sc, ax=ax, shrink=0.6, label="修复后廊道有效电阻下降 drop in corridor resistance (%)")
    coal = mp[~mp["illustrative"]]
    if len(coal):
        coal.boundary.plot(ax=ax, color="#000000", linewidth=1.0, zorder=4)
    for r, p in zip(mp.head(top).itertuples(), pts.head(top), strict=True):
        ax.annotate(str(r.rank), (p.x, p.y), xytext=(3, 3), textcoords="offset points", fontsize=7, zorder=6)
    handles = [
        Line2D([], [], color="#1a9850", label="模拟廊道 modelled least-cost paths"),
        Line2D([], [], marker="o", color="#d7301f", linestyle="none", label="矿山 mine site [示意 illustrative]"),
        Line2D([], [], color="#000000", label="煤矿矿区 coal-mine boundary (GEM, real)"),
    ]
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(f"矿山修复优先级（前{top}名标注）\nMine-restoration priority (top {top} numbered)")
    add_map_furniture(ax, legend_handles=handles)
    _notes(fig, res)
    return fig

"""Charts for the analysis tables: bars by zone, overlap heatmap, forest indicator, red-line change map.

All charts register the CJK font first, so Chinese labels render; each returns a Figure.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from linfen_geo.viz.maps import add_map_furniture, set_cjk_font

__all__ = ["bar_by_zone", "overlap_heatmap", "forest_chart", "change_map", "illustrative_note"]


def illustrative_note(fig: plt.Figure, layers: list[str]) -> None:
    """Stamp a footnote naming the illustrative layers a chart depends on."""
    if layers:
        fig.text(
            0.01,
            0.005,
            f"示意数据 illustrative (not official): {', '.join(layers)}",
            fontsize=7,
            color="#b30000",
            va="bottom",
        )


def bar_by_zone(
    df: pd.DataFrame,
    value: str,
    *,
    label: str = "name_zh",
    label_en: str | None = "name_en",
    title: str = "",
    xlabel: str = "",
    percent: bool = False,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Horizontal bars, one per zone, sorted by value."""
    set_cjk_font()
    d = df.sort_values(value)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(d) + 1.5))
    fig = ax.figure
    labels = d[label].astype(str) + ((" " + d[label_en].astype(str)) if label_en and label_en in d else "")
    vals = d[value] * (100 if percent else 1)
    ax.barh(labels, vals, color="#4c9a6a")
    for y, v in enumerate(vals):
        ax.text(v, y, f" {v:,.1f}{'%' if percent else ''}", va="center", fontsize=7)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def overlap_heatmap(matrix: pd.DataFrame, *, value: str = "share_of_a", title: str = "") -> plt.Figure:
    """Heatmap of an :func:`~linfen_geo.analysis.overlap.overlap_matrix` (row layer's share overlapped)."""
    set_cjk_font()
    wide = matrix.pivot(index="layer_a", columns="layer_b", values=value)
    order = list(dict.fromkeys(matrix["layer_a"]))
    wide = wide.loc[order, order]
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(wide.to_numpy() * 100, cmap="YlOrRd", vmin=0, vmax=100)
    ax.set_xticks(range(len(order)), order, rotation=40, ha="right")
    ax.set_yticks(range(len(order)), order)
    for i in range(len(order)):
        for j in range(len(order)):
            v = wide.iloc[i, j] * 100
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=8, color="black" if v < 60 else "white")
    fig.colorbar(im, ax=ax, label="% of row layer's area 行图层面积占比")
    ax.set_title(title or "图层重叠 Layer overlaps (% of row layer)", fontsize=11)
    fig.tight_layout()
    return fig


def forest_chart(table: pd.DataFrame) -> plt.Figure:
    """Forest coverage by county (strict and broad readings) with the city's 2020 baseline and 2025 target."""
    set_cjk_font()
    d = table[table["adcode"] != "total"].sort_values("share_broad")
    total = table[table["adcode"] == "total"].iloc[0]
    fig, ax = plt.subplots(figsize=(8, 6))
    y = np.arange(len(d))
    ax.barh(y - 0.2, d["share_strict"] * 100, height=0.4, color="#1b7837", label="IGBP 森林 forest (strict)")
    ax.barh(y + 0.2, d["share_broad"] * 100, height=0.4, color="#a6dba0", label="含疏林 incl. woodland (broad)")
    ax.set_yticks(y, d["name_zh"] + " " + d["name_en"])
    ax.axvline(total["baseline_share"] * 100, color="#555555", linestyle=":", label="2020 基期 baseline 26.4%")
    ax.axvline(total["target_share"] * 100, color="#d73027", linestyle="--", label="2025 目标 target 28.6%")
    ax.axvline(total["share_strict"] * 100, color="#1b7837", linewidth=0.8)
    ax.axvline(total["share_broad"] * 100, color="#5aae61", linewidth=0.8)
    ax.set_xlabel("森林覆盖率 forest coverage (%)")
    ax.set_title(
        f"指标22 森林覆盖率 Indicator 22: city {total['share_strict'] * 100:.1f}% (strict) / "
        f"{total['share_broad'] * 100:.1f}% (broad)",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.text(0.01, 0.005, table.attrs.get("caveat_en", ""), fontsize=6, color="#b30000", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def change_map(changes: Any, counties: Any, *, title: str = "") -> plt.Figure:
    """Map of red-line area gained (green) and lost (red) between two versions."""
    from matplotlib.patches import Patch

    from linfen_geo.crs import WORK_CRS

    set_cjk_font()
    fig, ax = plt.subplots(figsize=(8, 9))
    cty = counties.to_crs(WORK_CRS)
    cty.plot(ax=ax, facecolor="#f7f7f7", edgecolor="#888888", linewidth=0.5)
    ch = changes.to_crs(WORK_CRS)
    colors = {"gained": "#1a9850", "lost": "#d73027"}
    for kind, color in colors.items():
        part = ch[ch["change"] == kind]
        if len(part) and not part.geometry.iloc[0].is_empty:
            part.plot(ax=ax, color=color, edgecolor=color, linewidth=0.8)
    for _, row in cty.iterrows():  # 17 labels
        p = row.geometry.representative_point()
        ax.annotate(row["name"], (p.x, p.y), ha="center", fontsize=7)
    handles = [Patch(color=colors["gained"], label="新增 gained"), Patch(color=colors["lost"], label="减少 lost")]
    add_map_furniture(ax, legend_handles=handles, legend_title="红线变化 red-line change")
    ax.set_title(title or "生态保护红线变化 Red-line change", fontsize=11)
    return fig

"""Figures of a corridor-greening result: suitability maps per corridor, greenable land per county.

Examples
--------
>>> from linfen_geo.analysis.greening import corridor_greening
>>> res = corridor_greening()  # doctest: +SKIP
>>> fig = plot_suitability(res)  # doctest: +SKIP
>>> fig = plot_by_county(res)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from linfen_geo.crs import WORK_CRS
from linfen_geo.units import convert_area

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from linfen_geo.analysis.greening import GreeningResult

__all__ = ["SUITABILITY_COLORS", "plot_by_county", "plot_suitability"]

#: colours of "not greenable" and the suitability classes (tree, shrub, grass, ...)
SUITABILITY_COLORS = ("#d9d9d9", "#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#d7191c")


def plot_suitability(res: GreeningResult, *, dpi: int = 150) -> Figure:
    """One panel per corridor: greenable land by suitability, with legend, scale bar and north arrow.

    Examples
    --------
    >>> fig = plot_suitability(corridor_greening(), dpi=90)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch
    from rasterio.enums import Resampling

    from linfen_geo.viz.charts import illustrative_note
    from linfen_geo.viz.fonts import set_cjk_font
    from linfen_geo.viz.maps import add_map_furniture

    set_cjk_font()
    rules = res.rules
    n = len(res.by_corridor)
    ncol = 2 if n > 1 else 1
    nrow = math.ceil(n / ncol)
    cor = res.corridors.to_crs(WORK_CRS)
    b = cor.bounds
    aspect = float(np.clip(((b["maxy"] - b["miny"]) / (b["maxx"] - b["minx"])).max(), 0.3, 1.5))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(6.5 * ncol, (6.5 * aspect + 1.3) * nrow + 1.2), dpi=dpi, squeeze=False
    )
    colors = list(SUITABILITY_COLORS[: rules.S + 1])
    cmap = ListedColormap(colors).with_extremes(bad=(0, 0, 0, 0))
    norm = BoundaryNorm(np.arange(-0.5, rules.S + 1.5), cmap.N)
    cty = res.counties.to_crs(WORK_CRS)
    cty_lines = _lines(cty.geometry.simplify(100).boundary)  # drawn as line collections: fast
    labels = [(k["name"], k.geometry.representative_point()) for _, k in cty.iterrows()]
    lc_crs = res.code.rio.crs
    for ax, row in zip(axes.ravel(), res.by_corridor.itertuples(), strict=False):
        c = cor[cor["corridor_id"].astype(str) == row.corridor_id]
        xmin, ymin, xmax, ymax = c.total_bounds
        pad = 0.04 * max(xmax - xmin, ymax - ymin)
        box_w = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        sub = res.suitability_window(c.to_crs(lc_crs).total_bounds, corridor=row.corridor_id)
        sub_w = sub.rio.reproject(WORK_CRS, resampling=Resampling.nearest, nodata=255)
        v = np.ma.masked_equal(np.asarray(sub_w.values), 255)
        b = sub_w.rio.bounds()
        ax.set_facecolor("#fafafa")
        ax.add_collection(LineCollection(cty_lines, colors="#999999", linewidths=0.5, zorder=1))
        ax.imshow(v, cmap=cmap, norm=norm, extent=(b[0], b[2], b[1], b[3]), interpolation="nearest", zorder=2)
        ax.add_collection(LineCollection(_lines(c.boundary), colors="#d95f02", linewidths=0.7, zorder=3))
        for name, p in labels:  # county labels (17 at most)
            if box_w[0] < p.x < box_w[2] and box_w[1] < p.y < box_w[3]:
                ax.annotate(name, (p.x, p.y), ha="center", fontsize=7, color="#555555", zorder=4)
        ax.set_xlim(box_w[0], box_w[2])
        ax.set_ylim(box_w[1], box_w[3])
        title = f"{row.corridor_id} {row.corridor_zh}"
        if len(title) > 26:
            title = title[:26] + "…"
        ax.set_title(
            f"{title}\n宜绿化 greenable {row.greenable_ha:,.0f} ha = {row.greenable_wanmu:,.2f} 万亩", fontsize=9
        )
        add_map_furniture(ax, legend_handles=None)
        ax.set_xlabel("")
        ax.set_ylabel("")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    handles = [Patch(facecolor=colors[0], label="不宜绿化/已有林草等 not greenable")] + [
        Patch(facecolor=colors[i], label=f"{z} {s}")
        for i, (s, z) in enumerate(zip(rules.suitability_names, rules.suitability_zh, strict=True), 1)
    ]
    handles.append(Patch(facecolor="none", edgecolor="#d95f02", label="廊道 corridor"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, title="宜绿化土地适宜性 suitability")
    fig.suptitle(
        f"廊道宜绿化土地 Greenable land in the corridors (land cover {res.meta['class_scheme']}, "
        f"{res.meta['landcover_resolution'].split(' in ')[0]})",
        fontsize=11,
    )
    h = fig.get_figheight()
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.9 / h, top=1 - 0.9 / h, wspace=0.05, hspace=0.9 / (h / nrow))
    illustrative_note(fig, res.illustrative_inputs())
    return fig


def plot_by_county(res: GreeningResult) -> Figure:
    """Stacked bars: greenable land by suitability per county (亩, or 万亩 when there is at least 1 万亩).

    Examples
    --------
    >>> fig = plot_by_county(corridor_greening())  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from linfen_geo.viz.charts import illustrative_note
    from linfen_geo.viz.fonts import set_cjk_font

    set_cjk_font()
    rules = res.rules
    d = res.by_county.sort_values("greenable_m2")
    unit, label = ("wanmu", "万亩") if res.greenable_m2 >= convert_area(1, "wanmu", "m2") else ("mu", "亩")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(d) + 2))
    y = np.arange(len(d))
    left = np.zeros(len(d))
    for i, (s, z) in enumerate(zip(rules.suitability_names, rules.suitability_zh, strict=True), 1):
        v = d[f"greenable_{s}_{unit}"].to_numpy()
        ax.barh(y, v, left=left, color=SUITABILITY_COLORS[i], edgecolor="white", label=f"{z} {s}")
        left += v
    for yi, v in zip(y, left, strict=True):
        ax.text(v, yi, f" {v:,.2f}" if unit == "wanmu" else f" {v:,.0f}", va="center", fontsize=7)
    ax.set_yticks(y, (d["county_zh"] + " " + d["county_en"]).tolist())
    ax.set_xlabel(f"宜绿化面积 greenable area ({label})")
    ax.set_title("各县廊道内宜绿化土地 Greenable corridor land by county", fontsize=11)
    ax.legend(fontsize=8, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    illustrative_note(fig, res.illustrative_inputs())
    return fig


def _lines(boundaries: Any) -> list[np.ndarray]:
    """Coordinate arrays of every line part of a GeoSeries of boundaries (for a LineCollection)."""
    parts = shapely.get_parts(np.asarray(boundaries.values, dtype=object))
    return [np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty]

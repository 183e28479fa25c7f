"""Static maps: CJK font, map furniture (scale bar, north arrow, legend) and the overview map.

Chinese labels use the CJK font of :mod:`linfen_geo.viz.fonts`; layer styles come
from the one registry :mod:`linfen_geo.viz.styles`. Maps are drawn in EPSG:4546 (CGCS2000 GK CM 111E) so the scale bar is in metres.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt

from linfen_geo.crs import WORK_CRS
from linfen_geo.viz.fonts import cjk_font_path, set_cjk_font, use_cjk_font
from linfen_geo.viz.styles import LAYER_STYLES

__all__ = [
    "LAYER_STYLES",
    "add_credits",
    "add_map_furniture",
    "cjk_font_path",
    "plot_layers",
    "set_cjk_font",
    "use_cjk_font",
]


def add_map_furniture(
    ax: plt.Axes,
    *,
    scalebar: bool = True,
    north_arrow: bool = True,
    legend_handles: Sequence[Any] | None = None,
    legend_title: str | None = None,
    legend_loc: str = "below",
) -> None:
    """Add a scale bar (axes in metres), a north arrow and a legend to a map axes.

    ``legend_loc="below"`` (default) puts the legend under the map, where it hides no data.
    """
    if scalebar:
        from matplotlib_scalebar.scalebar import ScaleBar

        ax.add_artist(ScaleBar(1, units="m", location="lower left", box_alpha=0.7, font_properties={"size": 8}))
    if north_arrow:
        ax.annotate(
            "N 北",
            xy=(0.96, 0.97),
            xytext=(0.96, 0.87),
            xycoords="axes fraction",
            ha="center",
            va="center",
            fontsize=9,
            arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 9},
        )
    if legend_handles:
        where = (
            {"loc": "upper center", "bbox_to_anchor": (0.5, -0.01), "ncol": 2}
            if legend_loc == "below"
            else {"loc": legend_loc}
        )
        ax.legend(
            handles=list(legend_handles),
            **where,
            fontsize=7,
            title=legend_title,
            title_fontsize=8,
            framealpha=0.85,
        )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


def _label(gdf: Any) -> str:
    status = gdf.attrs.get("status", "")
    mark = " [示意 illustrative]" if status == "illustrative" else (" [官方 official]" if status == "official" else "")
    return f"{gdf.attrs.get('title_zh', '')} {gdf.attrs.get('title_en', '')}{mark}".strip()


def plot_layers(
    layers: Sequence[str] | None = None,
    *,
    catalog: Any = None,
    ax: plt.Axes | None = None,
    out: str | os.PathLike[str] | None = None,
    title: str | None = None,
    hillshade: bool = True,
    dpi: int = 150,
    overwrite: bool = False,
) -> plt.Figure:
    """Overview map of catalog layers with Chinese county names, legend, scale bar and north arrow.

    Parameters
    ----------
    layers
        Layer names to draw (vector layers; default: every vector layer with a style).
    catalog
        A :class:`~linfen_geo.layer_catalog.core.Catalog` (default: the session's).
    ax
        Axes to draw into; a new figure otherwise.
    out
        Write the figure to this path (atomically), in the format its extension names
        (.png, .pdf, .svg, .jpg, ... as matplotlib supports; others are refused).
    overwrite
        Replace an existing ``out`` (never done without it).
    title
        Map title.
    hillshade
        Shade the DEM underneath.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from linfen_geo.files import check_writable, figure_format, write_file
    from linfen_geo.layer_catalog.core import get_catalog

    if out is not None:  # refuse before drawing
        check_writable(out, overwrite)
        fmt = figure_format(out)
    cat = catalog or get_catalog()
    set_cjk_font()
    if layers is None:
        layers = [n for n in cat.names() if n in LAYER_STYLES]
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 11), dpi=dpi)
    fig = fig or ax.figure
    counties = cat.load("counties").to_crs(WORK_CRS)
    if hillshade:
        _draw_hillshade(ax, cat)
    handles: list[Any] = []
    for name in layers:
        gdf = cat.load(name)
        if cat.spec(name).kind != "vector":
            continue
        style = dict(LAYER_STYLES.get(name, {}))
        g = gdf.to_crs(WORK_CRS)
        label = _label(gdf)
        if name == "barriers" and "barrier_id" in g.columns:
            colors = ["#fee08b", "#66bd63", "#3288bd", "#f46d43"]
            for i, (_, row) in enumerate(g.iterrows()):  # 3 rows: one colour each
                c = colors[i % len(colors)]
                g.iloc[[i]].plot(ax=ax, facecolor=c, edgecolor=c, **style)
                handles.append(
                    Patch(
                        facecolor=c,
                        alpha=style.get("alpha", 0.3),
                        label=f"{row.get('name_zh', '')} {row.get('name_en', '')}".strip()
                        + (" [示意 illustrative]" if bool(row.get("illustrative", False)) else ""),
                    )
                )
            continue
        if "status" in g.columns and g["status"].nunique() > 1 and "Line" in g.geom_type.iloc[0]:
            for st, part in g.groupby("status", sort=True):  # real / illustrative parts (2)
                ls = "--" if st == "illustrative" else "-"
                part.plot(ax=ax, **{**style, "linestyle": ls})
                mark = "[示意 illustrative]" if st == "illustrative" else "[实测 real]"
                names = "、".join(dict.fromkeys(part["name_zh"].astype(str))) if "name_zh" in part else ""
                src = str(part["source"].iloc[0]).split(" (")[0] if "source" in part else ""
                base = f"{gdf.attrs.get('title_zh', '').split('（')[0]} {gdf.attrs.get('title_en', '').split(' (')[0]}"
                label = f"{names if st == 'illustrative' else f'{base.strip()} ({src})'} {mark}".strip()
                handles.append(Line2D([], [], color=style.get("color", "k"), linestyle=ls, label=label))
            continue
        if style.pop("as_points", False):  # small polygons (mine sites) would vanish at map scale
            g = g.set_geometry(g.representative_point())
        gtype = g.geom_type.iloc[0]
        g.plot(ax=ax, **style)
        if "Point" in gtype:
            handles.append(
                Line2D([], [], marker="o", linestyle="", color=style.get("color", "k"), label=label, markersize=4)
            )
        elif "Line" in gtype:
            handles.append(
                Line2D([], [], color=style.get("color", "k"), linestyle=style.get("linestyle", "-"), label=label)
            )
        else:
            handles.append(
                Patch(
                    facecolor=style.get("facecolor", "grey"),
                    edgecolor=style.get("edgecolor", "k"),
                    alpha=style.get("alpha", 1.0),
                    label=label,
                )
            )
    pts = counties.representative_point()
    for (_, row), pt in zip(counties.iterrows(), pts, strict=True):  # 17 labels
        ax.annotate(
            row["name"],
            (pt.x, pt.y),
            ha="center",
            va="center",
            fontsize=8,
            zorder=10,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6},
        )
    minx, miny, maxx, maxy = counties.total_bounds
    pad = 5000
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    add_map_furniture(ax, legend_handles=handles, legend_title="图例 Legend")
    ax.set_title(title or "临汾市生态保护空间格局 Linfen ecological protection layers", fontsize=12)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.text(
        0.01,
        0.99,
        "坐标系 CRS: EPSG:4546 CGCS2000 3° GK CM 111E",
        transform=ax.transAxes,
        fontsize=6,
        color="#444444",
        va="top",
    )
    credits = cat.attributions(list(layers) + (["dem"] if hillshade else []))
    if credits:
        add_credits(ax, credits)
    if out is not None:
        write_file(out, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt), overwrite=overwrite)
    return fig


def add_credits(ax: plt.Axes, credits: Sequence[str]) -> None:
    """Write the data credits (the attributions ODbL / CC BY data require) along the map's bottom edge."""
    import textwrap

    text = "\n".join(textwrap.wrap("数据来源 Data: " + "; ".join(credits), 150))
    ax.text(
        0.99, 0.005, text, transform=ax.transAxes, fontsize=5, color="#333333", ha="right", va="bottom", zorder=12,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.7},
    )  # fmt: skip


def _draw_hillshade(ax: plt.Axes, cat: Any) -> None:
    from linfen_geo.grid import to_work_grid
    from linfen_geo.terrain import hillshade

    dem = to_work_grid(cat.load("dem"), 1000, snap=False)
    z = dem.values.astype(float)
    xs, ys = dem.x.values, dem.y.values
    extent = (xs[0] - 500, xs[-1] + 500, ys[-1] - 500, ys[0] + 500)
    ax.imshow(hillshade(dem), cmap="Greys_r", extent=extent, alpha=0.35, zorder=0, vmin=0, vmax=1)
    ax.imshow(z, cmap="terrain", extent=extent, alpha=0.25, zorder=0, vmin=200, vmax=2600)

"""The siting map: a site (or several), its contacts and the nearest red line, drawn from a :class:`SitingReport`.

:meth:`SitingReport.plot <linfen_geo.analysis.siting.SitingReport.plot>` calls
:func:`plot_siting`; nothing here computes a siting check.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from linfen_geo.analysis.siting import check_siting
>>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
>>> report = check_siting([box(501100, 3995000, 501200, 3995100)], crs=4546, layers={"redlines": red})
>>> fig = plot_siting(report)
>>> fig.axes[0].get_title().split(" - ")[-1]
'需论证 review'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from linfen_geo.analysis.siting.pieces import geometry_family
from linfen_geo.crs import STORAGE_CRS, WORK_CRS, WORK_CRS_NAME, reproject
from linfen_geo.errors import InputError
from linfen_geo.viz.fonts import set_cjk_font
from linfen_geo.viz.maps import add_map_furniture
from linfen_geo.viz.styles import LAYER_STYLES

if TYPE_CHECKING:
    from linfen_geo.analysis.siting import SitingReport

__all__ = ["plot_siting"]

#: maps label sites, contacts and nearest-red-line distances when they show at most this many sites
MAP_LABELLED_SITES = 30
_DISTANCE_COLOR = "#990000"


def _positions(report: SitingReport, site_id: str | Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    ids = report.sites["site_id"].astype(str)
    if site_id is None:
        wanted = ids.tolist()
    elif isinstance(site_id, str):
        wanted = [site_id]
    else:
        wanted = [str(s) for s in site_id]
    unknown = [s for s in wanted if s not in set(ids)]
    if unknown:
        raise InputError(f"no site {unknown[0]!r} in this report; sites are {', '.join(ids.tolist()[:10])}")
    return np.flatnonzero(ids.isin(wanted).to_numpy()), wanted


def _lines_to_nearest(report: SitingReport, pos: np.ndarray, site_work: np.ndarray, detail: bool) -> list[Any]:
    """Per site shown, the shortest line to its nearest red line (None when not drawn)."""
    lines: list[Any] = [None] * len(pos)
    near_layer = report.nearest_layer
    if near_layer is None or not detail:
        return lines
    near_pos = report.nearest_feature[pos]
    has = near_pos >= 0
    segs = shapely.shortest_line(site_work[has], near_layer.work[near_pos[has]])
    for k, seg in zip(np.flatnonzero(has), segs, strict=True):  # the sites shown
        lines[k] = seg
    return lines


def _draw_layers(
    ax: plt.Axes, report: SitingReport, view: Any, contacts: pd.DataFrame, detail: bool, handles: list[Any]
) -> None:
    """Every feature of a checked layer that shows in the view (context), contacts emphasised and labelled."""
    for name, lay in report.checked_layers.items():
        feats = np.flatnonzero(shapely.intersects(lay.work, view))
        if not len(feats):
            continue
        style = dict(LAYER_STYLES.get(name, {"facecolor": "#999999", "edgecolor": "#333333", "alpha": 0.4}))
        style.pop("zorder", None)
        geo = gpd.GeoSeries(shapely.intersection(lay.work[feats], view), crs=WORK_CRS)
        fam = geometry_family(shapely.get_type_id(lay.work[feats]))
        if (fam == 2).any():
            geo[fam == 2].plot(ax=ax, zorder=2, **style)
        else:
            geo.plot(ax=ax, zorder=2, **{k: v for k, v in style.items() if k in ("color", "linewidth")})
        status = " [示意 illustrative]" if lay.status == "illustrative" else ""
        handles.append(
            Patch(
                facecolor=style.get("facecolor", style.get("color", "#999999")),
                edgecolor=style.get("edgecolor", "k"),
                alpha=style.get("alpha", 0.5),
                label=f"{lay.title_zh or name} {lay.title_en}{status}".strip(),
            )
        )
        hit = contacts[contacts["layer"] == name]
        if not (len(hit) and detail):
            continue
        fpos = np.flatnonzero(np.isin(lay.ids, hit["feature_id"].unique()))
        gpd.GeoSeries(shapely.intersection(lay.work[fpos], view), crs=WORK_CRS).plot(
            ax=ax, facecolor="none", edgecolor=style.get("edgecolor", "k"), linewidth=1.6, zorder=4
        )
        label_pts = shapely.point_on_surface(shapely.intersection(lay.work[fpos], view))
        for p, fid, fname in zip(label_pts, lay.ids[fpos], lay.names[fpos], strict=True):  # few contacts
            if p is None or p.is_empty:
                continue
            ax.annotate(
                f"{fname or fid}",
                (p.x, p.y),
                fontsize=7,
                ha="center",
                zorder=8,
                color="#222222",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )


def _draw_sites(
    ax: plt.Axes,
    report: SitingReport,
    pos: np.ndarray,
    site_work: np.ndarray,
    summ: pd.DataFrame,
    detail: bool,
    handles: list[Any],
) -> None:
    """The conflicting part of each site (hatched), the sites, and their labels."""
    free = report.conflict_free.iloc[pos]
    free_work = reproject(np.asarray(free.values, dtype=object), STORAGE_CRS, WORK_CRS)
    fam = geometry_family(shapely.get_type_id(site_work))
    conflict = shapely.difference(site_work, free_work)
    conflict = conflict[~shapely.is_empty(conflict) & (fam >= 1)]
    if len(conflict):
        gpd.GeoSeries(conflict, crs=WORK_CRS).plot(
            ax=ax, facecolor="none", edgecolor="#7f0000", hatch="////", linewidth=0, zorder=5
        )
        handles.append(Patch(facecolor="none", edgecolor="#7f0000", hatch="////", label="冲突部分 conflicting part"))
    sw = gpd.GeoSeries(site_work, crs=WORK_CRS)
    if (fam == 2).any():
        sw[fam == 2].plot(ax=ax, facecolor="#ffff99", edgecolor="black", linewidth=1.8, alpha=0.55, zorder=6)
        sw[fam == 2].boundary.plot(ax=ax, color="black", linewidth=1.8, zorder=6)
    if (fam == 1).any():
        sw[fam == 1].plot(ax=ax, color="black", linewidth=2.2, zorder=6)
    if (fam == 0).any():
        sw[fam == 0].plot(ax=ax, color="black", markersize=30, marker="*", zorder=6)
    handles.append(Patch(facecolor="#ffff99", edgecolor="black", label="拟建项目 proposed site"))
    if not detail:
        return
    for g, rec in zip(site_work, summ.itertuples(index=False), strict=True):  # sites shown: a few
        gx0, _gy0, gx1, gy1 = g.bounds
        ax.annotate(  # above the site, so it hides none of it
            f"{rec.site_id} {rec.name}\n{rec.verdict_zh} {rec.verdict}".strip(),
            ((gx0 + gx1) / 2.0, gy1),
            xytext=(0, 6),
            textcoords="offset points",
            fontsize=8,
            ha="center",
            va="bottom",
            zorder=9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "black", "alpha": 0.8},
        )


def _draw_distances(ax: plt.Axes, lines: list[Any], summ: pd.DataFrame, handles: list[Any]) -> None:
    """Dashed lines from the sites to their nearest red line, labelled in metres."""
    drawn = False
    for seg, rec in zip(lines, summ.itertuples(index=False), strict=True):
        if seg is None or seg.length <= 0:
            continue
        xy = np.asarray(seg.coords)
        ax.plot(xy[:, 0], xy[:, 1], color=_DISTANCE_COLOR, linestyle="--", linewidth=1.2, zorder=7)
        mid = seg.interpolate(0.5, normalized=True)
        ax.annotate(
            f"{rec.nearest_redline_m:,.0f} m",
            (mid.x, mid.y),
            fontsize=7,
            color=_DISTANCE_COLOR,
            zorder=9,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
        )
        drawn = True
    if drawn:
        handles.append(
            Line2D([], [], color=_DISTANCE_COLOR, linestyle="--", label="至最近红线距离 distance to nearest red line")
        )


def _title(report: SitingReport, summ: pd.DataFrame) -> str:
    if len(summ) == 1:
        rec = summ.iloc[0]
        head = f"选址核查 Siting check: {rec['site_id']} {rec['name']} - {rec['verdict_zh']} {rec['verdict']}"
    else:
        head = f"选址核查 Siting check: {len(summ)} sites"
    if report.illustrative:
        head += "\n[示意图层 ILLUSTRATIVE layers: " + ", ".join(report.illustrative_layers) + " - not official]"
    return head


def plot_siting(
    report: SitingReport,
    site_id: str | Sequence[str] | None = None,
    *,
    ax: plt.Axes | None = None,
    margin_m: float = 800.0,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    dpi: int = 150,
) -> plt.Figure:
    """Map of a site (or several), its contacts and the nearest red line, in WORK_CRS.

    Chinese and English labels, legend, scale bar and north arrow; the title
    says when the layers are illustrative. With more than 30 sites shown, the
    labels and distance lines are left out.

    Parameters
    ----------
    report
        The result of :func:`~linfen_geo.analysis.siting.check_siting`.
    site_id
        One site id, a list of them, or None for every site.
    ax
        Axes to draw into (a new figure otherwise).
    margin_m
        Space around the sites and the nearest red line, metres.
    out
        Write the figure to this PNG path (atomically; never over an
        existing file unless ``overwrite``).
    overwrite
        Replace an existing ``out`` file.
    dpi
        Resolution of the figure and of ``out``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        An unknown site id, or ``out`` exists and ``overwrite`` is False.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from linfen_geo.analysis.siting import check_siting
    >>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
    >>> sites = gpd.GeoDataFrame({"site_id": ["A", "B"], "name": ["光伏", "仓库"]}, crs=4546,
    ...                          geometry=[box(500900, 3995000, 501100, 3995100), box(502000, 3995000, 502100, 3995100)])
    >>> fig = plot_siting(check_siting(sites, layers={"redlines": red}), "A")
    >>> fig.axes[0].get_title()
    '选址核查 Siting check: A 光伏 - 禁止 prohibited'
    """
    from linfen_geo.files import check_writable, figure_format, write_file

    if out is not None:
        check_writable(out, overwrite)
        fmt = figure_format(out)
    set_cjk_font()
    pos, wanted = _positions(report, site_id)
    summ = report.summary().iloc[pos]
    site_work = reproject(np.asarray(report.sites.geometry.values, dtype=object)[pos], STORAGE_CRS, WORK_CRS)
    contacts = report.to_frame()
    contacts = contacts[contacts["site_id"].isin(wanted)]

    if ax is None:
        _fig, ax = plt.subplots(figsize=(8, 8.5), dpi=dpi)
    fig = ax.figure
    detail = len(pos) <= MAP_LABELLED_SITES  # labels and distance lines only when they stay readable
    lines = _lines_to_nearest(report, pos, site_work, detail)
    bounds = [shapely.total_bounds(site_work)]
    segs = [s for s in lines if s is not None]
    if segs:
        bounds.append(shapely.total_bounds(np.array(segs, dtype=object)))
    b = np.array(bounds)
    minx, miny = b[:, 0].min() - margin_m, b[:, 1].min() - margin_m
    maxx, maxy = b[:, 2].max() + margin_m, b[:, 3].max() + margin_m
    view = shapely.box(minx, miny, maxx, maxy)

    handles: list[Any] = []
    _draw_layers(ax, report, view, contacts, detail, handles)
    _draw_sites(ax, report, pos, site_work, summ, detail, handles)
    _draw_distances(ax, lines, summ, handles)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_xlabel("")
    ax.set_ylabel("")
    add_map_furniture(ax, legend_handles=handles, legend_title="图例 Legend")
    ax.set_title(_title(report, summ), fontsize=10)
    ax.text(0.01, 0.99, f"坐标系 CRS: {WORK_CRS_NAME}", transform=ax.transAxes, fontsize=6, color="#444444", va="top")
    if out is not None:
        write_file(out, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt), overwrite=overwrite)
    return fig

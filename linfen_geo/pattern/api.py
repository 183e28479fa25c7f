"""``security_pattern(...)``: the whole ecological security pattern job, pure (computes, never writes).

Examples
--------
>>> import linfen_geo as lg
>>> res = lg.security_pattern()  # doctest: +SKIP
>>> res.answers["plan_corridors"]["en"]  # doctest: +SKIP
>>> sorted(res.tables)  # doctest: +SKIP
['barriers', 'links', 'mines', 'plan_corridors', 'plan_corridors_by_link', 'reserves', 'sensitivity', 'sources']
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from linfen_geo.pattern.landscape import Landscape

__all__ = ["INPUT_LAYERS", "PatternResult", "run_pattern", "security_pattern"]

#: catalog layers the job reads (besides land cover and DEM)
INPUT_LAYERS = ("reserves", "corridors", "corridors_terrain", "corridor_roads", "railways", "coal_mines", "mines",
                "redlines", "barriers", "counties")  # fmt: skip
#: layers whose illustrative status flags outputs resting on them
FLAG_LAYERS = (
    "mines",
    "redlines",
    "reserves",
    "corridors",
    "corridors_terrain",
    "corridor_roads",
    "railways",
    "barriers",
)


@dataclass
class PatternResult:
    """Result of :func:`security_pattern`.

    Attributes
    ----------
    tables : dict
        ``sources``, ``links``, ``plan_corridors``, ``plan_corridors_by_link``, ``reserves``, ``mines``,
        ``barriers``, ``sensitivity`` (pandas DataFrames, definitions in ``attrs``).
    rasters : dict
        ``resistance``, ``cumulative_current``, ``cwd`` (min over sources), ``barrier_score``,
        ``pinch_current``, ``sources``, ``corridors`` (normalised), ``mspa_core`` (DataArrays, EPSG:4546).
    layers : dict
        GeoDataFrames (EPSG:4546): ``sources``, ``corridor_polygons``, ``corridor_paths``,
        ``pinch_points``, ``barrier_cells``, ``mine_priority``.
    answers : dict
        ``{key: {"zh": sentence, "en": sentence}}``.
    notes : list of str
        Data honesty: coarse land cover, illustrative inputs.
    illustrative : list of str
        Input layers that are illustrative (示意).
    timings : dict
        Seconds per stage.
    """

    tables: dict[str, Any]
    rasters: dict[str, Any]
    layers: dict[str, Any]
    answers: dict[str, dict[str, str]]
    notes: list[str]
    illustrative: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def sentence(self, key: str, lang: str = "en") -> str:
        """One answer sentence."""
        return self.answers[key][lang]


def _notes(ls: Landscape, illustrative: list[str], w: Any) -> list[str]:
    lc_m = float(ls.meta.get("landcover_cell_m", ls.cellsize))
    notes = []
    if lc_m > 2 * ls.cellsize:
        notes.append(
            f"COARSE 粗分辨率: the land cover ({ls.meta.get('landcover_title')}) has ~{lc_m / 1000:.1f} km cells on a "
            f"{ls.cellsize / 1000:g} km analysis grid: MSPA cores, sources and corridors follow these "
            "blocks. 土地覆被约5千米，MSPA核心区与源地仅为粗略结果。A finer raster needs `linfen-geo data import "
            "PATH --kind landcover --classes worldcover` (ESA WorldCover 10 m or CLCD 30 m), then "
            "`linfen-geo pattern --landcover PATH`."
        )
    if illustrative:
        notes.append(
            "ILLUSTRATIVE 示意数据: " + ", ".join(illustrative) + " are illustrative (modelled, not official); the "
            "mine priority rests on the 420 modelled legacy sites (the coal-mine boundaries are real, GEM), and the "
            "red-line context on modelled red lines."
        )
    notes.append(
        f"Restoration unit: a mine's {ls.cellsize / 1000:g} km cell(s) get the resistance of '{w.restored_class}' "
        "(terrain factors kept); a legacy site covers ~6 ha of a 100 ha cell, so the gain is that of restoring its cell."
    )
    return notes


def _without_road_penalty(ls: Landscape, w: Any, ids: np.ndarray, share: Any) -> Any:
    """Add the path-length share of a run without the penalties of the corridor roads (the plan corridors' axes).

    The plan corridors are buffers of the corridor roads, which the resistance raises: this variant shows how much
    of the low share is that penalty. Current is not recomputed (``current_share`` NaN).
    """
    import dataclasses

    import geopandas as gpd
    import pandas as pd

    from linfen_geo.connectivity import corridor_network
    from linfen_geo.pattern.answers import plan_corridor_share
    from linfen_geo.pattern.network import path_line
    from linfen_geo.pattern.resistance import resistance_surface

    roads = {k for k, p in w.penalties.items() if p.layer == "corridor_roads"}
    share = share.assign(variant="plan weights")
    if not roads:
        return share
    w2 = dataclasses.replace(w, penalties={k: p for k, p in w.penalties.items() if k not in roads})
    r2, _ = resistance_surface(ls, w2)
    net = corridor_network(ls.like(r2, "resistance"), ids, width=w2.corridor_width_cost)
    kept = net.links[~net.links["dropped"]].reset_index(drop=True).assign(link_id=lambda d: d.index, rank=0, level="")
    lines = [path_line(net.paths[int(a), int(b)], ls.transform) for a, b in kept[["a", "b"]].values]
    s2, _ = plan_corridor_share(ls, gpd.GeoDataFrame(kept, geometry=lines, crs=ls.crs), np.full(ls.shape, np.nan), 0.5)
    s2 = s2.assign(variant=f"without the corridor-road penalty ({', '.join(sorted(roads))})", current_share=np.nan)
    out = pd.concat([share, s2], ignore_index=True)
    out.attrs = share.attrs
    return out


def run_pattern(
    ls: Landscape, w: Any, *, sensitivity_pct: float | None = None, seed: int | None = None
) -> PatternResult:
    """The pattern on a prepared :class:`Landscape` with the ``[pattern]`` weights ``w`` (pure).

    Examples
    --------
    >>> import numpy as np
    >>> from linfen_geo.plan.loader import load_plan
    >>> plan = load_plan().model
    >>> c = np.full((20, 40), 3, np.uint8); c[2:18, 2:14] = 0; c[2:18, 26:38] = 0; c[9:11, 14:26] = 2
    >>> res = run_pattern(Landscape.from_arrays(c, list(plan.greening.classes)), plan.pattern, sensitivity_pct=0)
    >>> res.tables["links"][["a", "b", "rank"]].values.tolist()
    [[1, 2, 1]]
    """
    import geopandas as gpd

    from linfen_geo.pattern.mines import mine_priority
    from linfen_geo.pattern.network import barrier_cells, corridor_links, lcp_cells, path_line, pinch_cells
    from linfen_geo.pattern.network import sensitivity as _sens
    from linfen_geo.pattern.resistance import resistance_surface, restored_resistance
    from linfen_geo.pattern.sources import find_sources

    tm: dict[str, float] = {}
    t0 = time.perf_counter()
    res, parts = resistance_surface(ls, w)
    restored = restored_resistance(ls, w)
    tm["resistance"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    src = find_sources(ls, w)
    tm["sources"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    nw = corridor_links(ls, res, src.ids, w, restored)
    links = nw.links.copy()
    links["through"] = links["through"].map(lambda v: ",".join(map(str, v)))
    links = gpd.GeoDataFrame(
        links,
        geometry=[path_line(nw.net.paths[int(a), int(b)], ls.transform) for a, b in links[["a", "b"]].values],
        crs=ls.crs,
    )
    links.attrs["definitions"] = nw.links.attrs.get("definitions", {})
    tm["corridors"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mines = mine_priority(ls, nw, restored)
    tm["mines"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from linfen_geo.pattern.answers import barrier_comparison, plan_corridor_share, reserve_pairs, sentences

    share, per_link = plan_corridor_share(ls, links, nw.current, w.covered_min_share)
    share = _without_road_penalty(ls, w, src.ids, share)
    pairs = reserve_pairs(ls, res)
    barriers = barrier_comparison(ls, src.ids, links, nw.current, res)
    tm["answers"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pct = w.sensitivity_pct if sensitivity_pct is None else float(sensitivity_pct)
    sens = None
    if pct > 0 and w.sensitivity_runs > 0:
        base = lcp_cells(nw.net, ls.shape)
        sens = _sens(ls, w, src.ids, base, pct, w.sensitivity_runs, w.sensitivity_seed if seed is None else int(seed))
    tm["sensitivity"] = time.perf_counter() - t0
    answers = sentences(share, per_link, pairs, mines, barriers, sens)

    # ------------------------------------------------ layers and rasters
    from linfen_geo.terrain import mask_to_polygons

    st = src.table
    kept = st[st["kept"]]
    polys = []
    for s in kept["source_id"].tolist():
        g = mask_to_polygons(ls.like((src.ids == s).astype("uint8"), "s"))
        polys.append(g.union_all())
    sources_gdf = gpd.GeoDataFrame(kept.reset_index(drop=True), geometry=polys, crs=ls.crs)
    cpoly = nw.net.polygons()
    if len(cpoly):
        cpoly = cpoly.merge(links.drop(columns="geometry")[["a", "b", "link_id", "g", "rank", "level", "level_zh",
                                                            "path_length"]], on=["a", "b"])  # fmt: skip
    cwd_min = np.min(np.stack(list(nw.net.cwd.values())), axis=0)
    rasters = {
        "resistance": ls.like(res, "resistance"),
        "cumulative_current": ls.like(nw.current, "cumulative_current"),
        "cwd": ls.like(np.where(ls.valid & np.isfinite(cwd_min), cwd_min, np.nan), "cwd"),
        "barrier_score": ls.like(nw.barrier, "barrier_score"),
        "pinch_current": ls.like(np.where(nw.link_of_cell >= 0, nw.pinch, np.nan), "pinch_current"),
        "corridors": ls.like(nw.net.corridors, "corridors"),
        "sources": ls.like(np.where(ls.valid, src.ids, -1).astype("int32"), "sources"),
        "mspa_core": ls.like(np.where(ls.valid, src.core, 0).astype("uint8"), "mspa_core"),
    }
    layers = {
        "sources": sources_gdf,
        "corridor_polygons": cpoly,
        "corridor_paths": links,
        "pinch_points": pinch_cells(ls, nw, src.ids, w.pinch_share),
        "barrier_cells": barrier_cells(ls, nw, src.ids, w.barrier_min_score),
        "mine_priority": gpd.GeoDataFrame(mines, geometry="geometry", crs=ls.crs) if len(mines) else mines,
    }
    tables = {
        "sources": st, "links": links.drop(columns="geometry"), "plan_corridors": share,
        "plan_corridors_by_link": per_link, "reserves": pairs,
        "mines": mines.drop(columns="geometry") if len(mines) else mines, "barriers": barriers,
    }  # fmt: skip
    if sens is not None:
        tables["sensitivity"] = sens
    tables["links"].attrs["definitions"] = links.attrs["definitions"]
    if len(mines):
        tables["mines"].attrs["definitions"] = mines.attrs["definitions"]
    statuses = ls.meta.get("statuses", {})
    illustrative = [n for n in FLAG_LAYERS if statuses.get(n) == "illustrative"]
    return PatternResult(tables, rasters, layers, answers, _notes(ls, illustrative, w), illustrative, tm,
                         {"parts": parts, "landscape": ls, "network": nw})  # fmt: skip


def security_pattern(
    *,
    landcover: Any = None,
    dem: Any = None,
    classes: str | None = None,
    catalog: Any = None,
    plan: Mapping[str, Any] | None = None,
    sensitivity: float | None = None,
    seed: int | None = None,
) -> PatternResult:
    """The ecological security pattern (生态安全格局) of Linfen: sources, resistance, corridors, answers.

    Parameters
    ----------
    landcover, dem : xarray.DataArray or str, optional
        Rasters (any CRS) or catalog layer names; default the catalog's ``landcover`` / ``dem``.
    classes : str, optional
        Class scheme of ``landcover`` (igbp, worldcover, clcd ...), overriding ``attrs["class_scheme"]``.
    catalog : Catalog, optional
        Default: the session's catalog (its layers: :data:`INPUT_LAYERS`).
    plan : mapping, optional
        A loaded plan (default: the catalog's); every weight is ``[pattern]``.
    sensitivity : float, optional
        Perturb every weight by +-this % (0: no sensitivity run; default ``[pattern] sensitivity_pct``).
    seed : int, optional
        Seed of the sensitivity runs (default ``[pattern] sensitivity_seed``).

    Returns
    -------
    PatternResult

    Raises
    ------
    InputError
        Rasters that do not cover Linfen, an unknown class scheme, too few sources.
    PlanError
        Bad ``[pattern]`` weights (named by key).

    Examples
    --------
    >>> res = security_pattern(sensitivity=0)  # doctest: +SKIP
    >>> res.tables["mines"].head(10)[["rank", "id", "dR_pct", "why"]]  # doctest: +SKIP
    """
    from linfen_geo.analysis._prep import as_raster, session_catalog
    from linfen_geo.pattern.landscape import landscape
    from linfen_geo.plan.model import plan_model

    t0 = time.perf_counter()
    cat = session_catalog(catalog)
    pm = plan_model(plan if plan is not None else cat.plan)
    w = pm.pattern
    lc = as_raster("landcover" if landcover is None else landcover, cat, what="the land-cover raster")
    dm = as_raster("dem" if dem is None else dem, cat, what="the DEM")
    layers = {n: cat.load(n) for n in INPUT_LAYERS}
    ls = landscape(lc, dm, layers["counties"], layers, class_names=list(pm.greening.classes),
                   class_maps=pm.greening.class_maps, resolution_m=w.resolution_m,
                   relief_window_m=w.relief.window_m or 5000.0, scheme=classes)  # fmt: skip
    ls.meta["statuses"] = {n: cat.status(n) for n in INPUT_LAYERS}
    ls.meta["landcover_status"] = str(lc.attrs.get("status", "user"))
    t_in = time.perf_counter() - t0
    res = run_pattern(ls, w, sensitivity_pct=sensitivity, seed=seed)
    res.timings = {"inputs": t_in, **res.timings}
    return res

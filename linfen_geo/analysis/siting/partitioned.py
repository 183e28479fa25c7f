"""``check_siting`` on dask partitions: the same report, the work spread over threads, processes or a cluster.

The layers are prepared once (subdivision, trees, nearest-feature index) and
given to the tasks as one object, so a distributed cluster receives them once
per worker, not once per task. The sites are cut into spatially compact
partitions along a Hilbert curve of their bounding-box centres (the order
``dask_geopandas``' ``spatial_shuffle`` uses), sorted in memory where the sites
already are (:func:`hilbert_partitions`; through dask's shuffle the same took
8 s for 1,000,000 sites on threads, and on a local cluster most of 219 s and
5-6 GB per worker). Each partition is checked by the same vectorised engine as
:func:`check_siting`, and the results are put back in the input order: the
report equals :func:`check_siting`'s (``benchmarks/bench_dask.py`` checks it
on 1,000,000 sites).

What stays on the caller's machine: the sites (normalised, EPSG:4326) and the
report. What the workers hold: the prepared layers and their partitions.

To use a cluster, create a :class:`dask.distributed.Client` before the call
(it becomes dask's default scheduler), or pass ``scheduler=client``::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")      # or Client(n_workers=4) on one machine
    report = lg.check_siting_dask("sites.parquet", npartitions=64)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from linfen_geo.analysis.siting.api import _is_read, _mark_outside, _setup, build_report
from linfen_geo.analysis.siting.engine import SitingResult, concat_results, evaluate
from linfen_geo.analysis.siting.layers import SitingLayer, private_copy
from linfen_geo.analysis.siting.nearest import nearest_index
from linfen_geo.analysis.siting.parallel import threads
from linfen_geo.analysis.siting.pieces import DEFAULT_MAX_VERTICES
from linfen_geo.analysis.siting.project import assign_project_types
from linfen_geo.analysis.siting.rules import SitingConfig
from linfen_geo.crs import STORAGE_CRS
from linfen_geo.errors import InputError
from linfen_geo.io.sites import read_sites
from linfen_geo.io.sites.normalise import REPAIR_TOLERANCE

__all__ = ["check_siting_dask", "hilbert_index", "hilbert_partitions"]

#: bits per axis of the Hilbert curve (as dask-geopandas' default level)
HILBERT_LEVEL = 16


def hilbert_index(x: np.ndarray, y: np.ndarray, level: int = HILBERT_LEVEL) -> np.ndarray:
    """Distance along a Hilbert curve of integer cells ``x``, ``y`` in ``[0, 2**level)``.

    Vectorised over the points; the loop runs over the ``level`` bits.

    Examples
    --------
    >>> hilbert_index(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0]), level=1).tolist()
    [0, 1, 2, 3]
    >>> sorted(hilbert_index(*np.divmod(np.arange(16), 4), level=2).tolist()) == list(range(16))
    True
    """
    x = np.asarray(x, dtype=np.int64).copy()
    y = np.asarray(y, dtype=np.int64).copy()
    n = 1 << level
    d = np.zeros(x.shape, dtype=np.int64)
    s = n >> 1
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx  # rotate the quadrant
        x[flip] = n - 1 - x[flip]
        y[flip] = n - 1 - y[flip]
        swap = ~ry
        x[swap], y[swap] = y[swap], x[swap].copy()
        s >>= 1
    return d


def hilbert_partitions(geoms: np.ndarray, nparts: int, level: int = HILBERT_LEVEL) -> list[np.ndarray]:
    """Positions of ``geoms`` in ``nparts`` spatially compact groups of equal size (Hilbert order).

    Examples
    --------
    >>> import shapely
    >>> pts = shapely.points([0, 10, 0.1, 10.1], [0, 10, 0.1, 10.1])
    >>> [p.tolist() for p in hilbert_partitions(pts, 2)]
    [[0, 2], [1, 3]]
    """
    import shapely

    b = shapely.bounds(geoms)
    cx, cy = (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0
    ok = np.isfinite(cx) & np.isfinite(cy)
    cx, cy = np.where(ok, cx, 0.0), np.where(ok, cy, 0.0)
    top = (1 << level) - 1

    def cells(v: np.ndarray) -> np.ndarray:
        lo, hi = (float(v[ok].min()), float(v[ok].max())) if ok.any() else (0.0, 1.0)
        return np.clip(((v - lo) / ((hi - lo) or 1.0) * top).astype(np.int64), 0, top)

    order = np.argsort(hilbert_index(cells(cx), cells(cy), level), kind="stable")
    return [part for part in np.array_split(order, max(1, nparts)) if len(part)]


def _check_partition(
    part: gpd.GeoDataFrame, shared: Mapping[str, SitingLayer], cfg: SitingConfig
) -> tuple[SitingResult, np.ndarray]:
    """One partition through the engine; its rows' positions in the input come back with it."""
    # GEOS prepared geometries build their indexes lazily and are not safe to share between threads:
    # each task gets its own prepared copies of the pieces (the trees are read-only and shared)
    local = {name: private_copy(lay) for name, lay in shared.items()}
    attrs = pd.DataFrame(part.drop(columns=["_order", "geometry"]))
    result = evaluate(np.asarray(part.geometry.values, dtype=object), local, cfg, attrs)
    return result, part["_order"].to_numpy(dtype=np.intp)


def _is_dask_frame(sites: Any) -> bool:
    try:
        import dask_geopandas
    except ImportError:
        return False
    return isinstance(sites, dask_geopandas.GeoDataFrame)


def _distributed_client(scheduler: Any) -> Any:
    """The distributed Client the tasks will run on (``scheduler`` or the default one), else None."""
    try:
        from distributed import Client, default_client
    except ImportError:
        return None
    if isinstance(scheduler, Client):
        return scheduler
    if scheduler is None:
        try:
            return default_client()
        except ValueError:  # no client made in this process
            return None
    return None


def _read_dask_sites(ddf: Any, crs: Any, repair_tolerance: float, scheduler: Any) -> gpd.GeoDataFrame:
    """A dask-geopandas frame read partition by partition (on the workers), gathered and validated."""
    import dask

    from linfen_geo.io.sites import ID_COLUMNS

    if not any(c in ddf.columns for c in ID_COLUMNS):
        ddf = ddf.assign(site_id=(ddf.index + 1).astype(str))
    read = dask.delayed(lambda p: read_sites(p, crs=crs, repair_tolerance=repair_tolerance))
    gdfs = dask.compute(*[read(p) for p in ddf.to_delayed()], scheduler=scheduler)
    site_gdf = pd.concat([g for g in gdfs if len(g)], ignore_index=True)
    if not len(site_gdf):
        raise InputError("dask input: no features: the input is empty")
    site_gdf = gpd.GeoDataFrame(site_gdf, geometry="geometry", crs=STORAGE_CRS)
    site_gdf.attrs = dict(gdfs[0].attrs)
    dup = site_gdf["site_id"].duplicated()
    if dup.any():
        raise InputError(f"dask input: duplicate site id {site_gdf.loc[dup, 'site_id'].iloc[0]!r}")
    return site_gdf


def check_siting_dask(
    sites: Any,
    *,
    npartitions: int | None = None,
    layers: Mapping[str, Any] | None = None,
    rules: Any = None,
    crs: Any = None,
    catalog: Any = None,
    max_vertices: int = DEFAULT_MAX_VERTICES,
    repair_tolerance: float = REPAIR_TOLERANCE,
    project_type: str | None = None,
    preset: str | None = None,
    scheduler: Any = None,
) -> Any:
    """:func:`~linfen_geo.analysis.siting.check_siting` on spatial partitions, run by dask (threads or a cluster).

    Parameters
    ----------
    sites
        A ``dask_geopandas.GeoDataFrame`` (read partition by partition; site ids
        from an id column, else the row index + 1) or anything ``check_siting``
        accepts.
    npartitions
        Spatial partitions (default: 2 per CPU of this machine; on a cluster, a few
        per worker core).
    layers, rules, crs, catalog, max_vertices, repair_tolerance, project_type, preset
        As for ``check_siting``.
    scheduler
        Dask scheduler: ``"threads"``, ``"processes"``, ``"sync"``, or a
        ``dask.distributed.Client``; default: dask's (a Client made before the
        call, else threads).

    Returns
    -------
    SitingReport
        Equal to ``check_siting``'s for the same input.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> red = gpd.GeoSeries([box(500000, 3995000, 501000, 3996000)], crs=4546)
    >>> sites = gpd.GeoSeries([box(500000 + 300 * i, 3996050, 500100 + 300 * i, 3996150) for i in range(8)], crs=4546)
    >>> check_siting_dask(sites, npartitions=3, layers={"redlines": red}).verdicts.tolist()
    ['review', 'review', 'review', 'review', 'review', 'clear', 'clear', 'clear']
    """
    import dask

    if _is_dask_frame(sites):
        site_gdf = _read_dask_sites(sites, crs, repair_tolerance, scheduler)
    elif _is_read(sites, crs):
        site_gdf = sites
    else:
        site_gdf = read_sites(sites, crs=crs, repair_tolerance=repair_tolerance)
    cfg, prepared, notes = _setup(layers, rules, catalog, max_vertices, preset)
    site_gdf = assign_project_types(site_gdf, project_type, cfg.project_types)
    n = len(site_gdf)
    # what the engine reads of each site: its geometry and the columns of the rules' conditions
    cond_cols = sorted({c for r in cfg.rules for c, _ in (*r.when, *r.unless)} & set(site_gdf.columns))
    frame = gpd.GeoDataFrame(
        {"_order": np.arange(n), **{c: site_gdf[c].to_numpy() for c in cond_cols}},
        geometry=site_gdf.geometry.values,
        crs=STORAGE_CRS,
    )
    nparts = max(1, min(n, npartitions or 2 * threads()))
    parts = [frame.iloc[p] for p in hilbert_partitions(np.asarray(frame.geometry.values, dtype=object), nparts)]

    for name, lay in prepared.items():  # build the shared nearest-feature indexes before the tasks start
        if name == cfg.nearest_layer or any(r.layer == name and r.contact == "within" for r in cfg.rules):
            nearest_index(lay.pieces)
    client = _distributed_client(scheduler)
    if client is not None:  # on a cluster: the layers go to every worker once, the partitions to one each
        shared = client.scatter([prepared], broadcast=True, hash=False)[0]
        futures = client.map(_check_partition, client.scatter(parts, hash=False), shared=shared, cfg=cfg)
        outs = client.gather(futures)
    else:
        shared = dask.delayed(prepared, traverse=False)  # one object in the graph
        tasks = [dask.delayed(_check_partition)(p, shared, cfg) for p in parts]
        outs = dask.compute(*tasks, scheduler=scheduler)
    result = concat_results([o[0] for o in outs], [o[1] for o in outs], n)
    return _mark_outside(build_report(site_gdf, result, cfg, prepared, notes), site_gdf, catalog)

"""The corridor-greening computation: :func:`corridor_greening` and the tabulation of its code raster.

The method is described in :mod:`linfen_geo.analysis.greening`.

Examples
--------
>>> from linfen_geo.analysis.greening.compute import corridor_greening
>>> res = corridor_greening()  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray
import shapely
import xarray as xr

from linfen_geo.analysis._prep import as_layer, as_raster, session_catalog
from linfen_geo.analysis.corridors import corridor_layer
from linfen_geo.analysis.greening.result import GreeningResult
from linfen_geo.analysis.greening.rules import TERRAIN_UNKNOWN, GreeningRules
from linfen_geo.analysis.greening.tables import assemble
from linfen_geo.analysis.greening.zones import corridor_zones, polygonal
from linfen_geo.analysis.zonal import tabulate_classes
from linfen_geo.crs import AREA_CRS_NAME, WORK_CRS, WORK_CRS_NAME, as_crs, crs_label
from linfen_geo.errors import InputError
from linfen_geo.grid import (
    WindowReader,
    WorkDEM,
    cell_size_m,
    covers,
    file_blocks,
    north_up,
    sample_nearest,
    window_of,
)

__all__ = ["IN_MEMORY_BYTES", "corridor_greening"]

#: code rasters up to this size (bytes) are held in memory; larger ones go to a sparse temporary GeoTIFF
#: written tile by tile (measured: as fast, and memory stays flat - a 10 m Linfen grid is ~200 MB)
IN_MEMORY_BYTES = 64_000_000


def _describe_res(da: xr.DataArray) -> str:
    rx, ry = (abs(float(v)) for v in da.rio.resolution())
    dx, dy = cell_size_m(da)
    if da.rio.crs.is_geographic:
        return f"{rx:.6g}° x {ry:.6g}° (~{dx:,.0f} x {dy:,.0f} m) in {crs_label(da.rio.crs)}"
    return f"{dx:,.6g} x {dy:,.6g} m in {crs_label(da.rio.crs)}"


def _provenance(da: xr.DataArray, role: str, given: Any, cat: Any) -> tuple[str, str, str]:
    """(title, source, status) of a raster from the catalog when it was given by name, else from its attrs."""
    name = given if isinstance(given, str) else None
    if name is not None and da.attrs.get("layer") == name:
        try:
            prov = cat.provenance(name)
            return (
                f"{da.attrs.get('title_zh', '')} {da.attrs.get('title_en', '')}".strip(),
                prov["source"],
                cat.status(name),
            )
        except Exception:  # a catalog without that entry: fall back to the attrs
            pass
    title = f"{da.attrs.get('title_zh', '')} {da.attrs.get('title_en', '')}".strip() or f"user {role} raster"
    return title, str(da.attrs.get("source", "user-supplied raster (no source given)")), da.attrs.get("status", "user")


def corridor_greening(
    *,
    landcover: xr.DataArray | str | None = None,
    dem: xr.DataArray | str | None = None,
    corridor_mode: str | None = None,
    catalog: Any = None,
    corridors: gpd.GeoDataFrame | str | None = None,
    counties: gpd.GeoDataFrame | str | None = None,
    classes: str | None = None,
    plan: Mapping[str, Any] | None = None,
    subdivide: int | None = None,
    terrain_resolution_m: float | None = None,
    tile_size: int | None = None,
    workers: int = 2,
    split_cells: int | None = 1000,
    workdir: str | os.PathLike[str] | None = None,
) -> GreeningResult:
    """Corridor-greening areas: land cover, green cover and greenable land by suitability.

    Pure on its inputs. Each input may be given as data or as a catalog layer name; left as None
    it is the catalog's layer of that name (``landcover``, ``dem``, ``counties``; the corridors:
    the corridor layer of ``corridor_mode``, :func:`linfen_geo.analysis.corridors.corridor_layer`),
    and ``plan`` the catalog's plan. Names are resolved here, at the edge, and nowhere else.

    Parameters
    ----------
    landcover
        Categorical land-cover raster (rioxarray DataArray, any CRS, or a catalog name) with
        ``attrs["class_scheme"]`` (``igbp``, ``worldcover``, ``clcd`` ...) unless ``classes`` is given.
    dem
        Elevation raster (m), any CRS (or a catalog name); brought to EPSG:4546 for slope and aspect
        (:class:`linfen_geo.grid.WorkDEM`).
    corridor_mode
        ``"buffer"`` (1 km each side, the ``corridors`` layer) or ``"terrain"`` (to the first ridge
        line, ``corridors_terrain``); default: the plan's ``[corridor_rules] mode``.
    catalog
        A :class:`~linfen_geo.layer_catalog.Catalog` (default: the session's).
    corridors, counties
        Zones (GeoDataFrames or catalog names) to use instead of the catalog's (``corridor_id``
        [+ ``name_zh``, ``name_en``]; ``adcode`` [+ ``name``, ``name_en``]).
    classes
        Class scheme of ``landcover``, overriding ``attrs["class_scheme"]``.
    plan
        A parsed plan (default: the catalog's).
    subdivide
        Split each land-cover cell into ``k x k`` analysis cells (default: land-cover cell / DEM
        cell, rounded, at least 1).
    terrain_resolution_m
        Cell of the EPSG:4546 terrain grid (default: the DEM's own cell size).
    tile_size
        Analysis tile edge in cells (memory per tile ~ 30 bytes x tile_size²); default: the land-cover
        file's block size when it is 256-1024 (tiles then align with the file's blocks, so each
        compressed block is decoded once), else 512.
    workers
        Threads computing tiles (numpy and GDAL release the GIL).
    split_cells
        On a projected grid, exactextract runs over the zones cut into squares of this many cells
        (exactextract scans each zone's bounding box: long diagonal strips waste most of it); the
        pieces are recombined with their planar areas, so the answer is the same as for whole zones.
        None: no cutting.
    workdir
        Folder for the temporary code raster of a large grid (default: the system temp folder).

    Returns
    -------
    GreeningResult

    Raises
    ------
    InputError
        Unknown class scheme, land-cover values missing from the class map (named), rasters that
        do not cover the corridors.
    PlanError
        Bad plan rules (names the key path).
    CRSError
        A raster or layer without CRS.

    Examples
    --------
    >>> res = corridor_greening()  # doctest: +SKIP
    >>> res.total[["greenable_ha", "greenable_wanmu", "target_share"]]  # doctest: +SKIP
    >>> res = corridor_greening(landcover=my_worldcover, classes="worldcover", corridor_mode="terrain")  # doctest: +SKIP
    """
    t_start = time.perf_counter()
    cat = session_catalog(catalog)
    plan = plan if plan is not None else cat.plan
    rules = GreeningRules.from_plan(plan)

    landcover = "landcover" if landcover is None else landcover
    dem = "dem" if dem is None else dem
    lc = as_raster(landcover, cat, what="the land-cover raster")
    scheme = classes or lc.attrs.get("class_scheme")
    if not scheme:
        raise InputError(
            "the land-cover raster has no class scheme: pass classes='igbp' | 'worldcover' | 'clcd' "
            "(CLI: --classes), or load it with catalog.use('landcover', path, classes=...)"
        )
    rules.class_map(scheme)  # unknown scheme: fail before any work
    dem_da = as_raster(dem, cat, what="the DEM")
    lc_title, lc_source, lc_status = _provenance(lc, "landcover", landcover, cat)
    dem_title, dem_source, dem_status = _provenance(dem_da, "dem", dem, cat)
    blocks = file_blocks(lc)
    lc = north_up(lc, "the land-cover raster")
    dem_da = north_up(dem_da, "the DEM")
    if lc.dtype.kind not in "uif":
        raise InputError(f"the land-cover raster must hold class numbers, not {lc.dtype}")

    cor = corridor_layer(corridor_mode, cat) if corridors is None else as_layer(corridors, cat, what="the corridors")
    cty = as_layer("counties" if counties is None else counties, cat, what="the counties")
    zones = corridor_zones(cor, cty)

    # ------------------------------------------------ analysis grid: the land-cover grid, cropped (and split)
    lc_crs = as_crs(lc.rio.crs)
    zones_lc = zones.to_crs(lc_crs)
    zb = zones_lc.total_bounds
    if not covers(lc.rio.bounds(), zb):
        raise InputError(
            f"the land-cover raster ({_describe_res(lc)}, bounds {tuple(round(v, 4) for v in lc.rio.bounds())}) "
            "does not cover the corridors: use a raster covering Linfen (see `linfen-geo data import`)"
        )
    zb_dem = zones.to_crs(dem_da.rio.crs).total_bounds
    if not covers(dem_da.rio.bounds(), zb_dem):
        raise InputError(
            "the DEM does not cover the corridors: use a DEM covering Linfen (see `linfen-geo data import`)"
        )
    terrain = WorkDEM.prepare(dem_da, terrain_resolution_m)
    lc_dx, lc_dy = cell_size_m(lc)
    if subdivide is None:
        subdivide = max(1, round(math.sqrt(lc_dx * lc_dy) / terrain.res))
    k = int(subdivide)
    if k < 1:
        raise InputError(f"subdivide must be >= 1, not {subdivide}")
    lt = lc.rio.transform()
    r0, r1, c0, c1 = window_of(zb, lt, lc.shape, margin=1)
    ts = int(tile_size) if tile_size else (blocks[0] if blocks and blocks[0] == blocks[1] else 512)
    if k == 1 and blocks and ts % blocks[0] == 0 and ts % blocks[1] == 0:
        r0, c0 = r0 - r0 % blocks[0], c0 - c0 % blocks[1]  # tiles start on the file's blocks
    grid_t = lt * lt.translation(c0, r0) * lt.scale(1.0 / k)
    H, W = (r1 - r0) * k, (c1 - c0) * k

    # ------------------------------------------------ tiles the zones touch
    import rasterio
    import rasterio.features

    nty, ntx = math.ceil(H / ts), math.ceil(W / ts)
    zone_geoms = [g for g in zones_lc.geometry.values if not g.is_empty]
    touched = rasterio.features.rasterize(
        [(g, 1) for g in zone_geoms],
        out_shape=(nty, ntx),
        transform=grid_t * grid_t.scale(ts),
        all_touched=True,
        dtype="uint8",
    )
    tiles = [(int(ty) * ts, int(tx) * ts) for ty, tx in zip(*np.nonzero(touched), strict=True)]
    grid = _CodeGrid(lc, scheme, rules, terrain, grid_t, k, r0, c0, H, W, ts)

    nod = rules.nodata_code
    in_memory = H * W * np.dtype(rules.code_dtype).itemsize <= IN_MEMORY_BYTES
    tmp = None if in_memory else Path(tempfile.mkdtemp(prefix="linfen_geo_greening_", dir=workdir))
    code_path = None if tmp is None else tmp / "code.tif"
    t_tiles = time.perf_counter()
    try:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max(1, int(workers))) as pool:
            # numpy and GDAL release the GIL: tiles are computed in threads, stored here in order
            done = zip(tiles, pool.map(grid.tile, tiles), strict=True)
            if code_path is None:
                arr = np.full((H, W), nod, dtype=rules.code_dtype)
                for (y0, x0), code in done:
                    arr[y0 : y0 + code.shape[0], x0 : x0 + code.shape[1]] = code
                ys = grid_t.f + (np.arange(H) + 0.5) * grid_t.e
                xs = grid_t.c + (np.arange(W) + 0.5) * grid_t.a
                code_da = xr.DataArray(arr, dims=("y", "x"), coords={"y": ys, "x": xs})
                code_da.rio.write_crs(lc_crs, inplace=True)  # inplace: no copies of the grid
                code_da.rio.write_transform(grid_t, inplace=True)
                code_da.rio.write_nodata(nod, inplace=True)
            else:
                from rasterio.windows import Window

                profile = {
                    "driver": "GTiff",
                    "width": W,
                    "height": H,
                    "count": 1,
                    "crs": lc_crs,
                    "transform": grid_t,
                    "tiled": True,
                    "blockxsize": 256,
                    "blockysize": 256,
                    "sparse_ok": True,  # tiles never written read as nodata: no cost away from the corridors
                    "BIGTIFF": "IF_SAFER",
                    "dtype": rules.code_dtype,
                    "nodata": nod,
                }
                with rasterio.open(code_path, "w", **profile) as code_ds:
                    for (y0, x0), code in done:
                        code_ds.write(code, 1, window=Window(x0, y0, code.shape[1], code.shape[0]))
                code_da = rioxarray.open_rasterio(code_path).squeeze("band", drop=True)
        if grid.unmapped:
            mapped = sorted(rules.class_map(scheme))
            raise InputError(
                f"land-cover values {sorted(grid.unmapped)} are not in the plan's class map "
                f"[greening.class_maps.{scheme}] (it knows {mapped}); is the raster another class scheme? "
                "pass classes='igbp' | 'worldcover' | 'clcd' (CLI: --classes), or add the values to the plan file"
            )
        t_tab = time.perf_counter()
        cell = math.sqrt(abs(grid_t.a * grid_t.e)) * (
            lc_crs.axis_info[0].unit_conversion_factor if lc_crs.axis_info else 1.0
        )
        split = None if lc_crs.is_geographic or not split_cells else split_cells * cell
        long = _tabulate(code_da, zones, split)
        t_done = time.perf_counter()
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        grid.reader.close()
        terrain.close()

    meta = {
        "landcover_title": lc_title,
        "landcover_source": lc_source,
        "landcover_status": lc_status,
        "landcover_resolution": _describe_res(lc),
        "landcover_cell_m": (lc_dx, lc_dy),
        "class_scheme": scheme,
        "dem_title": dem_title,
        "dem_source": dem_source,
        "dem_status": dem_status,
        "dem_resolution": _describe_res(dem_da),
        "terrain_resolution_m": terrain.res,
        "terrain_grid": f"{WORK_CRS_NAME}, {terrain.res:g} m cells"
        + (" (the DEM's own grid)" if terrain.aligned else ""),
        "subdivide": k,
        "analysis_grid": {"crs": crs_label(lc_crs), "height": H, "width": W, "tiles": len(tiles), "tile_size": ts},
        "max_slope_deg": grid.max_slope,
        "missing_terrain_cells": grid.missing_terrain,
        "area_crs": AREA_CRS_NAME,
        "seconds": {"tiles": t_tab - t_tiles, "tabulate": t_done - t_tab, "total": time.perf_counter() - t_start},
    }
    result = assemble(long, zones, cor, cty, rules, meta, code_da, plan)
    if tmp is not None:
        result._tmpdir = tmp
        result._code_path = code_path
        weakref.finalize(result, shutil.rmtree, tmp, True)
    return result


def _split(zones: gpd.GeoDataFrame, size: float) -> gpd.GeoDataFrame:
    """Cut each zone by a grid of ``size`` squares (in the zones' CRS): ``piece_id, atom_id, geometry``."""
    x0, y0, x1, y1 = zones.total_bounds
    xs = np.arange(math.floor(x0 / size) * size, x1 + size, size)
    ys = np.arange(math.floor(y0 / size) * size, y1 + size, size)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    tree = shapely.STRtree(boxes)
    ids, geoms = [], []
    for atom, g in zip(zones["atom_id"], zones.geometry.values, strict=True):  # ~20 zones, polygon ops only
        hit = tree.query(g, predicate="intersects")
        for part in shapely.intersection(boxes[hit], g):
            part = polygonal(part)
            if part.area > 0:
                ids.append(atom)
                geoms.append(part)
    out = gpd.GeoDataFrame({"atom_id": ids}, geometry=geoms, crs=zones.crs)
    out.insert(0, "piece_id", out["atom_id"] + "#" + out.index.astype(str))
    return out


def _tabulate(code: xr.DataArray, zones: gpd.GeoDataFrame, split: float | None) -> pd.DataFrame:
    """``atom_id, class, frac, area_m2`` of the code raster over the zones (one exactextract pass).

    With ``split`` (projected rasters), the zones are cut into squares first and the class
    fractions of a zone recombined from its pieces' fractions weighted by their planar areas in
    the raster's CRS - exactly the weights exactextract uses on a projected grid - so the result
    is the whole zones' tabulation.
    """
    if split is None or len(zones) == 0:
        return tabulate_classes(code, zones[["atom_id", "geometry"]], zone_id="atom_id")
    pieces = _split(zones, split)
    if len(pieces) <= len(zones):
        return tabulate_classes(code, zones[["atom_id", "geometry"]], zone_id="atom_id")
    tab = tabulate_classes(code, pieces[["piece_id", "geometry"]], zone_id="piece_id")
    planar = pd.Series(pieces.to_crs(code.rio.crs).area.to_numpy(), index=pieces["piece_id"])
    atom_of = pd.Series(pieces["atom_id"].to_numpy(), index=pieces["piece_id"])
    tab["w"] = tab["frac"] * tab["piece_id"].map(planar).to_numpy()
    tab["atom_id"] = tab["piece_id"].map(atom_of).to_numpy()
    long = tab.groupby(["atom_id", "class"], as_index=False, sort=True)["w"].sum()
    total = planar.groupby(atom_of).sum()
    long["frac"] = long["w"] / long["atom_id"].map(total).to_numpy()
    long["area_m2"] = long["frac"] * long["atom_id"].map(zones.set_index("atom_id")["area_m2"]).to_numpy()
    return long[["atom_id", "class", "frac", "area_m2"]]


class _CodeGrid:
    """The analysis grid: land cover (split k x k) + terrain codes -> combined codes, tile by tile.

    Greening-specific (it needs the rules' code tables), built on the generic pieces of
    :mod:`linfen_geo.grid`: a :class:`~linfen_geo.grid.WindowReader` of the land cover, the
    :class:`~linfen_geo.grid.WorkDEM` terrain and :func:`~linfen_geo.grid.sample_nearest`.
    """

    def __init__(
        self,
        lc: xr.DataArray,
        scheme: str,
        rules: GreeningRules,
        terrain: WorkDEM,
        transform: Any,
        k: int,
        row0: int,
        col0: int,
        height: int,
        width: int,
        tile_size: int,
    ):
        self.lc, self.scheme, self.rules, self.terrain = lc, scheme, rules, terrain
        self.transform, self.k, self.row0, self.col0 = transform, k, row0, col0
        self.height, self.width, self.tile_size = height, width, tile_size
        self.crs = as_crs(lc.rio.crs)
        self.reader = WindowReader(lc)
        self.same_crs = self.crs == WORK_CRS
        table = rules.code_table()
        self.flat_table = table.ravel()  # [class << 8 | terrain code] -> code
        self.nodata = self.reader.nodata
        # uint8 land cover: one fused table [raw value << 8 | terrain code] -> code, and a histogram
        # per tile to find unmapped values (one gather per cell instead of a class look-up, then a code look-up)
        self.fused: np.ndarray | None = None
        if self.reader.dtype == np.uint8:
            idx, bad = rules.class_lookup(np.arange(256, dtype=np.uint8), scheme, self.nodata)
            self.fused = table[idx].ravel()
            self.bad_values = np.array(sorted(bad), dtype=np.int64)
        self.unmapped: set[Any] = set()
        self.missing_terrain = 0
        self.max_slope = 0.0  # steepest terrain cell seen (degrees)
        self._lock = threading.Lock()

    def _terrain_codes(self, bounds: Sequence[float]) -> tuple[np.ndarray, Any] | None:
        """Terrain codes on the work-grid window around ``bounds`` (WORK_CRS) and its transform."""
        grid = self.terrain.work_grid(bounds)
        if grid is None:
            return None
        transform, h, w = grid
        codes, steepest = self.rules.terrain_code_from_dem(self.terrain.elevation(transform, h, w), self.terrain.res)
        with self._lock:  # tiles run in threads
            if steepest > self.max_slope:
                self.max_slope = steepest
        return codes, transform

    def tile(self, origin: tuple[int, int]) -> np.ndarray:
        """Combined codes of the tile whose top-left cell is ``origin`` (row, col)."""
        from rasterio.warp import transform_bounds

        y0, x0 = origin
        ts = self.tile_size
        h, w, k = min(ts, self.height - y0), min(ts, self.width - x0), self.k
        # land cover of the tile (each land-cover cell repeated k x k)
        ly0, ly1 = self.row0 + y0 // k, self.row0 + (y0 + h - 1) // k + 1
        lx0, lx1 = self.col0 + x0 // k, self.col0 + (x0 + w - 1) // k + 1
        raw = self.reader.read(ly0, ly1, lx0, lx1)
        if k > 1:
            oy, ox = y0 - (ly0 - self.row0) * k, x0 - (lx0 - self.col0) * k
            raw = np.repeat(np.repeat(raw, k, axis=0), k, axis=1)[oy : oy + h, ox : ox + w]
        # terrain codes on the work grid, sampled at the tile's cell centres (nearest neighbour)
        t = self.transform * self.transform.translation(x0, y0)
        tb = (t.c, t.f + h * t.e, t.c + w * t.a, t.f)
        wb = tb if self.same_crs else transform_bounds(self.crs, WORK_CRS, *tb, densify_pts=21)
        tcode = np.full((h, w), TERRAIN_UNKNOWN, dtype=np.uint8)
        got = self._terrain_codes(wb)
        gaps = got is None or not self.same_crs
        if got is not None:  # same CRS: exact index arithmetic; else a nearest warp
            tc, tt = got
            tcode, complete = sample_nearest(tc, tt, t, (h, w), fill=TERRAIN_UNKNOWN, dst_crs=self.crs)
            gaps = gaps or not complete
        n = len(self.rules.classes)
        if self.fused is not None:
            bad: set[Any] = set()
            if self.bad_values.size:
                hist = np.bincount(raw.ravel(), minlength=256)
                bad = {int(v) for v in self.bad_values[hist[self.bad_values] > 0]}
            code = self.fused[(raw.astype(np.uint16) << 8) | tcode]
            has_data = raw != self.nodata if gaps and self.nodata is not None else None
        else:
            ci, bad = self.rules.class_lookup(raw, self.scheme, self.nodata)
            code = self.flat_table[(ci.astype(np.intp) << 8) | tcode]
            has_data = ci < n
        missing = 0
        if gaps:
            unknown = tcode == TERRAIN_UNKNOWN
            if unknown.any():
                missing = int(np.count_nonzero(unknown if has_data is None else unknown & has_data))
        with self._lock:
            self.unmapped |= bad
            self.missing_terrain += missing
        return code

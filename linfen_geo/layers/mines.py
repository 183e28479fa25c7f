"""历史遗留矿山 - an illustrative, reproducible inventory of legacy mine restoration sites.

The plan (专栏 5, line 480) counts "400 余处" legacy mines in 15 counties, naming 尧都区, 霍州市,
侯马市 and 襄汾县, but no inventory is available here. This layer is a synthetic stand-in with
the plan's count and counties; positions, minerals, areas and statuses are random draws. All
parameters come from ``plan.toml`` ``[mines]`` and ``[terrain]``; the same plan gives the same
sites, byte for byte.

1. **Grid.** The DEM is reprojected to EPSG:4546 at ``terrain.resolution_m`` (500 m cells).
2. **Candidate cells**: cells lying wholly inside one county (the centre in it and no county
   boundary touching the cell), "in hills" (elevation >= ``terrain.basin_max_elevation_m`` or
   local relief, max - min in a ``relief_window_m`` square, >= ``min_relief_m``), and wholly at
   least ``town_clearance_km`` from every county seat and ``river_clearance_m`` from every river
   line (cells touched by the clearance buffers are excluded, so every point of a candidate cell
   keeps the clearance).
3. **Allocation.** ``total`` sites are shared among the counties of ``county_weights`` in
   proportion to the weights, rounded by largest remainder (ties to the lower adcode) so that
   the counts add up to ``total`` exactly.
4. **Draws** with ``numpy.random.default_rng(seed)``, counties in increasing adcode order:
   the minerals of the county's sites from ``mineral_mix_coal`` (counties in ``coal_counties``)
   or ``mineral_mix_other``; then their cells without replacement: quarry sites (minerals in
   ``quarry_minerals``, by default 石灰岩 limestone and 建筑石料 building stone) first take
   random cells within ``quarry_edge_km`` of the basin edge (the boundary of DEM <
   ``basin_max_elevation_m``) as long as the county has such candidates, the other sites random
   cells among the rest. Then, for all sites at once: a uniform jitter of the point inside its
   cell; the disturbed area, lognormal with median ``area_median_ha`` and ``area_sigma``, clipped
   to [``area_min_ha``, ``area_max_ha``]; an ellipse axis ratio uniform in ``axis_ratio`` (by
   default [1, 2.5]) and a uniform rotation; the restoration status from ``status_shares``.
5. **Footprint.** A 32-vertex ellipse centred on the point, built in the Albers equal-area CRS
   and scaled so that the polygon's area equals ``disturbed_area_ha`` exactly.

Columns: ``site_id`` (``KS-<adcode>-<nnn>``), ``county``, ``county_en``, ``adcode``,
``mineral``, ``disturbed_area_ha``, ``restoration_status``, ``lon``, ``lat`` (the site point),
``near_basin_edge``, ``illustrative`` (always True) and ``method``. Only the count and the
counties follow the plan: replace the layer with the real inventory
(``linfen_geo.use("mines", ...)``) whenever available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
import xarray as xr
from pyproj import Transformer
from scipy import ndimage

from linfen_geo.crs import AREA_CRS, STORAGE_CRS, to_storage_crs
from linfen_geo.errors import InputError
from linfen_geo.grid import to_work_grid
from linfen_geo.terrain import local_relief, rasterize_like

__all__ = ["allocate", "build", "candidate_cells", "mine_sites"]


#: minerals drawn as quarries when the plan has no ``quarry_minerals`` list
DEFAULT_QUARRY_MINERALS = ("石灰岩 limestone", "建筑石料 building stone")
#: vertices of each ellipse footprint
ELLIPSE_VERTICES = 32
#: range of the ellipse axis ratio (long / short) when the plan has no ``axis_ratio``
DEFAULT_AXIS_RATIO = (1.0, 2.5)
#: segments per quarter circle of the clearance buffers
QUAD_SEGS = 16

METHOD = (
    "illustrative: random (seed {seed}) {res:g} m DEM cells in hills (>= {basin:g} m or relief >= {relief:g} m), "
    ">= {town:g} km from county seats and {river:g} m from rivers, allocated to counties by weight; "
    "lognormal ellipse footprints; NOT a real inventory"
)


def allocate(total: int, weights: Mapping[int, float]) -> dict[int, int]:
    """Split ``total`` among counties in proportion to ``weights`` (largest remainder).

    Parameters
    ----------
    total
        Number of sites.
    weights
        adcode -> relative weight (> 0).

    Returns
    -------
    dict
        adcode -> count, in increasing adcode order; the counts add up to ``total``. Equal
        remainders go to the lower adcode.

    Examples
    --------
    >>> allocate(10, {1: 1.0, 2: 1.0, 3: 1.0})
    {1: 4, 2: 3, 3: 3}
    """
    codes = np.array(sorted(int(k) for k in weights))
    w = np.array([float(weights[c]) for c in codes])
    if total < 0 or not len(w) or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"mines: cannot allocate {total} sites by weights {dict(weights)}")
    quota = total * w / w.sum()
    counts = np.floor(quota).astype(int)
    extra = np.argsort(-(quota - counts), kind="stable")[: total - int(counts.sum())]
    counts[extra] += 1
    return dict(zip(codes.tolist(), counts.tolist(), strict=True))


def _circumscribed(distance: float, quad_segs: int = QUAD_SEGS) -> float:
    """Buffer distance whose polygonal buffer contains the true ``distance`` neighbourhood."""
    return distance / np.cos(np.pi / (4 * quad_segs))


def candidate_cells(
    grid: xr.DataArray,
    counties: gpd.GeoDataFrame,
    seats: gpd.GeoSeries,
    rivers: gpd.GeoSeries,
    mines: Mapping[str, Any],
    basin_max_elevation_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """County code of every candidate cell (0 elsewhere) and the near-basin-edge mask.

    Parameters
    ----------
    grid
        DEM on a projected grid (metres).
    counties
        County polygons with ``adcode`` (any CRS).
    seats, rivers
        County seat points and river lines (any CRS).
    mines
        The ``[mines]`` plan section (``min_relief_m``, ``relief_window_m``, ``town_clearance_km``,
        ``river_clearance_m``, ``quarry_edge_km``).
    basin_max_elevation_m
        Elevation below which a cell belongs to the basin (plain).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int64 grid of adcodes (0 where the cell is no candidate) and a boolean grid of the cells
        within ``quarry_edge_km`` of the basin edge.
    """
    crs = grid.rio.crs
    z = np.asarray(grid.values, dtype=float)
    res = abs(float(grid.rio.resolution()[0]))
    finite = np.isfinite(z)
    counties_w = counties.to_crs(crs)
    county = rasterio.features.rasterize(
        zip(counties_w.geometry.values, counties_w["adcode"].astype(int), strict=True),
        out_shape=z.shape,
        transform=grid.rio.transform(),
        fill=0,
        dtype="int32",
    ).astype(np.int64)
    on_border = rasterize_like(counties_w.boundary, grid, all_touched=True)
    relief = local_relief(grid, float(mines["relief_window_m"])).values
    with np.errstate(invalid="ignore"):
        hills = finite & ((z >= basin_max_elevation_m) | (relief >= float(mines["min_relief_m"])))
    near_town = rasterize_like(
        seats.to_crs(crs).buffer(_circumscribed(float(mines["town_clearance_km"]) * 1000), quad_segs=QUAD_SEGS),
        grid,
        all_touched=True,
    )
    near_river = rasterize_like(
        rivers.to_crs(crs).buffer(_circumscribed(float(mines["river_clearance_m"])), quad_segs=QUAD_SEGS),
        grid,
        all_touched=True,
    )
    ok = hills & ~on_border & ~near_town & ~near_river
    # distance of each cell centre to the basin edge (the boundary between < and >= the cue)
    with np.errstate(invalid="ignore"):
        basin = finite & (z < basin_max_elevation_m)
    if basin.any() and (~basin).any():
        to_edge = np.where(basin, ndimage.distance_transform_edt(basin), ndimage.distance_transform_edt(~basin))
        near_edge = to_edge * res - res / 2 <= float(mines["quarry_edge_km"]) * 1000
    else:
        near_edge = np.zeros(z.shape, dtype=bool)
    return np.where(ok, county, 0), near_edge


def _mix(mix: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    names = np.array(list(mix), dtype=object)
    p = np.array([float(v) for v in mix.values()])
    if not len(p) or (p < 0).any() or p.sum() <= 0:
        raise InputError(f"mines: invalid shares {dict(mix)}")
    return names, p / p.sum()


def _ellipses(x: np.ndarray, y: np.ndarray, area_m2: np.ndarray, ratio: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Polygons (vectorised) of ``ELLIPSE_VERTICES`` vertices with exactly ``area_m2`` each."""
    k = ELLIPSE_VERTICES
    theta = 2 * np.pi * np.arange(k + 1) / k  # closed ring: the last vertex repeats the first
    inscribed = (k / 2) * np.sin(2 * np.pi / k)  # polygon area / (a * b)
    ab = area_m2 / inscribed
    a = np.sqrt(ab * ratio)[:, None]
    b = np.sqrt(ab / ratio)[:, None]
    u, v = a * np.cos(theta), b * np.sin(theta)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    coords = np.stack([x[:, None] + u * c - v * s, y[:, None] + u * s + v * c], axis=-1)
    return shapely.polygons(coords)


def mine_sites(
    dem: xr.DataArray,
    counties: gpd.GeoDataFrame,
    seats: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    plan: Mapping[str, Any],
) -> gpd.GeoDataFrame:
    """The illustrative mine inventory (see the module docstring).

    Parameters
    ----------
    dem
        DEM in any CRS (NaN nodata).
    counties
        County polygons with ``adcode``, ``name``, ``name_en``.
    seats
        County seat points.
    rivers
        River lines.
    plan
        The parsed plan; reads ``[mines]`` and ``[terrain]``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``plan["mines"]["total"]`` ellipse polygons in EPSG:4326, ordered by adcode and site number.
    """
    mines = plan["mines"]
    terrain = plan["terrain"]
    res = float(terrain["resolution_m"])
    basin_max = float(terrain["basin_max_elevation_m"])
    total = int(mines["total"])
    grid = to_work_grid(dem, res, snap=False)
    cand, near_edge = candidate_cells(grid, counties, seats.geometry, rivers.geometry, mines, basin_max)
    counts = allocate(total, {int(k): float(v) for k, v in mines["county_weights"].items()})
    coal = {int(c) for c in mines.get("coal_counties", [])}
    quarry = np.array(list(mines.get("quarry_minerals", DEFAULT_QUARRY_MINERALS)), dtype=object)
    mix_coal, mix_other = _mix(mines["mineral_mix_coal"]), _mix(mines["mineral_mix_other"])
    info = counties.set_index(counties["adcode"].astype(int))
    rng = np.random.default_rng(int(mines["seed"]))

    flat_cand, flat_near = cand.ravel(), near_edge.ravel()
    cells, minerals, codes, numbers = [], [], [], []
    for code, n in counts.items():  # increasing adcode
        if code not in info.index:
            raise InputError(f"mines: county_weights names adcode {code}, which is not in the counties layer")
        pool = np.flatnonzero(flat_cand == code)
        if len(pool) < n:
            raise InputError(f"mines: county {code} has {len(pool)} candidate cells for {n} sites; relax [mines]")
        names, p = mix_coal if code in coal else mix_other
        mineral = rng.choice(names, size=n, p=p)
        is_quarry = np.isin(mineral, quarry)
        edge_cells = rng.permutation(pool[flat_near[pool]])[: int(is_quarry.sum())]
        quarry_idx = np.flatnonzero(is_quarry)[: len(edge_cells)]
        rest_idx = np.setdiff1d(np.arange(n), quarry_idx)
        chosen = np.empty(n, dtype=np.int64)
        chosen[quarry_idx] = edge_cells
        chosen[rest_idx] = rng.choice(np.setdiff1d(pool, edge_cells), size=len(rest_idx), replace=False)
        cells.append(chosen)
        minerals.append(mineral)
        codes.append(np.full(n, code))
        numbers.append(np.arange(1, n + 1))
    cell = np.concatenate(cells)
    code = np.concatenate(codes)
    m = len(cell)

    row, col = np.unravel_index(cell, cand.shape)
    jitter = rng.uniform(-0.5, 0.5, size=(m, 2)) * res
    x = np.asarray(grid["x"].values, dtype=float)[col] + jitter[:, 0]
    y = np.asarray(grid["y"].values, dtype=float)[row] + jitter[:, 1]
    median, sigma = float(mines["area_median_ha"]), float(mines["area_sigma"])
    area_ha = np.clip(rng.lognormal(np.log(median), sigma, m), float(mines["area_min_ha"]), float(mines["area_max_ha"]))
    ratio_lo, ratio_hi = (float(v) for v in mines.get("axis_ratio", DEFAULT_AXIS_RATIO))
    ratio = rng.uniform(ratio_lo, ratio_hi, m)
    angle = rng.uniform(0.0, np.pi, m)
    status_names, status_p = _mix(mines["status_shares"])
    status = rng.choice(status_names, size=m, p=status_p)

    xa, ya = Transformer.from_crs(grid.rio.crs, AREA_CRS, always_xy=True).transform(x, y)
    lon, lat = Transformer.from_crs(grid.rio.crs, STORAGE_CRS, always_xy=True).transform(x, y)
    polygons = _ellipses(np.asarray(xa), np.asarray(ya), area_ha * 1e4, ratio, angle)
    df = pd.DataFrame(
        {
            "site_id": "KS-"
            + pd.Series(code).astype(str)
            + "-"
            + pd.Series(np.concatenate(numbers)).astype(str).str.zfill(3),
            "county": info.loc[code, "name"].astype(str).to_numpy(),
            "county_en": info.loc[code, "name_en"].astype(str).to_numpy(),
            "adcode": code.astype(np.int64),
            "mineral": np.concatenate(minerals).astype(str),
            "disturbed_area_ha": area_ha,
            "restoration_status": status.astype(str),
            "lon": np.asarray(lon),
            "lat": np.asarray(lat),
            "near_basin_edge": near_edge.ravel()[cell],
            "illustrative": True,
            "method": METHOD.format(
                seed=int(mines["seed"]),
                res=res,
                basin=basin_max,
                relief=float(mines["min_relief_m"]),
                town=float(mines["town_clearance_km"]),
                river=float(mines["river_clearance_m"]),
            ),
        }
    )
    return to_storage_crs(gpd.GeoDataFrame(df, geometry=polygons, crs=AREA_CRS))


def build(ctx: Any) -> gpd.GeoDataFrame:
    """Catalog builder of ``mines``: :func:`mine_sites` on the catalog's layers and plan."""
    return mine_sites(ctx.load("dem"), ctx.load("counties"), ctx.load("county_seats"), ctx.load("rivers"), ctx.plan)

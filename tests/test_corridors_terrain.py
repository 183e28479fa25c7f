"""Terrain-mode corridors (to the first ridge line) and the hydrology under them.

Synthetic DEMs in EPSG:4546: a straight valley with its road on the valley floor, the first
ridge 1.5 km east and 3 km west of the road, flat plain at the southern end.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401
import shapely
import xarray as xr
from scipy.ndimage import binary_erosion
from shapely.geometry import LineString, box

from linfen_geo.analysis.corridors import corridor_layer, corridor_stretches
from linfen_geo.crs import WORK_CRS
from linfen_geo.errors import InputError
from linfen_geo.hydrology import D8_NODATA, D8_PIT, catchment_mask, drains_to, fill_depressions, fill_pits, route
from linfen_geo.layer_catalog.core import Catalog
from linfen_geo.layers.corridors_terrain import road_stretches, stretch_fields, terrain_corridors
from linfen_geo.terrain import rasterize_like

X0, Y0 = 500_000.0, 3_990_000.0
CELL = 100.0
ROAD_X = X0 + 6050.0  # a cell centre
EAST, WEST = 1500.0, 3000.0  # first ridge each side of the road
RULES = {
    "plain_width_m": 1000,
    "max_distance_m": 5000,
    "relief_window_m": 3000,
    "mountain_min_relief_m": 150,
    "mountain_min_slope_deg": 3.0,
    "min_stretch_m": 3000,
    "basin_max_elevation_m": 600,
}


def valley_dem(*, flat: bool = False, east: float = EAST, west: float = WEST, height: float = 400.0) -> xr.DataArray:
    """121 x 200 cells of 100 m: plain (y < 7 km) rising into a valley with ridges at ``east``/``west``.

    Across the valley the ground rises linearly from the road to the first ridge, falls to the
    next valley and rises again (a triangle wave); the valley floor falls gently southwards.
    """
    x = X0 + np.arange(121) * CELL + CELL / 2
    y = Y0 + np.arange(200)[::-1] * CELL + CELL / 2
    d = x - ROAD_X

    def wave(dist: np.ndarray, ridge: float) -> np.ndarray:
        phase = np.mod(np.abs(dist), 2 * ridge)
        return np.where(phase <= ridge, phase, 2 * ridge - phase) / ridge

    profile = np.where(d >= 0, height * wave(d, east), height * wave(d, west))
    yy = y - Y0
    ramp = 0.0 if flat else np.clip((yy - 7000) / 2000, 0, 1)[:, None]
    z = 400 + 0.002 * yy[:, None] + ramp * (profile[None, :] + 300 + 0.01 * yy[:, None])
    return xr.DataArray(z.astype("float32"), dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(WORK_CRS)


def valley_road(corridor_id: str = "C1") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"corridor_id": [corridor_id]}, geometry=[LineString([(ROAD_X, Y0 + 1000), (ROAD_X, Y0 + 19000)])], crs=WORK_CRS
    )


def extent_at(poly, y: float) -> tuple[float, float]:
    """West and east edge of ``poly`` along the row at northing ``Y0 + y``, relative to the road."""
    cut = shapely.intersection(poly, LineString([(X0 - 1, Y0 + y), (X0 + 20_000, Y0 + y)]))
    minx, _, maxx, _ = cut.bounds
    return minx - ROAD_X, maxx - ROAD_X


MOUNTAIN_ROWS = np.arange(10_000, 18_001, 500.0)


@pytest.fixture(scope="module")
def valley_result():
    return terrain_corridors(valley_road(), valley_dem(), RULES)


# ------------------------------------------------------------------------------------ hydrology
def _follow(d8: np.ndarray, outlets: np.ndarray) -> np.ndarray:
    """Reference: walk every cell's D8 path (slow, test only) and report if it meets an outlet."""
    step = {1: (0, 1), 2: (1, 1), 4: (1, 0), 8: (1, -1), 16: (0, -1), 32: (-1, -1), 64: (-1, 0), 128: (-1, 1)}
    h, w = d8.shape
    out = np.zeros(d8.shape, dtype=bool)
    for r0 in range(h):
        for c0 in range(w):
            r, c = r0, c0
            for _ in range(h * w):
                if outlets[r, c]:
                    out[r0, c0] = True
                    break
                code = int(d8[r, c])
                if code not in step:
                    break
                r, c = r + step[code][0], c + step[code][1]
                if not (0 <= r < h and 0 <= c < w):
                    break
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_catchment_matches_walking_the_flow_paths(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(30, 40)).cumsum(axis=0).cumsum(axis=1)
    z[rng.random(z.shape) < 0.03] = np.nan
    dem = xr.DataArray(z, dims=("y", "x"), coords={"y": np.arange(30)[::-1] * 30.0, "x": np.arange(40) * 30.0})
    dem = dem.rio.write_crs(WORK_CRS)
    flow = route(dem)
    outlets = np.zeros(z.shape, dtype=bool)
    outlets[rng.integers(0, 30, 12), rng.integers(0, 40, 12)] = True
    got = catchment_mask(flow, outlets).values
    assert np.array_equal(got, _follow(flow.d8.values, outlets))
    # conditioning: never lowers, and leaves no interior pit - every valid cell drains to the edge
    filled = flow.filled.values
    ok = np.isfinite(z)
    assert np.all(filled[ok] >= z[ok] - 1e-4)
    assert np.all(flow.d8.values[~ok] == D8_NODATA)
    # the only pits are on the edge of the data, and every valid cell drains to one
    pits = flow.d8.values == D8_PIT
    edge = ~binary_erosion(np.pad(ok, 1), np.ones((3, 3)))[1:-1, 1:-1]
    assert np.all(edge[pits])
    assert np.all(catchment_mask(flow, pits).values[ok])


def test_drains_to_keeps_the_first_outlet_label():
    dem = valley_dem()
    flow = route(dem)
    labels = np.zeros(dem.shape, dtype="uint8")
    col = int((ROAD_X - X0) // CELL)
    labels[:50, col] = 1  # the road's northern cells (y > 15 km)
    labels[50:, col] = 2
    reached = drains_to(flow, labels).values
    inside = slice(col - int(WEST // CELL) + 1, col + int(EAST // CELL))  # between the ridges
    # D8 paths run diagonally down the slopes (south-west / south-east), at most 30 rows south
    assert set(np.unique(reached[5:15, inside])) == {1}
    assert set(np.unique(reached[60:95, inside])) == {2}  # upstream of label-1 cells, but reaches 2 first
    # beyond the east ridge water runs down the next valley; it never meets the label-1 road cells
    assert 1 not in np.unique(reached[5:95, col + int(EAST // CELL) + 2 :])


def test_fill_pits_and_depressions():
    z = np.full((6, 6), 10.0)
    z[1, 1] = 1.0  # a pit
    z[3:5, 3:5] = 2.0  # a depression
    z[0, 5] = 0.0  # the outlet corner
    dem = xr.DataArray(z, dims=("y", "x"), coords={"y": np.arange(6)[::-1] * 10.0, "x": np.arange(6) * 10.0})
    dem = dem.rio.write_crs(WORK_CRS)
    assert float(fill_pits(dem)[1, 1]) == 10.0
    assert float(fill_pits(dem)[3, 3]) == 2.0  # a depression of 4 cells is not a pit
    filled, d8 = fill_depressions(dem)
    assert float(filled[3, 3]) == pytest.approx(10.0)
    assert (d8.values[1:5, 1:5] != D8_PIT).all()  # filled cells drain on, towards the outlet
    with pytest.raises(InputError):
        drains_to(route(dem), np.full(z.shape, -1))


# ------------------------------------------------------------------------------------ stretches
def test_road_stretches_split_plain_and_mountain():
    s = road_stretches(valley_road(), valley_dem(), RULES)
    assert s["kind"].tolist() == ["plain", "mountain"]
    assert s["length_m"].sum() == pytest.approx(18_000)
    assert s.geometry.length.sum() == pytest.approx(18_000)
    # the plain ends within a relief window of the hills (y = 7 km, road starts at 1 km)
    assert 4_000 <= s["end_m"].iloc[0] <= 7_000
    flat = road_stretches(valley_road(), valley_dem(flat=True), RULES)
    assert flat["kind"].tolist() == ["plain"]


def test_tiled_fields_equal_the_whole_grid():
    dem = valley_dem()
    road = valley_road().geometry.iloc[0]
    whole = stretch_fields(dem, RULES)
    tiled = stretch_fields(dem, RULES, near=road, tile_cells=16)
    band = rasterize_like(gpd.GeoSeries([road.buffer(RULES["relief_window_m"] / 2)], crs=WORK_CRS), dem)
    for name in ("relief_m", "slope_deg"):
        assert np.isfinite(tiled[name].values[band]).all()
        np.testing.assert_allclose(tiled[name].values[band], whole[name].values[band], rtol=1e-5, atol=1e-4)
    assert np.isnan(tiled["relief_m"].values[:, :3]).all()  # far from the road: not computed


def test_short_stretches_merge():
    rules = {**RULES, "min_stretch_m": 50_000}  # longer than the road: one stretch
    assert len(road_stretches(valley_road(), valley_dem(), rules)) == 1
    rules = {**RULES, "min_stretch_m": 0}
    s = road_stretches(valley_road(), valley_dem(), rules)
    assert s["kind"].iloc[-1] == "mountain"
    assert np.allclose(s["start_m"].to_numpy()[1:], s["end_m"].to_numpy()[:-1])


# ------------------------------------------------------------------------------------ the rule
def test_edge_lies_on_the_first_ridge(valley_result):
    corridors, _ = valley_result
    poly = corridors.geometry.iloc[0]
    west_edges, east_edges = np.array([extent_at(poly, y) for y in MOUNTAIN_ROWS]).T
    assert np.all(np.abs(east_edges - EAST) <= CELL)
    assert np.all(np.abs(west_edges + WEST) <= CELL)
    # never beyond the ridge, anywhere along the mountain stretch
    minx, _, maxx, _ = shapely.intersection(poly, box(X0, Y0 + 10_000, X0 + 20_000, Y0 + 18_000)).bounds
    assert maxx - ROAD_X <= EAST + CELL / 2 + 1e-6
    assert minx - ROAD_X >= -WEST - CELL / 2 - 1e-6


def test_flat_terrain_falls_back_to_the_plain_width(valley_result):
    corridors, stretches = valley_result
    poly = corridors.geometry.iloc[0]
    for y in (2_000, 3_000, 4_000):
        west, east = extent_at(poly, y)
        assert west == pytest.approx(-1000, abs=1)
        assert east == pytest.approx(1000, abs=1)
    row = corridors.iloc[0]
    assert row["plain_km"] + row["mountain_km"] == pytest.approx(18.0)
    assert row["plain_km"] == pytest.approx(stretches.loc[stretches.kind == "plain", "length_m"].sum() / 1000)


def test_cap_holds(valley_result):
    corridors, _ = terrain_corridors(valley_road(), valley_dem(), {**RULES, "max_distance_m": 2000})
    poly = corridors.geometry.iloc[0]
    west_edges, east_edges = np.array([extent_at(poly, y) for y in MOUNTAIN_ROWS]).T
    assert np.allclose(west_edges, -2000, atol=1)  # the west ridge (3 km) lies beyond the cap
    assert np.all(np.abs(east_edges - EAST) <= CELL)
    assert corridors["max_width_m"].iloc[0] <= 2000 + 1e-6
    both, _ = terrain_corridors(valley_road(), valley_dem(), {**RULES, "max_distance_m": 1200})
    edges = np.array([extent_at(both.geometry.iloc[0], y) for y in MOUNTAIN_ROWS])
    assert np.allclose(edges, [-1200, 1200], atol=1)
    assert both["max_width_m"].iloc[0] == pytest.approx(1200, abs=1)
    # mean one-sided width of the uncapped corridor lies between the plain width and the cap
    uncapped = valley_result[0].iloc[0]
    assert 1000 < uncapped["mean_width_m"] < (EAST + WEST) / 2 + CELL
    assert uncapped["max_width_m"] <= RULES["max_distance_m"]


def test_road_is_always_inside():
    # a road on a ridge crest drains nowhere: the corridor is still at least the road's cells
    crest = valley_dem().copy()
    crest.values[:] = crest.values.max() - crest.values
    corridors, _ = terrain_corridors(valley_road(), crest, RULES)
    poly = corridors.geometry.iloc[0]
    assert poly.buffer(1e-6).contains(valley_road().geometry.iloc[0])
    assert extent_at(poly, 15_000)[1] >= CELL / 2 - 1e-6


# ------------------------------------------------------------------------------------ through the catalog
def _plan_with(tmp_path: Path, resolution: float) -> Path:
    from linfen_geo.plan.loader import DEFAULT_PLAN

    text = DEFAULT_PLAN.read_text(encoding="utf-8")
    assert text.count("resolution_m = 250") == 1
    out = tmp_path / "plan.toml"
    out.write_text(text.replace("resolution_m = 250", f"resolution_m = {resolution:g}"), encoding="utf-8")
    return out


def _catalog(tmp_path: Path, dem: xr.DataArray | Path, *, name: str = "dem.tif", resolution: float = 100) -> Catalog:
    cat = Catalog(cache_dir=tmp_path / "cache", config={})
    cat.use_plan(_plan_with(tmp_path, resolution))
    if isinstance(dem, xr.DataArray):
        path = tmp_path / name
        dem.rio.to_raster(path)
        dem = path
    cat.use("dem", dem)
    roads = valley_road("C1").assign(roads_zh="测试路", roads_en="test road", illustrative=False)
    # the next valley east, behind the 1.5 km ridge (the next ridge is 1.5 km further east)
    second = roads.assign(corridor_id="C2", geometry=roads.translate(xoff=2 * EAST, yoff=0).geometry)
    gpd.pd.concat([roads, second]).to_file(tmp_path / "roads.gpkg")
    cat.use("corridor_roads", tmp_path / "roads.gpkg")
    square = gpd.GeoDataFrame(
        {"adcode": [141000], "name": ["测试市"], "name_en": ["test city"]},
        geometry=[box(X0 - 20_000, Y0 - 20_000, X0 + 40_000, Y0 + 40_000)],
        crs=WORK_CRS,
    )
    square.to_file(tmp_path / "city.gpkg")
    cat.use("counties", tmp_path / "city.gpkg")
    return cat


def test_modes_agree_in_flat_terrain(tmp_path):
    cat = _catalog(tmp_path, valley_dem(flat=True))
    buffer = corridor_layer("buffer", cat).set_index("corridor_id")
    terrain = corridor_layer("terrain", cat).set_index("corridor_id")
    assert terrain["mode"].eq("terrain").all()
    assert terrain["mountain_km"].eq(0).all()
    assert np.allclose(terrain["area_km2"], buffer.loc[terrain.index, "area_km2"], rtol=0.01)
    assert terrain["coarse_warning"].eq("").all()  # 100 m DEM routed at 100 m
    assert terrain["dem_resolution_m"].iloc[0] == pytest.approx(100)
    assert "routed at 100 m" in terrain["dem"].iloc[0] and terrain["dem"].iloc[0].startswith("user DEM")
    assert not terrain["illustrative"].any()


def test_dem_in_another_crs_gives_the_same_corridor(tmp_path):
    from rasterio.enums import Resampling

    dem = valley_dem()
    twin = dem.rio.reproject("EPSG:4326", resolution=0.0008, resampling=Resampling.bilinear)
    a = _catalog(tmp_path / "gk", dem).load("corridors_terrain").to_crs(WORK_CRS)
    b = _catalog(tmp_path / "geo", twin, name="dem_4326.tif").load("corridors_terrain").to_crs(WORK_CRS)
    assert a["mountain_km"].gt(10).all()
    assert np.allclose(a["area_km2"], b["area_km2"], rtol=0.03)
    inter = shapely.area(shapely.intersection(a.geometry.values, b.geometry.values))
    union = shapely.area(shapely.union(a.geometry.values, b.geometry.values))
    assert np.all(inter / union > 0.95)
    # neighbouring valleys: the two corridors meet on the shared ridge and do not overlap there
    mountain = box(X0, Y0 + 10_000, X0 + 20_000, Y0 + 18_000)
    shared = shapely.intersection(shapely.intersection(a.geometry.iloc[0], a.geometry.iloc[1]), mountain)
    assert shared.area <= CELL * 8_000 + 1


# ------------------------------------------------------------------------------------ the shipped data
def test_shipped_terrain_corridors(catalog):
    terrain = catalog.load("corridors_terrain")
    rules = catalog.plan["corridor_terrain"]
    assert terrain["corridor_id"].tolist() == [c["id"] for c in catalog.plan["corridors"]]
    assert terrain["mode"].eq("terrain").all()
    roads = catalog.load("corridor_roads").to_crs(WORK_CRS)
    road_km = roads.dissolve("corridor_id").length / 1000
    t = terrain.set_index("corridor_id")
    assert np.allclose(t["plain_km"] + t["mountain_km"], road_km.loc[t.index], rtol=0.01)
    assert np.allclose(t["length_km"], road_km.loc[t.index], rtol=0.01)
    city = catalog.load("counties").to_crs(WORK_CRS).union_all()
    polys = terrain.to_crs(WORK_CRS).set_index("corridor_id").geometry
    for cid, road in roads.dissolve("corridor_id").geometry.items():  # four corridors
        assert polys[cid].buffer(1).contains(road.intersection(city))
    assert t["mean_width_m"].between(0.9 * rules["plain_width_m"], rules["max_distance_m"]).all()
    assert (t["max_width_m"] <= rules["max_distance_m"] + 1e-3).all()
    assert (t["max_width_m"] >= rules["plain_width_m"] - 1).all()
    assert t["coarse_warning"].str.contains("shipped 1 km DEM").all()
    assert t["illustrative"].all()
    assert catalog.status("corridors_terrain") == "illustrative"
    stretches = corridor_stretches(catalog)
    assert set(stretches["kind"]) <= {"plain", "mountain"}
    assert np.allclose(stretches.groupby("corridor_id")["length_m"].sum() / 1000, road_km, rtol=0.01)

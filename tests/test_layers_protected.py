"""Protected-area builders: nature reserves, spring zones and river green buffers."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr
from shapely.geometry import LineString, Point, box

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, to_area_crs, to_work_crs
from linfen_geo.layers.reserves import grow_reserves
from linfen_geo.layers.rivers import UNNAMED, river_buffers
from linfen_geo.layers.springs import spring_zones

X0, Y0 = 500_000.0, 4_000_000.0  # EPSG:4546, on the central meridian near Linfen


# ---------------------------------------------------------------- nature reserves
@pytest.fixture(scope="module")
def reserves(catalog) -> gpd.GeoDataFrame:
    return catalog.load("reserves")


@pytest.fixture(scope="module")
def counties(catalog) -> gpd.GeoDataFrame:
    return catalog.load("counties")


def test_reserves_two_reserves_three_zones(reserves, catalog):
    assert len(reserves) == 21  # 2 national (real outlines) + 5 provincial reserves, 3 zones each
    assert reserves["reserve_id"].is_unique
    for _, grp in reserves.groupby("reserve"):
        assert sorted(grp["zone"]) == ["buffer", "core", "experimental"]
        assert set(grp["zone_zh"]) == {"核心区", "缓冲区", "实验区"}
    assert set(reserves["reserve"]) == {r["id"] for r in catalog.plan["reserves"]}
    assert reserves["illustrative"].all()
    assert reserves.is_valid.all()
    assert reserves["method"].str.len().gt(20).all()
    assert reserves.crs == STORAGE_CRS


def test_reserve_zones_do_not_overlap(reserves):
    ea = to_area_crs(reserves)
    for _, grp in ea.groupby("reserve"):
        for a, b in itertools.combinations(grp.geometry.values, 2):
            assert a.intersection(b).area < 1.0


def test_reserve_total_area_is_the_documented_area(reserves, catalog):
    cell_ha = catalog.plan["terrain"]["resolution_m"] ** 2 / 1e4
    for _, grp in reserves.groupby("reserve"):
        total = grp["outline_area_ha"].iloc[0]
        if grp["outline_status"].iloc[0] == "illustrative":  # grown to the registry's area
            assert abs(total - grp["documented_area_ha"].iloc[0]) <= 2 * cell_ha
        # the zones partition the whole (in- and out-of-city) outline, at the registry's zone shares
        assert grp["zone_area_total_ha"].sum() == pytest.approx(total, rel=1e-9)
        shares = grp.set_index("zone")["zone_area_total_ha"] / total
        official = grp.set_index("zone")["zone_official_ha"] / grp["documented_area_ha"].iloc[0]
        np.testing.assert_allclose(shares[official.index], official, atol=0.02)
    in_city = to_area_crs(reserves).area / 1e4
    np.testing.assert_allclose(reserves["area_in_city_ha"], in_city, rtol=1e-6)
    assert (reserves["area_in_city_ha"] <= reserves["zone_area_total_ha"] + 1e-6).all()


def test_wulushan_lies_in_puxian_and_xixian(reserves, counties):
    nr2 = to_area_crs(reserves[reserves["reserve"] == "NR2"]).union_all()
    pu_xi = to_area_crs(counties[counties["name"].isin(["蒲县", "隰县"])]).union_all()
    assert nr2.intersection(pu_xi).area / nr2.area > 0.8


def test_lishan_touches_yicheng(reserves, counties):
    nr1 = to_area_crs(reserves[reserves["reserve"] == "NR1"]).union_all()
    yicheng = to_area_crs(counties[counties["name"] == "翼城县"]).union_all()
    assert nr1.intersection(yicheng).area > 1e6
    assert reserves.loc[reserves["reserve"] == "NR1", "counties"].str.contains("翼城县").any()
    # most of the real reserve lies outside Linfen: the in-city part is smaller than the documented area
    assert reserves.loc[reserves["reserve"] == "NR1", "area_in_city_ha"].sum() < 0.5 * 24148.78


def test_core_contains_the_seed_inside_the_city(reserves, counties):
    city = counties.union_all()
    checked = 0
    for _, grp in reserves.groupby("reserve"):
        seed = Point(grp["seed_lon"].iloc[0], grp["seed_lat"].iloc[0])
        if city.contains(seed):
            assert grp.loc[grp["zone"] == "core"].geometry.iloc[0].contains(seed)
            checked += 1
    assert checked >= 1  # Wulushan's summit is inside the city


def _ridge_dem() -> xr.DataArray:
    """A 1400 m ridge running east-west over a 400 m plain, on a 500 m grid in EPSG:4546."""
    xs = X0 - 30_000 + 250 + 500 * np.arange(120)
    ys = Y0 + 30_000 - 250 - 500 * np.arange(120)
    gx, gy = np.meshgrid(xs - X0, ys - Y0)
    z = 400 + 1000 * np.exp(-((gx / 20_000) ** 2) - (gy / 2_500) ** 2)
    da = xr.DataArray(z.astype("float32"), dims=("y", "x"), coords={"y": ys, "x": xs})
    return da.rio.write_crs(WORK_CRS).rio.write_nodata(np.nan)


def test_reserve_grows_along_the_massif_from_the_summit():
    dem = _ridge_dem()
    city = gpd.GeoDataFrame(
        {"name": ["甲县"]}, geometry=[box(X0 - 29_000, Y0 - 29_000, X0 + 29_000, Y0 + 29_000)], crs=WORK_CRS
    )
    # documented summit 3 km off the true summit (X0, Y0): the seed search finds the top
    summit = gpd.GeoSeries([Point(X0 + 2_000, Y0 + 2_000)], crs=WORK_CRS).to_crs(STORAGE_CRS).iloc[0]
    spec = {
        "id": "T1",
        "name_zh": "测试",
        "name_en": "Test",
        "level": "national",
        "documented_area_ha": 10_000,
        "summit_lon": summit.x,
        "summit_lat": summit.y,
        "seed_search_km": 4,
    }
    out = grow_reserves(
        dem, city, [spec], {"core_share": 0.35, "buffer_share": 0.25, "descent_ref_m": 100.0}, resolution_m=500
    )
    assert list(out["zone"]) == ["core", "buffer", "experimental"]
    seed = gpd.GeoSeries.from_xy(out["seed_lon"].iloc[:1], out["seed_lat"].iloc[:1], crs=STORAGE_CRS)
    seed_w = to_work_crs(seed).iloc[0]
    assert abs(seed_w.x - X0) <= 500 and abs(seed_w.y - Y0) <= 500
    assert out.geometry.iloc[0].contains(seed.iloc[0])
    assert out["outline_area_ha"].iloc[0] == pytest.approx(10_000, abs=25)
    assert out["outline_status"].iloc[0] == "illustrative"
    assert out["area_in_city_ha"].sum() == pytest.approx(out["outline_area_ha"].iloc[0], rel=1e-6)
    minx, miny, maxx, maxy = to_work_crs(out).total_bounds
    assert (maxx - minx) > 2 * (maxy - miny)  # follows the east-west ridge
    # nested zones: the buffer zone rings the core, the experimental zone rings both
    core, buf, exp = to_work_crs(out).geometry
    assert core.intersection(buf).area < 1.0 and shapely.union(core, buf).intersection(exp).area < 1.0
    assert shapely.union_all([core, buf]).convex_hull.contains(core)
    assert exp.distance(core) > 0  # the experimental zone does not touch the core


# ---------------------------------------------------------------- spring zones
@pytest.fixture(scope="module")
def springs(catalog) -> gpd.GeoDataFrame:
    return catalog.load("spring_zones")


def test_spring_zones_contain_outlets_with_disc_area(springs, counties, catalog):
    assert len(springs) == 3
    assert springs["illustrative"].all() and springs.is_valid.all()
    assert list(springs["spring_zh"]) == ["龙子祠泉", "郭庄泉", "霍泉"]
    outlets = gpd.GeoSeries.from_xy(springs["outlet_lon"], springs["outlet_lat"], crs=STORAGE_CRS)
    assert springs.geometry.contains(outlets).all()
    city = to_work_crs(counties).union_all()
    unclipped = to_work_crs(outlets).buffer(springs["radius_km"] * 1000).within(city)
    assert unclipped.sum() >= 1
    disc_ha = math.pi * springs["radius_km"] ** 2 * 100
    area_ha = to_area_crs(springs).area / 1e4
    np.testing.assert_allclose(springs["area_ha"], area_ha, rtol=1e-6)
    np.testing.assert_allclose(area_ha[unclipped], disc_ha[unclipped], rtol=0.005)
    assert (area_ha <= disc_ha * 1.001).all()
    for counties_str, plan_zone in zip(springs["counties"], catalog.plan["spring_zones"], strict=True):
        home = counties.set_index("adcode").loc[plan_zone["counties"][0], "name"]
        assert home in counties_str.split(",")


def test_spring_zone_is_clipped_at_the_city_edge():
    city = gpd.GeoDataFrame({"name": ["甲县"]}, geometry=[box(X0 - 10_000, Y0 - 10_000, X0, Y0 + 10_000)], crs=WORK_CRS)
    outlet = gpd.GeoSeries([Point(X0, Y0)], crs=WORK_CRS).to_crs(STORAGE_CRS).iloc[0]
    zone = {
        "id": "S",
        "name_zh": "某泉域重点保护区",
        "name_en": "S",
        "outlet_lon": outlet.x,
        "outlet_lat": outlet.y,
        "radius_km": 2.0,
    }
    out = spring_zones(city, [zone])
    assert out["spring_zh"].iloc[0] == "某泉"
    assert out["area_ha"].iloc[0] == pytest.approx(math.pi * 4 * 100 / 2, rel=0.005)  # half a disc
    assert to_work_crs(out).geometry.iloc[0].buffer(-1).within(city.geometry.iloc[0])


# ---------------------------------------------------------------- river buffers
RULES = {
    "default_width_m": 30,
    "channel_half_width_m": {"黄河": 150, "汾河": 50},
    "default_channel_half_width_m": 10,
    "rules": [{"rivers": ["汾河", "黄河", "昕水河"], "width_m": 50, "rule_zh": "堤外50米", "rule_en": "50 m"}],
}


@pytest.fixture(scope="module")
def buffers(catalog) -> gpd.GeoDataFrame:
    return catalog.load("river_buffers")


def test_river_buffers_from_catalog(buffers, catalog):
    assert set(buffers["river"]) == {"汾河", "黄河", "沁河"}
    assert (buffers["width_m"] == 50).all()
    assert not buffers["illustrative"].any()
    assert buffers.is_valid.all()
    fen = buffers.set_index("river").loc["汾河"]
    # a long, mostly unclipped strip: area ~ 2 banks x length x width
    assert fen["area_ha"] * 1e4 == pytest.approx(2 * fen["length_km"] * 1000 * fen["width_m"], rel=0.03)
    np.testing.assert_allclose(buffers["area_ha"], to_area_crs(buffers).area / 1e4, rtol=1e-6)


def test_fen_strip_boundary_lies_at_the_rule_distances(buffers, catalog, counties):
    fen = buffers[buffers["river"] == "汾河"]
    half, width = fen["channel_half_width_m"].iloc[0], fen["width_m"].iloc[0]
    line = to_work_crs(catalog.load("rivers").query("name == '汾河'")).union_all()
    city_edge = to_work_crs(counties).union_all().boundary
    pts = shapely.points(shapely.get_coordinates(to_work_crs(fen).geometry.boundary.values))
    pts = pts[shapely.distance(pts, city_edge) > 5.0]  # drop vertices made by the clip
    d = shapely.distance(pts, line)
    outer = np.abs(d - (half + width)) <= 0.01 * (half + width)
    inner = np.abs(d - half) <= 0.01 * half
    assert (outer | inner).all()
    assert outer.sum() > 100 and inner.sum() > 100


def _straight(name: str | None, length: float = 20_000) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [name]}, geometry=[LineString([(X0, Y0), (X0, Y0 + length)])], crs=WORK_CRS
    ).to_crs(STORAGE_CRS)


@pytest.mark.parametrize(("name", "width", "half"), [("汾河", 50, 50), ("浍河", 30, 10), (None, 30, 10)])
def test_straight_river_strip_area_and_width(name, width, half):
    city = box(X0 - 50_000, Y0 - 50_000, X0 + 50_000, Y0 + 50_000)
    out = river_buffers(_straight(name), city, RULES)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["river"] == (name or UNNAMED)
    assert row["width_m"] == width and row["channel_half_width_m"] == half
    assert row["length_km"] == pytest.approx(20.0, rel=1e-6)
    assert row["area_ha"] * 1e4 == pytest.approx(2 * 20_000 * width, rel=0.02)
    strip = to_work_crs(out).geometry.iloc[0]
    mid = Point(X0, Y0 + 10_000)
    assert strip.contains(Point(X0 + half + width / 2, Y0 + 10_000))
    assert not strip.contains(mid)  # the channel itself is not part of the green strip
    assert not strip.buffer(-0.01).contains(Point(X0 + half + width + 0.5, Y0 + 10_000))


def test_river_strip_is_clipped_to_the_city():
    city = gpd.GeoDataFrame(geometry=[box(X0 - 5_000, Y0, X0 + 5_000, Y0 + 5_000)], crs=WORK_CRS)
    out = river_buffers(_straight("浍河"), city, RULES)
    assert out["length_km"].iloc[0] == pytest.approx(5.0, rel=1e-6)
    assert out["area_ha"].iloc[0] * 1e4 == pytest.approx(2 * 5_000 * 30, rel=0.01)


def test_user_river_file_with_tributaries(fresh_catalog, tmp_path, catalog):
    fen = catalog.load("rivers").query("name == '汾河'")
    seat = catalog.load("county_seats").query("name == '隰县'").geometry.iloc[0]
    trib = gpd.GeoDataFrame(
        {"name": ["昕水河", "城川河"], "level": [4, 5]},
        geometry=[
            LineString([(seat.x, seat.y), (seat.x - 0.2, seat.y - 0.25)]),
            LineString([(seat.x + 0.05, seat.y), (seat.x + 0.05, seat.y - 0.2)]),
        ],
        crs=STORAGE_CRS,
    )
    mine = gpd.GeoDataFrame(
        {"name": list(fen["name"]) + list(trib["name"]), "level": list(fen["level"]) + list(trib["level"])},
        geometry=list(fen.geometry) + list(trib.geometry),
        crs=STORAGE_CRS,
    )
    path = tmp_path / "my_rivers.geojson"
    mine.to_file(path, driver="GeoJSON")
    fresh_catalog.use("rivers", path, status="official", source="test")
    out = fresh_catalog.load("river_buffers").set_index("river")
    assert set(out.index) == {"汾河", "昕水河", "城川河"}
    assert out.loc["昕水河", "width_m"] == 50  # named in the rule
    assert out.loc["城川河", "width_m"] == 30  # in no rule: the default
    assert out.loc["城川河", "channel_half_width_m"] == 10
    assert "30" in out.loc["城川河", "rule"]
    assert fresh_catalog.status("river_buffers") == "derived"

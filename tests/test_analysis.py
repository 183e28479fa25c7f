"""Coverage, overlap and indicators: known answers, invariants, independent computations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from pyproj import Geod
from shapely.geometry import Polygon, box

import linfen_geo as lg
from linfen_geo.analysis.coverage import coverage, with_total
from linfen_geo.analysis.indicators import forest_coverage, redline_change, redline_share
from linfen_geo.analysis.overlap import (
    features_in_zones,
    line_stretches_in,
    overlap_by_county,
    overlap_matrix,
    pairwise_within,
)
from linfen_geo.analysis.zonal import tabulate_classes
from linfen_geo.crs import AREA_CRS
from linfen_geo.errors import InputError

X0, Y0 = 500_000.0, 4_000_000.0


def gk(*geoms, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=4546)


@pytest.fixture
def zones():
    return gk(
        box(X0, Y0, X0 + 2000, Y0 + 2000),
        box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000),
        zid=["w", "e"],
        name=["西", "东"],
        name_en=["west", "east"],
    )


# ------------------------------------------------------------------ coverage
def test_coverage_known_answer_and_no_double_counting(zones):
    # two identical squares straddling the zone border: counted once
    sq = box(X0 + 1000, Y0, X0 + 3000, Y0 + 1000)
    layer = gk(sq, sq)
    t = coverage(layer, zones, zone_id="zid")
    area = gpd.GeoSeries([sq], crs=4546).to_crs(AREA_CRS).area.iloc[0]
    np.testing.assert_allclose(t["covered_m2"].sum(), area, rtol=1e-8)
    np.testing.assert_allclose(t["share"], [0.25, 0.25], rtol=1e-3)
    assert list(t["name_zh"]) == ["西", "东"]
    assert t["covered_mu"].iloc[0] == pytest.approx(t["covered_m2"].iloc[0] / (10000 / 15))
    assert t.attrs["area_crs"] == lg.AREA_CRS_NAME
    total = with_total(t).iloc[-1]
    assert total["covered_m2"] == pytest.approx(t["covered_m2"].sum())
    assert total["share"] == pytest.approx(t["covered_m2"].sum() / t["zone_area_m2"].sum())


def test_coverage_matches_geodesic_areas(catalog):
    """Independent computation: pyproj.Geod ellipsoidal areas of the red lines per county."""
    red = catalog.load("redlines")
    t = coverage(red, "counties", zone_id="adcode", catalog=catalog).set_index("zone_id")
    geod = Geod(ellps="GRS80")
    counties = catalog.load("counties").set_index("adcode")
    union = red.union_all()
    for adcode in (141029, 141081):
        piece = counties.loc[adcode, "geometry"].intersection(union)
        geodesic = abs(geod.geometry_area_perimeter(piece)[0])
        assert t.loc[str(adcode), "covered_m2"] == pytest.approx(geodesic, rel=1e-5)


def test_per_county_coverage_reconciles_with_city_total(catalog):
    for layer in ("barriers", "corridors", "redlines", "reserves"):
        by_county = coverage(layer, "counties", zone_id="adcode", catalog=catalog)
        city = coverage(layer, "city", catalog=catalog)
        assert by_county["covered_m2"].sum() == pytest.approx(city["covered_m2"].iloc[0], rel=1e-6), layer
        assert by_county["share"].between(0, 1).all()


def test_invalid_geometry_repaired_and_reported(zones):
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    with pytest.warns(UserWarning, match="repaired 1"):
        t = coverage(gk(bowtie), zones, zone_id="zid")
    assert t["covered_m2"].iloc[0] == pytest.approx(500_000, rel=2e-3)


def test_coverage_rejects_non_frames():
    with pytest.raises(lg.InputError, match="GeoDataFrame"):
        coverage(42, "counties")


# ------------------------------------------------------------------ overlap
def test_overlap_matrix_symmetric_and_known():
    a = gk(box(X0, Y0, X0 + 2000, Y0 + 2000))
    b = gk(box(X0 + 1000, Y0, X0 + 3000, Y0 + 2000), box(X0 + 1000, Y0, X0 + 3000, Y0 + 2000))  # dup: dissolved
    m = overlap_matrix({"a": a, "b": b}).set_index(["layer_a", "layer_b"])
    assert m.loc[("a", "b"), "overlap_m2"] == m.loc[("b", "a"), "overlap_m2"]
    assert m.loc[("a", "b"), "share_of_a"] == pytest.approx(0.5, rel=1e-3)
    assert m.loc[("b", "b"), "overlap_m2"] == pytest.approx(m.loc[("a", "a"), "overlap_m2"])


def test_overlap_on_shipped_layers(catalog):
    layers = ["barriers", "corridors", "redlines", "reserves", "spring_zones"]
    m = overlap_matrix(layers, catalog=catalog).set_index(["layer_a", "layer_b"])
    for a in layers:
        for b in layers:
            assert m.loc[(a, b), "overlap_m2"] == pytest.approx(m.loc[(b, a), "overlap_m2"], rel=1e-12)
            assert 0 <= m.loc[(a, b), "share_of_a"] <= 1 + 1e-9
    by_county = overlap_by_county(layers, catalog=catalog)
    sums = by_county.groupby(["layer_a", "layer_b"])["overlap_m2"].sum()
    for (a, b), v in sums.items():
        assert v == pytest.approx(m.loc[(a, b), "overlap_m2"], rel=1e-6, abs=1.0), (a, b)


def test_mines_in_zones_equals_brute_force(catalog):
    res = features_in_zones("mines", ["redlines"], id_column="site_id", catalog=catalog)
    mines = catalog.load("mines").to_crs(AREA_CRS)
    red = catalog.load("redlines").to_crs(AREA_CRS)
    brute = gpd.overlay(mines[["site_id", "geometry"]], red[["redline_id", "geometry"]], how="intersection")
    brute = brute.assign(a=brute.area).groupby("site_id")["a"].sum()
    got = res.groupby("feature_id")["overlap_m2"].sum()
    got = got[got > 1e-6]
    brute = brute[brute > 1e-6]
    assert set(got.index) == set(brute.index)
    np.testing.assert_allclose(got.loc[brute.index], brute, rtol=1e-6)
    assert res["share_of_feature"].between(0, 1 + 1e-9).all()


def test_line_stretches_and_barrier_overlaps(catalog):
    roads = line_stretches_in(
        "corridor_roads", "redlines", line_id="corridor_id", polygon_id="redline_id", catalog=catalog
    )
    lines = catalog.load("corridor_roads").to_crs(4546)
    red = catalog.load("redlines").to_crs(4546).union_all()
    for cid, grp in roads.groupby("corridor_id"):
        parts = shapely.get_parts(lines.set_index("corridor_id").loc[cid, "geometry"])  # road (and railway) parts
        expect = sum(p.intersection(red).length for p in parts)
        assert grp["length_m"].sum() == pytest.approx(expect, rel=1e-6)
    bo = pairwise_within("barriers", id_column="barrier_id", catalog=catalog)
    pairs = {(r.a, r.b) for r in bo.itertuples()}
    assert ("B2", "B3") in pairs  # 霍州 and 翼城 are in both
    assert ("B1", "B2") not in pairs


# ------------------------------------------------------------------ indicators
def test_redline_change_gained_and_lost():
    old = gk(box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000))
    new = gk(box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0 + 1000, X0 + 1500, Y0 + 1500))
    counties = gk(
        box(X0 - 10, Y0 - 10, X0 + 2000, Y0 + 2000),
        box(X0 + 2000, Y0 - 10, X0 + 5000, Y0 + 2000),
        adcode=[1, 2],
        name=["甲", "乙"],
        name_en=["A", "B"],
    )
    table, changes = redline_change(old, new, counties)
    tot = table.iloc[-1]
    ea = lambda g: gpd.GeoSeries([g], crs=4546).to_crs(AREA_CRS).area.iloc[0]  # noqa: E731
    assert tot["gained_m2"] == pytest.approx(ea(box(X0 + 1000, Y0 + 1000, X0 + 1500, Y0 + 1500)), rel=1e-6)
    assert tot["lost_m2"] == pytest.approx(ea(box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000)), rel=1e-6)
    np.testing.assert_allclose(table["new_m2"] - table["old_m2"], table["gained_m2"] - table["lost_m2"], atol=1e-3)
    assert not tot["not_reduced"]
    assert table.set_index("name_zh").loc["甲", "not_reduced"]
    assert set(changes["change"]) == {"gained", "lost"}


def test_redline_share_total(catalog):
    t = redline_share(catalog=catalog)
    assert t.iloc[-1]["name_zh"] == "合计"
    assert t.iloc[-1]["share"] == pytest.approx(catalog.plan["redline_model"]["target_share"], abs=0.006)


def _synthetic_landcover():
    # 4 x 4 cells of 1 km: forest (1) in the west half, cropland (12) in the east, one nodata cell
    data = np.array([[1, 1, 12, 12]] * 4, dtype="uint8")
    data[0, 3] = 255
    da = xr.DataArray(
        data, dims=("y", "x"), coords={"y": Y0 + 3500 - np.arange(4) * 1000.0, "x": X0 + 500 + np.arange(4) * 1000.0}
    )
    return da.rio.write_crs(4546).rio.write_nodata(255)


def test_tabulate_classes_exact_partial_pixels():
    zone = gk(box(X0 + 500, Y0, X0 + 3000, Y0 + 2000), zid=["z"])  # half a column of forest cut off
    t = tabulate_classes(_synthetic_landcover(), zone, zone_id="zid").set_index("class")
    assert t.loc[1, "frac"] == pytest.approx(1.5 / 2.5)
    assert t.loc[12, "frac"] == pytest.approx(1.0 / 2.5)
    assert t["area_m2"].sum() == pytest.approx(zone.to_crs(AREA_CRS).area.iloc[0], rel=1e-12)


def test_forest_coverage_synthetic_and_gap(catalog):
    counties = gk(box(X0, Y0, X0 + 4000, Y0 + 4000), adcode=[1], name=["测试县"], name_en=["Test"])
    lc = _synthetic_landcover()
    lc.attrs["class_scheme"] = "igbp"
    f = forest_coverage(lc, counties, catalog=catalog)
    row = f.iloc[0]
    assert row["share_strict"] == pytest.approx(8 / 16, rel=1e-6)  # nodata counts as non-forest land
    total = f.iloc[-1]
    gap_m2 = 0.286 * total["zone_area_m2"] - total["forest_strict_m2"]
    assert total["gap_strict_mu"] == pytest.approx(gap_m2 / (10000 / 15))
    assert "IGBP" in f.attrs["caveat_en"]


def test_forest_coverage_matches_supersampled_count(catalog):
    """Independent computation: rasterize the city at 1/10 of a cell and count forest sub-cells."""
    import rasterio.features
    from affine import Affine

    lc = catalog.load("landcover")
    f = forest_coverage(lc, catalog=catalog)
    city = catalog.load("counties").union_all()
    t = lc.rio.transform()
    fine = Affine(t.a / 10, t.b, t.c, t.d, t.e / 10, t.f)
    shape = (lc.shape[0] * 10, lc.shape[1] * 10)
    mask = rasterio.features.rasterize([(city, 1)], out_shape=shape, transform=fine).astype(bool)
    up = np.repeat(np.repeat(lc.values, 10, axis=0), 10, axis=1)
    lat = np.repeat(lc.y.values, 10)[:, None] * np.ones((1, shape[1]))
    w = np.cos(np.radians(lat))  # cell area on the sphere scales with cos(lat)
    forest = np.isin(up, [1, 2, 3, 4, 5, 8])  # IGBP forests and woody savannas = common class forest
    share = (w * (forest & mask)).sum() / (w * mask).sum()
    assert f.iloc[-1]["share_strict"] == pytest.approx(share, abs=0.003)


# IGBP -> WorldCover -> CLCD codes of the same land (forest, shrub, grass, cropland, built, water)
SAME_LAND = {"igbp": [4, 7, 10, 12, 13, 17], "worldcover": [10, 20, 30, 40, 50, 80], "clcd": [2, 3, 4, 1, 8, 5]}


def _coded(scheme: str, rng_seed: int = 3) -> xr.DataArray:
    """The same 12 x 12 km land coded in ``scheme``, 1 km cells, one nodata cell."""
    idx = np.random.default_rng(rng_seed).integers(0, 6, size=(12, 12))
    data = np.asarray(SAME_LAND[scheme], dtype="uint8")[idx]
    data[0, 0] = 255
    da = xr.DataArray(
        data,
        dims=("y", "x"),
        coords={"y": Y0 + 11_500 - np.arange(12) * 1000.0, "x": X0 + 500 + np.arange(12) * 1000.0},
    )
    da = da.rio.write_crs(4546).rio.write_nodata(255)
    da.attrs["class_scheme"] = scheme
    return da


def test_forest_coverage_is_the_same_in_every_class_scheme(catalog):
    """Bug 1: WorldCover-coded land read as IGBP gave 0 % forest."""
    counties = gk(box(X0, Y0, X0 + 12_000, Y0 + 12_000), adcode=[1], name=["测试县"], name_en=["Test"])
    results = {s: forest_coverage(_coded(s), counties, catalog=catalog).iloc[-1] for s in SAME_LAND}
    idx = np.random.default_rng(3).integers(0, 6, size=(12, 12))
    idx[0, 0] = -1
    for scheme, row in results.items():
        assert row["share_strict"] == pytest.approx((idx == 0).sum() / 144, rel=1e-9), scheme
        assert row["share_broad"] == pytest.approx(np.isin(idx, [0, 1]).sum() / 144, rel=1e-9), scheme


def test_forest_coverage_needs_the_class_scheme(catalog):
    counties = gk(box(X0, Y0, X0 + 12_000, Y0 + 12_000), adcode=[1], name=["测试县"], name_en=["Test"])
    lc = _coded("worldcover")
    del lc.attrs["class_scheme"]
    with pytest.raises(InputError, match="which class scheme"):
        forest_coverage(lc, counties, catalog=catalog)
    lc.attrs["class_scheme"] = "igbp"  # WorldCover codes declared as IGBP: 20, 30 ... are not IGBP codes
    with pytest.raises(InputError, match=r"code\(s\) \[20, 30, 40, 50, 80\]"):
        forest_coverage(lc, counties, catalog=catalog)


def test_redline_cover_weight_is_the_same_in_every_class_scheme(catalog):
    from linfen_geo.landcover import common_classes
    from linfen_geo.layers.redlines import importance_score

    g = catalog.plan["greening"]
    model = {**catalog.plan["redline_model"], "classes": g["classes"]}
    z = np.arange(144.0).reshape(12, 12)
    mask = np.ones((12, 12), dtype=bool)
    scores = [
        importance_score(
            z, z.T, common_classes(_coded(s), g["classes"], g["class_maps"]).values.astype(float), mask, model
        )
        for s in SAME_LAND
    ]
    np.testing.assert_array_equal(scores[0], scores[1])
    np.testing.assert_array_equal(scores[0], scores[2])


def test_tabulate_refuses_zones_outside_raster():
    zone = gk(box(X0 + 10_000, Y0, X0 + 12_000, Y0 + 2000), zid=["far"])
    with pytest.raises(lg.InputError, match="beyond the raster"):
        tabulate_classes(_synthetic_landcover(), zone, zone_id="zid")


def test_outputs_are_plain_frames(catalog):
    assert isinstance(overlap_matrix(["barriers", "reserves"], catalog=catalog), pd.DataFrame)
    assert shapely.__version__ >= "2"


def test_official_redlines_replace_the_model_everywhere(fresh_catalog, tmp_path):
    """A user's red-line file changes every analysis that reads red lines: coverage, indicator, siting."""
    from linfen_geo.analysis.siting import check_siting

    seat = fresh_catalog.load("county_seats").set_index("name").to_crs(4546).loc["吉县", "geometry"]
    square = box(seat.x + 5000, seat.y - 5000, seat.x + 15000, seat.y + 5000)  # 100 km2 east of 吉县
    official = gk(square, BSM=["HX-OFFICIAL-1"], MC=["官方红线测试"])
    path = tmp_path / "redlines_official.gpkg"
    official.to_file(path)
    fresh_catalog.use("redlines", path, columns={"redline_id": "BSM", "name": "MC"}, source="test official file")
    assert fresh_catalog.status("redlines") == "official"
    area = gpd.GeoSeries([square], crs=4546).to_crs(AREA_CRS).area.iloc[0]
    city = coverage("redlines", "city", catalog=fresh_catalog)
    assert city["covered_m2"].iloc[0] == pytest.approx(area, rel=1e-6)
    share = redline_share(catalog=fresh_catalog)
    assert share.iloc[-1]["covered_m2"] == pytest.approx(area, rel=1e-6)
    site = gpd.GeoSeries([box(seat.x + 9000, seat.y - 500, seat.x + 10000, seat.y + 500)], crs=4546)
    report = check_siting(site, catalog=fresh_catalog)
    row = report.to_frame().query("layer == 'redlines'").iloc[0]
    assert row["feature_id"] == "HX-OFFICIAL-1"
    assert report.summary()["verdict"].iloc[0] == "prohibited"
    assert "redlines" not in report.illustrative_layers

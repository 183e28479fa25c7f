"""Tests of linfen_geo.io.chinacoords: WGS 84 <-> GCJ-02 <-> BD-09 conversions.

Reference values are copied from the test suites of independent public projects
(each cited next to its numbers); the round-trip, offset and vectorisation tests
check properties that do not depend on any outside source.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from linfen_geo.errors import CRSError, InputError
from linfen_geo.io import chinacoords as cc

GEOD = Geod(ellps="WGS84")

LINFEN_CITY = (111.52, 36.08)


def _dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    return GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())[2].reshape(lon1.shape)


@pytest.fixture(scope="module")
def linfen_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 0.05-degree grid over the Linfen region, 110-113 E, 35-37.2 N (61 x 45 points)."""
    lon, lat = np.meshgrid(np.linspace(110.0, 113.0, 61), np.linspace(35.0, 37.2, 45))
    return lon, lat


# --------------------------------------------------------------------------- published reference values

# WGS 84 -> GCJ-02, as (wgs_lon, wgs_lat, gcj_lon, gcj_lat)
WGS_TO_GCJ_REFERENCES = [
    # wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915)
    # (the same pair is asserted in dromara/hutool CoordinateUtilTest.java and athxx/coordtransform-rs tests)
    pytest.param(116.404, 39.915, 116.41024449916938, 39.91640428150164, id="wandergis-beijing"),
    # googollee/eviltransform, python/test.py and go/transform_test.go, TESTS (given there as lat, lng)
    pytest.param(121.5272106, 31.1774276, 121.531541859215, 31.17530398364597, id="eviltransform-shanghai"),
    pytest.param(113.912316, 22.543847, 113.9171764808363, 22.540796131694766, id="eviltransform-shenzhen"),
    pytest.param(116.377817, 39.911954, 116.38404722455657, 39.91334545536069, id="eviltransform-beijing"),
    # hujiulong/gcoord, test/unit/transform.spec.js: transform([123, 45], WGS84, GCJ02) (8 decimals)
    pytest.param(123.0, 45.0, 123.00607541, 45.00197815, id="gcoord-123-45"),
]

# GCJ-02 -> BD-09, as (gcj_lon, gcj_lat, bd_lon, bd_lat)
GCJ_TO_BD_REFERENCES = [
    # wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915) (also dromara/hutool CoordinateUtilTest)
    pytest.param(116.404, 39.915, 116.41036949371029, 39.92133699351021, id="wandergis-beijing"),
    # hujiulong/gcoord, test/unit/transform.spec.js: transform([123, 45], GCJ02, BD09) (8 decimals)
    pytest.param(123.0, 45.0, 123.00636499, 45.00636899, id="gcoord-123-45"),
    # hujiulong/gcoord, test/fixtures/china-cities.json, 运城市 (Yuncheng, Shanxi, Linfen's southern
    # neighbour): GCJ02 [111.0075355, 35.0264171] -> BD09 [111.0139261, 35.0327206] (7 decimals)
    pytest.param(111.0075355, 35.0264171, 111.0139261, 35.0327206, id="gcoord-fixture-yuncheng"),
]

# BD-09 -> GCJ-02 as published, (bd_lon, bd_lat, gcj_lon, gcj_lat). These were produced with the usual
# one-step closed-form inverse, which is off by up to ~2e-6 deg; chinacoords inverts exactly.
BD_TO_GCJ_REFERENCES = [
    # wandergis/coordtransform, test/app.js: bd09togcj02(116.404, 39.915)
    pytest.param(116.404, 39.915, 116.39762729119315, 39.90865673957631, id="wandergis-beijing"),
    # hujiulong/gcoord, test/unit/transform.spec.js: transform([123, 45], BD09, GCJ02) (8 decimals)
    pytest.param(123.0, 45.0, 122.99363304, 44.99365430, id="gcoord-123-45"),
    # Bing.Utils (bing-framework) tests, CoordinateConvTest.cs: BD09ToGCJ02(113.331073, 23.112214)
    pytest.param(113.331073, 23.112214, 113.32453135630236, 23.106450240552665, id="bing-guangzhou"),
]


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), WGS_TO_GCJ_REFERENCES)
def test_wgs84_to_gcj02_matches_published(lon, lat, glon, glat):
    got = cc.wgs84_to_gcj02(lon, lat)
    assert got == pytest.approx((glon, glat), abs=1e-6)


@pytest.mark.parametrize(("lon", "lat", "glon", "glat"), WGS_TO_GCJ_REFERENCES)
def test_gcj02_to_wgs84_inverts_published(lon, lat, glon, glat):
    # the exact inverse must recover the published WGS 84 input (eviltransform only asks < 0.5 m of its
    # gcj2wgs_exact; the fixed-point inverse is far tighter)
    got = cc.gcj02_to_wgs84(glon, glat)
    assert got == pytest.approx((lon, lat), abs=1e-6)
    assert _dist_m(*got, lon, lat) < 0.5


def test_gcj02_to_wgs84_matches_published_inverse():
    # hujiulong/gcoord, test/unit/transform.spec.js: transform([123, 45], GCJ02, WGS84) = (122.99395597, 44.99804071)
    # (asserted there to 5 decimals); the same WGS 84 point appears in dromara/hutool CoordinateUtilTest
    # (wgs84toBd09Test2, values from https://tool.lu/coordinate/), see test_wgs84_to_bd09_matches_published.
    got = cc.gcj02_to_wgs84(123.0, 45.0)
    assert got == pytest.approx((122.99395597, 44.99804071), abs=1e-6)


@pytest.mark.parametrize(("lon", "lat", "blon", "blat"), GCJ_TO_BD_REFERENCES)
def test_gcj02_to_bd09_matches_published(lon, lat, blon, blat):
    got = cc.gcj02_to_bd09(lon, lat)
    assert got == pytest.approx((blon, blat), abs=1e-6)


@pytest.mark.parametrize(("blon", "blat", "glon", "glat"), BD_TO_GCJ_REFERENCES)
def test_bd09_to_gcj02_matches_published(blon, blat, glon, glat):
    got = cc.bd09_to_gcj02(blon, blat)
    assert got == pytest.approx((glon, glat), abs=1e-6)
    # and ours is the exact inverse of the forward formula, which the published one-step values are not
    assert cc.gcj02_to_bd09(*got) == pytest.approx((blon, blat), abs=1e-9)


def test_published_bd09_inverse_is_the_one_step_formula():
    # explains the < 1e-6 deg residual above: the wandergis value is the one-step formula to the last bit
    assert cc._bd_to_gcj_approx(np.float64(116.404), np.float64(39.915)) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-12
    )


def test_wgs84_to_bd09_matches_published():
    # wandergis/coordtransform README & dromara/hutool CoordinateUtilTest.wgs84toBd09Test: (116.404, 39.915)
    assert cc.wgs84_to_bd09(116.404, 39.915) == pytest.approx((116.41662724378733, 39.922699552216216), abs=1e-6)
    # dromara/hutool CoordinateUtilTest.wgs84toBd09Test2, values from https://tool.lu/coordinate/
    assert cc.wgs84_to_bd09(122.99395597, 44.99804071) == pytest.approx(
        (123.00636516028885, 45.0063690918959), abs=1e-6
    )
    # hujiulong/gcoord transform.spec.js: transform([123, 45], WGS84, BD09) (7 decimals)
    assert cc.wgs84_to_bd09(123.0, 45.0) == pytest.approx((123.0124491, 45.0083293), abs=1e-6)


def test_yuncheng_fixture_within_a_metre():
    # hujiulong/gcoord test/fixtures/china-cities.json, 运城市: WGS84 [111.0017421, 35.0271663] ->
    # GCJ02 [111.0075355, 35.0264171]. This fixture's WGS84/GCJ02 pairs differ from the formula by a
    # systematic ~0.67 m everywhere (provenance not documented), so only a 1 m agreement is asserted.
    got = cc.wgs84_to_gcj02(111.0017421, 35.0271663)
    assert _dist_m(*got, 111.0075355, 35.0264171) < 1.0


# --------------------------------------------------------------------------- round trips and offsets


def test_round_trip_gcj02_over_linfen(linfen_grid):
    lon, lat = linfen_grid
    back = cc.gcj02_to_wgs84(*cc.wgs84_to_gcj02(lon, lat))
    err = _dist_m(lon, lat, *back)
    assert err.shape == lon.shape
    assert err.max() < 1.0
    assert err.max() < 0.01  # documented accuracy: < 1 cm
    assert np.abs(back[0] - lon).max() < 1e-8
    assert np.abs(back[1] - lat).max() < 1e-8


def test_round_trip_bd09_over_linfen(linfen_grid):
    lon, lat = linfen_grid
    back = cc.bd09_to_wgs84(*cc.wgs84_to_bd09(lon, lat))
    err = _dist_m(lon, lat, *back)
    assert err.max() < 1.0
    assert err.max() < 0.01
    # and the intermediate GCJ-02 <-> BD-09 step on its own
    g = cc.wgs84_to_gcj02(lon, lat)
    gb = cc.bd09_to_gcj02(*cc.gcj02_to_bd09(*g))
    assert _dist_m(*g, *gb).max() < 0.01


def test_round_trip_inverse_first(linfen_grid):
    # gcj -> wgs -> gcj also closes (the inverse is a true inverse, not only a left inverse)
    lon, lat = linfen_grid
    again = cc.wgs84_to_gcj02(*cc.gcj02_to_wgs84(lon, lat))
    assert _dist_m(lon, lat, *again).max() < 0.01
    again = cc.gcj02_to_bd09(*cc.bd09_to_gcj02(lon, lat))
    assert _dist_m(lon, lat, *again).max() < 0.01


def test_offset_near_linfen_city():
    lon, lat = LINFEN_CITY
    gcj = cc.wgs84_to_gcj02(lon, lat)
    d = float(_dist_m(lon, lat, *gcj))
    assert 300.0 < d < 700.0
    # the offset is mostly eastwards here
    assert gcj[0] > lon
    assert abs(gcj[0] - lon) > 10 * abs(gcj[1] - lat)
    # BD-09 adds a further shift of similar size
    bd = cc.gcj02_to_bd09(*gcj)
    assert 500.0 < float(_dist_m(*gcj, *bd)) < 1200.0


def test_offset_is_substantial_over_linfen(linfen_grid):
    lon, lat = linfen_grid
    d = _dist_m(lon, lat, *cc.wgs84_to_gcj02(lon, lat))
    assert d.min() > 200.0
    assert d.max() < 1000.0


# --------------------------------------------------------------------------- outside China, vectorisation

OUTSIDE = [
    (2.35, 48.86),  # Paris
    (-74.0, 40.7),  # New York
    (139.69, 35.69),  # Tokyo: lon > 137.8347
    (100.5, 0.5),  # lat < 0.8293
    (71.9, 40.0),  # just west of the box
    (110.0, 56.0),  # just north of the box
]

ALL_CONVERSIONS = [
    cc.wgs84_to_gcj02,
    cc.gcj02_to_wgs84,
    cc.gcj02_to_bd09,
    cc.bd09_to_gcj02,
    cc.wgs84_to_bd09,
    cc.bd09_to_wgs84,
]


@pytest.mark.parametrize("func", ALL_CONVERSIONS, ids=lambda f: f.__name__)
def test_outside_china_unchanged(func):
    lon = np.array([p[0] for p in OUTSIDE])
    lat = np.array([p[1] for p in OUTSIDE])
    assert np.all(cc.out_of_china(lon, lat))
    out_lon, out_lat = func(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)
    # scalar path too
    for x, y in OUTSIDE:
        assert func(x, y) == (x, y)


def test_out_of_china_box():
    assert not cc.out_of_china(*LINFEN_CITY)
    assert not cc.out_of_china(72.004, 0.8293)  # edges are inside
    assert not cc.out_of_china(137.8347, 55.8271)
    assert cc.out_of_china(72.0039, 30.0)
    assert cc.out_of_china(120.0, 55.8272)


@pytest.mark.parametrize("func", ALL_CONVERSIONS, ids=lambda f: f.__name__)
def test_vectorised_equals_scalar(func):
    rng = np.random.default_rng(20240611)
    lon = np.concatenate([rng.uniform(110.0, 113.0, 20), rng.uniform(75.0, 135.0, 10), [2.35, 139.69]])
    lat = np.concatenate([rng.uniform(35.0, 37.2, 20), rng.uniform(18.0, 53.0, 10), [48.86, 35.69]])
    vlon, vlat = func(lon, lat)
    assert vlon.shape == lon.shape
    assert vlon.dtype == np.float64
    for i in range(lon.size):
        slon, slat = func(float(lon[i]), float(lat[i]))
        assert np.ndim(slon) == 0
        assert isinstance(slon, float)
        assert slon == pytest.approx(vlon[i], abs=1e-12)
        assert slat == pytest.approx(vlat[i], abs=1e-12)
    # shape is kept for 2-D input, and lists work like arrays
    glon, glat = func(lon[:30].reshape(5, 6), lat[:30].reshape(5, 6))
    assert glon.shape == glat.shape == (5, 6)
    np.testing.assert_allclose(glon.ravel(), vlon[:30], rtol=0, atol=1e-12)
    llon, llat = func(list(lon), list(lat))
    np.testing.assert_allclose(llon, vlon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(llat, vlat, rtol=0, atol=1e-12)


def test_broadcasting_and_nan():
    lon = np.array([111.0, 111.5, 112.0, np.nan])
    glon, glat = cc.gcj02_to_wgs84(lon, 36.0)  # scalar latitude broadcasts
    assert glon.shape == glat.shape == (4,)
    assert np.isnan(glon[3])
    assert np.isnan(glat[3])
    for i in range(3):
        assert (glon[i], glat[i]) == pytest.approx(cc.gcj02_to_wgs84(lon[i], 36.0), abs=1e-12)


@pytest.mark.parametrize(
    ("src", "dst"), [("wgs84", "GCJ-02"), ("gcj02", "wgs84"), ("BD-09", "wgs84"), ("wgs84", "bd09"), ("baidu", "amap")]
)
def test_convert_dispatches(src, dst):
    lon, lat = np.array([111.2, 111.9]), np.array([35.6, 36.7])
    expected = {
        ("wgs84", "gcj02"): cc.wgs84_to_gcj02,
        ("gcj02", "wgs84"): cc.gcj02_to_wgs84,
        ("bd09", "wgs84"): cc.bd09_to_wgs84,
        ("wgs84", "bd09"): cc.wgs84_to_bd09,
        ("bd09", "gcj02"): cc.bd09_to_gcj02,
    }[(cc._system(src, "source"), cc._system(dst, "target"))](lon, lat)
    got = cc.convert(lon, lat, src, dst)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_convert_same_system_is_identity_copy():
    lon = np.array([111.5])
    out_lon, _ = cc.convert(lon, 36.0, "gcj02", "GCJ02")
    np.testing.assert_array_equal(out_lon, lon)
    assert out_lon is not lon


@pytest.mark.parametrize("bad", ["utm", "cgcs2000", "", None])
def test_unknown_system_raises_input_error(bad):
    with pytest.raises(InputError, match="coordinate system"):
        cc.convert(111.5, 36.0, bad, "wgs84")
    with pytest.raises(InputError):
        cc.convert(111.5, 36.0, "wgs84", bad)
    with pytest.raises(InputError):
        cc.transform_geometry(Point(111.5, 36.0), bad, "wgs84")
    with pytest.raises(InputError):
        cc.to_wgs84(gpd.GeoSeries([Point(111.5, 36.0)]), bad)


# --------------------------------------------------------------------------- geometries


def _polygon_with_hole() -> Polygon:
    shell = [(111.3, 35.9), (111.8, 35.9), (111.8, 36.3), (111.3, 36.3), (111.3, 35.9)]
    hole = [(111.45, 36.0), (111.6, 36.0), (111.6, 36.15), (111.45, 36.0)]
    return Polygon(shell, [hole])


@pytest.mark.parametrize(("src", "dst"), [("wgs84", "gcj02"), ("gcj02", "wgs84"), ("bd09", "wgs84"), ("wgs84", "bd09")])
def test_transform_geometry_polygon_equals_per_coordinate(src, dst):
    poly = _polygon_with_hole()
    out = cc.transform_geometry(poly, src, dst)
    assert isinstance(out, Polygon)
    assert len(out.interiors) == 1
    func = cc._CONVERTERS[(src, dst)]
    for ring_in, ring_out in zip([poly.exterior, *poly.interiors], [out.exterior, *out.interiors], strict=True):
        xy_in = np.asarray(ring_in.coords)
        xy_out = np.asarray(ring_out.coords)
        assert xy_out.shape == xy_in.shape
        for (x, y), (ox, oy) in zip(xy_in, xy_out, strict=True):
            ex, ey = func(float(x), float(y))
            assert ox == pytest.approx(ex, abs=1e-12)
            assert oy == pytest.approx(ey, abs=1e-12)


def test_transform_geometry_array_mixed_types_and_none():
    geoms = np.array(
        [
            Point(111.52, 36.08),
            LineString([(111.0, 35.5), (112.0, 36.5)]),
            MultiPolygon([_polygon_with_hole(), Polygon([(112.0, 36.5), (112.2, 36.5), (112.1, 36.7)])]),
            None,
        ],
        dtype=object,
    )
    out = cc.transform_geometry(geoms, "wgs84", "gcj02")
    assert isinstance(out, np.ndarray)
    assert out.shape == (4,)
    assert out[3] is None
    assert list(shapely.get_type_id(out[:3])) == list(shapely.get_type_id(geoms[:3]))
    xy_in = shapely.get_coordinates(geoms)
    xy_out = shapely.get_coordinates(out)
    ex, ey = cc.wgs84_to_gcj02(xy_in[:, 0], xy_in[:, 1])
    np.testing.assert_allclose(xy_out[:, 0], ex, rtol=0, atol=1e-12)
    np.testing.assert_allclose(xy_out[:, 1], ey, rtol=0, atol=1e-12)
    # and back
    back = cc.transform_geometry(out, "gcj02", "wgs84")
    np.testing.assert_allclose(shapely.get_coordinates(back), xy_in, rtol=0, atol=1e-9)


def test_transform_geometry_keeps_z():
    p = Point(111.52, 36.08, 450.0)
    out = cc.transform_geometry(p, "wgs84", "bd09")
    assert out.has_z
    assert out.z == 450.0
    assert (out.x, out.y) == pytest.approx(cc.wgs84_to_bd09(111.52, 36.08), abs=1e-12)


def test_transform_geometry_same_system_returns_input():
    p = Point(111.52, 36.08)
    assert cc.transform_geometry(p, "gcj02", "GCJ-02") is p


# --------------------------------------------------------------------------- GeoPandas


@pytest.mark.parametrize("crs", [None, "EPSG:4326", "EPSG:4490"])
@pytest.mark.parametrize("src", ["gcj02", "bd09"])
def test_to_wgs84_geodataframe(crs, src):
    wgs = gpd.GeoDataFrame(
        {"name": ["a", "b"], "value": [1, 2]},
        geometry=[Point(111.52, 36.08), _polygon_with_hole()],
        crs="EPSG:4326",
        index=[10, 20],
    )
    shifted = wgs.copy()
    shifted.geometry = cc.transform_geometry(np.asarray(wgs.geometry.array), "wgs84", src)
    shifted = shifted.set_crs(crs, allow_override=True) if crs else shifted.set_crs(None, allow_override=True)

    out = cc.to_wgs84(shifted, src)
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs.to_epsg() == 4326
    assert list(out.index) == [10, 20]
    assert list(out["name"]) == ["a", "b"]
    assert list(out["value"]) == [1, 2]
    np.testing.assert_allclose(
        shapely.get_coordinates(out.geometry.array), shapely.get_coordinates(wgs.geometry.array), rtol=0, atol=1e-9
    )
    # the input is not modified
    assert shapely.get_coordinates(shifted.geometry.array)[0, 0] != pytest.approx(111.52, abs=1e-4)


def test_to_wgs84_geoseries_and_custom_geometry_column():
    gs = gpd.GeoSeries([Point(*cc.wgs84_to_gcj02(*LINFEN_CITY))], index=["linfen"], name="pt")
    out = cc.to_wgs84(gs, "gcj02")
    assert isinstance(out, gpd.GeoSeries)
    assert out.crs.to_epsg() == 4326
    assert out.name == "pt"
    assert list(out.index) == ["linfen"]
    assert (out.x.iloc[0], out.y.iloc[0]) == pytest.approx(LINFEN_CITY, abs=1e-9)

    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=gpd.GeoSeries(gs.values), crs=4490).rename_geometry("shape")
    out = cc.to_wgs84(gdf, "GCJ-02")
    assert out.geometry.name == "shape"
    assert out.crs.to_epsg() == 4326
    assert (out.geometry.x.iloc[0], out.geometry.y.iloc[0]) == pytest.approx(LINFEN_CITY, abs=1e-9)


def test_to_wgs84_rejects_projected_crs():
    gdf = gpd.GeoDataFrame(geometry=[Point(500000, 4000000)], crs="EPSG:4546")
    with pytest.raises(CRSError, match="EPSG:4326"):
        cc.to_wgs84(gdf, "gcj02")


def test_transform_geometry_shapely20_fallback(monkeypatch):
    # the code path used with shapely 2.0 (no include_z=None) gives the same result and keeps Z
    geoms = np.array([Point(111.52, 36.08, 450.0), _polygon_with_hole(), None], dtype=object)
    expected = cc.transform_geometry(geoms, "wgs84", "gcj02")
    monkeypatch.setattr(cc, "_SHAPELY_KEEPS_Z", False)
    got = cc.transform_geometry(geoms, "wgs84", "gcj02")
    assert got[2] is None
    assert got[0].has_z
    assert got[0].z == 450.0
    assert not got[1].has_z
    assert all(shapely.equals_exact(got[:2], expected[:2], tolerance=0))
    single = cc.transform_geometry(geoms[0], "wgs84", "gcj02")
    assert single.has_z
    assert shapely.equals_exact(single, expected[0], tolerance=0)

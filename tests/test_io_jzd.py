"""Tests of the 界址点 TXT reader/writer (linfen_geo.io.jzd)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon, box

from linfen_geo.errors import CRSError, InputError
from linfen_geo.io.jzd import gk_crs, looks_like_jzd, read_jzd, write_jzd

HEADER = """[属性描述]
格式版本号=1.01版本
数据产生单位=临汾市自然资源局
数据产生日期=2024-05-01
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=37
精度=0.01
转换参数=,,,,,,
[地块坐标]
"""

# 300 m (east) x 400 m (north) square at the central meridian, eastings with the zone-37 prefix
SQUARE = """5,12.0000,1,光伏项目一期,面,,光伏,0601,@
J1,1,4000000.000,37500000.000
J2,1,4000000.000,37500300.000
J3,1,4000400.000,37500300.000
J4,1,4000400.000,37500000.000
J1,1,4000000.000,37500000.000
"""

# 1000 m x 1000 m parcel with a 100 m x 200 m hole (ring 2 inside ring 1, not closed on purpose)
WITH_HOLE = """9,98.0000,2,风电场,面,,风电,0602,@
J1,1,4010000.000,37510000.000
J2,1,4010000.000,37511000.000
J3,1,4011000.000,37511000.000
J4,1,4011000.000,37510000.000
J1,1,4010000.000,37510000.000
J5,2,4010400.000,37510400.000
J6,2,4010400.000,37510500.000
J7,2,4010600.000,37510500.000
J8,2,4010600.000,37510400.000
"""

# two separate 100 m squares: ring 2 lies outside ring 1
TWO_PARTS = """10,2.0000,3,储能站,面,,储能,,@
J1,1,4020000.000,37520000.000
J2,1,4020000.000,37520100.000
J3,1,4020100.000,37520100.000
J4,1,4020100.000,37520000.000
J1,1,4020000.000,37520000.000
J5,2,4020500.000,37520500.000
J6,2,4020500.000,37520600.000
J7,2,4020600.000,37520600.000
J8,2,4020600.000,37520500.000
J5,2,4020500.000,37520500.000
"""


def _write(tmp_path, text, name="parcels.txt", encoding="utf-8", newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def _tm_params(crs):
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    return params["Longitude of natural origin"], params["False easting"]


def test_gk_crs_codes_match_their_projection():
    # verify the EPSG arithmetic against pyproj's definitions, not our own table
    for zone in range(25, 46):
        for prefix in (True, False):
            crs = gk_crs(zone, prefix=prefix)
            assert _tm_params(crs) == (3 * zone, (zone * 1_000_000 if prefix else 0) + 500_000)
            assert "CGCS2000" in crs.name
    for zone in range(13, 24):
        for prefix in (True, False):
            crs = gk_crs(zone, width=6, prefix=prefix)
            assert _tm_params(crs) == (6 * zone - 3, (zone * 1_000_000 if prefix else 0) + 500_000)
    assert gk_crs(37) == CRS.from_epsg(4525)
    assert gk_crs(cm=111, prefix=False) == CRS.from_epsg(4546)
    with pytest.raises(CRSError, match="outside the valid range"):
        gk_crs(50)


def test_single_square_exact_area_crs_and_centroid(tmp_path):
    gdf = read_jzd(_write(tmp_path, HEADER + SQUARE))
    assert gdf.crs.to_epsg() == 4525
    assert list(gdf.columns) == ["site_id", "name", "declared_area_ha", "use", "landclass", "geometry"]
    row = gdf.iloc[0]
    assert (row.site_id, row["name"], row.use, row.landclass) == ("1", "光伏项目一期", "光伏", "0601")
    assert row.declared_area_ha == 12.0
    assert isinstance(row.geometry, Polygon)
    assert row.geometry.area == 120_000.0  # exact, in the GK plane
    assert row.geometry.bounds == (37_500_000.0, 4_000_000.0, 37_500_300.0, 4_000_400.0)
    assert gdf.attrs["warnings"] == []
    lonlat = gdf.geometry.centroid.to_crs(4326).iloc[0]
    # easting 500000 is the central meridian 111E; the square extends 300 m east (~0.0017 deg)
    assert lonlat.x == pytest.approx(111.0, abs=0.002)
    assert lonlat.x > 111.0
    assert 36.0 < lonlat.y < 36.2


def test_hole_is_subtracted_exactly(tmp_path):
    gdf = read_jzd(_write(tmp_path, HEADER + WITH_HOLE))
    geom = gdf.geometry.iloc[0]
    assert isinstance(geom, Polygon)
    assert len(geom.interiors) == 1
    assert geom.area == 1_000_000.0 - 100.0 * 200.0
    assert geom.is_valid


def test_ring_outside_exterior_makes_a_second_part(tmp_path):
    gdf = read_jzd(_write(tmp_path, HEADER + TWO_PARTS))
    geom = gdf.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon)
    assert len(geom.geoms) == 2
    assert geom.area == 20_000.0
    assert gdf.attrs["warnings"] == []  # declared 2 ha matches


def test_several_parcels_and_area_warning(tmp_path):
    text = HEADER + SQUARE.replace("12.0000", "12.3456") + "\n\n" + WITH_HOLE + TWO_PARTS
    gdf = read_jzd(_write(tmp_path, text))
    assert gdf["site_id"].tolist() == ["1", "2", "3"]
    assert gdf["name"].tolist() == ["光伏项目一期", "风电场", "储能站"]
    np.testing.assert_array_equal(gdf.area.to_numpy(), [120_000.0, 980_000.0, 20_000.0])
    warnings = gdf.attrs["warnings"]
    # 12.3456 ha declared vs 12.0 ha measured (2.9 % off); the other two match within 1 %
    assert len(warnings) == 1
    assert "'1'" in warnings[0]
    assert "12.3456" in warnings[0]


def test_gbk_crlf_equals_utf8_lf(tmp_path):
    text = HEADER + SQUARE + WITH_HOLE + TWO_PARTS
    a = read_jzd(_write(tmp_path, text, "gbk.txt", encoding="gbk", newline="\r\n"))
    b = read_jzd(_write(tmp_path, text, "utf8.txt", encoding="utf-8", newline="\n"))
    c = read_jzd(_write(tmp_path, "\ufeff" + text.replace("\n", "  \n"), "bom.txt", encoding="utf-8"))
    assert a.attrs["encoding"] == "gb18030"
    assert b.attrs["encoding"] == "utf-8"
    for other in (b, c):
        assert other["name"].tolist() == a["name"].tolist() == ["光伏项目一期", "风电场", "储能站"]
        assert all(shapely.equals_exact(a.geometry.values, other.geometry.values, tolerance=0))
        assert other.crs == a.crs


def test_explicit_encoding_wins_and_bad_encoding_fails(tmp_path):
    path = _write(tmp_path, HEADER + SQUARE, encoding="gbk")
    assert read_jzd(path, encoding="gbk")["name"].iloc[0] == "光伏项目一期"
    with pytest.raises(InputError, match="cannot decode as utf-8"):
        read_jzd(path, encoding="utf-8")


def test_text_input_without_prefix_and_6_degree_zone():
    no_prefix = (HEADER + SQUARE).replace("375", "5")  # eastings 500000..500300 with 带号=37
    gdf = read_jzd(no_prefix)
    assert gdf.crs.to_epsg() == 4546
    assert gdf.geometry.iloc[0].area == 120_000.0
    six = (HEADER + SQUARE).replace("几度分带=3", "几度分带=6").replace("带号=37", "带号=19").replace("375", "195")
    assert read_jzd(six).crs.to_epsg() == 4497


def test_distant_zone_recorded_and_invalid_zone_rejected():
    far = (HEADER + SQUARE).replace("带号=37", "带号=40").replace("375", "405")
    gdf = read_jzd(far)
    assert gdf.crs.to_epsg() == 4528
    assert any("far from Linfen" in w for w in gdf.attrs["warnings"])
    with pytest.raises(CRSError, match="zone number 50"):
        read_jzd((HEADER + SQUARE).replace("带号=37", "带号=50").replace("375", "505"))
    with pytest.raises(CRSError, match="带号=38 but the eastings carry zone prefix 37"):
        read_jzd((HEADER + SQUARE).replace("带号=37", "带号=38"))


def test_missing_zone_is_assumed_and_recorded():
    text = (HEADER + SQUARE).replace("带号=37\n", "").replace("375", "5")
    gdf = read_jzd(text)
    assert gdf.crs.to_epsg() == 4546
    assert any("带号 missing" in w for w in gdf.attrs["warnings"])


def test_roundtrip_write_read(tmp_path):
    src = read_jzd(HEADER + SQUARE + WITH_HOLE + TWO_PARTS)
    for kwargs in ({}, {"encoding": "utf-8", "crlf": False, "with_prefix": False}):
        out = write_jzd(src.to_crs(4326), tmp_path / "out.txt", overwrite=True, **kwargs)
        raw = out.read_bytes()
        assert (b"\r\n" in raw) == kwargs.get("crlf", True)
        back = read_jzd(out)
        assert back.crs.to_epsg() == (4546 if kwargs else 4525)
        back = back.to_crs(src.crs)
        assert back["site_id"].tolist() == src["site_id"].tolist()
        assert back["name"].tolist() == src["name"].tolist()
        assert back["use"].tolist() == src["use"].tolist()
        assert back["landclass"].tolist() == src["landclass"].tolist()
        assert [g.geom_type for g in back.geometry] == [g.geom_type for g in src.geometry]
        assert all(shapely.equals_exact(back.geometry.values, src.geometry.values, tolerance=0.001))
        np.testing.assert_allclose(back["declared_area_ha"], src.area / 10_000, atol=1e-4)
        assert back.attrs["warnings"] == []


def test_write_lines_points_and_island(tmp_path):
    lake = box(500000, 4000000, 501000, 4001000).difference(box(500200, 4000200, 500800, 4000800))
    island = box(500400, 4000400, 500600, 4000600)
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    gdf = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c"], "name": ["湖,岛", "线路", "风机"]},
        geometry=[lake.union(island), LineString([(500000, 4e6), (500100, 4000100)]), Point(500050, 4000050)],
        crs=4546,
    )
    back = read_jzd(write_jzd(gdf, tmp_path / "mixed.txt"))
    assert back["name"].tolist() == ["湖，岛", "线路", "风机"]  # commas cannot survive the CSV-like format
    assert back.geometry.iloc[0].area == pytest.approx(lake.area + island.area)
    assert len(back.geometry.iloc[0].geoms) == 2
    assert back.geometry.iloc[1].geom_type == "LineString"
    assert back.geometry.iloc[2].geom_type == "Point"


def test_malformed_row_names_line(tmp_path):
    text = HEADER + SQUARE.replace("J3,1,4000400.000,37500300.000", "J3,1,4000400.000,abc")
    with pytest.raises(InputError, match=r"line 16: expected 点号,圈号,X,Y"):
        read_jzd(_write(tmp_path, text))
    with pytest.raises(InputError, match=r"line 13: coordinate row before any parcel header"):
        read_jzd(HEADER + "J1,1,4000000,37500000\n")
    with pytest.raises(InputError, match="line 15: expected"):
        read_jzd(HEADER + SQUARE.replace("J2,1,4000000.000,37500300.000", "J2,1"))
    with pytest.raises(InputError, match="fewer than 3 distinct points"):
        read_jzd(HEADER + "2,,x,y,面,,,,@\nJ1,1,4000000,37500000\nJ2,1,4000001,37500000\n")


def test_xian80_and_beijing54_need_transformation():
    for datum in ("1980西安坐标系", "北京54坐标系"):
        with pytest.raises(CRSError, match="7-parameter transformation"):
            read_jzd((HEADER + SQUARE).replace("2000国家大地坐标系", datum))
    gdf = read_jzd((HEADER + SQUARE).replace("2000国家大地坐标系", "1980西安坐标系"), crs=2361)
    assert gdf.crs.to_epsg() == 2361


def test_header_contradicting_crs_argument():
    with pytest.raises(CRSError, match="header defines EPSG:4525"):
        read_jzd(HEADER + SQUARE, crs=4546)
    assert read_jzd(HEADER + SQUARE, crs=4525).crs.to_epsg() == 4525


def test_missing_and_empty(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_jzd(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="empty"):
        read_jzd(_write(tmp_path, "", "empty.txt"))
    with pytest.raises(InputError, match="no parcels"):
        read_jzd(HEADER)


def test_looks_like_jzd():
    assert looks_like_jzd(HEADER + SQUARE)
    assert not looks_like_jzd("POINT (1 2)")


def test_self_intersecting_ring_is_kept_and_reported():
    bowtie = """4,,9,交叉,面,,,,@
J1,1,4000000,37500000
J2,1,4000100,37500100
J3,1,4000000,37500100
J4,1,4000100,37500000
J5,2,4000040,37500045
J6,2,4000040,37500055
J7,2,4000045,37500050
"""
    gdf = read_jzd(HEADER + bowtie)
    assert not gdf.geometry.iloc[0].is_valid
    assert any("invalid" in w for w in gdf.attrs["warnings"])

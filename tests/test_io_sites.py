"""Tests of read_sites (linfen_geo.io.sites): every input format, CRS handling and the checks.

All fixtures are generated in ``tmp_path``.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from linfen_geo.errors import CRSError, InputError
from linfen_geo.io.jzd import write_jzd
from linfen_geo.io.sites import infer_crs, read_sites
from linfen_geo.io.sites import kml as sites_kml

NAMES = ["光伏项目一期", "风电场", "储能站"]


@pytest.fixture
def base() -> gpd.GeoDataFrame:
    """Three sites around Linfen in WGS 84: a polygon with a hole, a line, a point; GBK-only Chinese text."""
    outer = box(111.50, 36.05, 111.53, 36.08)
    hole = box(111.51, 36.06, 111.52, 36.07)
    return gpd.GeoDataFrame(
        {"编号": ["A1", "A2", "A3"], "名称": NAMES, "容量MW": [100.0, 50.5, 20.0]},
        geometry=[outer.difference(hole), LineString([(111.6, 36.1), (111.7, 36.2)]), Point(111.4, 35.9)],
        crs=4326,
    )


@pytest.fixture
def polys(base) -> gpd.GeoDataFrame:
    """Like ``base`` but all polygons (a shapefile holds one geometry type)."""
    return base.assign(
        geometry=[base.geometry.iloc[0], box(111.6, 36.1, 111.62, 36.13), box(111.3, 35.8, 111.31, 35.81)]
    )


def _assert_same_geometries(result: gpd.GeoDataFrame, expected: gpd.GeoDataFrame, tol: float = 1e-9) -> None:
    assert result.crs.to_epsg() == 4326
    assert len(result) == len(expected)
    got = shapely.normalize(result.geometry.values)
    want = shapely.normalize(expected.to_crs(4326).geometry.values)
    assert all(shapely.equals_exact(got, want, tolerance=tol))


def _one_line_error(excinfo: pytest.ExceptionInfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


# --------------------------------------------------------------------------- GDAL formats


def test_geojson(tmp_path, base):
    path = tmp_path / "sites.geojson"
    base.to_file(path)
    out = read_sites(path)
    _assert_same_geometries(out, base)
    assert out["site_id"].tolist() == ["A1", "A2", "A3"]
    assert out["name"].tolist() == NAMES
    assert list(out.columns[:2]) == ["site_id", "name"]
    assert out.columns[-1] == "geometry"
    assert out["容量MW"].tolist() == [100.0, 50.5, 20.0]
    assert out.attrs["source"] == str(path)
    assert out.attrs["source_crs"] == "EPSG:4326"
    assert out.attrs["crs_assumed"] is False
    assert out.attrs["repaired"] == 0
    assert out.attrs["id_column"] == "编号"


def test_geopackage_layers(tmp_path, base):
    path = tmp_path / "sites.gpkg"
    base.to_file(path, layer="first")
    other = base.iloc[:1].to_crs(4546).assign(编号=["B1"])
    other.to_file(path, layer="second")
    out = read_sites(path)
    _assert_same_geometries(out, base)
    assert out.attrs["layer"] == "first"
    assert any("layer=" in w for w in out.attrs["warnings"])
    second = read_sites(path, layer="second")
    assert second["site_id"].tolist() == ["B1"]
    assert second.attrs["source_crs"] == "EPSG:4546"
    assert second.geometry.iloc[0].equals_exact(base.geometry.iloc[0], 1e-9)
    with pytest.raises(InputError, match="no layer 'third'") as exc:
        read_sites(path, layer="third")
    assert "first, second" in _one_line_error(exc)


def test_shapefile_gbk_without_cpg(tmp_path, polys):
    path = tmp_path / "sites.shp"
    polys[["编号", "名称", "geometry"]].to_file(path, encoding="gbk")
    (tmp_path / "sites.cpg").unlink()
    out = read_sites(path)
    assert out["name"].tolist() == NAMES
    assert out["site_id"].tolist() == ["A1", "A2", "A3"]
    assert out.attrs["encoding"] == "gb18030"
    _assert_same_geometries(out, polys, tol=1e-9)
    # an explicit encoding wins
    assert read_sites(path, encoding="gbk")["名称"].tolist() == NAMES


def test_shapefile_utf8_and_cpg(tmp_path, polys):
    path = tmp_path / "sites.shp"
    polys[["编号", "名称", "geometry"]].to_file(path, encoding="utf-8")
    assert read_sites(path)["name"].tolist() == NAMES
    (tmp_path / "sites.cpg").unlink()
    out = read_sites(path)
    assert out["name"].tolist() == NAMES
    assert out.attrs["encoding"] == "utf-8"


def test_shapefile_without_prj_in_gk_metres_is_inferred(tmp_path, polys):
    path = tmp_path / "gk.shp"
    polys.to_crs(4546).to_file(path, encoding="utf-8")
    (tmp_path / "gk.prj").unlink()
    out = read_sites(path)
    assert out.attrs["source_crs"] == "EPSG:4546"
    assert out.attrs["crs_assumed"] is True
    _assert_same_geometries(out, polys, tol=1e-8)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document><name>规划</name>
<Folder><name>光伏</name>
<Placemark><name>光伏一期</name><description>南坡</description>
<ExtendedData><Data name="{field}"><value>P1</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
111.50,36.05,0 111.53,36.05,0 111.53,36.08,0 111.50,36.08,0 111.50,36.05,0
</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>111.51,36.06,0 111.52,36.06,0 111.52,36.07,0 111.51,36.07,0 111.51,36.06,0
</coordinates></LinearRing></innerBoundaryIs></Polygon>
</Placemark></Folder>
<Folder><name>风电</name>
<Placemark><name>风机1</name><Point><coordinates>111.4,35.9,0</coordinates></Point></Placemark>
<Placemark><name>集电线路</name><LineString><coordinates>111.6,36.1 111.7,36.2</coordinates></LineString></Placemark>
</Folder></Document></kml>
"""


def _kml_expected() -> list:
    outer = box(111.50, 36.05, 111.53, 36.08)
    return [
        outer.difference(box(111.51, 36.06, 111.52, 36.07)),
        Point(111.4, 35.9),
        LineString([(111.6, 36.1), (111.7, 36.2)]),
    ]


@pytest.mark.parametrize("field", ["code", "备注"])
def test_kml(tmp_path, field):
    path = tmp_path / "sites.kml"
    path.write_text(KML.format(field=field), encoding="utf-8")
    out = read_sites(path)
    assert out["name"].tolist() == ["光伏一期", "风机1", "集电线路"]
    assert out["site_id"].tolist() == ["光伏一期", "风机1", "集电线路"]  # unique names serve as ids
    # LIBKML launders 备注 into '______' unless LIBKML_LAUNDER_FIELD_NAMES=NO, set while reading
    assert out[field].tolist()[0] == "P1"
    assert out["folder"].tolist() == ["光伏", "风电", "风电"]
    assert out.geometry.has_z.sum() == 0
    for got, want in zip(out.geometry, _kml_expected(), strict=True):
        assert got.normalize().equals_exact(want.normalize(), 1e-12)
    assert out.attrs["format"] == "KML (GDAL)"
    assert out.attrs["warnings"] == []
    assert pyogrio.get_gdal_config_option("LIBKML_LAUNDER_FIELD_NAMES") is None  # restored after the read
    assert read_sites(path, layer="风电")["name"].tolist() == ["风机1", "集电线路"]
    assert read_sites(path, layer=0)["name"].tolist() == ["光伏一期"]


def test_kml_without_gdal_driver_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "sites.kml"
    path.write_text(KML.format(field="code"), encoding="utf-8")
    monkeypatch.setattr(sites_kml.pyogrio, "list_drivers", lambda *a, **k: {})
    with pytest.raises(InputError, match="no KML driver") as exc:
        read_sites(path)
    _one_line_error(exc)


@pytest.mark.parametrize(
    ("declaration", "codec", "encoding"),
    [("GBK", "gbk", None), ("GB2312", "gb2312", None), (None, "gbk", None), ("UTF-8", "gbk", "gbk")],
)
def test_kml_in_gbk_is_transcoded_for_gdal(tmp_path, declaration, codec, encoding):
    """GDAL's XML parser (expat) reads no multi-byte encoding but UTF-8/UTF-16: GBK KML fails in GDAL
    itself, so it gets a UTF-8 copy (a step around GDAL, not a KML parser)."""
    text = KML.format(field="备注")
    text = text.replace('encoding="UTF-8"', f'encoding="{declaration}"') if declaration else text.split("\n", 1)[1]
    path = tmp_path / "gbk.kml"
    path.write_bytes(text.encode(codec))
    with pytest.raises(pyogrio.errors.DataSourceError, match=r"unknown encoding|not well-formed"):
        pyogrio.list_layers(path)
    out = read_sites(path, encoding=encoding)
    assert out["name"].tolist() == ["光伏一期", "风机1", "集电线路"]
    assert out["备注"].tolist()[0] == "P1"
    assert out["folder"].tolist() == ["光伏", "风电", "风电"]
    assert out.attrs["encoding"] == (encoding or declaration or "gb18030")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_sites(path, encoding="klingon")


def test_kml_folders_are_read_in_one_pass(tmp_path, monkeypatch):
    """Folder by folder, GDAL would parse the whole file once per folder (minutes for 1000 folders):
    all folders come through one OGR VRT union layer instead."""
    placemark = "<Placemark><name>{n}</name><Point><coordinates>111.{n:03d},36.1</coordinates></Point></Placemark>"
    folders = "".join(
        f"<Folder><name>{'重名' if f < 2 else f'F{f}'}</name>{placemark.format(n=f)}</Folder>" for f in range(60)
    )
    path = tmp_path / "folders.kml"
    path.write_text(
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>doc</name>{folders}'
        f"{placemark.format(n=999)}</Document></kml>",
        encoding="utf-8",
    )
    calls = []
    read = sites_kml.pyogrio.read_dataframe
    monkeypatch.setattr(sites_kml.pyogrio, "read_dataframe", lambda *a, **k: calls.append(a) or read(*a, **k))
    out = read_sites(path)
    assert len(calls) == 1
    assert len(out) == 61
    assert out.set_index("name")["folder"].loc[["0", "1", "2", "59", "999"]].tolist() == [
        "重名",
        "重名 (#2)",  # GDAL makes layer names unique
        "F2",
        "F59",
        "doc",  # placemarks outside any folder: the document's layer
    ]


def test_kml_driver_without_libkml_reads_geometry_and_warns(tmp_path):
    """GDAL's plain KML driver (builds without LIBKML) ignores ExtendedData and cannot open a KMZ
    itself: the placemarks still read (a KMZ through /vsizip/), with a warning."""
    import os
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    import linfen_geo

    (tmp_path / "sites.kml").write_text(KML.format(field="备注"), encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "sites.kmz", "w") as z:
        z.writestr("files/main.kml", KML.format(field="备注"))
    script = (
        "import json, sys, pyogrio\n"
        "from linfen_geo.io.sites import read_sites\n"
        "assert 'LIBKML' not in pyogrio.list_drivers()\n"
        "out = {}\n"
        "for p in sys.argv[1:]:\n"
        "    s = read_sites(p)\n"
        "    out[p] = [s['name'].tolist(), s['folder'].tolist(), '备注' in s.columns, s.attrs['warnings']]\n"
        "print(json.dumps(out))\n"
    )
    repo = str(Path(linfen_geo.__file__).resolve().parents[1])  # this checkout, not an installed copy
    env = {**os.environ, "OGR_SKIP": "LIBKML", "PYTHONPATH": repo}
    paths = [str(tmp_path / "sites.kml"), str(tmp_path / "sites.kmz")]
    done = subprocess.run([sys.executable, "-c", script, *paths], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for names, folders, has_field, warnings in json.loads(done.stdout.splitlines()[-1]).values():
        assert names == ["光伏一期", "风机1", "集电线路"]
        assert folders == ["光伏", "风电", "风电"]
        assert not has_field
        assert any("ExtendedData" in w for w in warnings)


# --------------------------------------------------------------------------- text formats


def test_csv_lonlat_gbk(tmp_path):
    path = tmp_path / "points.csv"
    text = "编号,名称,经度,纬度,地类编码\n1,光伏项目一期,111.52,36.08,0601\n2,风电场,111.40,35.90,0602\n"
    path.write_bytes(text.encode("gbk"))
    out = read_sites(path)
    assert out["site_id"].tolist() == ["1", "2"]
    assert out["name"].tolist() == ["光伏项目一期", "风电场"]
    assert out["地类编码"].tolist() == ["0601", "0602"]  # codes with leading zeros stay text
    assert out.attrs["encoding"] == "gb18030"
    assert out.attrs["crs_assumed"] is True
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.values), [[111.52, 36.08], [111.40, 35.90]])
    assert "经度" not in out.columns


def test_csv_lonlat_english_names_and_dms(tmp_path):
    path = tmp_path / "dms.csv"
    path.write_text('id,Longitude,Latitude\nx1,"111°30\'36""E",36度5分\nx2,111.5,36.1\n', encoding="utf-8-sig")
    out = read_sites(path)
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.values), [[111.51, 36 + 5 / 60], [111.5, 36.1]])


def test_csv_xy_with_crs(tmp_path, base):
    pts = gpd.GeoSeries([Point(111.52, 36.08), Point(111.4, 35.9)], crs=4326)
    gk = pts.to_crs(4546)
    df = pd.DataFrame({"name": ["a", "b"], "x": gk.x, "y": gk.y})
    path = tmp_path / "xy.csv"
    df.to_csv(path, index=False)
    out = read_sites(path, crs=4546)
    assert out.attrs["source_crs"] == "EPSG:4546"
    assert out.attrs["crs_assumed"] is False
    np.testing.assert_allclose(out.geometry.x, pts.x, atol=1e-9)
    np.testing.assert_allclose(out.geometry.y, pts.y, atol=1e-9)
    # the same numbers without crs are recognised as GK metres (no zone prefix)
    assert read_sites(path).attrs["source_crs"] == "EPSG:4546"


def test_csv_wkt_column(tmp_path, base):
    df = pd.DataFrame({"ID": [7, 8, 9], "名称": NAMES, "WKT": base.geometry.to_wkt()})
    path = tmp_path / "wkt.csv"
    df.to_csv(path, index=False)
    out = read_sites(path)
    assert out["site_id"].tolist() == ["7", "8", "9"]
    _assert_same_geometries(out, base)
    assert "WKT" not in out.columns


def test_wkt_file_lines_and_single_geometry(tmp_path, base):
    path = tmp_path / "sites.wkt"
    path.write_text("\n".join(base.geometry.to_wkt()) + "\n\n", encoding="utf-8")
    out = read_sites(path)
    assert out["site_id"].tolist() == ["1", "2", "3"]
    _assert_same_geometries(out, base)
    single = tmp_path / "one.wkt"
    single.write_text("SRID=4546;POLYGON ((500000 4000000,\n 500300 4000000,\n 500300 4000400,\n 500000 4000000))\n")
    one = read_sites(single)
    assert one.attrs["source_crs"] == "EPSG:4546"
    assert one.to_crs(4546).area.iloc[0] == pytest.approx(0.5 * 300 * 400, rel=1e-9)
    bad = tmp_path / "bad.wkt"
    bad.write_text("POINT (111 36)\nPOINT (111 x)\n")
    with pytest.raises(InputError, match="line 2: not valid WKT") as exc:
        read_sites(bad)
    _one_line_error(exc)


def test_jzd_txt(tmp_path):
    gk = gpd.GeoDataFrame(
        {"site_id": ["1", "2"], "name": ["光伏项目一期", "风电场"]},
        geometry=[box(500000, 4000000, 500300, 4000400), box(510000, 4010000, 511000, 4011000)],
        crs=4546,
    )
    path = write_jzd(gk, tmp_path / "jzd.txt")
    out = read_sites(path)
    assert out.attrs["format"] == "界址点 TXT"
    assert out.attrs["source_crs"] == "EPSG:4525"
    assert out["name"].tolist() == ["光伏项目一期", "风电场"]
    assert out["declared_area_ha"].tolist() == [12.0, 100.0]
    np.testing.assert_allclose(out.to_crs(4546).area, [120_000.0, 1_000_000.0], rtol=1e-9)
    assert out.to_crs(4546).centroid.to_crs(4326).x.iloc[0] == pytest.approx(111.0, abs=0.002)


# --------------------------------------------------------------------------- Python objects


def test_shapely_geometry_with_crs():
    out = read_sites(box(500000, 4000000, 500300, 4000400), crs=4546)
    assert out.attrs["source"] == "python object"
    assert out.attrs["source_crs"] == "EPSG:4546"
    assert out["site_id"].tolist() == ["1"]
    assert out["name"].tolist() == [""]
    assert out.to_crs(4546).area.iloc[0] == pytest.approx(120_000.0, rel=1e-9)


def test_lonlat_geometries_without_crs_are_assumed_wgs84():
    out = read_sites([Point(111.5, 36.1), Point(111.6, 36.2)])
    assert out.attrs["crs_assumed"] is True
    assert out.attrs["source_crs"] == "EPSG:4326"


def test_geodataframe_in_gk_keeps_area(base):
    gk = base.to_crs(4546)
    out = read_sites(gk)
    assert out.crs.to_epsg() == 4326
    assert out.attrs["source_crs"] == "EPSG:4546"
    back = out.to_crs(4546)
    poly = gk.geom_type == "Polygon"
    np.testing.assert_allclose(back.area[poly], gk.area[poly], rtol=1e-6)
    np.testing.assert_allclose(back.length, gk.length, rtol=1e-6)
    assert out["name"].tolist() == NAMES
    assert gk.crs.to_epsg() == 4546  # the input is not modified


def test_geoseries_and_dataframe_and_dict():
    gs = gpd.GeoSeries([Point(111.5, 36.1)], crs=4326)
    assert read_sites(gs).attrs["source_crs"] == "EPSG:4326"
    df = pd.DataFrame({"lng": [111.5], "lat": [36.1], "名称": ["x"]})
    assert read_sites(df)["name"].tolist() == ["x"]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": "k"}, "geometry": {"type": "Point", "coordinates": [111.5, 36.1]}}
        ],
    }
    assert read_sites(fc)["site_id"].tolist() == ["k"]
    assert read_sites("POINT (111.5 36.1)").geometry.iloc[0].equals(Point(111.5, 36.1))


def test_gcj02_input_returns_wgs84_within_1m(tmp_path):
    chinacoords = pytest.importorskip("linfen_geo.io.chinacoords", reason="linfen_geo.io.chinacoords not available")
    if not hasattr(chinacoords, "wgs84_to_gcj02"):
        pytest.skip("chinacoords.wgs84_to_gcj02 not available")
    lon = np.array([111.52, 111.40, 111.75])
    lat = np.array([36.08, 35.90, 36.30])
    glon, glat = chinacoords.wgs84_to_gcj02(lon, lat)
    path = tmp_path / "amap.csv"
    pd.DataFrame({"lng": glon, "lat": glat}).to_csv(path, index=False)
    out = read_sites(path, crs="gcj02")
    assert out.attrs["source_crs"] == "gcj02"
    got = out.to_crs(4546)
    want = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(4546)
    assert got.distance(want).max() < 1.0
    # GCJ-02 offset is ~500 m: reading the same file as WGS 84 is visibly off
    assert read_sites(path).to_crs(4546).distance(want).min() > 100
    # a GeoJSON (always labelled WGS 84) may still be declared gcj02
    gj = tmp_path / "amap.geojson"
    gpd.GeoDataFrame(geometry=gpd.points_from_xy(glon, glat), crs=4326).to_file(gj)
    assert read_sites(gj, crs="gcj02").to_crs(4546).distance(want).max() < 1.0


# --------------------------------------------------------------------------- CRS checks


def test_infer_crs_windows():
    assert infer_crs((111, 36, 111.5, 36.5)).to_epsg() == 4326
    assert infer_crs((37_450_000, 3_990_000, 37_460_000, 4_000_000)).to_epsg() == 4525
    assert infer_crs((450_000, 3_990_000, 460_000, 4_000_000)).to_epsg() == 4546
    with pytest.raises(InputError, match="swapped"):
        infer_crs((3_990_000, 37_450_000, 4_000_000, 37_460_000))


def test_csv_swapped_lat_lon(tmp_path):
    path = tmp_path / "swapped.csv"
    path.write_text("name,lon,lat\na,36.08,111.52\nb,35.90,111.40\n", encoding="utf-8")
    with pytest.raises(InputError, match="swapped") as exc:
        read_sites(path)
    assert str(path) in _one_line_error(exc)
    with pytest.raises(InputError, match="swapped"):
        read_sites(path, crs=4326)


def test_gk_northing_easting_swapped(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("x,y\n3995000,37450000\n3996000,37451000\n", encoding="utf-8")
    with pytest.raises(InputError, match="swapped"):
        read_sites(path)
    with pytest.raises(InputError, match="swapped"):
        read_sites(path, crs=4525)


def test_csv_garbage_coordinates(tmp_path):
    text_bad = tmp_path / "text.csv"
    text_bad.write_text("name,lon,lat\na,111.5,36.1\nb,abc,36.2\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 3: column 'lon' has 'abc'") as exc:
        read_sites(text_bad)
    _one_line_error(exc)
    numbers_bad = tmp_path / "numbers.csv"
    numbers_bad.write_text("name,lon,lat\na,500,20000\n", encoding="utf-8")
    with pytest.raises((InputError, CRSError)):
        read_sites(numbers_bad)
    no_coords = tmp_path / "nocoords.csv"
    no_coords.write_text("name,value\na,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no coordinate columns"):
        read_sites(no_coords)


def test_ambiguous_coordinates_need_crs():
    with pytest.raises(CRSError, match="crs") as exc:
        read_sites([Point(10, 20), Point(900, 1000)])
    msg = _one_line_error(exc)
    assert "--crs 4546" in msg
    assert "gcj02" in msg


def test_outside_china_after_reprojection():
    with pytest.raises(InputError, match="outside China after reading as EPSG:4326") as exc:
        read_sites(gpd.GeoDataFrame(geometry=[Point(10, 50)], crs=4326))
    _one_line_error(exc)
    with pytest.raises(InputError, match="outside China after reading as EPSG:4546"):
        read_sites(Point(500000, 1000), crs=4546)


def test_conflicting_crs(tmp_path, base):
    path = tmp_path / "gk.gpkg"
    base.to_crs(4546).to_file(path)
    with pytest.raises(CRSError, match="declares EPSG:4546 but crs=4525"):
        read_sites(path, crs=4525)
    assert read_sites(path, crs=4546).attrs["source_crs"] == "EPSG:4546"
    with pytest.raises(CRSError, match="not lon/lat"):
        read_sites(path, crs="gcj02")
    with pytest.raises(CRSError, match="unknown CRS"):
        read_sites(path, crs="EPSG:99999999")


def test_geojson_labelled_wgs84_but_in_gk_metres(tmp_path, base):
    # GeoJSON has no CRS field of its own: GDAL calls everything EPSG:4326
    path = tmp_path / "gk.geojson"
    gk = base.to_crs(4525)
    doc = json.loads(gk.to_json(drop_id=True))
    doc.pop("crs", None)
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = read_sites(path)
    assert out.attrs["source_crs"] == "EPSG:4525"
    assert any("label ignored" in w for w in out.attrs["warnings"])
    _assert_same_geometries(out, base, tol=1e-8)


# --------------------------------------------------------------------------- empty, missing, unreadable


def test_empty_and_missing_files(tmp_path):
    for name in ("empty.csv", "empty.geojson", "empty.txt", "empty.shp"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(InputError, match="empty") as exc:
            read_sites(tmp_path / name)
        _one_line_error(exc)
    header_only = tmp_path / "header.csv"
    header_only.write_text("lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows"):
        read_sites(header_only)
    no_features = tmp_path / "none.geojson"
    no_features.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(InputError, match="no features"):
        read_sites(no_features)
    with pytest.raises(InputError, match="file not found") as exc:
        read_sites(tmp_path / "missing.geojson")
    _one_line_error(exc)
    with pytest.raises(InputError, match="empty"):
        read_sites([])


def test_unreadable_file_gives_one_line_reason(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [ {"type": ', encoding="utf-8")
    with pytest.raises(InputError, match="cannot read") as exc:
        read_sites(path)
    assert str(path) in _one_line_error(exc)
    kml = tmp_path / "broken.kml"
    kml.write_text("<kml><Placemark>", encoding="utf-8")
    with pytest.raises(InputError):
        read_sites(kml)


def test_missing_geometry_is_rejected():
    gdf = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[Point(111.5, 36.1), None], crs=4326)
    with pytest.raises(InputError, match="site b"):
        read_sites(gdf)


# --------------------------------------------------------------------------- ids, names, repair


def test_duplicate_ids(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "a"]}, geometry=[Point(111.5, 36.1)] * 3, crs=4326)
    with pytest.raises(InputError, match="duplicate site id 'a'") as exc:
        read_sites(gdf)
    assert "features 1, 3" in _one_line_error(exc)
    path = tmp_path / "dup.csv"
    path.write_text("编号,lon,lat\n1,111.5,36.1\n1,111.6,36.2\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate site id '1'"):
        read_sites(path)


def test_id_column_preference_and_override():
    gdf = gpd.GeoDataFrame(
        {"name": ["x", "y"], "编号": [10.0, 11.0], "code": ["c1", "c2"]}, geometry=[Point(111.5, 36.1)] * 2, crs=4326
    )
    out = read_sites(gdf)
    assert out["site_id"].tolist() == ["10", "11"]  # integral floats lose the ".0"
    assert out["name"].tolist() == ["x", "y"]
    assert read_sites(gdf, id_column="code")["site_id"].tolist() == ["c1", "c2"]
    with pytest.raises(InputError, match="id_column='nope' not found"):
        read_sites(gdf, id_column="nope")
    # repeated names cannot serve as ids: sites are numbered instead
    same = gpd.GeoDataFrame({"name": ["光伏", "光伏"]}, geometry=[Point(111.5, 36.1)] * 2, crs=4326)
    out = read_sites(same)
    assert out["site_id"].tolist() == ["1", "2"]
    assert out["name"].tolist() == ["光伏", "光伏"]
    assert out.attrs["warnings"]


def test_bowtie_is_repaired_and_counted():
    bowtie = Polygon([(111.50, 36.00), (111.52, 36.02), (111.52, 36.00), (111.50, 36.02)])
    ok = box(111.6, 36.1, 111.61, 36.11)
    with pytest.raises(InputError, match="from no area"):  # its drawn area is 0: repair is not silent
        read_sites([bowtie, ok])
    out = read_sites([bowtie, ok], repair_tolerance=float("inf"))
    assert out.attrs["repaired"] == 1
    assert out.geometry.is_valid.all()
    fixed = out.geometry.iloc[0]
    assert isinstance(fixed, MultiPolygon)
    assert len(fixed.geoms) == 2
    assert fixed.area == pytest.approx(0.02 * 0.02 / 2)
    assert out.geometry.iloc[1].equals(ok)


def test_collections_and_z_are_flattened():
    coll = shapely.GeometryCollection([Point(111.5, 36.1, 5), Point(111.6, 36.2, 7)])
    out = read_sites([coll])
    assert out.geometry.iloc[0].geom_type == "MultiPoint"
    assert not out.geometry.has_z.any()
    mixed = shapely.GeometryCollection([Point(111.5, 36.1), box(111.6, 36.1, 111.61, 36.11)])
    with pytest.raises(InputError, match="mixes points, lines and polygons"):
        read_sites([mixed])


# --------------------------------------------------------------------------- containers and less common inputs


def test_zipped_shapefile_and_kmz(tmp_path, polys):
    import zipfile

    folder = tmp_path / "shp"
    folder.mkdir()
    polys[["编号", "名称", "geometry"]].to_file(folder / "sites.shp", encoding="gbk")
    (folder / "sites.cpg").unlink()
    with zipfile.ZipFile(tmp_path / "sites.zip", "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    out = read_sites(tmp_path / "sites.zip")
    assert out["name"].tolist() == NAMES
    _assert_same_geometries(out, polys)

    with zipfile.ZipFile(tmp_path / "sites.kmz", "w") as z:
        z.writestr("doc.kml", KML.format(field="备注"))
    kmz = read_sites(tmp_path / "sites.kmz")
    assert kmz["name"].tolist() == ["光伏一期", "风机1", "集电线路"]
    assert kmz["备注"].tolist()[0] == "P1"


def test_excel_sheet(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "sites.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="说明", index=False)
        pd.DataFrame({"编号": ["001", "002"], "经度": [111.5, 111.6], "纬度": [36.1, 36.2]}).to_excel(
            writer, sheet_name="点位", index=False
        )
    out = read_sites(path, layer="点位")
    assert out["site_id"].tolist() == ["001", "002"]  # leading zeros survive
    assert out.attrs["format"] == "Excel"
    with pytest.raises(InputError, match="no coordinate columns"):
        read_sites(path)  # the first sheet has no coordinates


def test_content_sniffing_for_unknown_suffix(tmp_path):
    path = tmp_path / "export.dat"
    path.write_text(KML.format(field="code"), encoding="utf-8")
    assert read_sites(path).attrs["format"].startswith("KML")
    tab = tmp_path / "points.xyz"
    tab.write_text("lon\tlat\tname\n111.5\t36.1\ta\n", encoding="utf-8")
    assert read_sites(tab)["site_id"].tolist() == ["a"]


def test_blank_auto_id_column_is_skipped():
    gdf = gpd.GeoDataFrame({"编号": ["A1", None], "名称": ["x", "y"]}, geometry=[Point(111.5, 36.1)] * 2, crs=4326)
    out = read_sites(gdf)
    assert out["site_id"].tolist() == ["x", "y"]
    assert any("blanks" in w for w in out.attrs["warnings"])
    with pytest.raises(InputError, match="empty '编号'"):
        read_sites(gdf, id_column="编号")


def test_jzd_with_xian80_header_needs_crs(tmp_path):
    gk = gpd.GeoDataFrame(geometry=[box(500000, 4000000, 500300, 4000400)], crs=4546)
    path = write_jzd(gk, tmp_path / "x80.txt")
    text = path.read_bytes().decode("gbk").replace("2000国家大地坐标系", "1980西安坐标系")
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(CRSError, match="7-parameter"):
        read_sites(path)
    out = read_sites(path, crs=2361)
    assert out.attrs["source_crs"] == "EPSG:2361"
    assert out.geometry.iloc[0].centroid.x == pytest.approx(111.0, abs=0.01)


def test_geoparquet_and_plain_parquet(tmp_path, base):
    """GeoParquet keeps its CRS (here Gauss-Kruger); a plain Parquet table is read like a CSV."""
    gk = base.to_crs(4546)
    gk.to_parquet(tmp_path / "sites.parquet")
    got = read_sites(tmp_path / "sites.parquet")
    assert got.attrs["source_crs"] == "EPSG:4546" and str(got.crs) == "EPSG:4326"
    assert got.geometry.reset_index(drop=True).geom_equals_exact(base.geometry, tolerance=1e-9).all()
    (tmp_path / "sites.parquet").rename(tmp_path / "sites.bin")  # no suffix: sniffed from its magic bytes
    assert len(read_sites(tmp_path / "sites.bin")) == len(base)
    pd.DataFrame({"name": ["甲", "乙"], "lon": [111.5, 111.6], "lat": [36.1, None]}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(InputError, match="lat"):  # the gap in row 2 is named, not read as "nan"
        read_sites(tmp_path / "t.parquet")
    pd.DataFrame({"name": ["甲"], "lon": [111.5], "lat": [36.1]}).to_parquet(tmp_path / "t1.parquet")
    assert read_sites(tmp_path / "t1.parquet").geometry.iloc[0].equals(Point(111.5, 36.1))
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="cannot read the Parquet file"):
        read_sites(tmp_path / "bad.parquet")

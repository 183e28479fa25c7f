"""Issue 12, family 4: Chinese encodings are decoded, or refused in one line naming ``encoding=``; never garbled.

Every file is written here, in the encoding under test: GBK GeoJSON, KML declared GBK/GB2312,
shapefiles whose ``.cpg`` lies or is missing (through the sites reader and the catalog), Big5 and
Latin-1 that are neither UTF-8 nor GBK, GB18030 four-byte characters, byte-order marks; and a
property test over random Chinese names in random encodings and formats.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from linfen_geo.errors import InputError, LinfenGeoWarning
from linfen_geo.io.sites import read_sites
from linfen_geo.io.textfiles import decode_text, detect_encoding
from linfen_geo.io.vectors import read_vector

NAMES = ["尧都区风电场", "乡宁县光伏电站", "隰县一号变电站"]
SEATS = {"adcode": [141002, 141029, 141031], "name": ["尧都区", "乡宁县", "隰县"]}
#: four-byte GB18030 characters (CJK extension B, extension A), not in GBK
GB18030_ONLY = ["𠀀", "𪚥", "䶮"]


def _points(n: int) -> list[Point]:
    return [Point(111.5 + 0.01 * i, 36.1) for i in range(n)]


def _geojson(names: list[str], key: str = "name") -> str:
    feats = [
        {"type": "Feature", "properties": {key: n}, "geometry": {"type": "Point", "coordinates": [p.x, p.y]}}
        for n, p in zip(names, _points(len(names)), strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def _shapefile(path: Path, names: list[str], encoding: str, cpg: str | None) -> Path:
    gpd.GeoDataFrame({"name": names}, geometry=_points(len(names)), crs=4326).to_file(path, encoding=encoding)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    return path


def _dbf_with(path: Path, raw: list[bytes]) -> None:
    """Overwrite the name field of the DBF with raw bytes (to write Big5 or Latin-1)."""
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    hlen, rlen = int.from_bytes(data[8:10], "little"), int.from_bytes(data[10:12], "little")
    width = data[32 + 16]
    for i, value in enumerate(raw):
        start = hlen + i * rlen + 1
        data[start : start + width] = value.ljust(width, b" ")[:width]
    dbf.write_bytes(bytes(data))


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


# --------------------------------------------------------------------------- GeoJSON, CSV, byte-order marks


def test_gbk_geojson_sites_are_decoded_with_a_warning(tmp_path):
    path = tmp_path / "sites.geojson"
    path.write_bytes(_geojson(NAMES).encode("gbk"))
    out = read_sites(path)
    assert out["name"].tolist() == NAMES
    assert out.attrs["encoding"] == "gb18030"
    assert any("not UTF-8 as RFC 7946 requires" in w for w in out.attrs["warnings"])
    assert read_sites(path, encoding="gbk")["name"].tolist() == NAMES


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_geojson_and_csv(tmp_path, codec):
    gj = tmp_path / "bom.geojson"
    gj.write_bytes(_geojson(NAMES).encode(codec))
    assert read_sites(gj)["name"].tolist() == NAMES
    csv = tmp_path / "bom.csv"
    csv.write_bytes(("名称,经度,纬度\n" + "".join(f"{n},111.5{i},36.1\n" for i, n in enumerate(NAMES))).encode(codec))
    out = read_sites(csv)
    assert out["name"].tolist() == NAMES
    assert out.attrs["encoding"] == codec.replace("-sig", "")


def test_gb18030_four_byte_characters(tmp_path):
    names = [f"临汾{c}村光伏电站" for c in GB18030_ONLY]
    gj = tmp_path / "gb18030.geojson"
    gj.write_bytes(_geojson(names).encode("gb18030"))
    assert read_sites(gj)["name"].tolist() == names
    shp = _shapefile(tmp_path / "gb18030.shp", names, "gb18030", cpg=None)
    assert read_sites(shp)["name"].tolist() == names
    csv = tmp_path / "gb18030.csv"
    csv.write_bytes(("name,lon,lat\n" + "".join(f"{n},111.5,36.{i}\n" for i, n in enumerate(names))).encode("gb18030"))
    assert read_sites(csv)["name"].tolist() == names


def test_latin1_and_big5_text_is_refused_naming_encoding(tmp_path):
    csv = tmp_path / "latin1.csv"
    csv.write_bytes("name,lon,lat\nCafé Müller,111.5,36.1\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"neither UTF-8 nor GBK/GB18030 .*pass encoding=") as exc:
        read_sites(csv)
    _one_line(exc)
    assert read_sites(csv, encoding="latin-1")["name"].tolist() == ["Café Müller"]
    big5 = tmp_path / "big5.geojson"
    big5.write_bytes(_geojson(["臨汾市堯都區風電場", "鄉寧縣光伏電站"]).encode("big5"))
    with pytest.raises(InputError, match=r"unlikely characters .*pass encoding=\.\.\., e\.g\. 'big5'") as exc:
        read_sites(big5)
    _one_line(exc)
    assert read_sites(big5, encoding="big5")["name"].tolist() == ["臨汾市堯都區風電場", "鄉寧縣光伏電站"]


def test_bytes_that_read_as_both_utf8_and_gbk_are_refused():
    # C2 B7 is '·' in UTF-8 and '路' in GBK: no UTF-8 Chinese character settles it
    with pytest.raises(InputError, match=r"reads as UTF-8 \('·'\) and as GBK \('路'\): pass encoding='utf-8' or"):
        decode_text("1路".encode("gbk"), None, "x.csv")
    assert decode_text("1路".encode("gbk"), "gbk", "x.csv") == ("1路", "gbk")
    assert decode_text("1路 临汾".encode(), None, "x.csv")[1] == "utf-8"


def test_unknown_encoding_is_one_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"name,lon,lat\nx,111.5,36.1\n")
    with pytest.raises(InputError, match="unknown encoding 'klingon'") as exc:
        read_sites(path, encoding="klingon")
    _one_line(exc)


# --------------------------------------------------------------------------- KML


@pytest.mark.parametrize(
    ("declared", "codec"), [("GBK", "gbk"), ("gb2312", "gbk"), ("GB18030", "gb18030"), (None, "gbk")]
)
def test_kml_declared_in_a_chinese_encoding(tmp_path, declared, codec):
    names = ["尧都区", "乡宁县", "堎头村"]  # 堎 is GBK, not GB2312: files declared GB2312 hold such characters
    decl = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    body = "".join(
        f"<Placemark><name>{n}</name><Point><coordinates>111.5,36.{i}</coordinates></Point></Placemark>"
        for i, n in enumerate(names)
    )
    path = tmp_path / "gbk.kml"
    path.write_bytes(
        f'{decl}<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>'.encode(codec)
    )
    assert read_sites(path)["name"].tolist() == names
    assert read_vector(path)["Name"].tolist() == names


# --------------------------------------------------------------------------- shapefiles


def test_shapefile_gbk_with_a_cpg_saying_utf8(tmp_path):
    path = _shapefile(tmp_path / "lies.shp", NAMES, "gbk", cpg="UTF-8")
    out = read_sites(path)
    assert out["name"].tolist() == NAMES
    assert out.attrs["encoding"] == "gb18030"
    assert any("the .cpg says 'UTF-8' but the attributes are GBK/GB18030" in w for w in out.attrs["warnings"])
    gdf = read_vector(path)
    assert gdf.attrs["encoding"] == "gb18030" and gdf.attrs["warnings"]
    assert "warnings" not in read_vector(_shapefile(tmp_path / "ok.shp", NAMES, "gbk", cpg="GBK")).attrs


@pytest.mark.parametrize(
    ("encoding", "cpg", "used"), [("gbk", "936", "gbk"), ("gbk", "GBK", "gbk"), ("utf-8", "GBK", "utf-8")]
)
def test_shapefile_cpg_is_kept_when_the_bytes_agree(tmp_path, encoding, cpg, used):
    path = _shapefile(tmp_path / "ok.shp", NAMES, encoding, cpg=cpg)
    gdf = read_vector(path)
    assert gdf["name"].tolist() == NAMES
    assert gdf.attrs["encoding"] == used
    assert bool(gdf.attrs.get("warnings")) is (encoding == "utf-8")  # UTF-8 bytes under a GBK .cpg: said so


def test_zipped_shapefile_with_a_lying_cpg(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    _shapefile(folder / "sites.shp", NAMES, "gbk", cpg="UTF-8")
    with zipfile.ZipFile(tmp_path / "sites.zip", "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    out = read_sites(tmp_path / "sites.zip")
    assert out["name"].tolist() == NAMES
    assert any("the .cpg says 'UTF-8'" in w for w in out.attrs["warnings"])


def test_big5_shapefile_is_refused_naming_encoding(tmp_path):
    path = _shapefile(tmp_path / "big5.shp", ["x" * 10] * 2, "utf-8", cpg=None)
    _dbf_with(path, ["臨汾市堯都區".encode("big5"), "鄉寧縣光伏".encode("big5")])
    with pytest.raises(InputError, match="pass encoding=") as exc:
        read_sites(path)
    _one_line(exc)
    assert read_sites(path, encoding="big5")["name"].tolist() == ["臨汾市堯都區", "鄉寧縣光伏"]


def test_gbk_field_names_are_decoded(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": NAMES, "编号": ["A1", "A2", "A3"]}, geometry=_points(3), crs=4326)
    path = tmp_path / "fields.shp"
    gdf.to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink()
    out = read_vector(path)
    assert list(out.columns[:2]) == ["名称", "编号"]
    assert out["名称"].tolist() == NAMES


def test_detect_encoding_without_cpg():
    assert detect_encoding([b"A1", b"12"], "x") == ("utf-8", None)
    assert detect_encoding(["临汾".encode(), b"A"], "x") == ("utf-8", None)
    assert detect_encoding(["临汾".encode("gbk")], "x") == ("gb18030", None)


# --------------------------------------------------------------------------- the catalog (linfen_geo.use)


def _seats(path: Path, encoding: str, cpg: str | None) -> Path:
    gdf = gpd.GeoDataFrame(SEATS, geometry=[Point(111.52, 36.08), Point(110.83, 35.97), Point(110.94, 36.69)], crs=4326)
    gdf.to_file(path, encoding=encoding)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg:
        path.with_suffix(".cpg").write_text(cpg)
    return path


def test_catalog_gbk_shapefile_without_cpg_is_not_mojibake(fresh_catalog, tmp_path):
    fresh_catalog.use("county_seats", _seats(tmp_path / "seats.shp", "gbk", cpg=None))
    assert fresh_catalog.load("county_seats")["name"].tolist() == SEATS["name"]


def test_catalog_lying_cpg_warns_and_decodes(fresh_catalog, tmp_path):
    path = _seats(tmp_path / "seats.shp", "gbk", cpg="UTF-8")
    with pytest.warns(LinfenGeoWarning, match="the .cpg says 'UTF-8' but the attributes are GBK"):
        fresh_catalog.use("county_seats", path)
    assert fresh_catalog.load("county_seats")["name"].tolist() == SEATS["name"]


def test_catalog_gbk_geojson(fresh_catalog, tmp_path):
    gdf = gpd.GeoDataFrame(SEATS, geometry=[Point(111.52, 36.08), Point(110.83, 35.97), Point(110.94, 36.69)], crs=4326)
    path = tmp_path / "seats.geojson"
    path.write_bytes(gdf.to_json(ensure_ascii=False).encode("gbk"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinfenGeoWarning)
        fresh_catalog.use("county_seats", path)
    assert fresh_catalog.load("county_seats")["name"].tolist() == SEATS["name"]


def test_catalog_undecodable_is_one_line_naming_encoding(fresh_catalog, tmp_path):
    path = _seats(tmp_path / "seats.shp", "utf-8", cpg=None)
    _dbf_with_name = path.with_suffix(".dbf")
    data = bytearray(_dbf_with_name.read_bytes())
    i = data.index("尧都区".encode())
    data[i : i + 4] = "Café".encode("latin-1") + b"\xe9"  # Latin-1 bytes where UTF-8 was
    _dbf_with_name.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"layer 'county_seats' from seats\.shp: .*pass encoding=") as exc:
        fresh_catalog.use("county_seats", path)
    _one_line(exc)
    assert "county_seats" not in fresh_catalog.replacements


# --------------------------------------------------------------------------- the CLI


def test_cli_check_siting_big5_is_one_line_exit_2(tmp_path, capsys):
    from linfen_geo.cli.app import main

    path = tmp_path / "big5.geojson"
    path.write_bytes(_geojson(["臨汾市堯都區風電場", "鄉寧縣光伏電站"]).encode("big5"))
    rc = main(["check-siting", str(path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and "encoding=" in err


# --------------------------------------------------------------------------- property: exact names or one line

_HAN = [
    *"尧都区乡宁县光伏风电场洪洞隰蒲吉大永和汾西霍州侯马曲沃翼城襄古安泽浮山临汾市期号站变目路村镇",
    "堎",  # GBK only
    "峧",
    *GB18030_ONLY,
]
_NAME = st.text(alphabet=st.sampled_from(_HAN + list("0123456789")), min_size=1, max_size=6).filter(
    lambda s: not s.isascii()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(_NAME, min_size=1, max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
    fmt=st.sampled_from(["geojson", "csv", "shp"]),
    cpg=st.sampled_from([None, "keep", "UTF-8", "GBK"]),
)
def test_random_chinese_names_come_back_exactly_or_one_line(tmp_path_factory, names, encoding, fmt, cpg):
    try:
        for n in names:
            n.encode(encoding)
    except UnicodeEncodeError:
        return  # GBK has no four-byte characters
    folder = tmp_path_factory.mktemp("prop")
    if fmt == "geojson":
        path = folder / "s.geojson"
        path.write_bytes(_geojson(names).encode(encoding))
    elif fmt == "csv":
        path = folder / "s.csv"
        rows = "".join(f"{n},{111.5 + 0.01 * i},36.1\n" for i, n in enumerate(names))
        path.write_bytes(("name,lon,lat\n" + rows).encode(encoding))
    else:
        path = folder / "s.shp"
        gpd.GeoDataFrame({"name": names}, geometry=_points(len(names)), crs=4326).to_file(
            path, encoding=encoding.replace("-sig", "")
        )
        if cpg is None:
            path.with_suffix(".cpg").unlink(missing_ok=True)
        elif cpg != "keep":
            path.with_suffix(".cpg").write_text(cpg)
    try:
        out = read_sites(path)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and "encoding=" in msg
        return
    assert out["name"].tolist() == names


def test_a_given_encoding_is_used_but_a_contradiction_is_said(tmp_path):
    path = _shapefile(tmp_path / "utf8.shp", ["临汾", "霍州"], "utf-8", cpg=None)  # their UTF-8 bytes are GBK too
    out = read_sites(path, encoding="gbk")  # as asked: the user may know better
    assert out["name"].tolist() == ["涓存本", "闇嶅窞"]
    assert out.attrs["encoding"] == "gbk"
    assert any("encoding='gbk' was given, but the attributes read as UTF-8" in w for w in out.attrs["warnings"])
    assert not read_sites(path, encoding="utf-8").attrs["warnings"]


def test_a_given_encoding_that_cannot_decode_is_refused_not_replaced_by_question_marks(tmp_path):
    path = _shapefile(tmp_path / "gbk.shp", NAMES, "gbk", cpg=None)
    with pytest.raises(InputError, match=r"the attributes are not utf-8 .*pass another encoding=") as exc:
        read_sites(path, encoding="utf-8")  # GDAL would recode with '?' for what it cannot convert
    _one_line(exc)


def test_cpg_is_not_trusted_when_the_bytes_read_as_the_other_encoding_too(tmp_path):
    # found by the property test: GBK '目' is valid UTF-8 ('Ŀ') under a .cpg saying UTF-8 ...
    path = _shapefile(tmp_path / "mu.shp", ["目"], "gbk", cpg="UTF-8")
    with pytest.raises(InputError, match=r"reads as UTF-8 \('Ŀ'\) and as GBK \('目'\)"):
        read_sites(path)
    assert read_sites(path, encoding="gbk")["name"].tolist() == ["目"]
    # ... and UTF-8 Chinese reads as plausible GBK under a .cpg saying GBK: UTF-8 wins, with a note
    path = _shapefile(tmp_path / "xian.shp", ["县永西汾"], "utf-8", cpg="GBK")
    out = read_sites(path)
    assert out["name"].tolist() == ["县永西汾"]
    assert any("the .cpg says 'GBK' but the attributes are UTF-8" in w for w in out.attrs["warnings"])
    # a UTF-8 .cpg over Latin words stays trusted
    assert (
        read_vector(_shapefile(tmp_path / "cafe.shp", ["Café Zürich"], "utf-8", cpg="UTF-8"))["name"][0]
        == "Café Zürich"
    )


def test_utf8_unit_signs_without_chinese_are_utf8():
    # '°' is C2 B0 in UTF-8 and '掳' in GBK: after a digit it is a degree sign (DMS coordinates)
    assert decode_text("x1,111°30'36\"E,36.1\n".encode(), None, "dms.csv")[1] == "utf-8"
    assert decode_text("面积 m²".encode(), None, "a.csv")[1] == "utf-8"
    with pytest.raises(InputError, match="reads as UTF-8"):  # '³' is not taken for a unit: 鲁 is a common name
        decode_text("3鲁".encode("gbk"), None, "a.csv")

"""One styled GeoPackage for QGIS: layers, CRS, attributes, descriptions and QML/SLD styles read back."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import pyogrio
import pytest

import linfen_geo as lg
from linfen_geo.errors import InputError
from linfen_geo.reports.gpkg import siting_layers, to_gpkg

LAYERS = ["counties", "rivers", "county_seats", "barriers", "redlines", "mines"]


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory, catalog):
    report = lg.check_siting(lg.load("county_seats").to_crs(4546).buffer(800).to_crs(4326).iloc[:3], catalog=catalog)
    path = tmp_path_factory.mktemp("gpkg") / "linfen.gpkg"
    return to_gpkg(path, layers=LAYERS, results=siting_layers(report), catalog=catalog), report


def test_every_layer_reads_back_in_cgcs2000_with_the_catalogs_rows(gpkg, catalog):
    path, _ = gpkg
    names = [n for n, _ in pyogrio.list_layers(path)]
    assert {*LAYERS, "siting_sites", "siting_conflict_free", "layer_styles"} <= set(names)
    for name in LAYERS:
        back = pyogrio.read_dataframe(path, layer=name)
        src = catalog.load(name)
        assert back.crs.to_epsg() == 4490, name
        assert len(back) == len(src), name
        for col in [c for c in src.columns if c != "geometry"]:
            assert back[col].astype(str).tolist() == src[col].astype(str).tolist(), (name, col)
        assert set(back["layer_status"]) == {catalog.status(name)}
        assert set(back["layer_title_zh"]) == {catalog.spec(name).title_zh}
        # geometry unchanged (EPSG:4490 and 4326 coincide to well under a metre here)
        assert back.geometry.union_all().symmetric_difference(src.geometry.union_all()).area < 1e-9


def test_descriptions_and_styles_are_stored_for_qgis(gpkg, catalog):
    path, _ = gpkg
    con = sqlite3.connect(path)
    desc = dict(con.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
    styles = con.execute("SELECT f_table_name, styleQML, styleSLD, useAsDefault FROM layer_styles").fetchall()
    con.close()
    assert "[illustrative]" in desc["redlines"] and "[real]" in desc["counties"]
    assert {s[0] for s in styles} >= {*LAYERS, "siting_sites"}
    for table, qml, sld, default in styles:
        assert default == 1
        root = ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line
        fields = set(pyogrio.read_info(path, layer=table)["fields"])
        label = root.find(".//text-style")
        if label is not None:
            assert label.get("fieldName") in fields, table
            assert label.get("fontFamily") == "Noto Sans CJK SC"
        renderer = root.find("renderer-v2")
        if renderer.get("attr"):
            assert renderer.get("attr") in fields
        ET.fromstring(sld.split("\n", 1)[1])
    qml = {t: q for t, q, _, _ in styles}
    assert "b_diagonal" in qml["redlines"] and 'value="dash"' in qml["redlines"]  # illustrative: hatched, dashed
    assert "b_diagonal" not in qml["counties"]
    assert 'type="categorizedSymbol" attr="verdict"' in qml["siting_sites"]


def test_sites_carry_their_verdicts(gpkg):
    path, report = gpkg
    back = pyogrio.read_dataframe(path, layer="siting_sites")
    assert back["verdict"].tolist() == report.summary()["verdict"].tolist()


def test_refuses_to_overwrite_and_bad_names(gpkg, catalog):
    path, _ = gpkg
    before = path.read_bytes()
    with pytest.raises(InputError, match="exists"):
        to_gpkg(path, layers=["counties"], catalog=catalog)
    assert path.read_bytes() == before
    with pytest.raises(InputError, match=r"\.gpkg"):
        to_gpkg(path.with_suffix(".shp"), layers=["counties"], catalog=catalog)
    with pytest.raises(InputError, match="raster"):
        to_gpkg(path.with_name("r.gpkg"), layers=["dem"], catalog=catalog)
    assert not path.with_name("r.gpkg").exists()


def test_qgis_opens_every_layer_styled(gpkg):
    qgis_core = pytest.importorskip("qgis.core", reason="QGIS (python3-qgis) is not installed here")
    path, _ = gpkg
    qgis_core.QgsApplication.setPrefixPath("/usr", True)
    app = qgis_core.QgsApplication([], False)
    app.initQgis()
    try:
        for name, _ in pyogrio.list_layers(path):
            if name == "layer_styles":
                continue
            layer = qgis_core.QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
            assert layer.isValid(), name
            assert layer.styleManager().styles(), name
    finally:
        app.exitQgis()

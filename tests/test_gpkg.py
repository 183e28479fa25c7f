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


QGIS_CHECK = """
import json, sqlite3, sys
from qgis.core import QgsApplication, QgsVectorLayer
path = sys.argv[1]
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
names = [r[0] for r in sqlite3.connect(path).execute("select table_name from gpkg_contents where data_type='features'")]
out = {}
for name in names:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    msg, ok = layer.loadDefaultStyle()
    r = layer.renderer()
    out[name] = {"valid": layer.isValid(), "features": layer.featureCount(), "crs": layer.crs().authid(),
                 "style": bool(ok), "renderer": r.type(), "labels": layer.labelsEnabled(),
                 "colour": r.symbol().color().name() if r.type() == "singleSymbol" else None}
print(json.dumps(out), flush=True)
import os
os._exit(0)  # QgsApplication.exitQgis() can crash a headless process at exit
"""


def _system_qgis() -> str | None:
    import shutil
    import subprocess

    for py in ("/usr/bin/python3", shutil.which("python3")):
        if py and subprocess.run([py, "-c", "import qgis.core"], capture_output=True).returncode == 0:
            return py
    return None


def test_qgis_opens_every_layer_styled(gpkg, catalog):
    """PyQGIS (Debian python3-qgis, the system Python) opens the file headless: valid, styled, labelled."""
    import json
    import os
    import subprocess

    py = _system_qgis()
    if py is None:
        pytest.skip("QGIS is not installed here (apt-get install python3-qgis)")
    path, _ = gpkg
    res = subprocess.run(
        [py, "-c", QGIS_CHECK, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    seen = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(LAYERS) <= set(seen)
    for name, info in seen.items():
        assert info["valid"] and info["style"] and info["crs"] == "EPSG:4490", (name, info)
    for name in LAYERS:
        assert seen[name]["features"] == len(catalog.load(name)), name
    assert seen["redlines"]["colour"] == "#d7301f" and seen["redlines"]["labels"]
    assert seen["siting_sites"]["renderer"] == "categorizedSymbol"
    assert "GeoPackage user_version" not in res.stderr  # written as GeoPackage 1.2

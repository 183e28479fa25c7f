"""Corridor roads from OpenStreetMap: a small .osm XML fixture written by the tests."""

from __future__ import annotations

import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from linfen_geo.crs import WORK_CRS
from linfen_geo.errors import InputError
from linfen_geo.io.osm import OSM_CONFIG, roads_from_osm
from linfen_geo.layer_catalog import roads as catalog_roads
from linfen_geo.layer_catalog.roads import use_roads_from_osm

pytestmark = pytest.mark.skipif("OSM" not in pyogrio.list_drivers(), reason="GDAL without the OSM driver")

# node id -> (lon, lat), all inside Linfen except 16/17 (Taiyuan, far outside)
NODES = {
    1: (111.60, 36.05),
    2: (111.66, 36.03),
    3: (111.70, 36.02),
    4: (111.75, 36.00),
    5: (111.70, 36.55),
    6: (111.55, 36.60),
    7: (111.40, 36.40),
    8: (111.20, 36.45),
    9: (111.55, 35.75),
    10: (111.47, 35.72),
    11: (111.40, 35.70),
    12: (111.60, 36.06),
    13: (111.62, 36.07),
    14: (111.30, 36.20),
    15: (111.35, 36.25),
    16: (113.0, 37.5),
    17: (113.1, 37.6),
    18: (111.45, 36.30),
    19: (111.50, 36.35),
}
# (way id, nodes, tags); ways 1xx belong to corridors, 2xx must be left out
WAYS = [
    (100, [1, 2, 3], {"highway": "motorway", "ref": "G22", "name": "长临高速"}),  # C2 by ref and name
    (101, [3, 4], {"highway": "motorway", "ref": "G22"}),  # C2 by ref, continues way 100
    (102, [5, 6], {"highway": "motorway", "name": "霍永高速公路"}),  # C1 by name (no ref)
    (103, [7, 8], {"railway": "rail", "name": "瓦日铁路", "usage": "main"}),  # C3 railway by name
    (104, [9, 10], {"highway": "motorway", "ref": "G5512", "name": "晋侯高速"}),  # C4
    (105, [10, 11], {"highway": "motorway", "ref": "G5512;G1", "name": "晋新高速"}),  # C4, ref list
    (200, [12, 13], {"highway": "motorway_link", "ref": "G22"}),  # a link: class not listed
    (201, [14, 15], {"highway": "motorway", "ref": "G221", "name": "其他高速"}),  # G221 is not G22
    (202, [16, 17], {"highway": "motorway", "ref": "G22", "name": "长临高速"}),  # far outside the city
    (203, [18, 19], {"railway": "rail", "name": "南同蒲铁路"}),  # another railway
    (204, [14, 18], {"highway": "primary", "ref": "G22", "name": "某路"}),  # primary is not C2's class
]
EXPECTED = {"C1": {"102"}, "C2": {"100", "101"}, "C3": {"103"}, "C4": {"104", "105"}}


def write_osm(path: Path, ways=WAYS) -> Path:
    """An OSM XML file with the given ways and the nodes they use."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="linfen_geo tests">']
    used = sorted({n for _, nds, _ in ways for n in nds})
    lines += [f'  <node id="{n}" lat="{NODES[n][1]}" lon="{NODES[n][0]}" version="1"/>' for n in used]
    for wid, nds, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{n}"/>' for n in nds]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_shipped_osmconf_makes_the_filter_tags_columns(tmp_path):
    """GDAL's default osmconf.ini leaves ref, name:zh ... in the hstore text of other_tags; the package's
    osmconf.ini (CONFIG_FILE open option) makes them columns, quoting and escapes decoded by GDAL."""
    tags = {"highway": "motorway", "ref": 'G"22\\', "name:zh": "长临高速", "official_name": "官", "alt_name": "别"}
    path = write_osm(tmp_path / "t.osm", [*WAYS, (300, [1, 2], tags)])
    default = pyogrio.read_dataframe(path, layer="lines")
    assert "ref" not in default.columns
    assert '"name:zh"=>"长临高速"' in default.set_index("osm_id").loc["300", "other_tags"]
    assert OSM_CONFIG.is_file() and OSM_CONFIG.parent.name == "io"
    df = pyogrio.read_dataframe(path, layer="lines", CONFIG_FILE=str(OSM_CONFIG)).set_index("osm_id")
    assert "other_tags" not in df.columns
    assert df.loc["105", "ref"] == "G5512;G1"
    assert pd.isna(df.loc["103", "ref"])
    assert df.loc["300", ["ref", "name_zh", "official_name", "alt_name"]].tolist() == ['G"22\\', "长临高速", "官", "别"]


def test_fixture_yields_the_expected_corridor_lines(tmp_path, catalog):
    roads = roads_from_osm(write_osm(tmp_path / "linfen.osm"), catalog=catalog)
    assert roads["corridor_id"].tolist() == ["C1", "C2", "C3", "C4"]
    got = {r.corridor_id: set(r.osm_ids.split(",")) for r in roads.itertuples()}
    assert got == EXPECTED
    assert roads["source"].eq("OpenStreetMap").all()
    assert not roads["illustrative"].any()
    assert roads.attrs["missing_corridors"] == []
    assert set(roads.geom_type) == {"MultiLineString"}
    work = roads.to_crs(WORK_CRS).set_index("corridor_id").geometry
    # consecutive ways are merged into one line: C2 runs from node 1 to node 4
    c2 = shapely.get_parts(work["C2"])
    assert len(c2) == 1
    ends = shapely.get_coordinates(shapely.points(shapely.get_coordinates(c2[0])[[0, -1]]))
    expected = gpd.GeoSeries(shapely.points([NODES[1], NODES[4]]), crs=4326).to_crs(WORK_CRS).get_coordinates()
    assert sorted(map(tuple, ends.round(3))) == sorted(map(tuple, expected.to_numpy().round(3)))
    assert roads.set_index("corridor_id")["length_km"]["C2"] == pytest.approx(work["C2"].length / 1000)


def test_corridor_without_ways_is_reported(tmp_path, catalog):
    path = write_osm(tmp_path / "no_c1.osm", [w for w in WAYS if w[0] != 102])
    with pytest.warns(UserWarning, match=r"C1 \(霍永高速\)"):
        roads = roads_from_osm(path, catalog=catalog)
    assert roads.attrs["missing_corridors"] == ["C1"]
    assert roads["corridor_id"].tolist() == ["C2", "C3", "C4"]
    with pytest.raises(InputError, match="no OpenStreetMap way"):
        roads_from_osm(write_osm(tmp_path / "none.osm", [w for w in WAYS if w[0] >= 200]), catalog=catalog)
    with pytest.raises(InputError, match="does not exist"):
        roads_from_osm(tmp_path / "missing.osm.pbf", catalog=catalog)


def test_use_roads_from_osm_replaces_the_corridor_roads(tmp_path, fresh_catalog):
    path = write_osm(tmp_path / "linfen.osm")
    roads = use_roads_from_osm(path, catalog=fresh_catalog)
    assert fresh_catalog.status("corridor_roads") == "real"
    prov = fresh_catalog.provenance("corridor_roads")
    assert prov["source"] == "OpenStreetMap extract linfen.osm"
    assert "OpenStreetMap" in prov["licence"]
    assert Path(prov["path"]).suffix == ".gpkg" and Path(prov["path"]).parent == fresh_catalog.cache_dir
    assert roads["corridor_id"].tolist() == ["C1", "C2", "C3", "C4"]
    corridors = fresh_catalog.load("corridors")
    assert len(corridors) == 4 and not corridors["illustrative"].any()
    # a corridor missing from the extract keeps its previous (illustrative) line when asked to
    other = write_osm(tmp_path / "no_c1.osm", [w for w in WAYS if w[0] != 102])
    fresh_catalog.reset("corridor_roads")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        filled = use_roads_from_osm(other, catalog=fresh_catalog, fill_missing=True)
    assert filled["corridor_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert filled.set_index("corridor_id")["illustrative"].to_dict() == {
        "C1": True,
        "C2": False,
        "C3": False,
        "C4": False,
    }
    assert "no OSM way for C1" in fresh_catalog.provenance("corridor_roads")["accuracy"]


def test_use_osm_roads_is_a_deprecated_alias(monkeypatch):
    import linfen_geo as lg
    from linfen_geo.io import osm

    assert lg.use_roads_from_osm is use_roads_from_osm  # (lg caches what it resolves: look up before patching)
    calls = []
    monkeypatch.setattr(catalog_roads, "use_roads_from_osm", lambda path, **kw: calls.append((path, kw)) or "roads")
    for alias in (lg.use_osm_roads, osm.use_osm_roads):
        with pytest.warns(DeprecationWarning, match="use_roads_from_osm"):
            assert alias("x.osm.pbf", fill_missing=True) == "roads"
    assert calls == [("x.osm.pbf", {"catalog": None, "fill_missing": True, "margin_m": 5000.0})] * 2
    with pytest.raises(AttributeError):
        osm.osm_tag  # noqa: B018  (the other_tags regex is gone)

"""Barriers, corridors and red lines built from the plan file (real properties)."""

from __future__ import annotations

import tomllib

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

import linfen_geo as lg
from linfen_geo.config import PACKAGE_DIR
from linfen_geo.crs import AREA_CRS, WORK_CRS
from linfen_geo.layer_catalog.core import Catalog
from linfen_geo.plan.loader import DEFAULT_PLAN


@pytest.fixture(scope="module")
def plan():
    return lg.load_plan()


# ------------------------------------------------------------------ barriers
def test_three_barriers_with_exact_member_counties(catalog, plan):
    barriers = catalog.load("barriers").set_index("barrier_id").to_crs(WORK_CRS)
    counties = catalog.load("counties").to_crs(WORK_CRS).set_index("adcode")
    assert list(barriers.index) == ["B1", "B2", "B3"]
    for b in plan["barriers"]:
        members = counties.loc[b["counties"]].union_all()
        geom = barriers.loc[b["id"], "geometry"]
        if b["rule"] == "counties":
            assert geom.symmetric_difference(members).area < 1.0  # m2: exactly the member counties
            assert not barriers.loc[b["id"], "illustrative"]
        else:
            assert geom.difference(members).area < 1.0  # inside its counties only
            assert barriers.loc[b["id"], "illustrative"]
            touched = counties.index[counties.intersection(geom).area > 1e6]
            assert set(touched) == set(b["counties"])  # reaches into every member county
    assert barriers.loc["B1", "counties"].count("、") == 6  # 西山七县


def test_fen_valley_barrier_follows_the_river_below_600m(catalog):
    barriers = catalog.load("barriers").set_index("barrier_id").to_crs(WORK_CRS)
    b3 = barriers.loc["B3", "geometry"]
    fen = catalog.load("rivers").query("name == '汾河'").to_crs(WORK_CRS).union_all()
    assert "霍州市" in barriers.loc["B3", "counties"]
    counties = catalog.load("counties").to_crs(WORK_CRS).set_index("adcode")
    members = counties.loc[lg.load_plan()["barriers"][2]["counties"]].union_all()
    # the Fen inside the member counties runs through the zone (bar the 霍州 gorge above 600 m)
    assert fen.intersection(b3).length / fen.intersection(members).length > 0.9
    dem = catalog.load("dem")
    inside = dem.rio.clip([b3], crs=WORK_CRS, drop=True).values
    assert np.nanmedian(inside) < 600
    assert 1_500 < lg.area_m2(barriers.loc[["B3"]].to_crs(AREA_CRS)).sum() / 1e6 < 3_300  # the basin is ~3,300 km2


def test_barrier_overlap_is_kept(catalog):
    barriers = catalog.load("barriers").set_index("barrier_id").to_crs(AREA_CRS)
    overlap = barriers.loc["B2", "geometry"].intersection(barriers.loc["B3", "geometry"]).area / 1e6
    assert overlap > 50  # 霍州 and 翼城 sit in both the Taihang and the Fen barrier
    counties = catalog.load("counties").to_crs(AREA_CRS).set_index("name")
    assert counties.loc["霍州市", "geometry"].intersection(barriers.loc["B3", "geometry"]).area > 1e7


# ------------------------------------------------------------------ corridors
def test_corridor_roads_pass_through_their_seats_in_order(catalog, plan):
    roads = catalog.load("corridor_roads").set_index("corridor_id").to_crs(WORK_CRS)
    seats = catalog.load("county_seats").to_crs(WORK_CRS).set_index("adcode")
    assert list(roads.index) == ["C1", "C2", "C3", "C4"]
    assert roads["illustrative"].all()
    for c in plan["corridors"]:
        line = roads.loc[c["id"], "geometry"]
        if line.geom_type == "MultiLineString":  # road first, then the corridor's railway stretch (C3)
            line = line.geoms[0]
        pts = seats.loc[c["waypoints"], "geometry"]
        assert pts.distance(line).max() < 1.0
        positions = [line.project(p) for p in pts]
        assert positions == sorted(positions)
        assert positions[0] == pytest.approx(0, abs=1) and positions[-1] == pytest.approx(line.length, abs=1)


def test_buffer_corridor_edges_lie_1km_from_the_road(catalog):
    corridors = catalog.load("corridors").set_index("corridor_id").to_crs(WORK_CRS)
    roads = catalog.load("corridor_roads").set_index("corridor_id").to_crs(WORK_CRS)
    city_edge = catalog.load("counties").to_crs(WORK_CRS).union_all().boundary
    assert (corridors["mode"] == "buffer").all()
    for cid, row in corridors.iterrows():
        edge = row.geometry.boundary.segmentize(50)
        pts = shapely.points(shapely.get_coordinates(edge))
        pts = pts[shapely.distance(pts, city_edge) > 1.0]  # skip where the city boundary clips it
        d = shapely.distance(pts, roads.loc[cid, "geometry"])
        assert len(d) > 100
        assert d.min() >= 990 and d.max() <= 1010, cid
        # area never exceeds the un-overlapped strip
        length = roads.loc[cid, "geometry"].length
        assert row.geometry.area <= 2 * 1000 * length + np.pi * 1000**2


def test_corridor_attributes(catalog):
    corridors = catalog.load("corridors")
    for col in (
        "corridor_id",
        "name_zh",
        "name_en",
        "roads_zh",
        "counties",
        "mode",
        "width_rule_zh",
        "length_km",
        "area_km2",
        "illustrative",
    ):
        assert col in corridors.columns
    assert corridors["illustrative"].all()
    ea = lg.area_m2(corridors.to_crs(AREA_CRS)) / 1e6
    # area_km2 is measured on the built (projected) polygon; the stored one is densified to
    # 100 m edges before lon/lat, which moves areas by a few m2 (3e-8 relative) at most
    np.testing.assert_allclose(corridors["area_km2"], ea, rtol=1e-7)


def test_user_road_file_replaces_alignments(fresh_catalog, tmp_path):
    seats = fresh_catalog.load("county_seats").set_index("adcode").to_crs(WORK_CRS)
    line = LineString([seats.loc[141022, "geometry"], seats.loc[141081, "geometry"]])  # 翼城 -> 侯马, straight
    roads = gpd.GeoDataFrame(
        {"corridor_id": ["C4"], "roads_zh": ["晋侯高速"], "roads_en": ["G5512"]}, geometry=[line], crs=WORK_CRS
    )
    path = tmp_path / "roads.gpkg"
    roads.to_file(path)
    fresh_catalog.use("corridor_roads", path, source="survey")
    assert fresh_catalog.status("corridor_roads") == "official"
    corridors = fresh_catalog.load("corridors")
    assert list(corridors["corridor_id"]) == ["C4"]
    assert not corridors["illustrative"].any()
    assert fresh_catalog.status("corridors") == "derived"
    assert corridors.to_crs(AREA_CRS).area.iloc[0] / 1e6 == pytest.approx(2 * line.length / 1000 + np.pi, rel=0.01)


def _edited_plan(tmp_path, edit):
    text = DEFAULT_PLAN.read_text(encoding="utf-8")
    path = tmp_path / "plan.toml"
    path.write_text(edit(text), encoding="utf-8")
    tomllib.loads(path.read_text(encoding="utf-8"))
    return path


def test_editing_the_plan_changes_layers_without_code(tmp_path, cache_dir):
    path = _edited_plan(
        tmp_path,
        lambda t: (
            t.replace("buffer_m = 1000", "buffer_m = 1500")
            + """
[[corridors]]
id = "C5"
name_zh = "测试廊道"
name_en = "Test corridor"
roads_zh = ["测试路"]
roads_en = ["Test road"]
waypoints = [141081, 141021]
counties = [141081, 141021]
"""
        ),
    )
    cat = Catalog(cache_dir=cache_dir, config={})
    before = cat.fingerprint("corridors")
    cat.use_plan(path)
    assert cat.fingerprint("corridors") != before
    corridors = cat.load("corridors").set_index("corridor_id")
    assert list(corridors.index) == ["C1", "C2", "C3", "C4", "C5"]
    assert (corridors["buffer_m"] == 1500).all()
    roads = cat.load("corridor_roads").set_index("corridor_id").to_crs(WORK_CRS)
    c5 = corridors.to_crs(WORK_CRS).loc["C5", "geometry"]
    d = shapely.distance(shapely.points(shapely.get_coordinates(c5.exterior)), roads.loc["C5", "geometry"])
    assert d.max() == pytest.approx(1500, rel=0.01)


def test_builds_are_deterministic_and_cached(tmp_path):
    paths = []
    for sub in ("a", "b"):
        cat = Catalog(cache_dir=tmp_path / sub, config={})
        cat.load("corridors")
        assert "corridors" in cat.build_seconds  # built, not read
        paths.append(sorted((tmp_path / sub).glob("corridor*.parquet")))
        again = Catalog(cache_dir=tmp_path / sub, config={})
        again.load("corridors")
        assert again.build_seconds == {}  # read from the cache, not rebuilt
    assert [p.name for p in paths[0]] == [p.name for p in paths[1]]
    for a, b in zip(*paths, strict=True):
        assert a.read_bytes() == b.read_bytes()


# ------------------------------------------------------------------ red lines
def test_redline_model_share_and_structure(catalog, plan):
    red = catalog.load("redlines")
    assert red["illustrative"].all()
    assert red["redline_id"].is_unique
    city = catalog.load("counties").to_crs(AREA_CRS)
    share = red.to_crs(AREA_CRS).union_all().area / city.union_all().area
    assert share == pytest.approx(plan["redline_model"]["target_share"], abs=0.006)
    # each polygon lies in the county its id names
    joined = red.to_crs(AREA_CRS).assign(geometry=lambda g: g.representative_point())
    joined = gpd.sjoin(joined, city[["adcode", "geometry"]], predicate="within")
    assert (joined["adcode_left"] == joined["adcode_right"]).all()
    # red-line polygons of one layer do not overlap each other
    ea = red.to_crs(AREA_CRS)
    assert ea.area.sum() == pytest.approx(ea.union_all().area, rel=1e-6)


def test_redlines_contain_reserves_and_wetland_strips(catalog):
    red = catalog.load("redlines").to_crs(AREA_CRS).union_all()
    reserves = catalog.load("reserves").to_crs(AREA_CRS).union_all()
    assert reserves.difference(red).area / reserves.area < 0.01
    yellow = catalog.load("rivers").query("name == '黄河'").to_crs(AREA_CRS)
    city = catalog.load("counties").to_crs(AREA_CRS).union_all()
    strip = yellow.buffer(500).union_all().intersection(city)  # the river runs along the city's border
    assert strip.area > 1e7
    assert strip.intersection(red).area / strip.area > 0.95


def test_barriers_status_follows_its_feature_flags(tmp_path, cache_dir, catalog):
    """Bug: the barriers layer was "derived" although B3 is flagged illustrative; every report must flag it."""
    barriers = catalog.load("barriers")
    assert barriers.set_index("barrier_id")["illustrative"].to_dict() == {"B1": False, "B2": False, "B3": True}
    assert catalog.status("barriers") == "illustrative"
    row = catalog.table().set_index("name").loc["barriers"]
    assert row["status"] == "illustrative"
    # with no modelled barrier the layer is derived again
    text = (PACKAGE_DIR / "plan" / "plan.toml").read_text(encoding="utf-8")
    text = text.replace('rule = "valley"', 'rule = "counties"')
    plan = tmp_path / "plan_counties.toml"
    plan.write_text(text, encoding="utf-8")
    cat = Catalog(cache_dir=cache_dir, config={})
    cat.use_plan(plan)
    assert cat.status("barriers") == "derived"
    assert not cat.load("barriers")["illustrative"].any()

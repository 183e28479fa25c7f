"""The real data of issue 14: reserve outlines, railways and the modelled 瓦日 line, coal mines, 沁河.

Each test compares a built layer with the shipped source file (read here independently with
geopandas), or checks a property the source guarantees.
"""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pytest
import shapely

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, to_area_crs
from linfen_geo.layer_catalog.core import get_catalog

DATA = get_catalog().data_dir
OSM_RESERVES = DATA / "protected" / "reserves_osm_wulushan_lishan.geojson"
REGISTRY = DATA / "protected" / "reserves_official_index_shanxi_forestry_linfen_bbox.geojson"
GEM = DATA / "mining" / "coal_mines_gem_cmbms_v1_0_2_linfen_bbox.geojson"
STATIONS = DATA / "transport" / "railway_stations_osm_omap_2025_linfen_bbox.geojson"
VMAP0 = DATA / "transport" / "rail_vmap0_divagis_linfen_bbox.geojson"

#: the three OSM stations of issue 14 that mark the 瓦日 railway (approximate lon/lat)
WARI_STATIONS = {"隰县": (110.921, 36.650), "蒲县": (111.184, 36.370), "安泽": (112.232, 36.183)}


def _area(geom) -> float:
    return float(to_area_crs(gpd.GeoSeries([geom], crs=STORAGE_CRS)).area.iloc[0])


@pytest.fixture(scope="module")
def reserves(catalog) -> gpd.GeoDataFrame:
    return catalog.load("reserves")


@pytest.fixture(scope="module")
def city(catalog):
    return catalog.load("counties").to_crs(STORAGE_CRS).union_all()


# ---------------------------------------------------------------- reserves
def test_real_reserve_outlines_equal_the_osm_polygons(reserves, city):
    osm = gpd.read_file(OSM_RESERVES).set_index("name")
    for name in ("山西五鹿山国家级自然保护区", "山西历山国家级自然保护区"):
        zones = reserves[reserves["name_zh"] == name]
        assert set(zones["outline_status"]) == {"real"}
        assert zones["outline_source"].str.contains("OpenStreetMap").all()
        expected = _area(shapely.intersection(osm.loc[name].geometry, city))  # the part inside Linfen
        assert _area(shapely.union_all(zones.geometry.values)) == pytest.approx(expected, rel=1e-9)
        assert zones["outline_area_ha"].iloc[0] * 1e4 == pytest.approx(_area(osm.loc[name].geometry), rel=1e-9)
    # 五鹿山 lies wholly in Linfen (蒲县 and 隰县), 历山 only with its 翼城 part (62.2 km2 in the source)
    wls = reserves[reserves["name_zh"] == "山西五鹿山国家级自然保护区"]
    assert wls["area_in_city_ha"].sum() / 100 == pytest.approx(200.16, abs=0.05)
    ls = reserves[reserves["name_zh"] == "山西历山国家级自然保护区"]
    assert ls["area_in_city_ha"].sum() / 100 == pytest.approx(62.2, abs=0.1)


def test_zones_partition_the_outline_at_the_official_shares(reserves, catalog):
    reg = gpd.read_file(REGISTRY).set_index("code")
    cell_ha = catalog.plan["terrain"]["resolution_m"] ** 2 / 1e4
    for _, grp in reserves.groupby("reserve"):
        assert sorted(grp["zone"]) == ["buffer", "core", "experimental"]
        outline = grp["outline_area_ha"].iloc[0]
        assert grp["zone_area_total_ha"].sum() == pytest.approx(outline, rel=1e-9)
        r = reg.loc[grp["registry_code"].iloc[0]]
        official = {"core": r.core_official_ha, "buffer": r.buffer_official_ha, "experimental": r.exp_official_ha}
        total = sum(official.values())
        assert grp["documented_area_ha"].iloc[0] == pytest.approx(total, rel=1e-12)
        for z in grp.itertuples():  # modelled zone = official share of the outline, to within ~2 cells
            assert z.zone_official_ha == pytest.approx(official[z.zone], rel=1e-12)
            assert abs(z.zone_area_total_ha - official[z.zone] / total * outline) <= 2 * cell_ha
    assert reserves["illustrative"].all() and set(reserves["zone_status"]) == {"illustrative"}


def test_provincial_reserves_are_illustrative_at_registry_size_and_position(reserves, catalog):
    reg = gpd.read_file(REGISTRY).set_index("code")
    cell_ha = catalog.plan["terrain"]["resolution_m"] ** 2 / 1e4
    prov = reserves[reserves["level"] == "provincial"]
    assert set(prov["name_zh"].str.replace("山西", "").str.replace("省级自然保护区", "")) == {
        "人祖山",
        "管头山",
        "红泥寺",
        "翼城翅果油树",
        "霍山",
    }
    assert set(prov["outline_status"]) == {"illustrative"}
    for code, grp in prov.groupby("registry_code"):
        r = reg.loc[code]
        # grown to the registry area (to about a cell, less what an earlier reserve took)
        assert abs(grp["outline_area_ha"].iloc[0] - r.area_km2_total * 100) <= 2 * cell_ha
        seed = gpd.GeoSeries.from_xy([grp["seed_lon"].iloc[0]], [grp["seed_lat"].iloc[0]], crs=4326).to_crs(WORK_CRS)
        centre = gpd.GeoSeries([r.geometry], crs=4326).to_crs(WORK_CRS)
        assert seed.distance(centre).iloc[0] <= 5_500  # seed_search_km 5 plus half a cell


def test_reserves_do_not_overlap_each_other_and_lie_in_the_red_lines(reserves, catalog):
    ea = to_area_crs(reserves)
    assert ea.area.sum() == pytest.approx(ea.union_all().area, rel=1e-9)
    red = to_area_crs(catalog.load("redlines")).union_all()
    outside = ea.union_all().difference(red).area
    assert outside <= 1e-4 * ea.area.sum()  # reserves are red line by rule


# ---------------------------------------------------------------- railways
def test_vmap0_railways_are_the_source_lines(catalog):
    src = gpd.read_file(VMAP0)
    rail = catalog.load("railways")
    real = rail[rail["status"] == "real"]
    assert len(real) == len(src)
    assert not real["illustrative"].any()
    assert real["length_km"].sum() == pytest.approx(src["length_km"].sum(), rel=1e-4)
    named = set(real["name_zh"])
    assert {"南同蒲铁路", "侯月铁路"} <= named


def test_wari_railway_passes_its_real_stations(catalog):
    rail = catalog.load("railways").to_crs(WORK_CRS)
    wr = rail[rail["railway_id"] == "WR"]
    assert len(wr) == 1 and wr["illustrative"].iloc[0] and wr["status"].iloc[0] == "illustrative"
    assert "隰县站" in wr["real_points"].iloc[0] and "real OSM stations" in wr["real_points"].iloc[0]
    stations = gpd.read_file(STATIONS).to_crs(WORK_CRS)
    line = wr.geometry.iloc[0]
    for lon, lat in WARI_STATIONS.values():
        approx = gpd.GeoSeries.from_xy([lon], [lat], crs=4326).to_crs(WORK_CRS).iloc[0]
        station = stations.geometry.iloc[int(np.argmin(stations.distance(approx)))]
        assert station.distance(approx) < 300  # the coordinates name a real OSM station
        assert line.distance(station) <= 100
    # through the 洪洞 and 古县 seats it serves
    seats = catalog.load("county_seats").to_crs(WORK_CRS).set_index("adcode")
    for adcode in (141024, 141025):
        assert line.distance(seats.loc[adcode].geometry) <= 100


def test_corridor_c3_carries_the_wari_stretch(catalog):
    roads = catalog.load("corridor_roads").to_crs(WORK_CRS).set_index("corridor_id")
    wr = catalog.load("railways").to_crs(WORK_CRS).set_index("railway_id").loc["WR"].geometry
    c3 = roads.loc["C3"]
    assert c3.geometry.geom_type == "MultiLineString"
    assert 50 < c3["rail_km"] < wr.length / 1000
    rail_part = c3.geometry.geoms[1]
    assert rail_part.difference(wr.buffer(0.5)).length < 1.0  # a piece of the railway
    assert (roads.drop(index="C3")["rail_km"] == 0).all()


# ---------------------------------------------------------------- coal mines
def test_coal_mine_areas_equal_the_source(catalog, city):
    src = gpd.read_file(GEM)
    src = src[src["mine feature category"] == "mine boundary"].set_index("GEM Mine ID")
    mines = catalog.load("coal_mines").set_index("mine_id")
    assert set(mines.index) == {"M0366", "M1152", "M2161"}  # 晋杨 (M2944, 沁源) lies outside Linfen
    assert set(mines["name_zh"]) == {"王家岭煤矿", "吉宁煤矿", "腾晖煤矿"}
    for mid, row in mines.iterrows():
        assert row["area_km2_source"] * 1e6 == pytest.approx(_area(src.loc[mid].geometry), rel=1e-9)
        assert row["area_km2"] * 1e6 == pytest.approx(_area(src.loc[mid].geometry.intersection(city)), rel=1e-9)
        assert row["area_km2_source"] == pytest.approx(src.loc[mid]["area_km2"], rel=2e-3)  # source's EPSG:4546
    assert (mines["county"].str.split(",").str[0] == "乡宁县").all()
    assert (mines["status"] == "real").all() and not mines["illustrative"].any()


def test_a_site_in_a_coal_mine_gets_the_overlay_review_rule(catalog):
    import linfen_geo as lg

    mine = catalog.load("coal_mines").set_index("mine_id").loc["M0366"].geometry
    site = gpd.GeoSeries([mine.representative_point()], crs=4326).to_crs(WORK_CRS).buffer(100).to_crs(4326)
    report = lg.check_siting(gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=site.values, crs=4326), catalog=catalog)
    assert "R9" in set(report.to_frame()["rule"])
    assert report.summary()["verdict"].iloc[0] != "clear"


def test_legacy_mines_in_real_coal_mines_are_counted(catalog):
    from linfen_geo.analysis.overlap import features_in_zones

    hits = features_in_zones("mines", ["coal_mines"], id_column="site_id", catalog=catalog)
    mines = to_area_crs(catalog.load("mines"))
    coal = to_area_crs(catalog.load("coal_mines")).union_all()
    expected = int(mines.intersects(coal).sum())  # an independent count
    assert hits["feature_id"].nunique() == expected


# ---------------------------------------------------------------- rivers
def test_qin_he_is_added_and_lies_in_anze(catalog):
    rivers = catalog.load("rivers").to_crs(WORK_CRS)
    qin = rivers[rivers["name"] == "沁河"]
    assert len(qin) == 2 and qin["source"].str.contains("WDBII").all()
    counties = catalog.load("counties").to_crs(WORK_CRS).set_index("name")
    city = counties.union_all()
    in_city = qin.union_all().intersection(city)
    assert in_city.length / 1000 == pytest.approx(67.8, abs=0.3)  # the source's km_in_city
    assert in_city.intersection(counties.loc["安泽县"].geometry).length / in_city.length > 0.999
    buffers = catalog.load("river_buffers")
    assert "沁河" in set(buffers["river"])
    assert (rivers.loc[rivers["name"] != "沁河", "source"].str.contains("1:4,000,000")).all()


# ---------------------------------------------------------------- credits
def test_licences_and_credits_reach_catalog_maps_and_gpkg(catalog, tmp_path):
    from linfen_geo.reports.gpkg import to_gpkg
    from linfen_geo.viz.maps import plot_layers
    from linfen_geo.viz.webmap import explore

    table = catalog.table().set_index("name")
    assert "ODbL" in table.loc["reserves", "licence"]
    assert "CC BY 4.0" in table.loc["coal_mines", "licence"]
    credits = catalog.attributions(["reserves", "coal_mines", "railways"])
    assert any("OpenStreetMap contributors" in c for c in credits)
    assert any("Global Energy Monitor" in c for c in credits)
    assert catalog.attributions(["counties"]) == []  # nothing to credit: no entry asks for it
    fig = plot_layers(["counties", "reserves", "coal_mines"], catalog=catalog, hillshade=False)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "OpenStreetMap contributors" in texts and "Global Energy Monitor" in texts
    html = explore(layers=["counties", "railways"], catalog=catalog, hillshade=False).get_root().render()
    assert "OpenStreetMap contributors" in html
    path = to_gpkg(tmp_path / "x.gpkg", ["reserves", "coal_mines"], catalog=catalog)
    with sqlite3.connect(path) as con:
        desc = dict(con.execute("select table_name, description from gpkg_contents").fetchall())
    assert "OpenStreetMap contributors" in desc["reserves"]
    assert "Global Energy Monitor" in desc["coal_mines"]

"""Siting as planners check it (issue 15): their own layers, rules from linfen_geo.toml, project types,
when/unless conditions, the 三区三线 preset and its "not checked" layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from linfen_geo.analysis.siting import check_siting
from linfen_geo.config_schema import validate_config
from linfen_geo.crs import WORK_CRS
from linfen_geo.errors import InputError, PlanError, SchemaError
from linfen_geo.io.jzd import write_jzd
from linfen_geo.layer_catalog.core import Catalog


@pytest.fixture(scope="module")
def seat(catalog):
    """The 尧都区 seat (EPSG:4546): a town in the Fen valley, away from the modelled red lines."""
    return catalog.load("county_seats").to_crs(WORK_CRS).set_index("name").loc["尧都区"].geometry


@pytest.fixture(scope="module")
def red_point(catalog):
    """A point deep inside a modelled red line (EPSG:4546)."""
    red = catalog.load("redlines").to_crs(WORK_CRS)
    big = red.loc[red.area.idxmax()].geometry
    return big.buffer(-1500).representative_point()


def _farm(seat) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"BSM": [101, 102], "DLMC": ["水浇地", "旱地"]},
        geometry=[
            box(seat.x - 3000, seat.y - 3000, seat.x + 3000, seat.y + 3000),
            box(seat.x + 5000, seat.y, seat.x + 7000, seat.y + 2000),
        ],
        crs=WORK_CRS,
    )


def _sites(points, types, crs=WORK_CRS, r=300) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(len(points))], "project_type": types},
        geometry=[p.buffer(r) for p in points],
        crs=crs,
    ).to_crs(4326)


def _config_catalog(tmp_path, cache_dir, text: str) -> Catalog:
    import tomllib

    (tmp_path / "linfen_geo.toml").write_text(text, encoding="utf-8")
    cfg = tomllib.loads(text)
    for entry in cfg.get("layers", {}).values():
        entry["path"] = str(tmp_path / entry["path"])
    return Catalog(cache_dir=cache_dir, config=cfg)


# ---------------------------------------------------------------- user layers and rules by configuration
def test_registered_gpkg_layer_and_config_rule_change_verdicts(tmp_path, cache_dir, seat):
    _farm(seat).to_file(tmp_path / "farm.gpkg")
    cat = _config_catalog(
        tmp_path,
        cache_dir,
        """
[layers.my_farmland]
path = "farm.gpkg"
title_zh = "永久基本农田（某县）"
title_en = "Permanent basic farmland"
geometry = "polygon"
id = "BSM"
name = "DLMC"
status = "official"
source = "某县自然资源局 2023"

[[siting.rules]]
id = "U1"
layer = "my_farmland"
contact = "intersects"
verdict = "prohibited"
unless = { project_type = ["transport", "energy", "water", "defence"] }
text_zh = "占用永久基本农田"
basis = "自然资规〔2019〕1号"

[[siting.rules]]
id = "U2"
layer = "my_farmland"
contact = "intersects"
verdict = "review"
text_zh = "重大项目占用永久基本农田：须补划"
""",
    )
    table = cat.table().set_index("name")
    assert table.loc["my_farmland", "status"] == "official" and table.loc["my_farmland", "features"] == 2
    sites = _sites([seat, seat], ["transport", "industry"])
    report = check_siting(sites, catalog=cat)
    s = report.summary().set_index("site_id")
    assert s.loc["S0", "verdict"] in ("review", "restricted")  # U1 waived for a road: U2 applies
    assert s.loc["S1", "verdict"] == "prohibited"
    rows = report.to_frame()
    road = rows[(rows["site_id"] == "S0") & (rows["layer"] == "my_farmland")].iloc[0]
    assert road["rule"] == "U2" and road["waived"] == "U1" and road["feature_name"] == "水浇地"
    factory = rows[(rows["site_id"] == "S1") & (rows["layer"] == "my_farmland")].iloc[0]
    assert factory["rule"] == "U1" and factory["basis"] == "自然资规〔2019〕1号"
    assert "my_farmland" in set(report.layers["name"])
    # the plan's own rules still apply (merged, not replaced)
    assert {"R1", "R6", "U1", "U2"} <= set(report.rules["rule"])


def test_registered_gbk_shapefile(tmp_path, fresh_catalog, seat):
    path = tmp_path / "farm_gbk.shp"
    _farm(seat).to_file(path, encoding="gbk")
    (tmp_path / "farm_gbk.cpg").unlink(missing_ok=True)  # as offices send them: no .cpg
    fresh_catalog.register("farm2", path, id="BSM", name_column="DLMC", title_zh="基本农田")
    gdf = fresh_catalog.load("farm2")
    assert set(gdf["name"]) == {"水浇地", "旱地"}
    rules = [{"id": "F", "layer": "farm2", "verdict": "prohibited"}]
    report = check_siting(_sites([seat], ["mining"]), rules=rules, catalog=fresh_catalog)
    assert report.summary()["verdict"].iloc[0] == "prohibited"
    assert report.to_frame()["feature_name"].iloc[0] == "水浇地"
    # a registered layer works in the analyses by name too
    from linfen_geo.analysis.coverage import coverage

    cov = coverage("farm2", "counties", zone_id="adcode", catalog=fresh_catalog)
    expect = fresh_catalog.load("farm2").to_crs("EPSG:4546").union_all().area / 1e6
    assert cov["covered_km2"].sum() == pytest.approx(expect, rel=2e-3)  # equal-area vs GK, same land


def test_replace_rules_and_same_id_replaces(tmp_path, cache_dir, seat):
    cat = _config_catalog(
        tmp_path,
        cache_dir,
        """
[siting]
replace_rules = true

[[siting.rules]]
id = "R1"
layer = "redlines"
verdict = "review"
""",
    )
    report = check_siting(_sites([seat], [""]), catalog=cat)
    assert list(report.rules["rule"]) == ["R1"] and report.rules["verdict"].iloc[0] == "review"
    cat2 = _config_catalog(tmp_path, cache_dir, '[[siting.rules]]\nid = "R1"\nlayer = "redlines"\nverdict = "review"\n')
    r2 = check_siting(_sites([seat], [""]), catalog=cat2)
    assert r2.rules.set_index("rule").loc["R1", "verdict"] == "review" and "R6" in set(r2.rules["rule"])


def test_register_refuses_bad_input_and_leaves_the_catalog_unchanged(tmp_path, fresh_catalog, seat):
    before = list(fresh_catalog.names())
    (tmp_path / "bad.gpkg").write_bytes(b"not a geopackage")
    with pytest.raises(InputError):
        fresh_catalog.register("farm3", tmp_path / "bad.gpkg", id="BSM")
    _farm(seat).to_file(tmp_path / "farm.gpkg")
    with pytest.raises(SchemaError, match="BSMX"):
        fresh_catalog.register("farm3", tmp_path / "farm.gpkg", id="BSMX")
    with pytest.raises(InputError, match=r"lg\.use"):
        fresh_catalog.register("redlines", tmp_path / "farm.gpkg", id="BSM")
    with pytest.raises(InputError, match="geometry"):
        fresh_catalog.register("farm3", tmp_path / "farm.gpkg", id="BSM", geometry="area")
    assert fresh_catalog.names() == before


def test_config_schema_for_new_layers_and_siting():
    names = ["redlines", "reserves"]
    validate_config({"layers": {"farm": {"path": "f.gpkg", "id": "BSM", "geometry": "polygon"}}}, "x", names)
    with pytest.raises(InputError, match="id column"):
        validate_config({"layers": {"farm": {"path": "f.gpkg", "title_zh": "农田"}}}, "x", names)
    with pytest.raises(InputError, match="did you mean 'redlines'"):
        validate_config({"layers": {"redline": {"path": "f.gpkg"}}}, "x", names)
    with pytest.raises(InputError, match="only declare a new layer"):
        validate_config({"layers": {"redlines": {"path": "f.gpkg", "title_zh": "红线"}}}, "x", names)
    with pytest.raises(InputError, match="did you mean 'preset'"):
        validate_config({"siting": {"presets": "sanqu"}}, "x", names)
    with pytest.raises(InputError, match="true/false"):
        validate_config({"siting": {"replace_rules": "yes"}}, "x", names)


# ---------------------------------------------------------------- project types and conditions
def test_unknown_project_type_names_the_known_ones(catalog, seat):
    with pytest.raises(InputError, match=r"known: transport \(交通\)"):
        check_siting(_sites([seat], [""]), project_type="airport", catalog=catalog)
    with pytest.raises(InputError, match="S0: unknown project_type 'airport'"):
        check_siting(_sites([seat], ["airport"]), catalog=catalog)
    report = check_siting(_sites([seat], [""]), project_type="交通", catalog=catalog)  # the Chinese name works
    assert report.sites["project_type"].tolist() == ["transport"]
    # a blank project_type (a 界址点 file merged with typed files) falls back to its 地块用途
    mixed = _sites([seat, seat], ["quarry", None]).assign(use=["", "采矿用地"])
    assert check_siting(mixed, catalog=catalog).sites["project_type"].tolist() == ["quarry", "mining"]


def test_project_type_from_jzd_use(tmp_path, catalog, red_point):
    sites = gpd.GeoDataFrame(
        {"site_id": ["J1", "J2"], "name": ["公路", "采石场"], "use": ["交通用地", "采矿用地"]},
        geometry=[red_point.buffer(200), red_point.buffer(200)],
        crs=WORK_CRS,
    )
    path = write_jzd(sites, tmp_path / "two.txt")
    report = check_siting(str(path), preset="sanqu", catalog=catalog)
    s = report.summary().set_index("site_id")
    assert report.sites.set_index("site_id")["project_type"].to_dict() == {"J1": "transport", "J2": "mining"}
    assert s.loc["J1", "verdict"] == "review" and s.loc["J2", "verdict"] == "prohibited"


def test_sanqu_transport_review_with_clause_mining_prohibited(catalog, red_point):
    report = check_siting(
        _sites([red_point, red_point], ["transport", "mining"], r=200), preset="sanqu", catalog=catalog
    )
    rows = report.to_frame()
    red = rows[rows["layer"] == "redlines"].set_index("site_id")
    assert red.loc["S0", "verdict"] == "review" and red.loc["S0", "rule"] == "S1a"
    assert "142号" in red.loc["S0", "basis"] and red.loc["S0", "waived"] == "S1"
    assert red.loc["S1", "verdict"] == "prohibited" and red.loc["S1", "rule"] == "S1"
    assert report.summary().set_index("site_id").loc["S1", "verdict"] == "prohibited"


def test_sanqu_lists_unregistered_layers_as_not_checked(catalog, seat):
    report = check_siting(_sites([seat], ["industry"]), preset="sanqu", catalog=catalog)
    assert set(report.not_checked) == {"water_sources", "mining_rights", "public_forest"}
    text = " ".join(report.notes)
    for name in report.not_checked:
        assert f"layer {name!r} is not in the catalog" in text
    checked = set(report.rules.loc[report.rules["checked"], "rule"])
    assert "S8" not in checked and "S1" in checked
    assert "未核查" in report.to_text()


def test_outside_rule_urban_boundary(catalog, seat):
    towns = catalog.load("urban_boundary").to_crs(WORK_CRS)
    assert towns["illustrative"].all()
    town = towns.set_index("boundary_id").loc["UB-141002"].geometry
    far = town.centroid.buffer(30_000).difference(town.buffer(3000)).representative_point()
    report = check_siting(
        _sites([seat, far, far], ["urban", "urban", "tourism"], r=150), preset="sanqu", catalog=catalog
    )
    rows = report.to_frame()
    s3 = rows[rows["rule"] == "S3"]
    assert list(s3["site_id"]) == ["S1"]  # outside the boundary, urban; not the site in town, not tourism
    assert s3["overlap_m2"].iloc[0] == pytest.approx(
        report.summary().set_index("site_id").loc["S1", "area_m2"], rel=1e-6
    )


def test_shipped_farmland_is_outside_red_lines_and_towns(catalog):
    farm = catalog.load("basic_farmland").to_crs(WORK_CRS)
    assert len(farm) > 0 and farm["illustrative"].all() and catalog.status("basic_farmland") == "illustrative"
    red = catalog.load("redlines").to_crs(WORK_CRS).union_all()
    towns = catalog.load("urban_boundary").to_crs(WORK_CRS).union_all()
    fu = farm.union_all()
    assert fu.intersection(red).area < 1.0 and fu.intersection(towns).area < 1.0


def test_bad_preset_and_rule_conditions(catalog, seat):
    with pytest.raises(PlanError, match="presets: sanqu"):
        check_siting(_sites([seat], [""]), preset="sanq", catalog=catalog)
    bad = [{"id": "X", "layer": "redlines", "verdict": "review", "when": {"project_type": ["airport"]}}]
    with pytest.raises(PlanError, match="unknown; known"):
        check_siting(_sites([seat], [""]), rules={"rules": bad}, catalog=catalog)


def test_waived_only_contacts_are_reported(catalog, red_point):
    rules = [{"id": "W", "layer": "redlines", "verdict": "prohibited", "unless": {"project_type": ["monitoring"]}}]
    report = check_siting(_sites([red_point], ["monitoring"], r=100), rules=rules, catalog=catalog)
    assert report.summary()["verdict"].iloc[0] == "clear"
    w = report.waived
    assert len(w) == 1 and w["waived"].iloc[0] == "W" and w["project_type"].iloc[0] == "monitoring"


def test_dask_path_applies_project_type_conditions_like_check_siting(catalog, seat, red_point):
    """The partitioned path carries the rules' condition columns to the workers (it once dropped them)."""
    pytest.importorskip("dask_geopandas")
    from linfen_geo.analysis.siting import check_siting_dask

    rules = [
        {"id": "W", "layer": "redlines", "verdict": "prohibited", "unless": {"project_type": ["monitoring"]}},
        {"id": "V", "layer": "redlines", "verdict": "review"},
    ]
    pts = [red_point, seat, red_point, red_point]
    sites = _sites(pts, ["monitoring", "mining", "mining", "monitoring"])
    a = check_siting(sites, rules=rules, catalog=catalog)
    b = check_siting_dask(sites, rules=rules, catalog=catalog, npartitions=3)
    assert a.summary()["verdict"].tolist() == ["review", "clear", "prohibited", "review"]
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.waived, b.waived)


def test_dask_path_on_a_distributed_client_equals_check_siting(catalog, seat, red_point):
    pytest.importorskip("dask_geopandas")
    distributed = pytest.importorskip("distributed")
    from linfen_geo.analysis.siting import check_siting_dask

    rng = np.random.default_rng(3)
    pts = [shapely.Point(red_point.x + dx, red_point.y + dy) for dx, dy in rng.normal(0, 4000, (60, 2))]
    sites = _sites(pts, ["mining"] * len(pts))
    a = check_siting(sites, catalog=catalog)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        b = check_siting_dask(sites, catalog=catalog, npartitions=4, scheduler=client)
    assert set(a.summary()["verdict"]) >= {"prohibited", "clear"}
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())

"""The illustrative legacy-mine inventory: counts, placement rules, areas, reproducibility."""

from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from linfen_geo.crs import STORAGE_CRS, WORK_CRS, to_area_crs
from linfen_geo.errors import InputError
from linfen_geo.layers.mines import allocate, mine_sites


@pytest.fixture(scope="module")
def inputs(catalog) -> dict:
    return {name: catalog.load(name) for name in ("dem", "counties", "county_seats", "rivers")}


@pytest.fixture(scope="module")
def mines(catalog) -> gpd.GeoDataFrame:
    return catalog.load("mines")  # through the catalog: built, validated, cached, read back


@pytest.fixture(scope="module")
def params(catalog) -> dict:
    return catalog.plan["mines"]


def _sites(inputs: dict, plan: dict) -> gpd.GeoDataFrame:
    return mine_sites(inputs["dem"], inputs["counties"], inputs["county_seats"], inputs["rivers"], plan)


def test_count_counties_and_allocation(mines, params):
    assert len(mines) == params["total"]
    assert mines["site_id"].is_unique
    assert mines["site_id"].str.fullmatch(r"KS-\d{6}-\d{3}").all()
    assert mines["adcode"].nunique() == len(params["county_weights"]) == 15
    expected = allocate(params["total"], {int(k): v for k, v in params["county_weights"].items()})
    assert mines["adcode"].value_counts().sort_index().to_dict() == expected
    # the plan names 尧都区, 霍州市, 侯马市 and 襄汾县
    assert {"尧都区", "霍州市", "侯马市", "襄汾县"} <= set(mines["county"])
    assert mines["illustrative"].all()
    assert mines.crs == STORAGE_CRS
    assert mines.is_valid.all()


@pytest.mark.parametrize(
    ("total", "weights"),
    [(420, {1: 1.6, 2: 1.6, 3: 1.2}), (7, {1: 1.0, 2: 1.0, 3: 1.0}), (100, {i: float(i) for i in range(1, 16)})],
)
def test_allocate_largest_remainder_sums_exactly(total, weights):
    counts = allocate(total, weights)
    assert sum(counts.values()) == total
    quota = {k: total * w / sum(weights.values()) for k, w in weights.items()}
    assert all(np.floor(quota[k]) <= n <= np.ceil(quota[k]) for k, n in counts.items())


def test_sites_inside_their_county(mines, inputs):
    counties = inputs["counties"].set_index("adcode")
    pts = gpd.GeoSeries.from_xy(mines["lon"], mines["lat"], crs=STORAGE_CRS)
    polys = counties.geometry.loc[mines["adcode"]].values
    assert shapely.contains(polys, pts.values).all()
    assert (counties["name"].loc[mines["adcode"]].to_numpy() == mines["county"].to_numpy()).all()
    assert mines.geometry.contains(pts).all()  # the point is the footprint's centre


def test_clearance_from_towns_and_rivers(mines, inputs, params):
    pts = gpd.GeoSeries.from_xy(mines["lon"], mines["lat"], crs=STORAGE_CRS).to_crs(WORK_CRS).values
    seats = inputs["county_seats"].to_crs(WORK_CRS).union_all()
    rivers = inputs["rivers"].to_crs(WORK_CRS).union_all()
    assert shapely.distance(pts, seats).min() >= params["town_clearance_km"] * 1000
    assert shapely.distance(pts, rivers).min() >= params["river_clearance_m"]


def test_disturbed_area_is_the_footprint_area(mines, params):
    area_ha = to_area_crs(mines).area / 1e4
    np.testing.assert_allclose(area_ha, mines["disturbed_area_ha"], rtol=0.005)
    assert mines["disturbed_area_ha"].between(params["area_min_ha"], params["area_max_ha"]).all()
    # lognormal around the median
    assert mines["disturbed_area_ha"].median() == pytest.approx(params["area_median_ha"], rel=0.2)


def test_minerals_and_statuses_follow_the_plan(mines, params):
    coal_counties = set(params["coal_counties"])
    coal = mines["mineral"].str.contains("coal")
    assert coal.any()
    assert mines.loc[coal, "adcode"].isin(coal_counties).all()
    allowed = set(params["mineral_mix_coal"]) | set(params["mineral_mix_other"])
    assert set(mines["mineral"]) <= allowed
    assert set(mines["restoration_status"]) <= set(params["status_shares"])
    shares = mines["restoration_status"].value_counts(normalize=True)
    for status, share in params["status_shares"].items():
        assert shares[status] == pytest.approx(share, abs=0.08)


def test_quarries_prefer_the_basin_edge(mines):
    quarry = mines["mineral"].str.contains("limestone|building stone")
    # counties whose quarries found edge cells put all their quarries there
    assert mines.loc[quarry, "near_basin_edge"].mean() > mines.loc[~quarry, "near_basin_edge"].mean()
    by_county = mines[quarry].groupby("adcode")["near_basin_edge"]
    assert (by_county.any() == by_county.all()).all()


def test_same_seed_same_sites_other_seed_other_sites(inputs, catalog, mines):
    plan = copy.deepcopy(catalog.plan)
    a = _sites(inputs, plan)
    b = _sites(inputs, plan)
    assert_geodataframe_equal(a, b)
    # the catalog's cached layer is the same inventory
    np.testing.assert_array_equal(a["site_id"].to_numpy(), mines["site_id"].to_numpy())
    np.testing.assert_allclose(a[["lon", "lat", "disturbed_area_ha"]], mines[["lon", "lat", "disturbed_area_ha"]])
    plan["mines"]["seed"] = plan["mines"]["seed"] + 1
    c = _sites(inputs, plan)
    assert len(c) == len(a)
    assert a["adcode"].value_counts().equals(c["adcode"].value_counts())  # same allocation
    assert not np.allclose(a["lon"], c["lon"])
    assert (a["mineral"] != c["mineral"]).any()


def test_plan_parameters_drive_the_build(inputs, catalog):
    plan = copy.deepcopy(catalog.plan)
    plan["mines"]["total"] = 45
    plan["mines"]["town_clearance_km"] = 4.5
    out = _sites(inputs, plan)
    assert len(out) == 45
    pts = gpd.GeoSeries.from_xy(out["lon"], out["lat"], crs=STORAGE_CRS).to_crs(WORK_CRS).values
    assert shapely.distance(pts, inputs["county_seats"].to_crs(WORK_CRS).union_all()).min() >= 4_500
    plan["mines"]["total"] = 100_000
    with pytest.raises(InputError, match="candidate cells"):
        _sites(inputs, plan)

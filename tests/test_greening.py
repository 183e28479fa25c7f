"""Corridor greening: exact areas on synthetic rasters, reconciliation, greenable and suitability
rules, other CRSs and class schemes, refusals, and the shipped data against exactextract directly."""

from __future__ import annotations

import argparse
import importlib.util
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from shapely.geometry import box

import linfen_geo.analysis.greening.compute as compute
from linfen_geo.analysis.greening import GreeningRules, corridor_greening, corridor_zones
from linfen_geo.crs import AREA_CRS
from linfen_geo.errors import InputError, LinfenGeoError, PlanError
from linfen_geo.plan.loader import load_plan
from linfen_geo.terrain import aspect_deg, slope_deg

X0, Y1 = 500_000.0, 4_000_000.0  # top-left corner of the synthetic grids (EPSG:4546, near Linfen)
RES = 100.0
IGBP = {"forest": 4, "shrub": 6, "grass": 10, "cropland": 12, "built": 13, "barren": 16, "water": 17}
WORLDCOVER = {"forest": 10, "shrub": 20, "grass": 30, "cropland": 40, "built": 50, "barren": 60, "water": 80}
BANDS = ["cropland", "grass", "barren", "built", "water", "forest"]  # 10 columns each


@pytest.fixture(scope="module")
def rules() -> GreeningRules:
    return GreeningRules.from_plan(load_plan())


def grid(values: np.ndarray, res: float = RES, *, nodata: float | None = 255, crs: int = 4546) -> xr.DataArray:
    """A north-up DataArray with the top-left corner at (X0, Y1)."""
    h, w = values.shape
    da = xr.DataArray(
        values,
        dims=("y", "x"),
        coords={"y": Y1 - (np.arange(h) + 0.5) * res, "x": X0 + (np.arange(w) + 0.5) * res},
    ).rio.write_crs(crs)
    return da.rio.write_nodata(nodata) if nodata is not None else da


def landcover(classes: np.ndarray, scheme: str = "igbp") -> xr.DataArray:
    codes = IGBP if scheme == "igbp" else WORLDCOVER
    values = np.vectorize(codes.get)(classes).astype("uint8")
    da = grid(values)
    da.attrs["class_scheme"] = scheme
    return da


def bands(rows: int = 10) -> np.ndarray:
    return np.repeat(np.array(BANDS)[None, :], 10, axis=1).repeat(rows, axis=0)


def plane(shape: tuple[int, int], slope: float, facing: str = "N", z_mid: float = 1000.0) -> xr.DataArray:
    """A DEM tilted ``slope`` degrees, facing N or S (downhill direction), ``z_mid`` at the centre."""
    h, w = shape
    dist = (np.arange(h)[:, None] - (h - 1) / 2) * RES  # metres south of the centre row
    sign = 1.0 if facing == "N" else -1.0  # facing north: the ground rises southwards
    z = z_mid + sign * dist * math.tan(math.radians(slope)) + np.zeros((1, w))
    return grid(z.astype("float32"), nodata=None)


def zone(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A box in metres from the grid's top-left corner (x right, y down)."""
    return box(X0 + x0, Y1 - y1, X0 + x1, Y1 - y0)


def corridors(*geoms: shapely.Geometry, ids: tuple[str, ...] = ("A", "B", "C")) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"corridor_id": list(ids[:n]), "name_zh": [f"廊道{i}" for i in ids[:n]], "name_en": list(ids[:n])},
        geometry=list(geoms),
        crs=4546,
    )


def counties(*geoms: shapely.Geometry) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "adcode": [1 + i for i in range(n)],
            "name": [f"县{i}" for i in range(n)],
            "name_en": [f"c{i}" for i in range(n)],
        },
        geometry=list(geoms),
        crs=4546,
    )


def area(g: shapely.Geometry) -> float:
    return float(gpd.GeoSeries([g], crs=4546).to_crs(AREA_CRS).area.iloc[0])


def run(lc, dem, cor, cty, catalog, **kw):
    return corridor_greening(landcover=lc, dem=dem, corridors=cor, counties=cty, catalog=catalog, **kw)


def lc_area(res, corridor: str, cls: str) -> float:
    t = res.landcover_breakdown
    return float(t.loc[(t["corridor_id"] == corridor) & (t["class"] == cls), "area_m2"].sum())


# ------------------------------------------------------------------ exact areas
def test_areas_are_exact_for_whole_and_partial_cells(catalog):
    rng = np.random.default_rng(1)
    names = np.array(list(IGBP))
    classes = names[rng.integers(0, len(names), size=(30, 40))]
    lc = landcover(classes)
    dem = grid(np.full((30, 40), 1000.0, dtype="float32"), nodata=None)
    aligned = zone(500, 700, 3300, 2600)  # whole cells
    partial = zone(1250, 330, 3875, 1910)  # cuts cells: exact partial coverage
    ctys = counties(zone(0, 0, 4000, 3000))
    res = run(lc, dem, corridors(aligned, partial), ctys, catalog)
    x = (np.arange(40) * RES)[None, :]
    y = (np.arange(30) * RES)[:, None]
    for cid, (a, b, c, d) in (("A", (500, 700, 3300, 2600)), ("B", (1250, 330, 3875, 1910))):
        # coverage of each cell by the box: product of the overlaps along x and y
        wx = np.clip(np.minimum(x + RES, c) - np.maximum(x, a), 0, RES) / RES
        wy = np.clip(np.minimum(y + RES, d) - np.maximum(y, b), 0, RES) / RES
        cov = wx * wy
        zone_area = area(zone(a, b, c, d))
        for cls in IGBP:
            expected = cov[classes == cls].sum() / cov.sum() * zone_area
            # exact up to the zone's trip through AREA_CRS (edges become chords there: ~1e-8)
            assert lc_area(res, cid, cls) == pytest.approx(expected, rel=1e-7, abs=1e-3)
    # flat ground at 1000 m: grassland counts (on a hill by elevation), flat cropland does not
    row = res.by_corridor.set_index("corridor_id").loc["A"]
    assert row["greenable_from_grass_m2"] == pytest.approx(lc_area(res, "A", "grass"), rel=1e-12)
    assert row["greenable_from_cropland_m2"] == 0
    assert row["existing_green_m2"] == pytest.approx(lc_area(res, "A", "forest") + lc_area(res, "A", "shrub"))
    assert row["area_ha"] == pytest.approx(row["area_m2"] / 1e4)
    assert row["area_mu"] == pytest.approx(row["area_m2"] * 15 / 1e4)
    assert row["area_wanmu"] == pytest.approx(row["area_mu"] / 1e4)


# ------------------------------------------------------------------ reconciliation
def test_totals_reconcile_with_overlapping_corridors(catalog):
    rng = np.random.default_rng(2)
    names = np.array(list(IGBP))
    classes = names[rng.integers(0, len(names), size=(30, 60))]
    lc = landcover(classes)
    dem = plane((30, 60), 12.0)
    a = zone(150, 950, 5850, 1750)  # west-east strip
    b = zone(2950, 120, 3850, 2880)  # north-south strip crossing it
    ctys = counties(zone(0, 0, 2400, 3000), zone(2400, 0, 6000, 3000))
    res = run(lc, dem, corridors(a, b), ctys, catalog)
    cols = [c for c in res.by_corridor.columns if c.endswith("_m2") and c != "corridor_polygon_m2"]

    # land-cover classes sum to each corridor's area (and to the polygon's)
    lcsum = res.landcover_breakdown.groupby("corridor_id")["area_m2"].sum()
    for cid, g in (("A", a), ("B", b)):
        assert lcsum[cid] == pytest.approx(area(g), rel=1e-9)
        assert res.by_corridor.set_index("corridor_id").loc[cid, "area_m2"] == pytest.approx(area(g), rel=1e-9)
    # pieces sum to corridors
    by_c = res.by_piece.groupby("corridor_id")[cols].sum()
    pd.testing.assert_frame_equal(by_c, res.by_corridor.set_index("corridor_id")[cols], rtol=1e-12, check_names=False)
    # counties count the overlap once: pieces per county minus the overlap
    overlap = shapely.intersection(a, b)
    union = shapely.union(a, b)
    by_k = res.by_piece.groupby("adcode")[cols].sum()
    k = res.by_county.set_index("adcode")
    pd.testing.assert_series_equal(
        by_k["area_m2"] - k["overlap_m2"], k["area_m2"], rtol=1e-9, check_names=False, check_index_type=False
    )
    for code, g in zip(ctys["adcode"], ctys.geometry, strict=True):
        assert k.loc[code, "area_m2"] == pytest.approx(area(shapely.intersection(union, g)), rel=1e-7)
        assert k.loc[code, "overlap_m2"] == pytest.approx(area(shapely.intersection(overlap, g)), rel=1e-7, abs=1e-3)
    # the total is the counties' sum = the union; the corridors' sum exceeds it by the overlap
    t = res.total.iloc[0]
    for c in cols:
        assert t[c] == pytest.approx(res.by_county[c].sum(), rel=1e-12, abs=1e-9)
    # geometry computed here in EPSG:4546, in the report in AREA_CRS: edges differ by chords (~1e-8)
    assert t["area_m2"] == pytest.approx(area(union), rel=1e-7)
    assert t["corridor_sum_m2"] - t["area_m2"] == pytest.approx(area(overlap), rel=1e-7)
    assert res.landcover_breakdown.query("corridor_id == 'all'")["area_m2"].sum() == pytest.approx(
        t["area_m2"], rel=1e-12
    )
    greenable = sum(t[f"greenable_{s}_m2"] for s in res.rules.suitability_names)
    assert t["greenable_m2"] == pytest.approx(greenable)
    assert t["target_share"] == pytest.approx(t["greenable_mu"] / 200_000)
    assert res.greenable_m2 == t["greenable_m2"]
    assert any("overlap" in n for n in res.notes)


def test_corridor_zones_are_disjoint_and_complete():
    a, b = zone(0, 0, 3000, 1000), zone(2000, 0, 3000, 3000)
    z = corridor_zones(corridors(a, b), counties(zone(0, 0, 1500, 3000), zone(1500, 0, 3000, 3000)))
    assert sorted(z["atom_id"]) == ["A+B|2", "A|1", "A|2", "B|2"]
    geoms = z.geometry.values
    assert shapely.union_all(geoms).area == pytest.approx(sum(g.area for g in geoms), rel=1e-12)
    assert z["area_m2"].sum() == pytest.approx(area(shapely.union(a, b)), rel=1e-9)


# ------------------------------------------------------------------ greenable logic
@pytest.mark.parametrize(
    ("slope", "z_mid", "greenable"),
    [
        (0.0, 400.0, {"barren"}),  # basin floor: flat cropland no, grass in the basin no, barren yes
        (0.0, 1000.0, {"barren", "grass"}),  # above the basin: grass on the hills
        (20.0, 1000.0, {"barren", "grass", "cropland"}),  # cropland steeper than 15 deg
        (8.0, 450.0, {"barren", "grass"}),  # grass on a 8 deg slope in the basin counts (>= 5 deg)
    ],
)
def test_greenable_rules(catalog, slope, z_mid, greenable):
    lc = landcover(bands())
    dem = plane((10, 60), slope, "N", z_mid)
    res = run(lc, dem, corridors(zone(0, 0, 6000, 1000)), counties(zone(0, 0, 6000, 1000)), catalog)
    row = res.by_corridor.iloc[0]
    for cls in ("barren", "grass", "cropland"):
        expected = lc_area(res, "A", cls) if cls in greenable else 0.0
        assert row[f"greenable_from_{cls}_m2"] == pytest.approx(expected, rel=1e-12, abs=1e-9), cls
    expected_total = sum(lc_area(res, "A", c) for c in greenable)
    assert row["greenable_m2"] == pytest.approx(expected_total, rel=1e-12)  # built, water, forest never
    assert row["greenable_from_cropland_steep_m2"] == 0.0
    assert lc_area(res, "A", "barren") == pytest.approx(row["area_m2"] / 6, rel=1e-9)


def test_steep_cropland_is_reported_separately(catalog):
    res = run(
        landcover(bands()),
        plane((10, 60), 30.0),
        corridors(zone(0, 0, 6000, 1000)),
        counties(zone(0, 0, 6000, 1000)),
        catalog,
    )
    row = res.by_corridor.iloc[0]
    crop = lc_area(res, "A", "cropland")
    assert row["greenable_from_cropland_m2"] == pytest.approx(crop)
    assert row["greenable_from_cropland_steep_m2"] == pytest.approx(crop)


# ------------------------------------------------------------------ suitability rules
@pytest.mark.parametrize(
    ("slope", "facing", "z_mid", "expected"),
    [
        (20.0, "N", 1000.0, "tree"),  # shady slope below 1800 m
        (30.0, "N", 1000.0, "shrub"),  # too steep for trees
        (40.0, "N", 1000.0, "grass"),  # too steep for shrubs
        (20.0, "S", 1000.0, "shrub"),  # sunny (south-facing) slope: not a tree aspect
        (20.0, "N", 2000.0, "shrub"),  # above the tree line of 1800 m
        (5.0, "N", 2500.0, "grass"),  # above 2200 m: grass only
    ],
)
def test_suitability_rules(catalog, slope, facing, z_mid, expected):
    lc = landcover(np.full((10, 20), "barren"))
    dem = plane((10, 20), slope, facing, z_mid)
    res = run(lc, dem, corridors(zone(0, 0, 2000, 1000)), counties(zone(0, 0, 2000, 1000)), catalog)
    row = res.by_corridor.iloc[0]
    assert row[f"greenable_{expected}_m2"] == pytest.approx(row["area_m2"], rel=1e-12)
    assert row["greenable_m2"] == pytest.approx(row["area_m2"], rel=1e-12)
    suit = res.suitability
    names = ["not greenable", *res.rules.suitability_names]
    assert set(np.unique(suit.values)) <= {names.index(expected), 255}


def test_terrain_codes_match_the_terrain_module(rules):
    rng = np.random.default_rng(3)
    from scipy.ndimage import gaussian_filter

    z = (gaussian_filter(rng.normal(size=(60, 60)), 3) * 4000 + 1200).astype("float32")
    fast, steepest = rules.terrain_code_from_dem(z, 30.0)
    zda = xr.DataArray(z.astype(float), dims=("y", "x"), coords={"y": -np.arange(60) * 30.0, "x": np.arange(60) * 30.0})
    zda = zda.rio.write_crs(4546)
    slow = rules.terrain_code(slope_deg(zda).values, aspect_deg(zda).values, z)
    assert (fast == slow).mean() > 0.999  # float32 vs float64 ties at thresholds only
    assert steepest == pytest.approx(float(np.nanmax(slope_deg(zda).values)), rel=1e-4)
    assert len(np.unique(slow >> 3)) >= 2  # the test DEM exercises more than one rule


def test_tiling_and_file_backing_do_not_change_the_answer(catalog, monkeypatch):
    rng = np.random.default_rng(4)
    names = np.array(list(IGBP))
    classes = names[rng.integers(0, len(names), size=(30, 60))]
    lc, dem = landcover(classes), plane((30, 60), 18.0, "S", 1500)
    cor = corridors(zone(150, 950, 5850, 1750), zone(2950, 120, 3850, 2880))
    cty = counties(zone(0, 0, 2400, 3000), zone(2400, 0, 6000, 3000))
    one = run(lc, dem, cor, cty, catalog, split_cells=None)
    monkeypatch.setattr(compute, "IN_MEMORY_BYTES", 0)  # force the file-backed path
    many = run(lc, dem, cor, cty, catalog, tile_size=7, workers=2, split_cells=None)
    assert many.meta["analysis_grid"]["tiles"] > 10
    pd.testing.assert_frame_equal(one.by_piece, many.by_piece, rtol=1e-12)
    # zones cut into 7-cell squares for exactextract, recombined by planar area: the same answer
    cut = run(lc, dem, cor, cty, catalog, split_cells=7)
    pd.testing.assert_frame_equal(one.by_piece, cut.by_piece, rtol=1e-7)  # (cuts made in AREA_CRS: chords)
    assert len(compute._split(one.zones, 700.0)) > 3 * len(one.zones)
    np.testing.assert_array_equal(one.suitability.values, many.suitability.values)
    many.close()


# ------------------------------------------------------------------ other CRS, other class scheme
def test_worldcover_classes_give_the_same_areas(catalog):
    rng = np.random.default_rng(5)
    names = np.array(list(IGBP))
    classes = names[rng.integers(0, len(names), size=(20, 30))]
    dem = plane((20, 30), 17.0)
    cor, cty = corridors(zone(120, 230, 2810, 1770)), counties(zone(0, 0, 3000, 2000))
    a = run(landcover(classes, "igbp"), dem, cor, cty, catalog)
    b = run(landcover(classes, "worldcover"), dem, cor, cty, catalog)
    for name in ("by_piece", "by_corridor", "by_county", "total", "landcover_breakdown"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), rtol=1e-12)
    # other data types take the general class look-up: same answer
    lc16 = landcover(classes, "worldcover").astype("int16")
    lc16.attrs["class_scheme"] = "worldcover"
    c = run(lc16.rio.write_nodata(-1), dem, cor, cty, catalog)
    pd.testing.assert_frame_equal(a.by_piece, c.by_piece, rtol=1e-12)


def test_raster_in_another_crs_is_handled(catalog):
    # barren west, cropland east, on a 20 deg north-facing slope: everything is greenable, tree-suited
    classes = np.where(np.arange(40)[None, :] < 20, "barren", "cropland").repeat(24, axis=0)
    lc, dem = landcover(classes), plane((24, 40), 20.0)
    cor, cty = corridors(zone(600, 500, 3400, 1900)), counties(zone(0, 0, 4000, 2400))
    ref = run(lc, dem, cor, cty, catalog)
    lc_geo = lc.rio.reproject(4326, resolution=0.0005, resampling=0)
    lc_geo.attrs["class_scheme"] = "igbp"
    dem_geo = dem.rio.reproject(4326, resolution=0.0005, resampling=1)  # bilinear
    for lc_in, dem_in in ((lc_geo, dem), (lc, dem_geo), (lc_geo, dem_geo)):
        res = run(lc_in, dem_in, cor, cty, catalog)
        a, r = res.by_corridor.iloc[0], ref.by_corridor.iloc[0]
        assert a["area_m2"] == pytest.approx(r["area_m2"], rel=1e-9)
        assert a["greenable_tree_m2"] == pytest.approx(a["area_m2"], rel=1e-9)  # terrain and rules survive
        for cls in ("barren", "cropland"):  # only the class border moves, by up to half a cell
            assert lc_area(res, "A", cls) == pytest.approx(lc_area(ref, "A", cls), rel=0.03)


# ------------------------------------------------------------------ refusals
def test_unknown_classes_and_schemes_are_refused(catalog):
    classes = np.full((10, 20), "barren")
    lc = landcover(classes)
    lc.values[3, 4], lc.values[5, 6] = 99, 250
    cor, cty, dem = corridors(zone(0, 0, 2000, 1000)), counties(zone(0, 0, 2000, 1000)), plane((10, 20), 5.0)
    with pytest.raises(InputError, match=r"values \[99, 250\] are not in .*class_maps.igbp"):
        run(lc, dem, cor, cty, catalog)
    lc = landcover(classes)
    with pytest.raises(InputError, match="no class map for land-cover class scheme 'esa'"):
        run(lc, dem, cor, cty, catalog, classes="esa")
    del lc.attrs["class_scheme"]
    with pytest.raises(InputError, match="no class scheme"):
        run(lc, dem, cor, cty, catalog)
    with pytest.raises(InputError, match="does not cover the corridors"):
        run(landcover(classes), dem, corridors(zone(0, 0, 5000, 1000)), cty, catalog)
    with pytest.raises(InputError, match="DEM does not cover"):
        run(landcover(classes), plane((5, 20), 5.0), cor, cty, catalog)


def test_bad_plan_rules_are_refused():
    plan = load_plan()
    plan["greening"]["suitability"] = [*plan["greening"]["suitability"], {"class": "bamboo", "max_slop_deg": 3}]
    with pytest.raises(PlanError, match=r"unknown key greening\.suitability\[3\]\.max_slop_deg"):
        GreeningRules.from_plan(plan)
    plan = load_plan()
    plan["greening"]["class_maps"]["igbp"]["forest"].append(12)
    with pytest.raises(PlanError, match=r"greening\.class_maps\.igbp\.\w+ puts value 12 in both"):
        GreeningRules.from_plan(plan)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p["greening"]["suitability"][1].update(max_slope_deg="steep"),
            r"suitability\[1\]\.max_slope_deg must be a number",
        ),
        (
            lambda p: p["greening"]["suitability"][0].update(aspects=["N", "up"]),
            r"suitability\[0\]\.aspects names unknown",
        ),
        (lambda p: p["greening"]["suitability"][2].pop("class"), r"lacks the key 'greening\.suitability\[2\]\.class'"),
        (lambda p: p["greening"].pop("sloping_cropland_deg"), r"lacks the key 'greening\.sloping_cropland_deg'"),
        (lambda p: p["greening"].update(sloping_crop_deg=15), r"unknown key greening\.sloping_crop_deg"),
        (lambda p: p["terrain"].pop("basin_max_elevation_m"), r"lacks the key 'terrain\.basin_max_elevation_m'"),
        (lambda p: p["greening"].update(green_cover=["forest", "bamboo"]), r"greening\.green_cover names unknown"),
        (lambda p: p["greening"]["class_maps"]["igbp"].update(moss=[99]), r"class_maps\.igbp\.moss maps to unknown"),
    ],
)
def test_plan_errors_name_the_key_path(edit, message):
    plan = load_plan()
    edit(plan)
    with pytest.raises(PlanError, match=message) as exc:
        GreeningRules.from_plan(plan)
    assert isinstance(exc.value, InputError)  # the CLI's exit status 2


def test_rules_are_typed(rules):
    from linfen_geo.analysis.greening import SuitabilityRule

    assert all(isinstance(r, SuitabilityRule) for r in rules.suitability)
    tree, _, grass = rules.suitability
    assert (tree.max_slope_deg, tree.max_elevation_m, tree.aspects[0]) == (25.0, 1800.0, "N")
    assert grass.unconditional and not tree.unconditional
    assert rules.suitability_zh == ("宜乔", "宜灌", "宜草")


def test_corridor_modes(catalog):
    """``terrain`` mode reads the corridors_terrain layer (or says clearly that it is missing)."""
    with pytest.raises(InputError, match="ridge"):
        corridor_greening(catalog=catalog, corridor_mode="ridge")
    if importlib.util.find_spec("linfen_geo.layers.corridors_terrain") is None:
        with pytest.raises(InputError, match="terrain"):
            corridor_greening(catalog=catalog, corridor_mode="terrain")
        return
    res = corridor_greening(catalog=catalog, corridor_mode="terrain")
    cor = catalog.load("corridors_terrain")
    polygons = cor.assign(a=cor.to_crs(AREA_CRS).area).set_index("corridor_id")["a"]
    lcsum = res.landcover_breakdown.query("corridor_id != 'all'").groupby("corridor_id")["area_m2"].sum()
    for cid, a in polygons.items():
        assert lcsum[cid] == pytest.approx(a, rel=1e-6)
    buffer = corridor_greening(catalog=catalog, corridor_mode="buffer")
    assert res.total["area_m2"].iloc[0] > buffer.total["area_m2"].iloc[0]  # to the ridge line: wider


# ------------------------------------------------------------------ the shipped data
@pytest.fixture(scope="module")
def shipped(catalog):
    return corridor_greening(catalog=catalog)


def test_shipped_data_equals_exactextract_directly(shipped, catalog):
    """Land-cover breakdown vs exactextract called directly on the land-cover raster."""
    from exactextract import exact_extract

    plan = load_plan()
    to_common = {v: c for c, vals in plan["greening"]["class_maps"]["igbp"].items() for v in vals}
    lc = catalog.load("landcover").squeeze()
    k = shipped.meta["subdivide"]
    # the same land cover, each cell split k x k (the report's analysis grid), built independently
    t = lc.rio.transform()
    fine = np.repeat(np.repeat(lc.values, k, axis=0), k, axis=1)
    fine_da = xr.DataArray(
        fine,
        dims=("y", "x"),
        coords={
            "y": t.f + (np.arange(fine.shape[0]) + 0.5) * t.e / k,
            "x": t.c + (np.arange(fine.shape[1]) + 0.5) * t.a / k,
        },
    )
    fine_da = fine_da.rio.write_crs(lc.rio.crs).rio.write_nodata(255)
    zones = shipped.zones
    ops = ["unique", "frac(coverage_weight=area_spherical_m2)"]
    got = exact_extract(
        fine_da, zones.to_crs(4326)[["atom_id", "geometry"]], ops, output="pandas", include_cols=["atom_id"]
    )
    expected: dict[tuple[str, str], float] = {}
    for row, (cids, a) in zip(got.itertuples(), zip(zones["corridors"], zones["area_m2"], strict=True), strict=True):
        for value, frac in zip(row.unique, row.frac, strict=True):
            for cid in cids.split("+"):
                key = (cid, to_common[int(value)])
                expected[key] = expected.get(key, 0.0) + frac * a
    table = shipped.landcover_breakdown.set_index(["corridor_id", "class"])["area_m2"]
    for key, value in expected.items():
        assert table[key] == pytest.approx(value, rel=1e-6), key
    assert table.drop(list(expected), errors="ignore").drop("all", level=0).max() < 1e-6  # nothing else

    # directly per whole corridor on the 5 km raster: within exactextract's partial-cell
    # approximation on 5 km lon/lat cells (~1e-4 of the corridor area)
    cor = catalog.load("corridors")
    direct = exact_extract(lc, cor[["corridor_id", "geometry"]], ops, output="pandas", include_cols=["corridor_id"])
    careas = cor.to_crs(AREA_CRS).area.to_numpy()
    for row, a in zip(direct.itertuples(), careas, strict=True):
        per_class: dict[str, float] = {}
        for value, frac in zip(row.unique, row.frac, strict=True):
            per_class[to_common[int(value)]] = per_class.get(to_common[int(value)], 0.0) + frac * a
        for cls, v in per_class.items():
            assert table[(row.corridor_id, cls)] == pytest.approx(v, abs=1e-3 * a)


def test_shipped_totals_and_notes(shipped, catalog):
    cor = catalog.load("corridors")
    polygons = cor.assign(a=cor.to_crs(AREA_CRS).area).set_index("corridor_id")["a"]
    lcsum = shipped.landcover_breakdown.query("corridor_id != 'all'").groupby("corridor_id")["area_m2"].sum()
    for cid, a in polygons.items():
        assert lcsum[cid] == pytest.approx(a, rel=1e-6)  # land-cover classes sum to the corridor area
    assert list(shipped.by_corridor["corridor_id"]) == ["C1", "C2", "C3", "C4"]
    notes = shipped.notes
    assert notes[0].startswith("Land cover") and "0.05°" in notes[0] and "MODIS" in notes[0]
    assert notes[1].startswith("DEM") and "EPSG:4546" in notes[1]
    assert any(n.startswith("COARSE DATA") and "narrower than one land-cover cell" in n for n in notes)
    assert any(n.startswith("ILLUSTRATIVE") for n in notes)
    assert shipped.by_corridor[["corridor_zh", "corridor_en"]].notna().all().all()
    assert {"county_zh", "county_en"} <= set(shipped.by_county.columns)
    for name, t in shipped.tables().items():
        for unit in ("ha", "mu", "wanmu"):
            assert f"area_{unit}" in t.columns, (name, unit)
    assert 0 < shipped.greenable_m2 < shipped.total["area_m2"].iloc[0]
    assert shipped.target_share == pytest.approx(shipped.greenable_m2 / (200_000 * 10_000 / 15))
    assert "万亩" in shipped.greenable_sentence()


def test_write_report(shipped, tmp_path):
    import openpyxl

    paths = shipped.write(tmp_path)
    names = {p.name for p in paths}
    assert {
        "greening_by_piece.csv",
        "greening_by_corridor.csv",
        "greening_by_county.csv",
        "greening_total.csv",
        "greening_landcover_breakdown.csv",
        "greening.xlsx",
        "greening_suitability_map.png",
        "greening_by_county.png",
        "greening_suitability.tif",
        "greening_report.md",
        "greening_report.html",
    } <= names
    wb = openpyxl.load_workbook(tmp_path / "greening.xlsx", read_only=True)
    assert wb.sheetnames == [
        "by_piece",
        "by_corridor",
        "by_county",
        "total",
        "landcover_breakdown",
        "notes",
        "definitions",
    ]
    csv = pd.read_csv(tmp_path / "greening_by_corridor.csv", encoding="utf-8-sig")
    assert csv["corridor_zh"].str.contains("廊道").all()
    md = (tmp_path / "greening_report.md").read_text(encoding="utf-8")
    assert md.index("Land cover") < md.index("By corridor")  # data honesty first
    html = (tmp_path / "greening_report.html").read_text(encoding="utf-8")
    assert "greening_suitability_map.png" in html and "COARSE DATA" in html
    # a re-run replaces its own files; a file someone else wrote is never replaced without overwrite
    shipped.write(tmp_path)
    other = tmp_path / "mine"
    other.mkdir()
    (other / "greening_total.csv").write_text("not ours", encoding="utf-8")
    with pytest.raises(InputError, match="did not write"):
        shipped.write(other)
    with pytest.raises(InputError, match="exists"):
        shipped.to_excel(tmp_path / "greening.xlsx")
    assert shipped.to_excel(tmp_path / "x.xlsx").exists()


def test_step_greening(catalog, tmp_path):
    import linfen_geo.analysis.greening as analysis_greening
    from linfen_geo.reports.greening import step_greening
    from linfen_geo.reports.writers import OutputDir

    assert not hasattr(analysis_greening, "step_greening")  # a step that writes files is not an analysis

    with OutputDir(tmp_path) as out:
        md = step_greening(catalog, out)
        assert not (tmp_path / "greening_report.html").exists()  # staged until the run finishes
    assert md.startswith("## Corridor greening 廊道绿化")
    assert "万亩" in md and "COARSE DATA" in md
    assert (tmp_path / "greening_report.html").exists()


# ------------------------------------------------------------------ command line
def _parser():
    from linfen_geo.cli.app import _Parser
    from linfen_geo.cli.data import add_data_parser
    from linfen_geo.cli.greening import add_greening_parser

    p = _Parser(prog="linfen-geo")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_greening_parser(sub)
    add_data_parser(sub)
    return p


def test_cli_greening(fresh_catalog, tmp_path, capsys):
    from linfen_geo.cli.greening import cmd_greening

    args = _parser().parse_args(["greening", "--out", str(tmp_path / "o"), "--corridor-mode", "buffer"])
    assert args.func is cmd_greening
    assert cmd_greening(args, catalog=fresh_catalog) == 0
    assert (tmp_path / "o" / "greening_report.html").exists()
    assert "万亩" in capsys.readouterr().out
    bad = _parser().parse_args(["greening", "--classes", "worldcover"])
    with pytest.raises(LinfenGeoError, match="--landcover"):
        cmd_greening(bad, catalog=fresh_catalog)
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["greening", "--corridor-mode", "ridge"])
    assert exc.value.code == 2


def test_cli_greening_with_user_rasters(fresh_catalog, tmp_path):
    """--landcover / --dem: a user's WorldCover-coded raster replaces the MODIS one."""
    from linfen_geo.cli.greening import cmd_greening

    lc = fresh_catalog.load("landcover").squeeze()
    wc = {v: WORLDCOVER.get(c, 100) for c, vals in load_plan()["greening"]["class_maps"]["igbp"].items() for v in vals}
    lut = np.full(256, 0, dtype="uint8")
    for v, code in wc.items():
        lut[v] = code
    user = lc.copy(data=lut[lc.values]).rio.write_nodata(0)
    path = tmp_path / "wc.tif"
    user.rio.to_raster(path)
    args = _parser().parse_args(
        ["greening", "--out", str(tmp_path / "o"), "--landcover", str(path), "--classes", "worldcover"]
    )
    assert cmd_greening(args, catalog=fresh_catalog) == 0
    by_c = pd.read_csv(tmp_path / "o" / "greening_by_corridor.csv", encoding="utf-8-sig")
    ref = corridor_greening(catalog=type(fresh_catalog)(cache_dir=fresh_catalog.cache_dir, config={}))
    # IGBP classes the worldcover map cannot tell apart (snow/other/wetland) do not occur in the corridors
    np.testing.assert_allclose(by_c["greenable_m2"], ref.by_corridor["greenable_m2"], rtol=1e-9)
    assert isinstance(args, argparse.Namespace)


# ------------------------------------------------------------------ layers by name, module boundaries
def test_inputs_by_catalog_name_equal_inputs_as_data(shipped, catalog):
    named = corridor_greening(
        catalog=catalog, landcover="landcover", dem="dem", corridors="corridors", counties="counties"
    )
    for name, table in shipped.tables().items():
        pd.testing.assert_frame_equal(named.tables()[name], table, check_exact=True)
    assert named.notes == shipped.notes
    as_data = corridor_greening(
        catalog=catalog, landcover=catalog.load("landcover"), corridors=catalog.load("corridors")
    )
    pd.testing.assert_frame_equal(as_data.by_piece, shipped.by_piece, check_exact=True)
    with pytest.raises(InputError, match="must be a catalog layer name or an xarray DataArray"):
        corridor_greening(catalog=catalog, dem=np.zeros((3, 3)))


def test_analysis_imports_no_viz_reports_cli_or_catalog_internals():
    import subprocess
    import sys

    code = (
        "import sys; import linfen_geo.analysis.greening, linfen_geo.analysis.corridors; "
        "bad = sorted(m for m in sys.modules if m.startswith(('linfen_geo.viz', 'linfen_geo.reports', "
        "'linfen_geo.cli', 'linfen_geo.layer_catalog'))); print(bad)"
    )
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[1])  # this checkout's linfen_geo, not an installed one
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo, env={"PYTHONPATH": repo}
    ).stdout
    assert out.strip() == "[]"

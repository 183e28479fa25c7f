"""Siting check: known answers on hand-made sites, a brute-force reference, input formats, shipped layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from linfen_geo.analysis.siting import SitingReport, check_siting, check_siting_dask, subdivide
from linfen_geo.crs import AREA_CRS, STORAGE_CRS, WORK_CRS
from linfen_geo.io.jzd import write_jzd
from linfen_geo.units import M2_PER_MU

X0, Y0 = 500_000.0, 3_995_000.0  # GK CM 111E, near Linfen


def _layer(rows: list[dict], crs: int = 4546) -> gpd.GeoDataFrame:
    """A layer in EPSG:4326 built from GK geometries."""
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows).drop(columns="geometry"), geometry=[r["geometry"] for r in rows], crs=crs)
    return gdf.to_crs(STORAGE_CRS)


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    """Synthetic protected layers, one block each, east of X0 (GK squares converted to EPSG:4326)."""
    return {
        "redlines": _layer(
            [
                {"redline_id": "HX-A", "name": "红线A", "geometry": box(X0, Y0, X0 + 1000, Y0 + 1000)},
                {
                    "redline_id": "HX-B",
                    "name": "红线B",
                    "geometry": box(X0 + 20_000, Y0 + 15_000, X0 + 21_000, Y0 + 16_000),
                },
            ]
        ),
        "reserves": _layer(
            [
                {
                    "reserve_id": "NR-core",
                    "name_zh": "保护区",
                    "zone": "core",
                    "geometry": box(X0 + 30_000, Y0, X0 + 31_000, Y0 + 1000),
                },
                {
                    "reserve_id": "NR-exp",
                    "name_zh": "保护区",
                    "zone": "experimental",
                    "geometry": box(X0 + 31_000, Y0, X0 + 32_000, Y0 + 1000),
                },
            ]
        ),
        "spring_zones": _layer(
            [{"zone_id": "SP1", "name_zh": "泉域", "geometry": Point(X0 + 40_500, Y0 + 500).buffer(500, quad_segs=64)}]
        ),
        "river_buffers": _layer([{"river": "汾河", "geometry": box(X0 + 50_000, Y0 - 5000, X0 + 50_100, Y0 + 5000)}]),
        "corridors": _layer(
            [{"corridor_id": "C1", "name_zh": "廊道", "geometry": box(X0 + 60_000, Y0 - 5000, X0 + 62_000, Y0 + 5000)}]
        ),
    }


def _sites(geoms: dict[str, object], crs: int = 4546) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_id": list(geoms)}, geometry=list(geoms.values()), crs=crs)


def _overlap_area_crs(site_gk, feature_4326) -> float:
    """Independent overlap: both reprojected to AREA_CRS by geopandas, intersected by shapely."""
    a = gpd.GeoSeries([site_gk], crs=WORK_CRS).to_crs(STORAGE_CRS).to_crs(AREA_CRS).iloc[0]
    b = gpd.GeoSeries([feature_4326], crs=STORAGE_CRS).to_crs(AREA_CRS).iloc[0]
    return float(a.intersection(b).area)


def _area_crs(site_gk) -> float:
    return float(gpd.GeoSeries([site_gk], crs=WORK_CRS).to_crs(STORAGE_CRS).to_crs(AREA_CRS).area.iloc[0])


# --------------------------------------------------------------------------- known answers


@pytest.fixture(scope="module")
def known(layers, catalog) -> tuple[SitingReport, dict[str, object]]:
    hole_outer = box(X0 - 1000, Y0 - 1000, X0 + 2000, Y0 + 2000)
    geoms = {
        "inside": box(X0 + 200, Y0 + 200, X0 + 400, Y0 + 400),
        "straddle": box(X0 + 800, Y0 + 400, X0 + 1200, Y0 + 600),
        "touch": box(X0 + 1000, Y0, X0 + 1200, Y0 + 200),
        "near100": box(X0 + 1100, Y0, X0 + 1300, Y0 + 200),
        "far": box(X0 + 10_000, Y0 - 10_000, X0 + 10_200, Y0 - 9800),
        # a ring whose hole holds red line HX-A 200 m (review) / 600 m (clear) from the hole's edge
        "hole200": Polygon(hole_outer.exterior.coords, [box(X0 - 200, Y0 - 200, X0 + 1200, Y0 + 1200).exterior.coords]),
        "hole600": Polygon(
            box(X0 - 2000, Y0 - 2000, X0 + 3000, Y0 + 3000).exterior.coords,
            [box(X0 - 600, Y0 - 600, X0 + 1600, Y0 + 1600).exterior.coords],
        ),
        "multi": MultiPolygon(
            [box(X0 + 100, Y0 + 100, X0 + 300, Y0 + 300), box(X0 + 40_400, Y0 + 400, X0 + 40_600, Y0 + 600)]
        ),
        "core": box(X0 + 30_400, Y0 + 400, X0 + 30_600, Y0 + 600),
        "exp": box(X0 + 31_400, Y0 + 400, X0 + 31_600, Y0 + 600),
        "river": box(X0 + 49_900, Y0, X0 + 50_200, Y0 + 100),
        "corridor": box(X0 + 60_500, Y0, X0 + 60_700, Y0 + 200),
        "point_in": Point(X0 + 500, Y0 + 500),
        "line_cross": LineString([(X0 + 500, Y0 - 500), (X0 + 500, Y0 + 1500)]),
    }
    return check_siting(_sites(geoms), layers=layers, catalog=catalog), geoms


def _contacts(report: SitingReport, site_id: str) -> pd.DataFrame:
    df = report.to_frame()
    return df[df["site_id"] == site_id]


def test_inside_is_prohibited_with_exact_overlap(known, layers):
    report, geoms = known
    s = report.summary().set_index("site_id").loc["inside"]
    assert s["verdict"] == "prohibited" and s["verdict_zh"] == "禁止" and s["worst_rule"] == "R1"
    c = _contacts(report, "inside")
    assert c[["rule", "feature_id", "feature_name"]].values.tolist() == [["R1", "HX-A", "红线A"]]
    want = _overlap_area_crs(geoms["inside"], layers["redlines"].geometry.iloc[0])
    assert c["overlap_m2"].iloc[0] == pytest.approx(want, rel=1e-6)
    assert s["area_m2"] == pytest.approx(_area_crs(geoms["inside"]), rel=1e-9)
    assert c["share_of_site"].iloc[0] == pytest.approx(1.0)
    assert c["overlap_mu"].iloc[0] == pytest.approx(want / M2_PER_MU, rel=1e-6)
    assert s["nearest_redline_m"] == 0.0 and s["nearest_redline_id"] == "HX-A"
    assert s["conflict_free_m2"] == 0.0
    assert report.conflict_free.loc["inside"].is_empty


def test_straddling_overlap_and_conflict_free_remainder(known, layers):
    report, geoms = known
    c = _contacts(report, "straddle")
    want = _overlap_area_crs(geoms["straddle"], layers["redlines"].geometry.iloc[0])
    assert c["overlap_m2"].iloc[0] == pytest.approx(want, rel=1e-6)
    assert 39_000 < want < 41_000  # half of 400 m x 200 m
    s = report.summary().set_index("site_id").loc["straddle"]
    area = _area_crs(geoms["straddle"])
    assert c["share_of_site"].iloc[0] == pytest.approx(want / area, rel=1e-6)
    assert s["conflict_free_m2"] == pytest.approx(area - want, rel=1e-6)
    assert s["conflict_free_mu"] == pytest.approx((area - want) / M2_PER_MU, rel=1e-6)
    free = report.conflict_free.loc["straddle"]
    free_gk = gpd.GeoSeries([free], crs=STORAGE_CRS).to_crs(WORK_CRS).iloc[0]
    assert free_gk.bounds == pytest.approx((X0 + 1000, Y0 + 400, X0 + 1200, Y0 + 600), abs=1e-3)


def test_touching_is_distance_zero_without_overlap(known):
    report, _ = known
    c = _contacts(report, "touch")
    row = c[c["rule"] == "R1"].iloc[0]
    assert row["distance_m"] == 0.0 and row["overlap_m2"] == 0.0 and row["contact"] == "intersects"
    s = report.summary().set_index("site_id").loc["touch"]
    assert s["nearest_redline_m"] == 0.0
    assert s["conflict_free_m2"] == pytest.approx(s["area_m2"], rel=1e-9)  # nothing to subtract


def test_100m_away_is_review_by_R6(known):
    report, _ = known
    c = _contacts(report, "near100")
    assert c["rule"].tolist() == ["R6"]
    assert c["verdict"].iloc[0] == "review" and c["overlap_m2"].iloc[0] == 0.0
    assert c["distance_m"].iloc[0] == pytest.approx(100.0, abs=0.5)
    s = report.summary().set_index("site_id").loc["near100"]
    assert s["verdict"] == "review" and s["nearest_redline_m"] == pytest.approx(100.0, abs=0.5)


def test_far_site_is_clear_with_exact_nearest_distance(known, layers):
    report, geoms = known
    assert _contacts(report, "far").empty
    s = report.summary().set_index("site_id").loc["far"]
    assert s["verdict"] == "clear" and s["verdict_zh"] == "无冲突" and s["n_contacts"] == 0
    red_gk = layers["redlines"].to_crs(WORK_CRS)
    want = red_gk.distance(geoms["far"])
    assert s["nearest_redline_m"] == pytest.approx(want.min(), abs=1e-6)
    assert s["nearest_redline_id"] == red_gk["redline_id"].iloc[int(want.argmin())]


def test_hole_containing_a_red_line_is_not_an_overlap(known):
    report, _ = known
    c = _contacts(report, "hole200")
    assert c["rule"].tolist() == ["R6"] and c["overlap_m2"].tolist() == [0.0]
    assert c["distance_m"].iloc[0] == pytest.approx(200.0, abs=1e-6)
    s = report.summary().set_index("site_id")
    assert s.loc["hole200", "verdict"] == "review"
    assert s.loc["hole600", "verdict"] == "clear"
    assert s.loc["hole600", "nearest_redline_m"] == pytest.approx(600.0, abs=1e-6)


def test_multipolygon_collects_contacts_of_each_part(known, layers):
    report, geoms = known
    c = _contacts(report, "multi").set_index("rule")
    assert set(c.index) == {"R1", "R4"}
    assert c.loc["R1", "overlap_m2"] == pytest.approx(
        _overlap_area_crs(geoms["multi"], layers["redlines"].geometry.iloc[0]), rel=1e-6
    )
    assert c.loc["R4", "overlap_m2"] == pytest.approx(
        _overlap_area_crs(geoms["multi"], layers["spring_zones"].geometry.iloc[0]), rel=1e-6
    )
    s = report.summary().set_index("site_id").loc["multi"]
    assert s["verdict"] == "prohibited" and s["geometry_type"] == "MultiPolygon" and s["n_contacts"] == 2
    assert c["share_of_site"].sum() == pytest.approx(1.0, rel=1e-6)
    assert s["conflict_free_m2"] == pytest.approx(0.0, abs=1e-6)


def test_reserve_zones_rivers_and_corridors_follow_the_plan_rules(known):
    report, _ = known
    pairs = report.to_frame().set_index(["site_id", "rule"])
    assert ("core", "R2") in pairs.index and pairs.loc[("core", "R2"), "verdict"] == "prohibited"
    assert pairs.loc[("exp", "R3"), "feature_id"] == "NR-exp"
    # the experimental-zone site is also within 1 km of the core zone: a second contact by R7
    assert pairs.loc[("exp", "R7"), "feature_id"] == "NR-core"
    assert pairs.loc[("exp", "R7"), "distance_m"] == pytest.approx(400.0, abs=1e-6)
    assert pairs.loc[("river", "R5"), "feature_name"] == "汾河"
    assert pairs.loc[("corridor", "R8"), "verdict"] == "review"
    v = report.verdicts
    assert v["core"] == "prohibited" and v["exp"] == "restricted" and v["river"] == "restricted"
    assert v["corridor"] == "review"


def test_points_and_lines(known, layers):
    report, _geoms = known
    s = report.summary().set_index("site_id")
    assert s.loc["point_in", "verdict"] == "prohibited" and s.loc["point_in", "area_m2"] == 0.0
    p = _contacts(report, "point_in").iloc[0]
    assert p["share_of_site"] == 1.0 and p["overlap_m2"] == 0.0
    line = _contacts(report, "line_cross").iloc[0]
    assert line["overlap_m2"] == 0.0
    assert line["overlap_length_m"] == pytest.approx(1000.0, rel=1e-9)
    assert line["share_of_site"] == pytest.approx(0.5, rel=1e-9)
    assert s.loc["line_cross", "length_m"] == pytest.approx(2000.0, rel=1e-9)


def test_json_text_layers_and_illustrative_flag(known, layers, catalog):
    import json

    report, _ = known
    data = json.loads(report.to_json())
    assert set(data) >= {"sites", "layers", "crs", "illustrative", "notes"}
    assert data["illustrative"] is False  # synthetic layers carry no status: "user"
    site = next(s for s in data["sites"] if s["site_id"] == "straddle")
    assert {"site_id", "verdict", "area_m2", "nearest_redline_m", "conflicts"} <= set(site)
    assert {"layer", "feature_id", "overlap_m2", "distance_m", "rule"} <= set(site["conflicts"][0])
    assert {d["name"] for d in data["layers"]} == set(layers)
    assert "Albers" in data["crs"]["area"] and "4546" in data["crs"]["distance"]
    # the same layers marked illustrative: every output says so
    marked = {}
    for name, gdf in layers.items():
        g = gdf.copy()
        g.attrs["status"] = "illustrative" if name == "redlines" else "official"
        marked[name] = g
    r2 = check_siting(box(X0 + 200, Y0 + 200, X0 + 300, Y0 + 300), crs=4546, layers=marked, catalog=catalog)
    assert r2.illustrative and r2.illustrative_layers == ["redlines"]
    assert r2.summary()["illustrative"].all() and r2.to_frame().attrs["illustrative"]
    assert json.loads(r2.to_json())["illustrative"] is True
    assert "ILLUSTRATIVE" in r2.to_text() and "ILLUSTRATIVE" in r2.notes[0]
    assert r2.to_csv_frame()["illustrative_layers"].eq("redlines").all()


def test_only_given_layers_are_checked_and_notes_say_so(layers, catalog):
    r = check_siting(
        box(X0 + 30_400, Y0 + 400, X0 + 30_600, Y0 + 600),
        crs=4546,
        layers={"redlines": layers["redlines"]},
        catalog=catalog,
    )
    assert r.verdicts.iloc[0] == "clear"  # the reserve was not given
    assert any("'reserves' was not given" in n for n in r.notes)
    assert r.rules.set_index("rule").loc["R2", "checked"] == np.False_


def test_rules_come_from_the_plan_and_can_be_replaced(layers, catalog):
    rules = [
        {
            "id": "X1",
            "layer": "redlines",
            "contact": "within",
            "distance_m": 2000,
            "verdict": "restricted",
            "text_zh": "两千米内",
            "text_en": "within 2 km",
        },
    ]
    r = check_siting(box(X0 + 2500, Y0, X0 + 2600, Y0 + 100), crs=4546, layers=layers, rules=rules, catalog=catalog)
    c = r.to_frame()
    assert c["rule"].tolist() == ["X1"] and c["distance_m"].iloc[0] == pytest.approx(1500.0, abs=1e-6)
    from linfen_geo.errors import InputError

    with pytest.raises(InputError, match="verdict"):
        check_siting(
            box(X0, Y0, X0 + 1, Y0 + 1),
            crs=4546,
            layers=layers,
            rules=[{**rules[0], "verdict": "maybe"}],
            catalog=catalog,
        )
    with pytest.raises(InputError, match="no column 'zone'"):
        check_siting(
            box(X0, Y0, X0 + 1, Y0 + 1), crs=4546, layers={"reserves": layers["spring_zones"]}, catalog=catalog
        )


def test_plot_has_title_legend_and_furniture(known):
    import matplotlib.pyplot as plt

    report, _ = known
    fig = report.plot("straddle")
    ax = fig.axes[0]
    assert "straddle" in ax.get_title() and "prohibited" in ax.get_title()
    assert ax.get_legend() is not None and ax.get_legend().get_title().get_text() == "图例 Legend"
    assert any(t.get_text() == "N 北" for t in ax.texts)
    plt.close(fig)


# --------------------------------------------------------------------------- subdivision and brute force


def test_subdivide_partitions_exactly():
    star = shapely.Polygon(
        [
            (np.cos(a) * (1000 + 400 * np.sin(7 * a)), np.sin(a) * (1000 + 400 * np.sin(7 * a)))
            for a in np.linspace(0, 2 * np.pi, 900)[:-1]
        ]
    ).buffer(0)
    holed = box(-3000, -3000, 3000, 3000).difference(star)
    pieces, owner = subdivide([star, holed], max_vertices=32)
    assert shapely.get_num_coordinates(pieces).max() <= 32
    for i, g in enumerate([star, holed]):
        mine = pieces[owner == i]
        assert shapely.area(mine).sum() == pytest.approx(g.area, rel=1e-12)
        assert shapely.union_all(mine).symmetric_difference(g).area < 1e-6 * g.area


def _brute_force(sites_gk: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame], plan_rules: list[dict]) -> tuple:
    """Per-site, per-feature shapely loops: the reference the vectorised path must match."""
    contacts = {}
    nearest = {}
    ids = {
        "redlines": "redline_id",
        "reserves": "reserve_id",
        "spring_zones": "zone_id",
        "river_buffers": "river",
        "corridors": "corridor_id",
    }
    sites_area = sites_gk.to_crs(STORAGE_CRS).to_crs(AREA_CRS)
    for name, layer in layers.items():
        lw = layer.to_crs(WORK_CRS)
        la = layer.to_crs(AREA_CRS)
        lrules = [r for r in plan_rules if r["layer"] == name]
        for i in range(len(sites_gk)):
            sid = sites_gk["site_id"].iloc[i]
            g = sites_gk.geometry.iloc[i]
            dists = [g.distance(f) for f in lw.geometry]
            if name == "redlines":
                nearest[sid] = min(dists)
            for j in range(len(lw)):
                touching = g.intersects(lw.geometry.iloc[j])
                for r in lrules:
                    where = r.get("where", {})
                    if any(str(lw[c].iloc[j]) not in v for c, v in where.items()):
                        continue
                    if (r["contact"] == "intersects" and touching) or (
                        r["contact"] == "within" and dists[j] <= r["distance_m"]
                    ):
                        ov = sites_area.geometry.iloc[i].intersection(la.geometry.iloc[j]).area if touching else 0.0
                        contacts[(sid, name, str(lw[ids[name]].iloc[j]))] = (r["id"], ov, 0.0 if touching else dists[j])
                        break
    return contacts, nearest


@pytest.fixture(scope="module")
def random_sites() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(6)
    n = 200
    cx = X0 + rng.choice([500, 31_000, 40_500, 50_000, 61_000, 20_500], n) + rng.normal(0, 900, n)
    cy = Y0 + 500 + rng.normal(0, 900, n)
    k = rng.integers(3, 11, n)
    geoms = []
    for i in range(n):  # building test data
        ang = np.sort(rng.uniform(0, 2 * np.pi, k[i]))
        r = rng.uniform(30, 500) * rng.uniform(0.5, 1.0, k[i])
        geoms.append(Polygon(np.column_stack([cx[i] + r * np.cos(ang), cy[i] + r * np.sin(ang)])).buffer(0))
    geoms[0] = Point(X0 + 500, Y0 + 500).buffer(3000)  # a site larger than the red line
    return gpd.GeoDataFrame({"site_id": [f"S{i}" for i in range(n)]}, geometry=geoms, crs=WORK_CRS)


@pytest.fixture(scope="module")
def wiggly_layers(layers) -> dict[str, gpd.GeoDataFrame]:
    """The synthetic layers with a many-vertex red line and a reserve with a hole, so subdivision matters."""
    out = dict(layers)
    a = np.linspace(0, 2 * np.pi, 700)[:-1]
    rad = 900 + 250 * np.sin(9 * a)
    blob = Polygon(np.column_stack([X0 + 500 + rad * np.cos(a), Y0 + 500 + rad * np.sin(a)]))
    red = gpd.GeoDataFrame(
        {"redline_id": ["W1", "W2"], "name": ["波形红线", "红线B"]},
        geometry=[blob, box(X0 + 20_000, Y0 + 15_000, X0 + 21_000, Y0 + 16_000)],
        crs=WORK_CRS,
    ).to_crs(STORAGE_CRS)
    out["redlines"] = red
    core = Point(X0 + 30_500, Y0 + 500).buffer(800, quad_segs=64).difference(Point(X0 + 30_500, Y0 + 500).buffer(200))
    out["reserves"] = _layer(
        [
            {"reserve_id": "NR-core", "name_zh": "保护区", "zone": "core", "geometry": core},
            {
                "reserve_id": "NR-exp",
                "name_zh": "保护区",
                "zone": "experimental",
                "geometry": box(X0 + 31_300, Y0, X0 + 32_000, Y0 + 1000),
            },
        ]
    )
    return out


def test_vectorised_equals_brute_force(random_sites, wiggly_layers, catalog):
    plan_rules = catalog.plan["siting"]["rules"]
    report = check_siting(random_sites, layers=wiggly_layers, catalog=catalog, max_vertices=24)
    assert (report.layers["pieces"] > report.layers["features"]).any()  # pieces were cut
    want, nearest = _brute_force(random_sites, wiggly_layers, plan_rules)
    got = report.to_frame()
    got_map = {
        (r.site_id, r.layer, r.feature_id): (r.rule, r.overlap_m2, r.distance_m) for r in got.itertuples(index=False)
    }
    assert set(got_map) == set(want)
    assert len(want) > 60 and {v[0] for v in want.values()} >= {"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"}
    for k, (rule, ov, dist) in want.items():
        g_rule, g_ov, g_dist = got_map[k]
        assert g_rule == rule, k
        assert g_ov == pytest.approx(ov, rel=1e-6, abs=1e-3), k
        assert g_dist == pytest.approx(dist, abs=1e-6), k
    summ = report.summary().set_index("site_id")
    np.testing.assert_allclose(summ.loc[list(nearest), "nearest_redline_m"], list(nearest.values()), atol=1e-6)


def test_dask_partitions_give_identical_results(random_sites, wiggly_layers, catalog):
    pytest.importorskip("dask_geopandas")
    sites = random_sites.iloc[:120]
    a = check_siting(sites, layers=wiggly_layers, catalog=catalog)
    b = check_siting_dask(sites, npartitions=4, layers=wiggly_layers, catalog=catalog)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    assert a.conflict_free.geom_equals_exact(b.conflict_free, tolerance=0).all()


# --------------------------------------------------------------------------- input formats


def test_gcj02_input_gives_the_same_verdicts(random_sites, layers, catalog):
    from linfen_geo.io.chinacoords import wgs84_to_gcj02

    sites = random_sites.iloc[1:60].to_crs(STORAGE_CRS)

    def to_gcj(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    gcj = gpd.GeoDataFrame({"site_id": sites["site_id"]}, geometry=shapely.transform(sites.geometry.values, to_gcj))
    a = check_siting(sites, layers=layers, catalog=catalog).summary()
    b = check_siting(gcj, crs="gcj02", layers=layers, catalog=catalog).summary()
    assert a["verdict"].tolist() == b["verdict"].tolist()
    np.testing.assert_allclose(a["nearest_redline_m"], b["nearest_redline_m"], atol=1.0)
    # read as WGS 84 the same numbers land ~500 m off
    c = check_siting(gcj, layers=layers, catalog=catalog).summary()
    assert np.abs(c["nearest_redline_m"] - a["nearest_redline_m"]).max() > 100


def test_jzd_txt_with_hole_several_parcels_gbk_crlf(tmp_path, layers, catalog):
    parcels = gpd.GeoDataFrame(
        {
            "site_id": ["P1", "P2", "P3"],
            "name": ["光伏项目一期", "采石场", "物流园"],
        },
        geometry=[
            Polygon(
                box(X0 - 1000, Y0 - 1000, X0 + 2000, Y0 + 2000).exterior.coords,
                [box(X0 - 200, Y0 - 200, X0 + 1200, Y0 + 1200).exterior.coords],
            ),
            box(X0 + 200, Y0 + 200, X0 + 400, Y0 + 400),
            box(X0 + 10_000, Y0 - 10_000, X0 + 10_300, Y0 - 9700),
        ],
        crs=WORK_CRS,
    )
    path = write_jzd(parcels, tmp_path / "界址点.txt", encoding="gbk", crlf=True)
    raw = path.read_bytes()
    assert b"\r\n" in raw and "光伏项目一期".encode("gbk") in raw
    from_txt = check_siting(path, layers=layers, catalog=catalog)
    direct = check_siting(parcels, layers=layers, catalog=catalog)
    s = from_txt.summary()
    assert s["site_id"].tolist() == ["P1", "P2", "P3"]
    assert s["name"].tolist() == ["光伏项目一期", "采石场", "物流园"]
    assert s["verdict"].tolist() == ["review", "prohibited", "clear"]
    assert s["verdict"].tolist() == direct.summary()["verdict"].tolist()
    np.testing.assert_allclose(s["area_m2"], direct.summary()["area_m2"], rtol=1e-9)
    np.testing.assert_allclose(
        s["nearest_redline_m"], [200.0, 0.0, direct.summary()["nearest_redline_m"].iloc[2]], atol=1e-3
    )


# --------------------------------------------------------------------------- shipped layers


def test_shipped_layers_red_line_middle_is_prohibited_and_valley_is_not(catalog):
    red = catalog.load("redlines").to_crs(WORK_CRS)
    biggest = red.geometry.iloc[int(red.area.argmax())]
    from shapely.ops import polylabel

    centre = polylabel(biggest, tolerance=10.0)
    inside = box(centre.x - 100, centre.y - 100, centre.x + 100, centre.y + 100)
    assert biggest.contains(inside)
    # the Fen valley: the point of barrier B3 farthest from any red line, clear of spring zones and river buffers
    barriers = catalog.load("barriers").to_crs(WORK_CRS)
    valley = barriers.loc[barriers["barrier_id"] == "B3"].geometry.iloc[0]
    xmin, ymin, xmax, ymax = valley.bounds
    xs, ys = np.meshgrid(np.arange(xmin, xmax, 2000.0), np.arange(ymin, ymax, 2000.0))
    pts = shapely.points(xs.ravel(), ys.ravel())
    pts = pts[shapely.contains(valley, pts)]
    blocked = shapely.union_all(
        np.concatenate(
            [catalog.load(n).to_crs(WORK_CRS).geometry.buffer(300).values for n in ("spring_zones", "river_buffers")]
        )
    )
    pts = pts[~shapely.intersects(blocked, pts)]
    red_union = shapely.union_all(red.geometry.values)
    far_pt = pts[int(np.argmax(shapely.distance(red_union, pts)))]
    valley_site = box(far_pt.x - 150, far_pt.y - 150, far_pt.x + 150, far_pt.y + 150)
    report = check_siting(_sites({"in_red": inside, "valley": valley_site}), catalog=catalog)
    s = report.summary().set_index("site_id")
    assert s.loc["in_red", "verdict"] == "prohibited"
    assert s.loc["in_red", "conflict_free_m2"] == 0.0
    assert s.loc["valley", "verdict"] in ("clear", "review")
    assert s.loc["valley", "nearest_redline_m"] == pytest.approx(red_union.distance(valley_site), abs=1e-6)
    assert s.loc["valley", "nearest_redline_m"] > 500
    # shipped layers are illustrative: every output says so
    assert report.illustrative and "redlines" in report.illustrative_layers
    assert set(report.layers["name"]) == {
        "redlines",
        "reserves",
        "spring_zones",
        "river_buffers",
        "corridors",
        "coal_mines",
    }


def test_nearest_distance_is_exact_far_and_near(wiggly_layers, catalog):
    """KD-tree candidates + exact distances equal a plain shapely distance to the union, at any range."""
    rng = np.random.default_rng(11)
    n = 400
    cx, cy = X0 + rng.uniform(-40_000, 60_000, n), Y0 + rng.uniform(-30_000, 40_000, n)
    size = rng.uniform(10, 600, n)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"F{i}" for i in range(n)]},
        geometry=shapely.box(cx - size, cy - size / 2, cx + size, cy + size / 2),
        crs=WORK_CRS,
    )
    report = check_siting(sites, layers={"redlines": wiggly_layers["redlines"]}, catalog=catalog, max_vertices=24)
    red = wiggly_layers["redlines"].to_crs(WORK_CRS)
    want = shapely.distance(shapely.union_all(red.geometry.values), sites.geometry.values)
    got = report.summary()["nearest_redline_m"].to_numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    nearest_id = red["redline_id"].to_numpy()[
        np.argmin(np.stack([shapely.distance(g, sites.geometry.values) for g in red.geometry]), axis=0)
    ]
    far = want > 0
    assert (report.summary()["nearest_redline_id"].to_numpy()[far] == nearest_id[far]).all()


def test_overlaps_contact_lets_touching_sites_fall_to_the_next_rule(known, layers, catalog):
    _report, geoms = known
    rules = [
        {"id": "O1", "layer": "redlines", "contact": "overlaps", "verdict": "prohibited"},
        {"id": "O2", "layer": "redlines", "contact": "within", "distance_m": 500, "verdict": "review"},
    ]
    sites = _sites({k: geoms[k] for k in ("touch", "straddle", "near100", "point_in")})
    r = check_siting(sites, layers={"redlines": layers["redlines"]}, rules=rules, catalog=catalog)
    got = r.to_frame().set_index("site_id")["rule"].to_dict()
    assert got == {"touch": "O2", "straddle": "O1", "near100": "O2", "point_in": "O1"}
    assert r.to_frame().set_index("site_id").loc["touch", "distance_m"] == 0.0


@pytest.mark.parametrize("within_first", [False, True])
def test_distance_rules_come_after_overlap_rules_whatever_the_plan_order(layers, catalog, within_first):
    """Bug: a 500 m "review" rule listed first turned a 4 ha overlap into "review"."""
    rules = [
        {"id": "D1", "layer": "redlines", "contact": "within", "distance_m": 500, "verdict": "review"},
        {"id": "I1", "layer": "redlines", "contact": "intersects", "verdict": "prohibited"},
    ]
    if not within_first:
        rules = rules[::-1]
    sites = _sites(
        {
            "overlap4ha": box(X0 + 800, Y0 + 200, X0 + 1000, Y0 + 400),  # 200 m x 200 m inside HX-A
            "near300": box(X0 + 1300, Y0 + 200, X0 + 1400, Y0 + 300),
        }
    )
    r = check_siting(sites, layers={"redlines": layers["redlines"]}, rules=rules, catalog=catalog)
    got = r.to_frame().set_index("site_id")["rule"].to_dict()
    assert got == {"overlap4ha": "I1", "near300": "D1"}
    assert r.verdicts.to_dict() == {"overlap4ha": "prohibited", "near300": "review"}


def test_nearest_distance_exact_beside_a_straight_edge_opposite_a_dense_edge(catalog):
    """Bug: a strip with one long straight edge opposite a densely noded edge (44 of 1,286 sites were
    overestimated by the outline-point candidates, worst 29.07 m vs 19.0 m). Reference: STRtree.query_nearest
    + GEOS distance on the same layer in WORK_CRS, site by site."""
    rng = np.random.default_rng(5)
    xs = np.linspace(X0, X0 + 30_000, 3000)
    top = np.column_stack([xs, Y0 + 300 + 40 * np.sin(xs / 97.0)])
    strip = Polygon([(X0, Y0), (X0 + 30_000, Y0), *top[::-1]])  # bottom edge: one 30 km segment
    red = _layer([{"redline_id": "S", "name": "strip", "geometry": strip}])
    n = 1286
    cx = rng.uniform(X0 - 500, X0 + 30_500, n)
    cy = np.where(rng.random(n) < 0.5, Y0 - rng.uniform(5, 400, n), Y0 + 400 + rng.uniform(5, 400, n))
    size = rng.uniform(1, 8, n)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(n)]},
        geometry=shapely.box(cx - size, cy - size, cx + size, cy + size),
        crs=WORK_CRS,
    )
    report = check_siting(sites, layers={"redlines": red}, catalog=catalog)
    red_work = red.to_crs(WORK_CRS).geometry.values
    tree = shapely.STRtree(red_work)
    (_i, j), _d = tree.query_nearest(sites.geometry.values, return_distance=True, all_matches=False)
    want = shapely.distance(sites.geometry.values, red_work[j])
    got = report.summary()["nearest_redline_m"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_overlaps_across_subdivision_cuts_equal_a_whole_polygon_overlay(catalog):
    """A 40 x 25 km red line is cut along straight lines kilometres long; sites across the cuts.

    Cut in EPSG:4546 and reprojected, neighbouring pieces met along a cut with different vertices
    and overlapped in AREA_CRS (up to 1.7e-4 of a site's overlap on the shipped red lines).
    """
    x = np.linspace(X0, X0 + 40_000, 1500)
    ring = [(X0, Y0), *zip(x, Y0 + 25_000 + 300 * np.sin(x / 700), strict=True), (X0 + 40_000, Y0)]
    big = Polygon(ring)
    red = gpd.GeoDataFrame({"redline_id": ["BIG"], "name": ["大红线"]}, geometry=[big], crs=WORK_CRS)
    gx, gy = np.meshgrid(np.arange(X0 - 500, X0 + 40_500, 900.0), np.arange(Y0 - 500, Y0 + 26_000, 900.0))
    sq = shapely.affinity.rotate(box(-200, -200, 200, 200), 17)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"G{i}" for i in range(gx.size)]},
        geometry=[shapely.affinity.translate(sq, a, b) for a, b in zip(gx.ravel(), gy.ravel(), strict=True)],
        crs=WORK_CRS,
    )
    report = check_siting(sites, layers={"redlines": red.to_crs(STORAGE_CRS)}, catalog=catalog, max_vertices=64)
    assert int(report.layers["pieces"].iloc[0]) > 30
    got = report.to_frame().groupby("site_id")["overlap_m2"].sum()
    sa = sites.to_crs(STORAGE_CRS).to_crs(AREA_CRS).set_index("site_id").geometry
    want = shapely.area(shapely.intersection(sa.values, red.to_crs(STORAGE_CRS).to_crs(AREA_CRS).geometry.iloc[0]))
    want = pd.Series(want, index=sa.index)
    want = want[want > 0]
    assert len(want) > 1000 and set(got[got > 0].index) == set(want.index)
    rel = (got.reindex(want.index) - want).abs() / want
    assert rel.max() < 1e-9, rel.sort_values().tail(3)

"""The ecological security pattern (linfen_geo.pattern): a synthetic landscape with a known answer, plan weights,
outputs that reconcile, and the CLI's refusals."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely

from linfen_geo.pattern import Landscape, run_pattern
from linfen_geo.pattern.resistance import perturb, resistance_surface
from linfen_geo.plan.loader import load_plan

PLAN = load_plan().model
NAMES = list(PLAN.greening.classes)
C = {n: i for i, n in enumerate(NAMES)}
ROW = 10  # the valley's axis
PINCH = (ROW, 20)  # the one-cell neck of the valley
BLOCK = (23, 24)  # columns of the high-resistance block across the valley


def valley() -> np.ndarray:
    """Two forest blocks joined by a grass valley (5 cells wide, one cell at its neck) across barren land,
    with one cropland block spanning the valley."""
    c = np.full((21, 41), C["barren"], np.uint8)
    c[2:19, 1:11] = C["forest"]
    c[2:19, 30:40] = C["forest"]
    c[ROW - 2 : ROW + 3, 11:30] = C["grass"]
    c[ROW - 2 : ROW + 3, 20] = C["barren"]
    c[PINCH] = C["grass"]
    c[ROW - 2 : ROW + 3, BLOCK[0] : BLOCK[1] + 1] = C["cropland"]
    return c


def _mines(ls: Landscape) -> gpd.GeoDataFrame:
    """Three small mine sites: on the block, in the open valley, out in the barren land."""
    t = ls.transform
    cells = [(ROW, BLOCK[0]), (ROW - 1, 15), (3, 20)]
    geoms = [shapely.Point(t * (c + 0.5, r + 0.5)).buffer(100) for r, c in cells]
    return gpd.GeoDataFrame(
        {"site_id": ["on_block", "in_valley", "outside"], "county": "x", "disturbed_area_ha": 3.0,
         "restoration_status": "未治理 not restored", "illustrative": True},
        geometry=geoms, crs=ls.crs,
    )  # fmt: skip


#: the plan's weights, with an MSPA edge of 3 cells so that the 5-cell grass valley (habitat) holds no core
W = dataclasses.replace(PLAN.pattern, mspa_edge_width_m=3000.0)


def synthetic(w=None, classes=None):
    ls = Landscape.from_arrays(valley() if classes is None else classes, NAMES, cellsize=1000.0)
    ls.layers["mines"] = _mines(ls)
    return ls, run_pattern(ls, w or W, sensitivity_pct=0)


@pytest.fixture(scope="module")
def syn():
    return synthetic()


# ------------------------------------------------------------------ the known answer
def test_two_sources_from_the_forest_blocks(syn):
    _, res = syn
    st = res.tables["sources"]
    assert st["kind"].tolist() == ["core", "core"] and st["kept"].all()
    ids = np.asarray(res.rasters["sources"].values)
    for sid, area in zip(st["source_id"], st["area_km2"], strict=True):
        assert area == pytest.approx((ids == sid).sum() * 1.0)  # km2 of 1 km cells
        cols = np.nonzero(ids == sid)[1]
        assert cols.max() <= 10 or cols.min() >= 30  # inside one forest block


def test_corridor_runs_down_the_valley(syn):
    ls, res = syn
    net = res.meta["network"].net
    assert len(res.tables["links"]) == 1
    path = next(iter(net.paths.values()))
    out = path[net.ids[path[:, 0], path[:, 1]] == 0]
    assert out.size and np.all((out[:, 0] >= ROW - 2) & (out[:, 0] <= ROW + 2))
    assert np.all(ls.classes[out[:, 0], out[:, 1]] != C["barren"])
    assert PINCH in {tuple(p) for p in out.tolist()}


def test_pinch_point_is_the_narrowest_cell(syn):
    _, res = syn
    pp = res.layers["pinch_points"]
    top = pp.sort_values("current", ascending=False).iloc[0]
    assert (top["row"], top["col"]) == PINCH
    assert pp["is_peak"].sum() == 1


def test_top_barrier_is_the_block(syn):
    _, res = syn
    top = res.layers["barrier_cells"].iloc[0]
    assert ROW - 2 <= top["row"] <= ROW + 2
    assert BLOCK[0] - 1 <= top["col"] <= BLOCK[1] + 1  # the restored disk covers the block


def test_restoring_the_mine_on_the_block_gains_most(syn):
    _, res = syn
    m = res.tables["mines"].set_index("id")
    assert res.tables["mines"]["id"].iloc[0] == "on_block"
    assert m.loc["on_block", "dR_pct"] > m.loc["in_valley", "dR_pct"] > 0
    assert m.loc["outside", "dR_pct"] == 0 and m.loc["outside", "link_id"] == -1
    assert res.tables["mines"]["rank"].tolist() == [1, 2, 3]


# ------------------------------------------------------------------ every weight from the plan
def _lcd(res):
    return float(res.tables["links"]["lcd"].iloc[0])


def test_weights_are_read_from_the_plan_file(tmp_path, syn):
    from linfen_geo.plan.loader import DEFAULT_PLAN

    text = DEFAULT_PLAN.read_text(encoding="utf-8").replace("\ngrass = 10\n", "\ngrass = 20\n", 1)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    w = dataclasses.replace(load_plan(path).model.pattern, mspa_edge_width_m=3000.0)
    assert w.class_resistance["grass"] == 20
    _, res = synthetic(w)
    assert _lcd(res) > _lcd(syn[1]) * 1.5


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"class_resistance": {**PLAN.pattern.class_resistance, "cropland": 80.0}}, "lcd"),
        ({"slope": dataclasses.replace(PLAN.pattern.slope, factors=(2.0, 2.0, 2.0, 2.0))}, "lcd"),
        ({"relief": dataclasses.replace(PLAN.pattern.relief, factors=(1.5, 1.5, 1.5, 1.5))}, "lcd"),
        ({"corridor_width_cost": 5000.0}, "corridor_area"),
        ({"barrier_radii_m": (3000.0,)}, "barrier"),
        ({"restored_class": "grass"}, "barrier"),
        ({"pinch_share": 0.2}, "pinch"),
        ({"dispersal_distance_m": 2000.0}, "dpc"),
        ({"mspa_edge_width_m": 2000.0}, "source_area"),
        (
            {
                "penalties": {
                    **PLAN.pattern.penalties,
                    "mines": dataclasses.replace(PLAN.pattern.penalties["mines"], on_factor=200.0),
                }
            },
            "mines",
        ),
    ],
)
def test_a_changed_weight_changes_the_result(syn, change, what):
    base = syn[1]
    _, res = synthetic(dataclasses.replace(W, **change))

    def measure(r):
        return {
            "lcd": _lcd(r),
            "corridor_area": int(np.isfinite(np.asarray(r.rasters["corridors"].values)).sum()),
            "barrier": float(r.layers["barrier_cells"]["score"].max()),
            "pinch": len(r.layers["pinch_points"]),
            "dpc": float(r.tables["sources"]["dPCflux"].iloc[0]),
            "source_area": float(r.tables["sources"]["area_km2"].sum()),
            "mines": float(r.tables["mines"]["dR_pct"].max()),
        }[what]

    assert measure(res) != pytest.approx(measure(base), rel=1e-9)


def test_min_core_area_and_bad_weights_are_refused():
    from linfen_geo.errors import InputError, PlanError

    with pytest.raises(InputError, match="source"):
        synthetic(dataclasses.replace(W, min_core_area_km2=1e6))
    with pytest.raises(PlanError, match=r"pattern\.slope"):
        synthetic(dataclasses.replace(W, slope=dataclasses.replace(W.slope, factors=(1.0,))))


def test_sensitivity_is_seeded_and_bounded():
    ls = Landscape.from_arrays(valley(), NAMES)
    a = perturb(PLAN.pattern, 20, np.random.default_rng(5))
    b = perturb(PLAN.pattern, 20, np.random.default_rng(5))
    assert a == b
    for k, v in PLAN.pattern.class_resistance.items():
        assert 0.8 * v <= a.class_resistance[k] <= 1.2 * v
    r0, _ = resistance_surface(ls, PLAN.pattern)
    r1, _ = resistance_surface(ls, a)
    assert not np.allclose(r0, r1)
    res = run_pattern(ls, W, sensitivity_pct=10, seed=1)
    s = res.tables["sensitivity"]
    assert len(s) == PLAN.pattern.sensitivity_runs and s["share_kept"].between(0, 1).all()


# ------------------------------------------------------------------ shipped data: outputs reconcile
@pytest.fixture(scope="module")
def shipped():
    import linfen_geo as lg

    return lg.security_pattern(sensitivity=0)


def test_shipped_outputs_reconcile(shipped):
    res = shipped
    links = res.layers["corridor_paths"]
    assert np.allclose(links.geometry.length, links["path_length"], rtol=1e-9)
    ranked = res.tables["links"].sort_values("rank")
    assert ranked["g"].is_monotonic_decreasing
    imp = ranked["level"] == "important"
    assert ranked.loc[imp, "g"].min() >= ranked.loc[~imp, "g"].max()
    ids = np.asarray(res.rasters["sources"].values)
    kept = res.tables["sources"][res.tables["sources"]["kept"]]
    for sid, area in zip(kept["source_id"], kept["area_km2"], strict=True):
        assert area == pytest.approx((ids == sid).sum() * 1.0)
    src_poly = res.layers["sources"].set_index("source_id").area / 1e6
    assert np.allclose(src_poly.loc[kept["source_id"]].to_numpy(), kept["area_km2"].to_numpy())
    share = res.tables["plan_corridors"]
    assert set(share["mode"]) == {"buffer", "terrain"} and share["length_share"].between(0, 1).all()
    mines = res.tables["mines"]
    assert len(mines) == 420 + 3 and mines["rank"].tolist() == list(range(1, len(mines) + 1))
    assert (mines["dR_pct"] >= 0).all() and mines["dR_pct"].is_monotonic_decreasing
    assert any(n.startswith("COARSE") for n in res.notes) and "mines" in res.illustrative
    pairs = res.tables["reserves"]
    assert len(pairs) == 21 and (pairs["r_eff_ohm"] > 0).all()
    assert {"plan_corridors", "reserves", "mines", "barriers"} <= set(res.answers)
    assert all(v["zh"] and v["en"] for v in res.answers.values())


def test_shipped_outputs_written(shipped, tmp_path):
    import pyogrio

    from linfen_geo.reports.pattern import write_pattern

    paths = write_pattern(shipped, tmp_path / "out")
    names = {p.name for p in paths}
    for f in ("resistance.tif", "cumulative_current.tif", "cwd.tif", "barrier_score.tif", "pattern.gpkg",
              "mines.csv", "pattern.xlsx", "current_map.png", "mine_priority_map.png", "pattern_report.md"):  # fmt: skip
        assert f in names and (tmp_path / "out" / "pattern" / f).is_file()
    layers = {n for n, _ in pyogrio.list_layers(tmp_path / "out" / "pattern" / "pattern.gpkg")}
    assert {"sources", "corridor_polygons", "corridor_paths", "pinch_points", "mine_priority"} <= layers
    md = (tmp_path / "out" / "pattern" / "pattern_report.md").read_text(encoding="utf-8")
    assert "COARSE" in md and "示意" in md


# ------------------------------------------------------------------ CLI
@pytest.mark.parametrize(
    "argv",
    [["--sensitivity", "150"], ["--classes", "igbp"], ["--landcover", "/no/such/file.tif"], ["--seed", "x"]],
)
def test_cli_bad_input_exits_2_with_one_line(argv, tmp_path, capsys):
    from linfen_geo.cli.app import main

    try:
        rc = main(["pattern", "--out", str(tmp_path / "o"), *argv])
    except SystemExit as exc:  # argparse refusals
        rc = exc.code
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "error" in err
    assert not (tmp_path / "o").exists()

"""Siting set-up: the [siting] section validated with key paths, feature ids from the catalog spec, imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from linfen_geo.analysis.siting import check_siting
from linfen_geo.analysis.siting.rules import SitingConfig, parse_siting
from linfen_geo.errors import InputError, PlanError

X0, Y0 = 500_000.0, 3_995_000.0
RULE = {"id": "A", "layer": "redlines", "verdict": "prohibited"}


def _rules(*extra: dict) -> list[dict]:
    return [RULE, {"id": "B", "layer": "redlines", "verdict": "review", "contact": "within", "distance_m": 5}, *extra]


@pytest.mark.parametrize(
    ("rules", "key"),
    [
        (_rules({"id": "C", "layer": "redlines", "verdict": "review", "action": "ban"}), "siting.rules[2].action"),
        (_rules({"id": "C", "verdict": "review"}), "siting.rules[2].layer"),
        (_rules({"id": "C", "layer": "redlines"}), "siting.rules[2].verdict"),
        (_rules({"id": "C", "layer": "redlines", "verdict": "maybe"}), "siting.rules[2].verdict"),
        (_rules({"id": "C", "layer": "redlines", "verdict": "review", "contact": "near"}), "siting.rules[2].contact"),
        (
            _rules({"id": "C", "layer": "redlines", "verdict": "review", "contact": "within"}),
            "siting.rules[2].distance_m",
        ),
        (_rules({"id": "A", "layer": "redlines", "verdict": "review"}), "siting.rules[2].id"),
        (_rules({"id": "C", "layer": "redlines", "verdict": "review", "where": "zone"}), "siting.rules[2].where"),
        (_rules("not a table"), "siting.rules[2]"),
        ({"rules": [RULE], "level": ["a", "b"]}, "siting.level"),
        ({"rules": [RULE], "levels_zh": ["一"]}, "siting.levels_zh"),
        ({"rules": [RULE], "conflict_levels": ["worst"]}, "siting.conflict_levels"),
        ({"rules": [RULE], "levels": "clear,prohibited"}, "siting.levels"),
        ({"rules": []}, "siting.rules"),
    ],
)
def test_bad_rules_raise_plan_error_naming_the_key_path(rules, key):
    with pytest.raises(PlanError) as err:
        parse_siting(rules, {})
    assert f"{key}" in str(err.value)
    assert isinstance(err.value, InputError)  # the CLI's "bad input" (exit 2)


def test_plan_file_errors_name_the_file_and_key(tmp_path):
    from linfen_geo.config import PACKAGE_DIR
    from linfen_geo.plan.loader import load_plan

    text = (PACKAGE_DIR / "plan" / "plan.toml").read_text(encoding="utf-8")
    text = text.replace('id = "R3"\n', 'id = "R3"\naction = "ban"\n', 1)
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=r"plan\.toml: unknown key 'siting\.rules\[2\]\.action'"):
        parse_siting(None, load_plan(plan))


def test_the_plan_parses_into_frozen_typed_rules():
    from dataclasses import FrozenInstanceError

    from linfen_geo.plan.loader import load_plan

    cfg = parse_siting(None, load_plan())
    assert isinstance(cfg, SitingConfig)
    assert [r.id for r in cfg.rules] == [f"R{i}" for i in range(1, 10)]
    assert cfg.layer_names == ["redlines", "reserves", "spring_zones", "river_buffers", "corridors", "coal_mines"]
    assert cfg.rules[1].where == (("zone", ("core", "buffer")),) and cfg.rules[1].key == "siting.rules[1]"
    assert [r.id for r in cfg.rules_for("reserves")] == ["R2", "R3", "R7"]
    with pytest.raises(FrozenInstanceError):
        cfg.rules[0].verdict = "clear"  # type: ignore[misc]


def test_where_filter_on_a_missing_column_names_the_rule(catalog):
    red = gpd.GeoSeries([box(X0, Y0, X0 + 100, Y0 + 100)], crs=4546)
    rules = [{**RULE, "where": {"zone": ["core"]}}]
    with pytest.raises(InputError, match=r"no column 'zone'.*siting\.rules\[0\]\.where"):
        check_siting(box(X0, Y0, X0 + 1, Y0 + 1), crs=4546, layers={"redlines": red}, rules=rules, catalog=catalog)


def test_feature_ids_come_from_the_catalog_spec_and_are_guessed_only_without_one(catalog):
    """river_buffers declares id = "river" in layers.toml: a frame under that name uses it over *_id columns."""
    assert catalog.spec("river_buffers").id == "river"
    buf = gpd.GeoDataFrame(
        {"river": ["汾河"], "river_buffer_id": ["RB-1"]}, geometry=[box(X0, Y0, X0 + 100, Y0 + 5000)], crs=4546
    )
    rules = [{"id": "W", "layer": "river_buffers", "verdict": "restricted"}]
    site = box(X0 + 50, Y0 + 50, X0 + 60, Y0 + 60)
    with_spec = check_siting(site, crs=4546, layers={"river_buffers": buf}, rules=rules, catalog=catalog)
    assert with_spec.to_frame()["feature_id"].tolist() == ["汾河"]
    # no catalog (every layer and the rules given): no spec, so the id column is guessed
    guessed = check_siting(site, crs=4546, layers={"river_buffers": buf}, rules=rules)
    assert guessed.to_frame()["feature_id"].tolist() == ["RB-1"]
    # a frame with neither: features are numbered
    bare = check_siting(site, crs=4546, layers={"river_buffers": buf[["geometry"]]}, rules=rules)
    assert bare.to_frame()["feature_id"].tolist() == ["1"]


def test_analysis_imports_nothing_from_viz_reports_or_cli():
    code = (
        "import sys, linfen_geo.analysis.siting\n"
        "bad = [m for m in sys.modules if m.startswith(('linfen_geo.viz', 'linfen_geo.reports', 'linfen_geo.cli',"
        " 'matplotlib', 'folium'))]\n"
        "print(bad)\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env, check=True)
    assert res.stdout.strip() == "[]"


def test_siting_modules_stay_small():
    pkg = Path(__file__).resolve().parents[1] / "linfen_geo" / "analysis" / "siting"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in pkg.glob("*.py")}
    assert {"api.py", "engine.py", "layers.py", "nearest.py", "pieces.py", "report.py", "rules.py"} <= set(sizes)
    assert max(sizes.values()) <= 500, sizes

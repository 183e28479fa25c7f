"""The typed plan model: every section declared once; typos, gaps and wrong types named by key path."""

from __future__ import annotations

import copy
import re

import pytest

from linfen_geo.config import PACKAGE_DIR
from linfen_geo.errors import PlanError
from linfen_geo.plan.loader import load_plan
from linfen_geo.plan.model import Plan, parse_plan, plan_model

RAW = load_plan()


def _raw() -> dict:
    return copy.deepcopy(dict(RAW.items()))


def test_the_shipped_plan_is_valid_and_typed():
    plan = plan_model(RAW)
    assert isinstance(plan, Plan)
    assert plan.city.adcode == 141000 and plan.city.name_zh == "临汾市"
    assert [b.id for b in plan.barriers] == ["B1", "B2", "B3"]
    assert plan.barriers[2].rivers == ("汾河",)
    assert plan.corridors[1].osm.ref == ("G22", "G2211")
    assert plan.greening.suitability[0].class_ == "tree"
    assert plan.siting.rules[0].verdict == "prohibited"
    assert plan.indicators.redline_share.tolerance_m2 == 1.0
    assert plan.greening.class_maps["igbp"]["water"] == (0, 17)
    # every top-level table of the file is a declared section
    assert set(RAW) == set(Plan.__dataclass_fields__)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p["terrain"].update(resolutoin_m=1),
            r"unknown key 'terrain.resolutoin_m' \(did you mean 'resolution_m'\?\)",
        ),
        (lambda p: p["barriers"][1].pop("counties"), r"lacks the key 'barriers\[1\].counties'"),
        (lambda p: p["siting"]["rules"][2].update(verdict="forbidden"), r"'siting.rules\[2\].verdict' is 'forbidden'"),
        (lambda p: p["mines"].update(total="many"), r"'mines.total' must be an integer, not 'many'"),
        (lambda p: p["corridor_rules"].update(buffer_m=True), r"'corridor_rules.buffer_m' must be a number"),
        (lambda p: p["units"].update(m2_per_mu=600.0), r"1 亩 is 10000/15 m2"),
        (lambda p: p["redline_model"]["cover_weights"].update(forrest=1.0), r"cover_weights' names \['forrest'\]"),
        (lambda p: p.update(sitting={}), r"unknown key 'sitting' \(did you mean 'siting'\?\)"),
        (lambda p: p["greening"].update(target_mu_key="nope"), r"not a key of \[targets\]"),
    ],
)
def test_bad_plans_are_refused_by_key_path(edit, message):
    raw = _raw()
    edit(raw)
    with pytest.raises(PlanError, match=message):
        parse_plan(raw, "my_plan.toml")


def test_load_plan_validates_the_file(tmp_path):
    text = (PACKAGE_DIR / "plan" / "plan.toml").read_text(encoding="utf-8")
    bad = tmp_path / "plan.toml"
    bad.write_text(re.sub(r"(?m)^resolution_m = 500$", "resolution_m = '500 m'", text), encoding="utf-8")
    with pytest.raises(PlanError, match=r"plan file .*plan.toml: 'terrain.resolution_m' must be a number"):
        load_plan(bad)

"""Issue 12, family 5: configuration and plan mistakes are one line naming the key, the file and the type."""

from __future__ import annotations

import pytest

from linfen_geo.cli.app import main

CASES = {
    "misspelt_key": ('[layers.redlines]\npath = "r.gpkg"\ncolums = { redline_id = "BSM" }\n', "did you mean 'columns'"),
    "missing_path": ('[layers.redlines]\nsource = "x"\n', "has no 'path'"),
    "path_is_a_number": ("[layers.redlines]\npath = 5\n", "'layers.redlines.path' must be a string"),
    "columns_is_a_string": ('[layers.redlines]\npath = "r.gpkg"\ncolumns = "BSM"\n', "must be a table"),
    "column_value_not_str": ('[layers.redlines]\npath = "r.gpkg"\ncolumns = { redline_id = 3 }\n', "must be a string"),
    "unknown_top_key": ('plann = "p.toml"\n', "did you mean 'plan'"),
    "unknown_layer": ('[layers.redline]\npath = "r.gpkg"\n', "did you mean 'redlines'"),
    "layers_not_table": ('layers = "x"\n', "'layers' must be a table"),
    "not_toml": ("[layers.redlines\npath=", "cannot parse config file"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_mistakes_are_one_line_exit_2(tmp_path, monkeypatch, capsys, case):
    text, expected = CASES[case]
    cfg = tmp_path / "linfen_geo.toml"
    cfg.write_text(text, encoding="utf-8")
    monkeypatch.setenv("LINFEN_GEO_CONFIG", str(cfg))
    from linfen_geo.layer_catalog import core

    monkeypatch.setattr(core, "_CATALOG", None)
    rc = main(["layers"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert expected in err and "linfen_geo.toml" in err


def test_a_plan_with_rules_5_names_the_key(tmp_path, capsys):
    from linfen_geo.config import PACKAGE_DIR

    plan = (PACKAGE_DIR / "plan" / "plan.toml").read_text(encoding="utf-8")
    head = plan.partition("[[siting.rules]]")[0]
    bad = tmp_path / "plan.toml"
    bad.write_text(head.replace("[siting]\n", "[siting]\nrules = 5\n", 1), encoding="utf-8")
    cfg = tmp_path / "linfen_geo.toml"
    cfg.write_text(f'plan = "{bad.name}"\n', encoding="utf-8")
    import os

    old = os.environ.get("LINFEN_GEO_CONFIG")
    os.environ["LINFEN_GEO_CONFIG"] = str(cfg)
    try:
        from linfen_geo.layer_catalog import core

        core._CATALOG = None
        rc = main(["layers"])
    finally:
        core._CATALOG = None
        if old is None:
            os.environ.pop("LINFEN_GEO_CONFIG")
        else:
            os.environ["LINFEN_GEO_CONFIG"] = old
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "'siting.rules' must be a list, not 5" in err


@pytest.mark.parametrize(
    "crs",
    [
        "EPSG:5714",  # a vertical CRS
        'ENGCRS["site grid",EDATUM["x"],CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["metre",1]],'
        'AXIS["y",north,LENGTHUNIT["metre",1]]]',
        "not-a-crs",
        "nan",
    ],
)
def test_unusable_crs_options_are_refused(tmp_path, capsys, crs):
    sites = tmp_path / "s.csv"
    sites.write_text("x,y\n505000,3995000\n", encoding="utf-8")
    rc = main(["check-siting", str(sites), "--crs", crs])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("res", ["nan", "inf", "-5", "0"])
def test_data_import_resolution_must_be_positive(tmp_path, capsys, res):
    from pathlib import Path

    dem = Path(__file__).resolve().parents[1] / "data" / "rasters" / "dem_1km_vfp15.tif"
    rc = main(["data", "import", str(dem), "--kind", "dem", "--dest", str(tmp_path), "--resolution", res])
    err = capsys.readouterr().err
    assert rc == 2 and "resolution" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.tif"))

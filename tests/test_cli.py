import json
import subprocess
import sys

import pytest


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "linfen_geo", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_layers_lists_catalog():
    res = run("layers", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    names = {r["name"] for r in rows}
    assert {"counties", "rivers", "dem", "landcover"} <= names


@pytest.mark.parametrize("args", [("nope",), ("layers", "--format", "xml"), ()])
def test_usage_errors_are_one_line_exit_2(args):
    res = run(*args)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_bad_config_is_one_line(tmp_path):
    import os

    (tmp_path / "linfen_geo.toml").write_text("this is = = not toml", encoding="utf-8")
    res = run("layers", cwd=tmp_path, env={**os.environ, "LINFEN_GEO_CONFIG": str(tmp_path / "linfen_geo.toml")})
    assert res.returncode == 2
    assert res.stderr.startswith("linfen-geo: error: cannot parse config file")
    assert len(res.stderr.strip().splitlines()) == 1


def test_corridors_command_both_modes():
    import io

    import pandas as pd

    tables = {}
    for mode in ("buffer", "terrain"):
        res = run("corridors", "--corridor-mode", mode, "--format", "csv")
        assert res.returncode == 0, res.stderr
        tables[mode] = pd.read_csv(io.StringIO(res.stdout)).set_index("corridor_id")
    assert list(tables["buffer"].index) == ["C1", "C2", "C3", "C4"]
    assert (tables["terrain"]["mode"] == "terrain").all()
    # the ridge-line rule only widens mountain stretches; the all-plain C4 keeps its 1 km buffer
    assert (tables["terrain"]["area_km2"] >= tables["buffer"]["area_km2"] * 0.99).all()
    assert tables["terrain"].loc["C4", "area_km2"] == pytest.approx(tables["buffer"].loc["C4", "area_km2"], rel=0.01)


def test_map_command_writes_offline_html_and_refuses_overwrite(tmp_path):
    out = tmp_path / "m.html"
    res = run("map", "--layers", "counties,rivers", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "leaflet" in out.read_text(encoding="utf-8").lower()
    res = run("map", "--layers", "counties", "--out", str(out))
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1
    res = run("map", "--layers", "dem", "--out", str(tmp_path / "x.html"))
    assert res.returncode == 2
    assert "raster" in res.stderr


def test_plan_missing_a_key_is_one_line_exit_2(tmp_path):
    """Bug: a plan missing one key printed a KeyError traceback (and exit 1, read as "a site has a contact")."""
    import os
    import re

    from linfen_geo.config import PACKAGE_DIR

    text = (PACKAGE_DIR / "plan" / "plan.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^nearest_layer = .*$", "", text)  # harmless
    text = re.sub(r"(?m)^buffer_m = 1000$", "", text)  # [corridor_rules] buffer_m is needed
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    env = {**os.environ, "LINFEN_GEO_PLAN": str(plan), "LINFEN_GEO_CACHE": str(tmp_path / "cache")}
    res = run("corridors", "--format", "csv", env=env)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "buffer_m" in res.stderr and "corridor_rules" in res.stderr


def test_internal_error_exits_3_with_a_log(tmp_path, monkeypatch, capsys):
    """An unexpected exception is ours: exit 3 (not 1 = contacts), one line naming a log with the traceback."""
    from linfen_geo.cli import app as cli

    def boom(args):
        raise ZeroDivisionError("synthetic bug")

    monkeypatch.setenv("LINFEN_GEO_LOG_DIR", str(tmp_path))
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["layers"].set_defaults(func=boom)
    assert cli.main(["layers"]) == cli.EXIT_INTERNAL == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" in err[0] and "synthetic bug" in err[0]
    logs = list(tmp_path.glob("linfen-geo-error-*.log"))
    assert len(logs) == 1
    assert "Traceback" in logs[0].read_text(encoding="utf-8") and "ZeroDivisionError" in logs[0].read_text()

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

"""The wheel carries its data: an installed linfen_geo works from any folder, caching in the user's cache dir."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if not (REPO / "setup.py").is_file():
        pytest.skip("not a source checkout")
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    env = {**os.environ, "TMPDIR": str(build)}
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=build,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    (path,) = out.glob("linfen_geo-*.whl")
    return path


def test_wheel_holds_the_data_the_plan_and_the_catalog(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(REPO / "data").as_posix() for p in (REPO / "data").rglob("*") if p.is_file()}
    shipped = {n for n in shipped if not n.startswith((".cache/", "user/"))}
    assert shipped and {f"linfen_geo/_data/{n}" for n in shipped} <= names
    for n in ("linfen_geo/plan/plan.toml", "linfen_geo/layer_catalog/layers.toml", "linfen_geo/io/osmconf.ini"):
        assert n in names
    assert not any("/.cache/" in n for n in names)


def test_installed_wheel_works_from_an_empty_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    home, work = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINFEN_GEO")}
    env.update(PYTHONPATH=str(site), HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), MPLBACKEND="Agg")
    code = (
        "import linfen_geo as lg, linfen_geo.config as c\n"
        "print(c.PACKAGE_DIR)\nprint(c.data_dir())\nprint(c.cache_dir())\n"
        "print(len(lg.load('counties')), len(lg.load('spring_zones')))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=work)
    assert res.returncode == 0, res.stderr[-2000:]
    pkg, data, cache, counts = res.stdout.strip().splitlines()
    assert Path(pkg) == site / "linfen_geo"  # the wheel's code, not the checkout's
    assert Path(data) == site / "linfen_geo" / "_data"
    assert Path(cache) == home / ".cache" / "linfen_geo"  # the user's cache, never the package folder
    assert counts == "17 3"
    assert any((home / ".cache" / "linfen_geo").glob("spring_zones-*.parquet"))

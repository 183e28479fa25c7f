"""The wheel carries its data: an installed linfen_geo works from any folder, caching in the user's cache dir."""

from __future__ import annotations

import os
import shutil
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
    src = build / "src"  # a copy, so the build leaves nothing in the checkout and reuses no stale build/
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".cache", "user")
    for name in ("linfen_geo", "data", "examples"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    env = {**os.environ, "TMPDIR": str(build)}
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
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


def test_wheel_installs_into_a_fresh_virtualenv_and_the_cli_runs(wheel, tmp_path):
    """pip install the wheel (no network: dependencies come from this environment's site-packages)."""
    import site
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = [p for p in [*site.getsitepackages(), sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    # the test environment's packages as the fresh venv's dependencies, placed *after* its own site-packages
    Path(purelib, "zz_deps.pth").write_text("\n".join(deps) + "\n")
    res = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    home, work = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINFEN_GEO", "PYTHON"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), MPLBACKEND="Agg")
    where = subprocess.run(
        [str(py), "-c", "import linfen_geo; print(linfen_geo.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    )
    assert Path(where.stdout.strip()).is_relative_to(Path(purelib)), where.stdout + where.stderr
    cli = venv / "bin" / "linfen-geo"
    res = subprocess.run([str(cli), "layers", "--format", "csv"], capture_output=True, text=True, env=env, cwd=work)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "counties" in res.stdout and "redlines" in res.stdout
    example = Path(purelib) / "linfen_geo" / "_examples" / "sites_three_projects.geojson"
    res = subprocess.run([str(cli), "check-siting", str(example)], capture_output=True, text=True, env=env, cwd=work)
    assert res.returncode in (0, 1), res.stderr[-2000:]  # 1 = some example site has a contact
    assert "prohibited" in res.stdout or "禁止" in res.stdout
    res = subprocess.run([str(py), "-m", "linfen_geo", "--version"], capture_output=True, text=True, env=env, cwd=work)
    assert res.returncode == 0 and "linfen-geo" in res.stdout

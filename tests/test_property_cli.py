"""Issue 12: property test: random valid and invalid geometries, encodings and byte corruptions of input
and cache files through the CLI. Always: exit 0/1/2, no traceback, one stderr line on exit 2; for valid
inputs the site areas equal an independent geodesic computation to 1e-6."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Polygon

from linfen_geo.cli.app import main

X0, Y0 = 505_000.0, 3_995_000.0
GEOD = Geod(ellps="GRS80")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _assert_contract(rc, err):
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err and "internal error" not in err
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, err


ring = st.lists(
    st.tuples(st.floats(0, 2000, allow_nan=False), st.floats(0, 2000, allow_nan=False)), min_size=3, max_size=9
)
names = st.text(alphabet="尧都区乡宁县光伏电站采石场临汾霍州abc123 ", min_size=1, max_size=12)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"])


@SETTINGS
@given(points=ring, name=names, encoding=encodings, fmt=st.sampled_from(["geojson", "csv"]), flips=st.integers(0, 3))
def test_random_sites_through_the_cli(tmp_path_factory, points, name, encoding, fmt, flips):
    d = tmp_path_factory.mktemp("p")
    poly = Polygon([(X0 + x, Y0 + y) for x, y in points])
    lonlat = gpd.GeoSeries([poly], crs=4546).to_crs(4326).iloc[0]
    if fmt == "geojson":
        text = gpd.GeoDataFrame({"site_id": ["S"], "name": [name]}, geometry=[lonlat], crs=4326).to_json(
            ensure_ascii=False
        )
        path = d / "s.geojson"
    else:
        text = f'site_id,name,wkt\nS,{name},"{lonlat.wkt}"\n'
        path = d / "s.csv"
    data = bytearray(text.encode(encoding))
    rng = np.random.default_rng(len(data) + flips)
    for _ in range(flips):  # random byte corruption of the input
        data[int(rng.integers(len(data)))] = int(rng.integers(256))
    path.write_bytes(bytes(data))
    rc, stdout, err = _run(["check-siting", str(path), "--format", "json", "--crs", "4326"])
    _assert_contract(rc, err)
    if flips == 0 and poly.is_valid and poly.area > 1.0 and rc in (0, 1):
        site = json.loads(stdout)["sites"][0]
        truth = abs(GEOD.geometry_area_perimeter(lonlat)[0])
        assert site["area_m2"] == pytest.approx(truth, rel=1e-6)
        assert site["name"] == name.strip()


@pytest.fixture(scope="module")
def warm_cache(cache_dir):
    from linfen_geo.layer_catalog.core import Catalog

    cat = Catalog(cache_dir=cache_dir, config={})
    for name in ("spring_zones", "river_buffers", "redlines", "reserves", "corridors"):
        cat.load(name)
    return cat


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(layer=st.sampled_from(["spring_zones", "river_buffers"]), seed=st.integers(0, 10_000), n=st.integers(1, 64))
def test_random_cache_corruption_never_changes_the_answer(tmp_path_factory, warm_cache, monkeypatch, layer, seed, n):
    from pathlib import Path

    from linfen_geo.layer_catalog import core

    sites = str(Path(__file__).resolve().parents[1] / "examples" / "sites_three_projects.geojson")
    d = tmp_path_factory.mktemp("c")
    cache = d / "cache"
    shutil.copytree(warm_cache.cache_dir, cache)
    monkeypatch.setenv("LINFEN_GEO_CACHE", str(cache))
    monkeypatch.setattr(core, "_CATALOG", None)
    rc0, ref, _ = _run(["check-siting", sites, "--format", "json"])
    entry = core.get_catalog()._cache_path(layer)
    data = bytearray(entry.read_bytes())
    rng = np.random.default_rng(seed)
    for i in rng.integers(0, len(data), n):
        data[int(i)] = int(rng.integers(256))
    entry.write_bytes(bytes(data))
    monkeypatch.setattr(core, "_CATALOG", None)
    rc, out, err = _run(["check-siting", sites, "--format", "json"])
    _assert_contract(rc, err)
    assert rc == rc0
    assert json.loads(out)["sites"] == json.loads(ref)["sites"]

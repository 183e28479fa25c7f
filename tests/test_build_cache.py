"""The build cache key follows the code (bug 6) and stored layers keep their projected edges (bug 7)."""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from linfen_geo.crs import AREA_CRS, MAX_STORED_SEGMENT_M, STORAGE_CRS, WORK_CRS, to_storage_crs
from linfen_geo.layer_catalog import codehash
from linfen_geo.layer_catalog.codehash import code_digest, code_files


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """A package whose builder uses a helper two imports away (one import inside a function)."""
    pkg = tmp_path / "fakepkg_lg"
    (pkg / "layers").mkdir(parents=True)
    (pkg / "__init__.py").write_text('__version__ = "1.0"\n')
    (pkg / "layers" / "__init__.py").write_text("")
    (pkg / "layers" / "thing.py").write_text(
        "from fakepkg_lg import shared\n\ndef build(ctx):\n    from .local import f\n    return shared.g() + f()\n"
    )
    (pkg / "layers" / "local.py").write_text("from fakepkg_lg.deep import h\n\ndef f():\n    return h()\n")
    (pkg / "shared.py").write_text("def g():\n    return 1\n")
    (pkg / "deep.py").write_text("def h():\n    return 2\n")
    (pkg / "unrelated.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    codehash._code_files.cache_clear()  # another test's fakepkg_lg lived elsewhere
    yield pkg
    codehash._code_files.cache_clear()
    for name in [m for m in sys.modules if m.startswith("fakepkg_lg")]:
        del sys.modules[name]


def test_code_files_follow_imports_at_any_depth(fake_package):
    names = {p.relative_to(fake_package).as_posix() for p in code_files("fakepkg_lg.layers.thing")}
    assert names == {"layers/thing.py", "layers/local.py", "shared.py", "deep.py", "__init__.py"}


def test_editing_a_shared_helper_changes_the_digest(fake_package):
    before = code_digest("fakepkg_lg.layers.thing")
    assert code_digest("fakepkg_lg.layers.thing") == before  # stable while nothing changes
    (fake_package / "unrelated.py").write_text("X = 2\n")
    assert code_digest("fakepkg_lg.layers.thing") == before  # code the builder does not use
    (fake_package / "deep.py").write_text("def h():\n    return 3\n")
    assert code_digest("fakepkg_lg.layers.thing") != before


def test_catalog_fingerprint_follows_the_code_of_shared_helpers(catalog, monkeypatch):
    """The red-line builder uses terrain.py: a different terrain.py means a different cache key."""
    from linfen_geo.layer_catalog import core

    assert any(p.name == "terrain.py" for p in code_files("linfen_geo.layers.redlines"))
    fp = catalog.fingerprint("redlines")
    monkeypatch.setattr(core, "code_digest", lambda module: "edited" + module)
    assert catalog.fingerprint("redlines") != fp


# ---------------------------------------------------------------- bug 7: densify before lon/lat


def _max_segment_m(geoms: np.ndarray, crs) -> float:
    """Longest segment of the geometries, measured in ``crs``."""
    g = gpd.GeoSeries(geoms, crs=STORAGE_CRS).to_crs(crs).values
    coords, index = shapely.get_coordinates(shapely.get_exterior_ring(g), return_index=True)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    same = index[1:] == index[:-1]
    return float(seg[same].max())


def test_stored_square_stays_where_it_was_in_projected_crs():
    square = gpd.GeoSeries([box(500_000, 3_980_000, 514_000, 3_994_000)], crs=WORK_CRS)  # 14 km edges

    def as_lonlat_engine_sees_it(stored: gpd.GeoSeries):
        """Edges interpolated in lon/lat (what an intersection in EPSG:4326 uses), back in metres."""
        return gpd.GeoSeries(shapely.segmentize(stored.values, 1e-4), crs=STORAGE_CRS).to_crs(WORK_CRS).iloc[0]

    naive = as_lonlat_engine_sees_it(square.to_crs(STORAGE_CRS))
    stored = as_lonlat_engine_sees_it(to_storage_crs(square))
    # a straight lon/lat edge 14 km long bows away from the projected edge by metres
    # (2.8 m here; 5.2 ha of the 196 km2 square move) ...
    assert naive.hausdorff_distance(square.iloc[0]) > 1.0
    assert naive.symmetric_difference(square.iloc[0]).area > 10_000
    # ... the densified one stays within a millimetre
    assert stored.hausdorff_distance(square.iloc[0]) < 1e-3
    assert _max_segment_m(to_storage_crs(square).values, WORK_CRS) <= MAX_STORED_SEGMENT_M * 1.001


@pytest.mark.parametrize(
    "name", ["barriers", "river_buffers", "spring_zones", "reserves", "mines", "redlines", "corridors"]
)
def test_built_layers_are_stored_with_short_edges(catalog, name):
    gdf = catalog.load(name)
    if "outline_status" in gdf.columns:  # a real outline keeps its source's own edges (straight in lon/lat)
        gdf = gdf[gdf["outline_status"] != "real"]
    polys = gdf.geometry.values[shapely.get_type_id(gdf.geometry.values) >= 3]
    parts = shapely.get_parts(polys)
    assert _max_segment_m(parts, AREA_CRS) <= MAX_STORED_SEGMENT_M * 1.01


def test_two_processes_building_one_layer_leave_one_valid_cache_entry(tmp_path):
    """Issue 13: concurrent builds both succeed (write-then-rename), one entry, readable."""
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"
    env = {**os.environ, "LINFEN_GEO_CACHE": str(cache), "MPLBACKEND": "Agg"}
    code = "import linfen_geo as lg; print(len(lg.load('river_buffers')))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-500:] for _, e in outs]
    assert outs[0][0] == outs[1][0]
    entries = sorted(p.name for p in cache.iterdir() if p.name.startswith("river_buffers-"))
    assert len(entries) == 2 and entries[0].endswith(".parquet"), entries  # the entry and its checksum record
    assert entries[1] == entries[0] + ".sha256.json"
    assert not [p for p in cache.iterdir() if ".part" in p.name]
    assert len(gpd.read_parquet(cache / entries[0])) == int(outs[0][0])

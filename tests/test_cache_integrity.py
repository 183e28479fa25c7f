"""Issue 12, family 6: a cache entry is used only when its checksum record vouches for it."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest

from linfen_geo.errors import LinfenGeoWarning
from linfen_geo.layer_catalog.core import Catalog

LAYER = "spring_zones"  # a quick build with a known answer


@pytest.fixture
def private(tmp_path, cache_dir):
    """A catalog with its own empty cache, and the layer built once (the reference)."""
    cat = Catalog(cache_dir=tmp_path / "cache", config={})
    ref = cat.load(LAYER)
    path = cat._cache_path(LAYER)
    assert path.exists()
    assert path.with_name(path.name + ".sha256.json").exists()
    return cat, ref, path


def _reload(tmp_path):
    cat = Catalog(cache_dir=tmp_path / "cache", config={})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = cat.load(LAYER)
    return gdf, [str(w.message) for w in caught if issubclass(w.category, LinfenGeoWarning)]


def _same(a, b) -> bool:
    return len(a) == len(b) and bool(np.all(a.geometry.geom_equals_exact(b.geometry, 0).to_numpy()))


def test_an_intact_entry_is_used_without_a_warning(private, tmp_path):
    _, ref, _ = private
    gdf, caught = _reload(tmp_path)
    assert _same(gdf, ref)
    assert not [m for m in caught if "cached layer" in m]


@pytest.mark.parametrize(
    "damage",
    ["truncate", "garbage", "flip4", "half_rows", "other_layer", "shifted", "no_record", "record_list"],
)
def test_a_damaged_entry_is_rebuilt_not_used(private, tmp_path, damage):
    cat, ref, path = private
    record = path.with_name(path.name + ".sha256.json")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 100)
    elif damage == "flip4":  # four random bytes in the middle of the file
        rng = np.random.default_rng(4)
        buf = bytearray(data)
        at = int(rng.integers(len(buf) // 4, 3 * len(buf) // 4))
        buf[at : at + 4] = rng.integers(0, 256, 4, dtype=np.uint8).tobytes()
        path.write_bytes(bytes(buf))
    elif damage == "half_rows":  # a valid parquet of the right layer, with half its rows
        ref.iloc[: len(ref) // 2].to_parquet(path, index=False)
    elif damage == "other_layer":  # another layer's (valid) cache file copied over this one
        other = cat.load("river_buffers")
        shutil.copy(cat._cache_path("river_buffers"), path)
        assert len(other)
    elif damage == "shifted":  # valid and complete, every geometry moved 0.01 degree
        moved = ref.copy()
        moved["geometry"] = moved.geometry.translate(0.01, 0.0)
        moved.to_parquet(path, index=False)
    elif damage == "no_record":
        record.unlink()
    elif damage == "record_list":
        record.write_text(json.dumps([1, 2]))
    gdf, caught = _reload(tmp_path)
    assert _same(gdf, ref), "a damaged cache entry was used"
    assert any("not used" in m and LAYER in m for m in caught)
    # the rebuilt entry is intact again: the next load uses it silently
    gdf2, caught2 = _reload(tmp_path)
    assert _same(gdf2, ref)
    assert not [m for m in caught2 if "cached layer" in m]

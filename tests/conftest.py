"""Shared fixtures: a catalog with a private build cache, and small synthetic layers."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    env = os.environ.get("LINFEN_GEO_CACHE")
    return Path(env) if env else tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def catalog(cache_dir):
    """A catalog on the shipped data with no user config and a test build cache."""
    from linfen_geo.layer_catalog.core import Catalog

    return Catalog(cache_dir=cache_dir, config={})


@pytest.fixture
def fresh_catalog(tmp_path, cache_dir):
    """A catalog the test may modify (replacements), sharing the build cache."""
    from linfen_geo.layer_catalog.core import Catalog

    return Catalog(cache_dir=cache_dir, config={})


@pytest.fixture
def squares_gk() -> gpd.GeoDataFrame:
    """Two 1 km squares in EPSG:4546 near Linfen city, overlapping by 0.25 km2."""
    x0, y0 = 500_000, 3_995_000
    return gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 500, y0 + 500, x0 + 1500, y0 + 1500)],
        crs=4546,
    )

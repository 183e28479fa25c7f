"""The corridor query API (linfen_geo.analysis.corridors): layer by mode, stretches from layers or names."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

import linfen_geo as lg
from linfen_geo.analysis.corridors import MODES, corridor_layer, corridor_stretches, stretches_of_roads
from linfen_geo.errors import InputError


def test_corridor_layer_modes(catalog):
    assert corridor_layer(catalog=catalog)["mode"].eq(catalog.plan["corridor_rules"]["mode"]).all()
    with pytest.raises(InputError, match="unknown corridor mode"):
        corridor_layer("ridge", catalog)
    for mode, name in MODES.items():
        assert corridor_layer(mode, catalog)["mode"].eq(mode).all(), name
    plan = {**catalog.plan, "corridor_rules": {**catalog.plan["corridor_rules"], "mode": "terrain"}}
    assert corridor_layer(catalog=catalog, plan=plan)["mode"].eq("terrain").all()
    with pytest.raises(InputError, match=r"corridor_rules\.mode"):
        corridor_layer(catalog=catalog, plan={**plan, "corridor_rules": {"mode": "ridge"}})


def test_package_exposes_the_query_api():
    assert lg.corridor_layer is corridor_layer
    assert lg.corridor_stretches is corridor_stretches


def test_stretches_from_names_equal_stretches_from_data(catalog):
    by_name = corridor_stretches(catalog)
    roads, dem = catalog.load("corridor_roads"), catalog.load("dem")
    by_data = corridor_stretches(roads=roads, dem=dem, plan=catalog.plan)
    pure = stretches_of_roads(roads, dem, catalog.plan).to_crs(by_name.crs)
    for other in (by_data, pure):
        assert isinstance(other, gpd.GeoDataFrame)
        assert by_name.drop(columns="geometry").equals(other.drop(columns="geometry"))
        assert np.all(by_name.geometry.geom_equals_exact(other.geometry, 0))
    with pytest.raises(InputError, match="DEM must be a catalog layer name"):
        corridor_stretches(catalog, dem=42)

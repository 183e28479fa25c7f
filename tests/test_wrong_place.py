"""Issue 12, family 1: data in the wrong place are refused with the distance and the likely CRS fix."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from linfen_geo.crs import to_storage_crs
from linfen_geo.errors import LinfenGeoWarning, SchemaError
from linfen_geo.placement import placement

# a 4 km x 3 km red line near 临汾 city, in EPSG:4546 (GK CM 111E, zone-less eastings)
X0, Y0 = 505_000.0, 3_995_000.0


def _redline(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"redline_id": ["R1"], "name": ["测试红线"]}, geometry=[box(X0, Y0, X0 + 4000, Y0 + 3000)], crs=crs
    )


@pytest.mark.parametrize(
    ("label_crs", "fix"),
    [(4547, "EPSG:4546"), (4545, "EPSG:4546")],  # the neighbouring GK zones: 3 degrees east / west
)
def test_a_replacement_labelled_with_the_neighbouring_zone_is_refused(fresh_catalog, tmp_path, label_crs, fix):
    path = tmp_path / "redlines.gpkg"
    _redline(label_crs).to_file(path)
    with pytest.raises(SchemaError) as err:
        fresh_catalog.use("redlines", path)
    msg = str(err.value)
    assert "km east of Linfen" in msg or "km west of Linfen" in msg
    assert fix in msg and " km " in msg and "\n" not in msg
    assert "redlines" not in fresh_catalog.replacements  # nothing changed


def test_crs_given_overrides_a_wrong_label_and_then_the_layer_is_used(fresh_catalog, tmp_path):
    path = tmp_path / "redlines.gpkg"
    _redline(4547).to_file(path)
    with pytest.warns(LinfenGeoWarning, match="the file says EPSG:4547; read as EPSG:4546"):
        fresh_catalog.use("redlines", path, crs=4546)
    red = fresh_catalog.load("redlines")
    truth = to_storage_crs(_redline(4546))
    assert red.geometry.iloc[0].hausdorff_distance(truth.geometry.iloc[0]) < 1e-6  # degrees: < 0.1 m


def test_a_replacement_just_outside_the_city_is_refused(fresh_catalog, tmp_path):
    """Inside the old 1-degree slack box but in 陕西 (west of the Yellow River): not Linfen."""
    path = tmp_path / "redlines.geojson"
    gpd.GeoDataFrame({"redline_id": ["R1"], "name": ["x"]}, geometry=[box(109.6, 36.0, 109.8, 36.1)], crs=4326).to_file(
        path
    )
    with pytest.raises(SchemaError, match=r"lie \d+ km west of Linfen"):
        fresh_catalog.use("redlines", path)


def test_swapped_axes_are_diagnosed(fresh_catalog, tmp_path):
    path = tmp_path / "redlines.geojson"
    g = _redline(4546).to_crs(4326)
    g["geometry"] = g.geometry.map(lambda p: type(p)(np.asarray(p.exterior.coords)[:, ::-1]))
    g.to_file(path)
    with pytest.raises(SchemaError, match="with the axes swapped"):
        fresh_catalog.use("redlines", path)


def test_a_raster_beside_linfen_is_refused(fresh_catalog, tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "dem.tif"
    profile = {"driver": "GTiff", "width": 20, "height": 20, "count": 1, "dtype": "float32"}
    # elevations on a 1 km grid labelled GK CM 117E (zone-less): 6 degrees east of Linfen
    with rasterio.open(path, "w", crs="EPSG:4549", transform=from_origin(X0, Y0, 1000, 1000), **profile) as dst:
        dst.write(np.full((1, 20, 20), 800.0, dtype="float32"))
    with pytest.raises(SchemaError, match="EPSG:4546"):
        fresh_catalog.use("dem", path)


def test_placement_finds_the_zone_number_in_the_easting():
    city = box(110.35, 35.3, 112.6, 36.95)
    p = placement((38_505_000.0, Y0, 38_509_000.0, Y0 + 3000), "EPSG:4526", city)  # 带号 38 written, 37 meant
    assert not p.inside and p.direction == "east"
    assert p.fixes[0].startswith("zone 37 (CM 111E)")
    inside = placement((X0, Y0, X0 + 1, Y0 + 1), "EPSG:4546", city)
    assert inside.inside and inside.distance_km == 0

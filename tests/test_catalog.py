"""The catalog and the shipped base data (integration on real data)."""

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

import linfen_geo as lg
from linfen_geo.crs import area_m2, to_area_crs
from linfen_geo.errors import LinfenGeoWarning
from linfen_geo.layer_catalog.core import Catalog


def test_catalog_table_lists_every_layer_with_provenance(catalog):
    table = catalog.table()
    for col in (
        "name",
        "title_zh",
        "title_en",
        "geometry",
        "status",
        "source",
        "licence",
        "accuracy",
        "features",
        "crs",
    ):
        assert col in table.columns
    base = table.set_index("name").loc[["counties", "rivers", "county_seats", "dem", "landcover"]]
    assert (base["status"] == "real").all()
    assert base["source"].str.len().gt(10).all()
    assert base["licence"].str.len().gt(2).all()
    assert base.loc["counties", "features"] == 17
    assert base.loc["dem", "geometry"] == "raster"


def test_counties_real_properties(catalog):
    counties = catalog.load("counties")
    assert len(counties) == 17
    assert counties["adcode"].between(141000, 141099).all()
    assert counties.is_valid.all()
    ea = to_area_crs(counties)
    total_km2 = area_m2(ea).sum() / 1e6
    assert total_km2 == pytest.approx(20_293, rel=0.002)
    # no overlaps: pairwise intersections have (numerically) no area
    idx_a, idx_b = ea.sindex.query(ea.geometry, predicate="intersects")
    pairs = idx_a < idx_b
    overlap = ea.geometry.values[idx_a[pairs]].intersection(ea.geometry.values[idx_b[pairs]]).area.sum()
    assert overlap < 1e4  # < 0.01 km2 in total over all neighbours
    # no gaps: the union is one polygon without holes, with the same area as the sum
    union = ea.union_all()
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0
    assert union.area == pytest.approx(ea.area.sum(), rel=1e-6)


def test_tianditu_cross_check_agrees(catalog):
    amap = to_area_crs(catalog.load("counties")).set_index("adcode")
    tdt = to_area_crs(catalog.load("counties_tianditu")).set_index("adcode")
    rel = (tdt.area / amap.area.loc[tdt.index] - 1).abs()
    assert rel.max() < 0.03  # generalised 1:4M vs detailed: county areas within 3 %


def test_every_county_seat_in_its_county(catalog):
    seats = catalog.load("county_seats")
    counties = catalog.load("counties")
    joined = gpd.sjoin(seats, counties[["adcode", "geometry"]], predicate="within", how="left")
    assert len(joined) == 17
    assert (joined["adcode_left"] == joined["adcode_right"]).all()


def test_dem_range_over_city(catalog):
    dem = catalog.load("dem")
    city = catalog.load("counties").union_all()
    clipped = dem.rio.clip([city], crs=4326, drop=True)
    vals = clipped.values[np.isfinite(clipped.values)]
    assert vals.size > 15_000  # ~20,000 km2 of ~0.7 km2 cells
    assert vals.min() >= 100 and vals.max() <= 2600
    assert vals.min() < 500 and vals.max() > 2000  # Fen valley and Huoshan both present


def test_landcover_classes_are_igbp(catalog):
    lc = catalog.load("landcover")
    assert lc.dtype == np.uint8
    assert lc.attrs["class_scheme"] == "igbp"
    classes = set(np.unique(lc.values).tolist()) - {255}
    assert classes <= set(range(18))
    assert {10, 12}.issubset(classes)  # grassland and cropland dominate


def test_load_unknown_layer(catalog):
    with pytest.raises(lg.LayerNotFoundError, match="known layers"):
        catalog.load("nope")


def test_use_replaces_a_layer_and_shows_provenance(fresh_catalog, tmp_path):
    counties = fresh_catalog.load("counties")
    mine = counties.iloc[:3].to_crs(4546)
    mine = mine.rename(columns={"name": "MC", "adcode": "XZQDM"})
    path = tmp_path / "my_counties.gpkg"
    mine.to_file(path)
    fresh_catalog.use("counties", path, columns={"name": "MC", "adcode": "XZQDM"}, source="my survey")
    loaded = fresh_catalog.load("counties")
    assert len(loaded) == 3
    assert loaded.crs == lg.STORAGE_CRS
    assert loaded.attrs["status"] == "official"
    row = fresh_catalog.table().set_index("name").loc["counties"]
    assert row["source"] == "my survey"
    assert row["status"] == "official"
    assert row["features"] == 3
    fresh_catalog.reset("counties")
    assert len(fresh_catalog.load("counties")) == 17


def test_use_rejects_wrong_file(fresh_catalog, tmp_path):
    pts = gpd.GeoDataFrame(
        {"name": ["x"], "adcode": [1], "name_en": ["x"]}, geometry=gpd.points_from_xy([111.5], [36.0]), crs=4326
    )
    path = tmp_path / "points.geojson"
    pts.to_file(path)
    with pytest.raises(lg.SchemaError, match="geometry must be Polygon"):
        fresh_catalog.use("counties", path)
    poly = gpd.GeoDataFrame({"foo": [1]}, geometry=[box(111, 36, 111.1, 36.1)], crs=4326)
    poly.to_file(tmp_path / "nocols.geojson")
    with pytest.raises(lg.SchemaError, match=r"missing column 'adcode'.*columns="):
        fresh_catalog.use("counties", tmp_path / "nocols.geojson")
    with pytest.raises(lg.InputError, match="no such file"):
        fresh_catalog.use("counties", tmp_path / "absent.shp")
    # nothing stuck: the original layer is still served
    assert len(fresh_catalog.load("counties")) == 17


def test_use_file_without_crs_needs_crs(fresh_catalog, tmp_path):
    gdf = fresh_catalog.load("counties").to_crs(4546)
    path = tmp_path / "nocrs.shp"
    gdf.set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(lg.CRSError, match="no CRS"):
        fresh_catalog.use("counties", path)
    fresh_catalog.use("counties", path, crs=4546)
    assert fresh_catalog.load("counties").total_bounds[0] == pytest.approx(gdf.to_crs(4326).total_bounds[0])


def test_use_gbk_shapefile_without_cpg(fresh_catalog, tmp_path):
    gdf = fresh_catalog.load("counties")
    path = tmp_path / "gbk.shp"
    gdf.to_file(path, encoding="gbk")
    (tmp_path / "gbk.cpg").unlink(missing_ok=True)
    fresh_catalog.use("counties", path, encoding="gbk")
    assert "尧都区" in fresh_catalog.load("counties")["name"].tolist()


def test_invalid_geometry_is_repaired_and_counted(fresh_catalog, tmp_path):
    from shapely.geometry import Polygon

    gdf = fresh_catalog.load("counties").iloc[:2].copy()
    x, y = 111.5, 36.0
    gdf.loc[gdf.index[0], "geometry"] = Polygon([(x, y), (x + 0.1, y + 0.1), (x + 0.1, y), (x, y + 0.1)])
    path = tmp_path / "bowtie.geojson"
    gdf.to_file(path)
    with pytest.warns(LinfenGeoWarning, match="repaired 1"):
        fresh_catalog.use("counties", path)
    loaded = fresh_catalog.load("counties")
    assert loaded.attrs["repaired_invalid"] == 1
    assert loaded.is_valid.all()
    assert len(loaded) == 2  # nothing dropped


def test_replacement_raster(fresh_catalog, tmp_path):
    dem = fresh_catalog.load("dem").rio.reproject(4546, resolution=2000)
    path = tmp_path / "dem_gk.tif"
    dem.rio.to_raster(path)
    fresh_catalog.use("dem", path, source="reprojected test DEM", accuracy="2 km")
    got = fresh_catalog.load("dem")
    assert got.rio.crs.to_epsg() == 4546
    assert fresh_catalog.status("dem") == "official"


def test_config_file_replaces_layers(tmp_path, cache_dir, monkeypatch):
    counties = Catalog(cache_dir=cache_dir, config={}).load("counties").iloc[:5]
    counties.to_file(tmp_path / "c.geojson")
    (tmp_path / "linfen_geo.toml").write_text(
        '[layers.counties]\npath = "c.geojson"\nstatus = "official"\nsource = "config test"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINFEN_GEO_CONFIG", raising=False)
    cat = Catalog(cache_dir=cache_dir)
    assert len(cat.load("counties")) == 5
    assert cat.provenance("counties")["source"] == "config test"


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, linfen_geo; print(json.dumps(sorted(m for m in ('geopandas','rasterio','matplotlib','xarray') if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []

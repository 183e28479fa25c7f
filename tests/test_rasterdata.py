"""import_raster: clip to Linfen, reproject to EPSG:4546 in windows, validate, write atomically with provenance."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import rioxarray  # noqa: F401
import xarray as xr
from pyproj import Transformer

from linfen_geo.crs import WORK_CRS
from linfen_geo.errors import CRSError, InputError
from linfen_geo.io.rasters import import_raster, raster_class_scheme

WORLDCOVER = np.array([10, 20, 30, 40, 50, 60, 80, 90, 100], dtype="uint8")
LON0, LAT1, STEP = 109.9, 37.3, 0.01  # a lon/lat raster well beyond Linfen (110.3-112.6 E, 35.3-37.0 N)


def lonlat_raster(values: np.ndarray, path, *, crs: int | None = 4326, nodata: float | None = 0, lon0=LON0, lat1=LAT1):
    h, w = values.shape
    da = xr.DataArray(
        values,
        dims=("y", "x"),
        coords={"y": lat1 - (np.arange(h) + 0.5) * STEP, "x": lon0 + (np.arange(w) + 0.5) * STEP},
    )
    if crs is not None:
        da = da.rio.write_crs(crs)
    if nodata is not None:
        da = da.rio.write_nodata(nodata)
    da.rio.to_raster(path)
    return da


@pytest.fixture
def worldcover(tmp_path):
    rng = np.random.default_rng(11)
    values = WORLDCOVER[rng.integers(0, len(WORLDCOVER), size=(230, 300))]  # 2.3 x 3.0 degrees
    path = tmp_path / "src" / "wc.tif"
    path.parent.mkdir()
    return lonlat_raster(values, path), path


def test_import_landcover_round_trip(worldcover, tmp_path, catalog):
    src, path = worldcover
    dest = tmp_path / "user"
    out = import_raster(
        path, "wc", kind="landcover", classes="worldcover", dest=dest, resolution_m=1000, catalog=catalog
    )
    assert out == dest / "wc.tif"
    prov = (dest / "wc.tif.PROVENANCE.txt").read_text(encoding="utf-8")
    assert "sha256" in prov and "worldcover" in prov and "nearest" in prov and "EPSG:4546" in prov
    assert raster_class_scheme(out) == "worldcover"
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4546
        assert ds.res == (1000.0, 1000.0)
        assert ds.profile["tiled"] and ds.profile["compress"] == "deflate"
        values = ds.read(1)
        b = ds.bounds
        t = ds.transform
    # clipped to Linfen's bounding box + 5 km (+ one cell of snapping)
    cty = catalog.load("counties").to_crs(WORK_CRS).total_bounds
    assert cty[0] - 6000 <= b.left <= cty[0] - 5000 and cty[2] + 5000 <= b.right <= cty[2] + 6000
    assert cty[1] - 6000 <= b.bottom <= cty[1] - 5000 and cty[3] + 5000 <= b.top <= cty[3] + 6000
    assert set(np.unique(values)) <= set(WORLDCOVER.tolist())  # nearest: no blended classes
    # each output cell holds the source class at its centre (nearest neighbour)
    rows, cols = np.meshgrid(np.arange(0, values.shape[0], 7), np.arange(0, values.shape[1], 7), indexing="ij")
    x, y = t * (cols + 0.5, rows + 0.5)
    lon, lat = Transformer.from_crs(WORK_CRS, 4326, always_xy=True).transform(x, y)
    expected = src.values[((LAT1 - lat) / STEP).astype(int), ((lon - LON0) / STEP).astype(int)]
    assert (values[rows, cols] == expected).mean() > 0.999  # (float ties at cell edges aside)

    # never replaced without overwrite; replaced atomically with it
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        import_raster(path, "wc", kind="landcover", classes="worldcover", dest=dest, resolution_m=1000, catalog=catalog)
    import_raster(
        path,
        "wc",
        kind="landcover",
        classes="worldcover",
        dest=dest,
        resolution_m=2000,
        overwrite=True,
        catalog=catalog,
    )
    with rasterio.open(out) as ds:
        assert ds.res == (2000.0, 2000.0)
    assert sorted(p.name for p in dest.iterdir()) == ["wc.tif", "wc.tif.PROVENANCE.txt"]  # no temporary files left

    # the catalog accepts it as the land cover
    from linfen_geo.layer_catalog.core import Catalog

    cat = Catalog(cache_dir=catalog.cache_dir, config={})
    cat.use("landcover", out, classes="worldcover", status="real")
    assert cat.load("landcover").attrs["class_scheme"] == "worldcover"
    # bug 1: without classes= the scheme recorded by the import is used, never the shipped IGBP
    cat2 = Catalog(cache_dir=catalog.cache_dir, config={})
    cat2.use("landcover", out, status="real")
    assert cat2.load("landcover").attrs["class_scheme"] == "worldcover"
    plain = tmp_path / "plain.tif"
    src.rio.to_raster(plain)  # no recorded scheme
    with pytest.raises(InputError, match=r"which land-cover classes does plain\.tif hold"):
        cat2.use("landcover", plain)


def test_windowed_reads_give_the_same_raster(worldcover, tmp_path, catalog):
    _, path = worldcover
    kw = {"kind": "landcover", "classes": "worldcover", "resolution_m": 1000, "catalog": catalog}
    small = import_raster(path, "a", dest=tmp_path / "a", block_size=37, **kw)  # many odd-sized windows
    whole = import_raster(path, "b", dest=tmp_path / "b", block_size=100_000, **kw)
    with rasterio.open(small) as a, rasterio.open(whole) as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))
        assert a.transform == b.transform


def test_unknown_classes_are_refused_and_nothing_is_left(tmp_path, catalog):
    values = np.full((230, 300), 40, dtype="uint8")
    values[100:110, 100:110] = 77  # not a WorldCover class
    path = tmp_path / "bad.tif"
    lonlat_raster(values, path)
    dest = tmp_path / "user"
    with pytest.raises(InputError, match=r"values \[77\] are not in .*class_maps.worldcover"):
        import_raster(
            path, "bad", kind="landcover", classes="worldcover", dest=dest, resolution_m=1000, catalog=catalog
        )
    assert not dest.exists() or not any(dest.iterdir())
    with pytest.raises(InputError, match="class scheme"):
        import_raster(path, "bad", kind="landcover", dest=dest, catalog=catalog)
    with pytest.raises(InputError, match="no class map 'esa'"):
        import_raster(path, "bad", kind="landcover", classes="esa", dest=dest, catalog=catalog)
    lonlat_raster(values.astype("float32"), tmp_path / "f.tif")
    with pytest.raises(InputError, match="integer class codes"):
        import_raster(tmp_path / "f.tif", "f", kind="landcover", classes="worldcover", dest=dest, catalog=catalog)


def test_crs_and_coverage_are_checked(tmp_path, catalog):
    values = np.full((230, 300), 40, dtype="uint8")
    kw = {
        "kind": "landcover",
        "classes": "worldcover",
        "dest": tmp_path / "user",
        "resolution_m": 1000,
        "catalog": catalog,
    }
    lonlat_raster(values, tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(CRSError, match="no CRS"):
        import_raster(tmp_path / "nocrs.tif", "x", **kw)
    lonlat_raster(values, tmp_path / "far.tif", lon0=100.0)  # Sichuan
    with pytest.raises(InputError, match="does not cover Linfen"):
        import_raster(tmp_path / "far.tif", "x", **kw)
    lonlat_raster(values[:, :150], tmp_path / "west.tif")  # 109.9-111.4 E: the western half
    with pytest.raises(InputError, match=r"covers only \d+\.\d% of Linfen"):
        import_raster(tmp_path / "west.tif", "x", **kw)
    out = import_raster(tmp_path / "west.tif", "west", allow_partial=True, **kw)
    assert "covers" in (out.parent / "west.tif.PROVENANCE.txt").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="no such file"):
        import_raster(tmp_path / "missing.tif", "x", **kw)
    with pytest.raises(InputError, match="name"):
        import_raster(tmp_path / "west.tif", "../escape", **kw)


def test_import_dem(tmp_path, catalog):
    lat = LAT1 - (np.arange(230) + 0.5) * STEP
    z = (500 + 800 * np.sin(np.radians(lat * 40))[:, None] + np.zeros((1, 300))).astype("float32")
    path = tmp_path / "dem.tif"
    lonlat_raster(z, path, nodata=-32768)
    out = import_raster(path, "dem", kind="dem", dest=tmp_path / "user", resolution_m=1000, catalog=catalog)
    with rasterio.open(out) as ds:
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
        v = ds.read(1)
    assert np.nanmin(v) >= z.min() - 1e-3 and np.nanmax(v) <= z.max() + 1e-3  # bilinear: no overshoot
    prov = (out.parent / "dem.tif.PROVENANCE.txt").read_text(encoding="utf-8")
    assert "bilinear" in prov and "Elevation" in prov
    lonlat_raster(z * 100, tmp_path / "cm.tif", nodata=-32768)  # centimetres
    with pytest.raises(InputError, match="not plausible metres"):
        import_raster(tmp_path / "cm.tif", "cm", kind="dem", dest=tmp_path / "user", resolution_m=1000, catalog=catalog)
    with pytest.raises(InputError, match="applies to land cover"):
        import_raster(path, "d2", kind="dem", classes="igbp", dest=tmp_path / "user", catalog=catalog)


def test_cli_data_import(worldcover, tmp_path, catalog, capsys):
    from linfen_geo.cli.app import _Parser
    from linfen_geo.cli.data import add_data_parser
    from linfen_geo.cli.greening import add_greening_parser

    _, path = worldcover
    p = _Parser(prog="linfen-geo")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_greening_parser(sub)
    add_data_parser(sub)
    argv = ["data", "import", str(path), "--kind", "landcover", "--classes", "worldcover"]
    argv += ["--dest", str(tmp_path / "user"), "--resolution", "2000"]
    args = p.parse_args(argv)
    assert args.func(args, catalog=catalog) == 0
    assert (tmp_path / "user" / "landcover_wc.tif").exists()
    assert "linfen-geo greening --landcover" in capsys.readouterr().out
    with pytest.raises(InputError, match="exists"):
        args.func(args, catalog=catalog)
    args = p.parse_args([*argv, "--force"])
    assert args.func(args, catalog=catalog) == 0
    with pytest.raises(SystemExit):
        p.parse_args(["data", "import", str(path)])  # --kind is required

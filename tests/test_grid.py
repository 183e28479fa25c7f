"""linfen_geo.grid: cell sizes, windows, aligned grids, window readers and the one DEM regridder."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import rioxarray
import xarray as xr
from rasterio.transform import from_origin

from linfen_geo.crs import WORK_CRS
from linfen_geo.errors import CRSError, InputError
from linfen_geo.grid import (
    WindowReader,
    WorkDEM,
    aligned_grid,
    cell_size_m,
    covers,
    file_blocks,
    nearest_index,
    north_up,
    sample_nearest,
    to_work_grid,
    window_of,
)

X0, Y1, CELL = 500_000.0, 4_000_000.0, 100.0


def hills(h: int = 60, w: int = 80, cell: float = CELL) -> xr.DataArray:
    """A smooth DEM in EPSG:4546 with its top-left corner at (X0, Y1)."""
    y = Y1 - (np.arange(h) + 0.5) * cell
    x = X0 + (np.arange(w) + 0.5) * cell
    z = 800 + 300 * np.sin(x[None, :] / 1500.0) * np.cos(y[:, None] / 1100.0)
    return xr.DataArray(z.astype("float32"), dims=("y", "x"), coords={"y": y, "x": x}).rio.write_crs(WORK_CRS)


# ------------------------------------------------------------------ cells
def test_cell_size_m_projected_geographic_and_datasets(tmp_path):
    assert cell_size_m(hills()) == (CELL, CELL)
    geo = hills().rio.reproject("EPSG:4326", resolution=0.001)
    dx, dy = cell_size_m(geo)
    lat = math.radians(float(np.mean(geo.rio.bounds()[1::2])))
    assert dy == pytest.approx(111_195.08 * 0.001, rel=1e-6)
    assert dx == pytest.approx(dy * math.cos(lat), rel=1e-12)
    path = tmp_path / "geo.tif"
    geo.rio.to_raster(path)
    import rasterio

    with rasterio.open(path) as src:  # the importer asks an open dataset
        assert cell_size_m(src) == pytest.approx((dx, dy), rel=1e-12)
    with pytest.raises(CRSError, match="no CRS"):
        cell_size_m(xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), coords={"y": [1.0, 0], "x": [0.0, 1]}))


def test_windows_covers_and_aligned_grids():
    t = from_origin(X0, Y1, CELL, CELL)
    assert window_of((X0 + 150, Y1 - 350, X0 + 350, Y1 - 150), t, (10, 10), margin=0) == (1, 4, 1, 4)
    assert window_of((X0 - 1e4, Y1 - 1e4, X0 + 1e4, Y1 + 1e4), t, (10, 10), margin=2) == (0, 10, 0, 10)
    assert covers((0, 0, 10, 10), (0, 0, 10, 10)) and not covers((0, 0, 10, 10), (-1, 0, 10, 10))
    at, h, w = aligned_grid((X0 + 30, Y1 - 970, X0 + 1020, Y1 - 10), 250.0)
    assert (at.c % 250, at.f % 250, at.a, at.e) == (0.0, 0.0, 250.0, -250.0)
    assert at.c <= X0 + 30 and at.c + w * 250 >= X0 + 1020 and at.f - h * 250 <= Y1 - 970
    padded, hp, wp = aligned_grid((X0 + 30, Y1 - 970, X0 + 1020, Y1 - 10), 250.0, pad=2)
    assert (hp, wp) == (h + 4, w + 4) and padded.c == at.c - 500
    idx, ok = nearest_index(np.array([X0 - 1, X0 + 1, X0 + 999]), X0, CELL, 10)
    assert idx.tolist() == [0, 0, 9] and ok.tolist() == [False, True, True]


# ------------------------------------------------------------------ readers
def test_north_up_and_window_reader_from_file(tmp_path):
    z = hills()
    flipped = z.isel(y=slice(None, None, -1))
    np.testing.assert_array_equal(north_up(flipped, "the DEM").values, z.values)
    with pytest.raises(InputError, match="one band"):
        north_up(xr.concat([z, z], "band"), "the DEM")
    with pytest.raises(InputError, match="DataArray"):
        north_up(z.values, "the DEM")
    path = tmp_path / "z.tif"
    z.rio.to_raster(path, tiled=True, blockxsize=256, blockysize=256)
    lazy = rioxarray.open_rasterio(path).squeeze("band", drop=True)  # lazy: nothing read yet
    reader = WindowReader(lazy)
    assert reader.path == str(path)  # read straight from the file, one handle per thread
    windows = [(r, r + 7, c, c + 9) for r in range(0, 50, 10) for c in range(0, 70, 10)]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda wdw: reader.read(*wdw), windows))
    reader.close()
    for (r0, r1, c0, c1), g in zip(windows, got, strict=True):
        np.testing.assert_array_equal(g, z.values[r0:r1, c0:c1])
    assert WindowReader(z).path is None  # in memory: through xarray
    assert file_blocks(z) is None


# ------------------------------------------------------------------ the DEM regridder
def test_to_work_grid_aligns_and_reprojects():
    dem = hills()
    w = to_work_grid(dem.rio.reproject("EPSG:4326"), 250, bounds=(X0, Y1 - 5000, X0 + 5000, Y1))
    assert w.rio.crs == WORK_CRS and w.dtype == np.float32
    assert float(w.rio.transform().c) % 250 == 0 and float(w.rio.transform().f) % 250 == 0
    same = to_work_grid(dem, 100)
    assert same.shape == dem.shape  # already on the work grid: not resampled
    np.testing.assert_array_equal(same.values, dem.values)
    geo = dem.rio.reproject("EPSG:4326", resolution=0.001)
    native = to_work_grid(geo, "native").rio.resolution()[0]
    assert native == pytest.approx(max(cell_size_m(geo)), rel=1e-3) and 100 < native < 120  # 0.001° of latitude
    with pytest.raises(InputError, match="does not cover"):
        to_work_grid(dem, 100, bounds=(0, 0, 10, 10))
    with pytest.raises(CRSError, match="no CRS"):
        to_work_grid(dem.drop_vars("spatial_ref"), 100)


def test_to_work_grid_unsnapped_is_gdal_default_grid_and_masks_nodata():
    dem = hills().rio.reproject("EPSG:4326", resolution=0.001)
    from rasterio.enums import Resampling

    ref = dem.rio.reproject(WORK_CRS, resolution=200, resampling=Resampling.bilinear)
    out = to_work_grid(dem, 200, snap=False)  # the grid the layer builders use
    assert out.rio.transform() == ref.rio.transform()
    np.testing.assert_array_equal(out.values, ref.where(np.isfinite(ref)).values)
    ints = hills().round().astype("int16")
    ints.values[:5, :5] = -9999
    masked = to_work_grid(ints.rio.write_nodata(-9999), 100)
    assert masked.dtype == np.float32 and np.isnan(masked.values[:5, :5]).all()
    assert np.isfinite(masked.values[10:, 10:]).all()
    cats = to_work_grid(ints.rio.write_nodata(-9999), 200, categorical=True)
    assert cats.dtype == np.int16 and set(np.unique(cats.values)) <= set(np.unique(ints.values))


def test_work_dem_windows_match_the_whole_grid():
    dem = hills()
    aligned = WorkDEM.prepare(dem, None)
    assert aligned.aligned and aligned.res == CELL
    t, h, w = aligned.work_grid((X0 + 1000, Y1 - 3000, X0 + 3000, Y1 - 1000), pad_cells=1)
    r0, c0 = round((Y1 - t.f) / CELL), round((t.c - X0) / CELL)
    np.testing.assert_array_equal(aligned.elevation(t, h, w), dem.values[r0 : r0 + h, c0 : c0 + w])
    assert aligned.work_grid((X0 - 1e5, Y1 - 1e5, X0 - 9e4, Y1 - 9e4)) is None  # off the DEM

    geo = dem.rio.reproject("EPSG:4326", resolution=0.0009)
    warped = WorkDEM.prepare(geo, 150.0)
    assert not warped.aligned
    t, h, w = warped.work_grid((X0 + 2000, Y1 - 4000, X0 + 5000, Y1 - 2000))
    assert t.c % 150 == 0 and t.f % 150 == 0
    win = warped.elevation(t, h, w)
    whole = to_work_grid(geo, 150.0)  # the same aligned grid, in memory
    col0 = round((t.c - whole.rio.transform().c) / 150)
    row0 = round((whole.rio.transform().f - t.f) / 150)
    # the same cells; values agree up to GDAL's approximate coordinate transformer (1/8 cell), which
    # interpolates over each warp's own extent - so a window and the whole grid differ a little
    diff = np.abs(win - whole.values[row0 : row0 + h, col0 : col0 + w])
    assert np.nanmax(diff) < 1.0 and np.nanmedian(diff) < 0.1
    warped.close()


def test_sample_nearest_same_crs_and_warped():
    src = np.arange(12, dtype="uint8").reshape(3, 4)
    st = from_origin(X0, Y1, CELL, CELL)
    out, complete = sample_nearest(src, st, from_origin(X0, Y1, 50, 50), (6, 8), fill=255)
    assert complete
    np.testing.assert_array_equal(out, np.repeat(np.repeat(src, 2, axis=0), 2, axis=1))
    out, complete = sample_nearest(src, st, from_origin(X0 - 100, Y1, 100, 100), (3, 5), fill=255)
    assert not complete and (out[:, 0] == 255).all() and (out[:, 1:] == src).all()
    geo_t = from_origin(111.0, 36.2, 0.0005, 0.0005)
    out, complete = sample_nearest(src, st, geo_t, (4, 4), fill=255, dst_crs=4326)
    assert not complete and out.dtype == np.uint8

"""The analysis grid of the security pattern: land cover, terrain and vector layers on one EPSG:4546 grid.

:func:`landscape` brings the inputs (rasters in any CRS, layers in any CRS) onto one square grid of
``[pattern] resolution_m`` cells in :data:`~linfen_geo.crs.WORK_CRS`, aligned on multiples of the
cell size and covering the city (cells outside the counties are no cells). Land cover is recoded to
the plan's common classes (:func:`linfen_geo.landcover.common_classes`, so any class scheme works)
and sampled by nearest neighbour; the DEM is resampled bilinearly; slope and relief are computed on
the grid in metres (:mod:`linfen_geo.terrain`).

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> ls = Landscape.from_arrays(np.zeros((2, 3), np.uint8), ["forest"], cellsize=1000.0)
>>> ls.shape, ls.cellsize, int(ls.valid.sum())
((2, 3), 1000.0, 6)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from linfen_geo.crs import WORK_CRS, as_crs
from linfen_geo.errors import InputError

__all__ = ["Landscape", "cell_centres", "distance_m", "landscape", "rasterize"]


@dataclass
class Landscape:
    """Inputs of the pattern on one projected grid.

    Attributes
    ----------
    classes : numpy.ndarray
        uint8 common-class index per cell (255: no data / outside the study area).
    class_names : list of str
        The plan's common classes, in code order.
    valid : numpy.ndarray
        bool, cells of the study area with land cover.
    slope_deg, relief_m : numpy.ndarray
        Terrain on the grid (0 where unknown).
    transform : affine.Affine
        Cell corners; square cells of ``cellsize`` metres.
    crs : pyproj.CRS
    layers : dict
        Layer name -> GeoDataFrame in ``crs`` (reserves, mines, corridors, ...).
    meta : dict
        Provenance: land-cover title / status / cell size, layer statuses.
    """

    classes: np.ndarray
    class_names: list[str]
    valid: np.ndarray
    slope_deg: np.ndarray
    relief_m: np.ndarray
    transform: Any
    crs: Any
    layers: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.classes.shape  # type: ignore[return-value]

    @property
    def cellsize(self) -> float:
        return float(abs(self.transform.a))

    @classmethod
    def from_arrays(
        cls,
        classes: np.ndarray,
        class_names: Sequence[str],
        *,
        cellsize: float = 1000.0,
        slope_deg: np.ndarray | None = None,
        relief_m: np.ndarray | None = None,
        origin: tuple[float, float] = (500000.0, 4000000.0),
        layers: Mapping[str, Any] | None = None,
        crs: Any = WORK_CRS,
    ) -> Landscape:
        """A landscape from arrays (synthetic tests, user grids): north-up, top-left corner at ``origin``."""
        from affine import Affine

        c = np.asarray(classes, dtype=np.uint8)
        zero = np.zeros(c.shape)
        t = Affine(cellsize, 0.0, origin[0], 0.0, -cellsize, origin[1])
        return cls(
            classes=c,
            class_names=list(class_names),
            valid=c != 255,
            slope_deg=zero if slope_deg is None else np.asarray(slope_deg, float),
            relief_m=zero if relief_m is None else np.asarray(relief_m, float),
            transform=t,
            crs=as_crs(crs),
            layers=dict(layers or {}),
            meta={"landcover_cell_m": cellsize, "landcover_title": "array", "statuses": {}},
        )

    def like(self, values: np.ndarray, name: str) -> Any:
        """A georeferenced DataArray of ``values`` on this grid (rioxarray), NaN as nodata."""
        import rioxarray  # noqa: F401
        import xarray as xr

        ny, nx = values.shape
        t = self.transform
        xs = t.c + t.a * (np.arange(nx) + 0.5)
        ys = t.f + t.e * (np.arange(ny) + 0.5)
        da = xr.DataArray(values, coords={"y": ys, "x": xs}, dims=("y", "x"), name=name)
        da = da.rio.write_crs(self.crs).rio.write_transform(t)
        return da.rio.write_nodata(np.nan, encoded=False) if values.dtype.kind == "f" else da


def rasterize(geoms: Any, ls: Landscape, *, all_touched: bool = False, values: Any = None) -> np.ndarray:
    """Burn geometries onto the grid: a bool mask, or ``values`` (int ids, later features win) with 0 elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from shapely.geometry import box
    >>> ls = Landscape.from_arrays(np.zeros((3, 3), np.uint8), ["forest"], cellsize=1.0, origin=(0.0, 3.0))
    >>> rasterize([box(0, 2, 2, 3)], ls).astype(int).tolist()
    [[1, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    import rasterio.features

    gs = list(getattr(geoms, "geometry", geoms))
    vals = [1] * len(gs) if values is None else list(values)
    pairs = [(g, int(v)) for g, v in zip(gs, vals, strict=True) if g is not None and not g.is_empty]
    if not pairs:
        return np.zeros(ls.shape, dtype=bool if values is None else np.int64)
    out = rasterio.features.rasterize(
        pairs, out_shape=ls.shape, transform=ls.transform, fill=0, all_touched=all_touched, dtype="int32"
    )
    return out.astype(bool) if values is None else out.astype(np.int64)


def distance_m(mask: np.ndarray, cellsize: float) -> np.ndarray:
    """Euclidean distance (m, cell centre to cell centre) to the nearest True cell (inf when none)."""
    from scipy.ndimage import distance_transform_edt

    if not mask.any():
        return np.full(mask.shape, np.inf)
    return distance_transform_edt(~mask) * cellsize


def cell_centres(ls: Landscape, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of cell centres (grid CRS)."""
    t = ls.transform
    return t.c + t.a * (np.asarray(cols) + 0.5), t.f + t.e * (np.asarray(rows) + 0.5)


def _on_grid(da: Any, transform: Any, shape: tuple[int, int], *, categorical: bool) -> np.ndarray:
    from rasterio.enums import Resampling

    if "band" in da.dims:
        da = da.squeeze("band", drop=True)
    if not categorical:
        nod = da.rio.nodata
        da = da.astype("float32")
        if nod is not None and np.isfinite(nod):
            da = da.where(da != nod)
        da = da.rio.write_nodata(np.nan, encoded=False)
    res = Resampling.nearest if categorical else Resampling.bilinear
    return np.asarray(da.rio.reproject(WORK_CRS, transform=transform, shape=shape, resampling=res).values)


def landscape(
    landcover: Any,
    dem: Any,
    study_area: Any,
    layers: Mapping[str, Any],
    *,
    class_names: Sequence[str],
    class_maps: Mapping[str, Mapping[str, Sequence[int]]],
    resolution_m: float,
    relief_window_m: float,
    scheme: str | None = None,
) -> Landscape:
    """Bring land cover, DEM and layers onto the pattern's grid (pure: data in, data out).

    Parameters
    ----------
    landcover : xarray.DataArray
        Class codes in any CRS with ``attrs["class_scheme"]`` (or ``scheme``).
    dem : xarray.DataArray
        Elevation (m), any CRS.
    study_area : GeoDataFrame
        Polygons of the study area (the counties); cells whose centre is outside are no cells.
    layers : mapping
        Name -> GeoDataFrame, reprojected to EPSG:4546 here.
    class_names, class_maps
        The plan's common classes and class maps (``[greening]``).
    resolution_m : float
        Cell size (m).
    relief_window_m : float
        Window of the relief (max - min elevation).
    """
    from linfen_geo.grid.cells import aligned_grid, cell_size_m
    from linfen_geo.landcover import NODATA, common_classes
    from linfen_geo.terrain import local_relief, slope_deg

    if not (resolution_m > 0):
        raise InputError(f"[pattern] resolution_m must be > 0, not {resolution_m}")
    area = study_area.to_crs(WORK_CRS)
    transform, h, w = aligned_grid(area.total_bounds, float(resolution_m))
    if h * w > 4_000_000:
        raise InputError(f"the pattern grid would have {h * w:,} cells: use a coarser [pattern] resolution_m")
    common = common_classes(landcover, class_names, class_maps, scheme)
    lc = _on_grid(common, transform, (h, w), categorical=True).astype(np.uint8)
    z = _on_grid(dem, transform, (h, w), categorical=False).astype("float64")
    ls = Landscape(
        lc, list(class_names), np.zeros((h, w), bool), np.zeros((h, w)), np.zeros((h, w)), transform, WORK_CRS
    )
    inside = rasterize(area.geometry, ls)
    if not inside.any():
        raise InputError("the study area covers no cell of the pattern grid")
    lc_ok = lc != NODATA
    if lc_ok[inside].mean() < 0.5:
        raise InputError("the land-cover raster does not cover the study area (Linfen): use one that does")
    ls.valid = inside & lc_ok
    ls.classes = np.where(ls.valid, lc, NODATA).astype(np.uint8)
    zda = ls.like(z, "elevation")
    ls.slope_deg = np.nan_to_num(np.asarray(slope_deg(zda).values), nan=0.0)
    ls.relief_m = np.nan_to_num(np.asarray(local_relief(zda, relief_window_m).values), nan=0.0)
    if not np.isfinite(z[ls.valid]).any():
        raise InputError("the DEM does not cover the study area (Linfen): use one that does")
    ls.layers = {k: v.to_crs(WORK_CRS) for k, v in layers.items() if v is not None}
    ls.meta = {
        "landcover_cell_m": float(max(cell_size_m(landcover))),
        "landcover_title": str(landcover.attrs.get("title_en", landcover.attrs.get("source", "user raster"))),
        "landcover_status": str(landcover.attrs.get("status", "user")),
        "dem_cell_m": float(max(cell_size_m(dem))),
        "dem_title": str(dem.attrs.get("title_en", dem.attrs.get("source", "user raster"))),
        "statuses": {},
    }
    return ls

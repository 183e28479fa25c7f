"""Input preparation shared by the analyses: catalog names or data, repair, dissolve.

The catalog convenience (a layer given by name) is resolved here, at the analyses' edge, through
the public :mod:`linfen_geo.layer_catalog`; the analyses themselves compute on data.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> len(as_layer(gpd.GeoSeries([box(0, 0, 1, 1)], crs=4546)))
1
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import shapely

from linfen_geo.crs import AREA_CRS, as_crs, crs_label, require_crs
from linfen_geo.errors import CRSMismatchError, InputError, LinfenGeoWarning
from linfen_geo.geometry import repair_geometries
from linfen_geo.plan.model import plan_model

__all__ = [
    "as_layer",
    "as_raster",
    "check_same_crs",
    "city_zone",
    "dissolved",
    "layer_status",
    "plan_of",
    "session_catalog",
    "zone_names",
]


def session_catalog(catalog: Any = None) -> Any:
    """``catalog``, or the session's catalog when None.

    Examples
    --------
    >>> session_catalog("mine")
    'mine'
    """
    if catalog is not None:
        return catalog
    from linfen_geo.layer_catalog import get_catalog

    return get_catalog()


def as_raster(raster: Any, catalog: Any = None, *, what: str = "raster") -> Any:
    """A raster (rioxarray DataArray) from a catalog name or a DataArray (returned as is).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"))
    >>> as_raster(da) is da
    True
    >>> as_raster(3, what="the DEM")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: the DEM must be a catalog layer name or an xarray DataArray, not int
    """
    import xarray as xr

    if isinstance(raster, str):
        return session_catalog(catalog).load(raster)
    if not isinstance(raster, xr.DataArray):
        raise InputError(f"{what} must be a catalog layer name or an xarray DataArray, not {type(raster).__name__}")
    return raster


def as_layer(layer: Any, catalog: Any = None, *, what: str = "layer") -> gpd.GeoDataFrame:
    """A GeoDataFrame from a catalog name or a GeoDataFrame/GeoSeries; invalid geometries repaired (counted)."""
    if isinstance(layer, str):
        return session_catalog(catalog).load(layer)
    if isinstance(layer, gpd.GeoSeries):
        layer = gpd.GeoDataFrame(geometry=layer)
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a catalog layer name or a GeoDataFrame, not {type(layer).__name__}")
    require_crs(layer, what)
    fixed, n = repair_geometries(layer.geometry, {"Polygon", "MultiPolygon"})
    if n:
        warnings.warn(f"{what}: repaired {n} invalid geometries before the analysis", LinfenGeoWarning, stacklevel=3)
        layer = layer.set_geometry(fixed)
        layer.attrs["repaired_invalid"] = n
    return layer


def check_same_crs(pairs: Any, reproject: bool = False) -> None:
    """Refuse user-given layers in different CRSs (catalog layers are all EPSG:4326 by contract).

    Parameters
    ----------
    pairs
        ``(as given, loaded GeoDataFrame, what)`` for each input of an analysis.
    reproject
        Accept different CRSs (each is reprojected to the analysis CRS anyway).

    Raises
    ------
    CRSMismatchError
        Two inputs the caller passed as GeoDataFrames carry different CRSs.
    """
    given = [(what, gdf) for obj, gdf, what in pairs if not isinstance(obj, str)]
    if reproject or len(given) < 2:
        return
    first_what, first = given[0]
    for what, gdf in given[1:]:
        if as_crs(gdf.crs) != as_crs(first.crs):
            raise CRSMismatchError(
                f"{what} is in {crs_label(gdf.crs)} but {first_what} is in {crs_label(first.crs)}: "
                "reproject one of them, or pass reproject=True"
            )


def plan_of(catalog: Any = None) -> Any:
    """The plan of ``catalog`` (default: the session's): the one place analyses find it by default."""
    return session_catalog(catalog).plan


def city_zone(catalog: Any = None) -> gpd.GeoDataFrame:
    """The whole city as one zone (AREA_CRS): the union of the counties, named and coded by the plan's ``[city]``."""
    city = plan_model(plan_of(catalog)).city
    counties = as_layer("counties", catalog)
    return gpd.GeoDataFrame(
        {"zone_id": [str(city.adcode)], "name_zh": [city.name_zh], "name_en": [f"{city.name_en} city"]},
        geometry=[counties.to_crs(AREA_CRS).union_all()],
        crs=AREA_CRS,
    )


def dissolved(layer: gpd.GeoDataFrame) -> Any:
    """The union of a layer's polygons in AREA_CRS (overlaps inside one layer counted once)."""
    geoms = layer.to_crs(AREA_CRS).geometry.values
    polys = geoms[shapely.get_type_id(geoms) >= 3]  # polygons only; points/lines have no area
    return shapely.union_all(polys) if len(polys) else shapely.Polygon()


def zone_names(zones: gpd.GeoDataFrame) -> tuple[str, str]:
    """Column names holding the Chinese and English names of zones."""
    zh = next((c for c in ("name_zh", "name", "名称") if c in zones.columns), None)
    en = next((c for c in ("name_en",) if c in zones.columns), None)
    return zh or "", en or ""


def layer_status(layer: gpd.GeoDataFrame) -> str:
    """Catalog status carried in attrs ('user' for frames not from the catalog)."""
    return layer.attrs.get("status", "user")

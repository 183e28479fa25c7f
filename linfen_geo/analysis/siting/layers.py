"""The control layers of a siting check, prepared: validated frames, feature ids and names, cached pieces.

The caller (:mod:`linfen_geo.analysis.siting.api`) resolves each layer the
rules need into a :class:`LayerInput` (the frame, its status and source, and
the id column the catalog declares for it); :func:`prepare_layers` turns them
into :class:`SitingLayer` s. Nothing here reads the catalog.

Feature ids come from the catalog spec's declared ``id`` column
(``layers.toml``). Only a frame the user gave without such a column gets its
id column guessed (:func:`guess_id_column`); without any, features are
numbered from 1.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> red = gpd.GeoDataFrame({"redline_id": ["HX1"]}, geometry=[box(500000, 3995000, 501000, 3996000)], crs=4546)
>>> lay = prepare_layer(LayerInput("redlines", red, status="user", source="test", user=True), 64)
>>> lay.ids.tolist(), lay.status, len(lay.pieces.work)
(['HX1'], 'user', 1)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from linfen_geo.analysis.siting.pieces import Pieces, pieces_for
from linfen_geo.analysis.siting.rules import SitingConfig
from linfen_geo.crs import STORAGE_CRS, as_crs
from linfen_geo.errors import InputError

__all__ = [
    "LayerInput",
    "SitingLayer",
    "as_layer_frame",
    "guess_id_column",
    "prepare_layer",
    "prepare_layers",
    "private_copy",
]

_ID_CANDIDATES = ("id", "feature_id", "ID", "编号")
_NAME_CANDIDATES = ("name_zh", "name", "名称", "river", "name_en")


@dataclass(frozen=True)
class LayerInput:
    """A layer as the caller resolved it, before preparation.

    ``id_column`` is the id the catalog spec declares (None when there is no
    spec); ``user`` is True for a frame the caller gave (its id column may be
    guessed when it lacks ``id_column``).
    """

    name: str
    frame: Any  # GeoDataFrame or GeoSeries
    status: str
    source: str
    id_column: str | None = None
    user: bool = False


@dataclass
class SitingLayer:
    """A prepared control layer: features (EPSG:4326), ids, names, pieces, provenance."""

    name: str
    features: gpd.GeoDataFrame  # EPSG:4326
    ids: np.ndarray
    names: np.ndarray
    work: np.ndarray  # features in WORK_CRS
    pieces: Pieces
    fingerprint: str
    status: str
    source: str
    title_zh: str
    title_en: str


def as_layer_frame(obj: Any, name: str) -> gpd.GeoDataFrame:
    """A layer as a GeoDataFrame in EPSG:4326 with a fresh index and valid geometries.

    Raises
    ------
    InputError
        Not a GeoDataFrame/GeoSeries, or no CRS.
    """
    if isinstance(obj, gpd.GeoSeries):
        obj = gpd.GeoDataFrame(geometry=obj)
    if not isinstance(obj, gpd.GeoDataFrame):
        raise InputError(f"layer {name!r} must be a GeoDataFrame or GeoSeries, not {type(obj).__name__}")
    if obj.crs is None:
        raise InputError(f"layer {name!r} has no CRS: set one with .set_crs(EPSG) first")
    gdf = obj if as_crs(obj.crs) == STORAGE_CRS else obj.to_crs(STORAGE_CRS)
    gdf = gdf.reset_index(drop=True)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        fixed = geoms.copy()
        fixed[bad] = shapely.make_valid(geoms[bad])
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, crs=STORAGE_CRS))
    return gdf


def guess_id_column(gdf: gpd.GeoDataFrame, name: str) -> str | None:
    """The id column of a user's frame that has no catalog spec: the one place ids are guessed.

    Tried in order: ``<name without s>_id``, ``<name>_id``, ``id``,
    ``feature_id``, ``ID``, ``编号``, then the first column ending in ``_id``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> guess_id_column(gpd.GeoDataFrame({"zone_id": [1], "reserve_id": [2]}, geometry=[None]), "reserves")
    'reserve_id'
    """
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    for c in (f"{name.rstrip('s')}_id", f"{name}_id", *_ID_CANDIDATES):
        if c in cols:
            return c
    ends = [c for c in cols if str(c).endswith("_id")]
    return ends[0] if ends else None


def _id_column(gdf: gpd.GeoDataFrame, inp: LayerInput) -> str | None:
    if inp.id_column and inp.id_column in gdf.columns and inp.id_column != gdf.geometry.name:
        return inp.id_column
    return guess_id_column(gdf, inp.name) if inp.user else None


def _name_column(gdf: gpd.GeoDataFrame) -> str | None:
    return next((c for c in _NAME_CANDIDATES if c in gdf.columns and c != gdf.geometry.name), None)


def check_where_columns(name: str, gdf: gpd.GeoDataFrame, cfg: SitingConfig) -> None:
    """Every column a rule's ``where`` filter names must be in the layer.

    Raises
    ------
    InputError
        Naming the rule, the column and the layer's columns.
    """
    for r in cfg.rules:
        if r.layer != name:
            continue
        for col, _vals in r.where:
            if col not in gdf.columns:
                raise InputError(
                    f"siting rule {r.id}: layer {name!r} has no column {col!r} for its where-filter "
                    f"({r.key}.where); columns are {', '.join(map(str, gdf.columns))}"
                )


def prepare_layer(inp: LayerInput, max_vertices: int) -> SitingLayer:
    """Validate one layer and attach its (cached) subdivided pieces.

    Parameters
    ----------
    inp
        The layer as resolved by the caller.
    max_vertices
        Vertex budget of the pieces.

    Returns
    -------
    SitingLayer
    """
    gdf = as_layer_frame(inp.frame, inp.name)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    pieces, fp = pieces_for(geoms, max_vertices)
    id_col = _id_column(gdf, inp)
    ids = (
        gdf[id_col].astype(str).to_numpy(dtype=object)
        if id_col
        else np.array([str(i) for i in range(1, len(gdf) + 1)], dtype=object)
    )
    name_col = _name_column(gdf)
    names = gdf[name_col].astype(str).to_numpy(dtype=object) if name_col else np.full(len(gdf), "", dtype=object)
    return SitingLayer(
        name=inp.name,
        features=gdf,
        ids=ids,
        names=names,
        work=pieces.features_work,
        pieces=pieces,
        fingerprint=fp,
        status=inp.status,
        source=inp.source,
        title_zh=str(gdf.attrs.get("title_zh", "")),
        title_en=str(gdf.attrs.get("title_en", "")),
    )


def prepare_layers(inputs: Iterable[LayerInput], cfg: SitingConfig, max_vertices: int) -> dict[str, SitingLayer]:
    """Prepare the layers the rules need, checking the rules' where-filters against their columns.

    Parameters
    ----------
    inputs
        The resolved layers, in the order the report lists them.
    cfg
        The validated rules.
    max_vertices
        Vertex budget of the pieces.

    Returns
    -------
    dict
        ``{layer name: SitingLayer}``.
    """
    out: dict[str, SitingLayer] = {}
    for inp in inputs:
        frame = inp.frame
        if inp.user:
            frame = as_layer_frame(frame, inp.name)  # a readable error for a bad frame before the columns
            inp = replace(inp, frame=frame)
        check_where_columns(inp.name, frame, cfg)
        out[inp.name] = prepare_layer(inp, max_vertices)
    return out


def private_copy(layer: SitingLayer) -> SitingLayer:
    """The layer with its own prepared copies of the pieces (for use in another thread)."""
    return replace(layer, pieces=layer.pieces.private_copy())

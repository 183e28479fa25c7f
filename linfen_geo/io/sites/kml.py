"""KML and KMZ sites through GDAL (pyogrio): the LIBKML driver, else the KML driver.

Every folder of the document is a GDAL layer (nested folders are flattened; placemarks outside any
folder form a layer named after the document; folders of the same name get `` (#2)``...). All
layers are read, in one pass over the file, and a ``folder`` column names each placemark's layer
when there is more than one; ``layer=`` reads one. GDAL covers points, lines, polygons with holes,
``MultiGeometry`` (as Multi* or GeometryCollection), ``ExtendedData`` (``Data`` and
``SchemaData``) and KMZ archives. What it does not cover is handled around it, not by parsing KML:

* LIBKML turns non-ASCII ``ExtendedData`` field names (``备注``) into underscores unless
  ``LIBKML_LAUNDER_FIELD_NAMES=NO``, which is set while reading;
* GDAL's XML parser (expat) reads only UTF-8, UTF-16, ISO-8859-1 and ASCII: a KML declared as
  GBK/GB2312/GB18030 (or given ``encoding=``, or undeclared and not UTF-8) is transcoded to a
  temporary UTF-8 copy first (:func:`linfen_geo.io.vectors.kml_source`, shared with the catalog;
  GB2312 and GBK are read as GB18030, their superset);
* reading folder by folder would parse the whole file once per folder (minutes for a thousand
  folders), so the folders are read as one OGR VRT union layer over a single open of the file;
* the plain KML driver (GDAL without LIBKML) ignores ``ExtendedData``: a warning says so.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "site.kml"
>>> _ = path.write_text('<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>风机1</name>'
...     '<Point><coordinates>111.4,35.9</coordinates></Point></Placemark></kml>', encoding="utf-8")
>>> raw = _read_kml(path, str(path), layer=None, encoding=None)
>>> raw.gdf[["name"]].to_dict("list"), raw.gdf.geometry.iloc[0].wkt, raw.fmt
({'name': ['风机1']}, 'POINT (111.4 35.9)', 'KML (GDAL)')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import pyogrio

from linfen_geo.errors import InputError
from linfen_geo.io.sites.common import _pick_layer, _pyogrio_reason, _Raw
from linfen_geo.io.vectors import kml_source

__all__: list[str] = []  # internal to linfen_geo.io.sites

# LIBKML/KML core fields that describe styling, not the site
_KML_JUNK = (
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
    "snippet",
)
#: the union layer's field naming each feature's source layer (not a name an ExtendedData field would have)
_SOURCE_FIELD = "linfen_geo_kml_layer"


@contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    """Set GDAL config options for the duration of a read, then restore them."""
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def _union_vrt(src: str, names: list[str]) -> str:
    """An OGR VRT union layer of all ``names`` over one (shared) open of ``src``; its
    :data:`_SOURCE_FIELD` holds ``l<i>``, the index into ``names``."""
    ds = escape(src)
    layers = "".join(
        f'<OGRVRTLayer name="l{i}"><SrcDataSource shared="1">{ds}</SrcDataSource>'
        f"<SrcLayer>{escape(name)}</SrcLayer></OGRVRTLayer>"
        for i, name in enumerate(names)
    )
    return (
        '<OGRVRTDataSource><OGRVRTUnionLayer name="placemarks">'
        f"<SourceLayerFieldName>{_SOURCE_FIELD}</SourceLayerFieldName>{layers}</OGRVRTUnionLayer></OGRVRTDataSource>"
    )


def _read_layers(src: str, names: list[str]) -> gpd.GeoDataFrame:
    if len(names) == 1:
        return pyogrio.read_dataframe(src, layer=names[0])
    # use_arrow: the row-by-row reader sees a feature count of 0 on union layers and reads nothing
    gdf = pyogrio.read_dataframe(_union_vrt(src, names), use_arrow=True)
    folder = gdf.pop(_SOURCE_FIELD).map({f"l{i}": name for i, name in enumerate(names)})
    gdf = gdf.drop(columns="folder", errors="ignore")  # an ExtendedData "folder" gives way, as before
    gdf.insert(len(gdf.columns) - 1, "folder", folder)  # the last attribute, as before
    return gdf


def _read_kml(path: Path, where: str, layer: Any, encoding: str | None) -> _Raw:
    """Placemarks of a KML/KMZ file with their name, description, ExtendedData and folder.

    Parameters
    ----------
    path
        ``.kml`` or ``.kmz`` file (or KML content under another suffix).
    where
        Names the input in messages.
    layer
        Folder (GDAL layer) name or index; None reads every folder.
    encoding
        Text encoding overriding the XML declaration (e.g. ``"gbk"``).

    Returns
    -------
    _Raw
        The placemarks in their own CRS (EPSG:4326), format ``"KML (GDAL)"``.

    Raises
    ------
    InputError
        If GDAL has no KML driver, the file is not KML, or it has no placemarks.
    """
    drivers = pyogrio.list_drivers()
    libkml = "LIBKML" in drivers
    if not libkml and "KML" not in drivers:
        raise InputError(f"{where}: this GDAL has no KML driver: install pyogrio from its wheels (they include LIBKML)")
    warnings: list[str] = []
    attrs: dict[str, Any] = {}
    with kml_source(path, where, encoding, libkml) as (src, data, transcoded):
        if transcoded:
            attrs["encoding"] = transcoded
        try:
            with _gdal_config(LIBKML_LAUNDER_FIELD_NAMES="NO"):
                names = [str(n) for n in pyogrio.list_layers(src)[:, 0]]
                if layer is not None:
                    names = [_pick_layer(names, layer, where)]
                gdf = _read_layers(src, names) if names else None
        except InputError:
            raise
        except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError ...
            raise InputError(f"{where}: cannot read the KML: {_pyogrio_reason(exc)}") from None
    if gdf is None or not len(gdf):
        raise InputError(f"{where}: no placemarks with geometry in the KML")
    if not libkml and b"ExtendedData" in data:
        warnings.append("GDAL has no LIBKML driver, so ExtendedData attributes were not read (only name, description)")
    gdf = gdf.drop(columns=[c for c in _KML_JUNK if c in gdf.columns])
    if "id" in gdf.columns and gdf["id"].isna().all():
        gdf = gdf.drop(columns="id")
    gdf = gdf.rename(columns={"Name": "name", "Description": "description"})
    return _Raw(gdf, where, str(path), "KML (GDAL)", attrs=attrs, warnings=warnings)

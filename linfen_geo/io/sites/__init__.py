"""Read planners' proposed project sites from whatever they come in.

:func:`read_sites` accepts Python objects (GeoDataFrame, GeoSeries, shapely
geometries, a DataFrame with coordinate columns, GeoJSON-like dicts, WKT text)
and files:

========================  ==================================================================
input                     how it is read
========================  ==================================================================
``.geojson`` ``.json``    pyogrio (GDAL GeoJSON driver)
``.gpkg``                 pyogrio; ``layer`` picks the layer (default: the first)
``.shp`` ``.zip``         pyogrio; without a ``.cpg`` the attribute encoding is detected
                          (UTF-8, else GB18030, which reads GBK); ``encoding`` wins
``.kml`` ``.kmz``         pyogrio (LIBKML driver, else KML), every folder (``layer`` picks
                          one); GBK/GB18030 KML is transcoded to UTF-8 for GDAL first
``.csv`` ``.tsv``         pandas; a WKT column (``wkt``/``geometry``/``geom``), else lon/lat
                          columns (``lon``/``lng``/``longitude``/``经度`` and
                          ``lat``/``latitude``/``纬度``; decimal or 度分秒), else
                          ``x``/``y`` (easting/northing) columns
``.xlsx`` ``.xls``        like CSV (``layer`` picks the sheet)
``.parquet``              GeoParquet (geopandas; CRS from its metadata), else a table like CSV
``.wkt``                  one WKT geometry per line, or a single geometry (``SRID=n;`` allowed)
``.txt``                  界址点 exchange file (:mod:`linfen_geo.io.jzd`), WKT lines or a table
other                     sniffed from the content, else handed to GDAL
========================  ==================================================================

Text files may be UTF-8 (with or without BOM) or GBK/GB18030.

The source CRS is the file's own; else ``crs`` (anything pyproj accepts, or
``"gcj02"``/``"bd09"`` for AMap/Baidu lon/lat); else it is inferred from the
coordinates (lon/lat around Linfen, or Gauss-Kruger metres of CM 111E with or
without the zone-37 prefix). The result is always in EPSG:4326.

The package's modules: :mod:`~linfen_geo.io.sites.api` (:func:`read_sites`),
:mod:`~linfen_geo.io.sites.readers` (dispatch, GDAL files, shapefiles, text files),
:mod:`~linfen_geo.io.sites.tables` (coordinate tables, WKT), :mod:`~linfen_geo.io.sites.kml`,
:mod:`~linfen_geo.io.sites.normalise` (ids, names, geometry checks, CRS inference and
resolution) and :mod:`~linfen_geo.io.sites.common`.

Examples
--------
>>> from shapely.geometry import Point, box
>>> sites = read_sites([Point(111.52, 36.08), box(111.6, 36.1, 111.61, 36.11)])
>>> sites[["site_id", "name"]].to_dict("list"), sites.crs.to_epsg(), sites.attrs["crs_assumed"]
({'site_id': ['1', '2'], 'name': ['', '']}, 4326, True)
"""

from linfen_geo.io.sites.api import read_sites
from linfen_geo.io.sites.normalise import (
    CHINA_LONLAT_BOX,
    ID_COLUMNS,
    LINFEN_LONLAT_BOX,
    NAME_COLUMNS,
    OFFSET_SYSTEMS,
    infer_crs,
)

__all__ = [
    "CHINA_LONLAT_BOX",
    "ID_COLUMNS",
    "LINFEN_LONLAT_BOX",
    "NAME_COLUMNS",
    "OFFSET_SYSTEMS",
    "infer_crs",
    "read_sites",
]

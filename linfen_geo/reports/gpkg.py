"""One styled GeoPackage for QGIS: every catalog layer and the results that have geometry.

Each layer is written in EPSG:4490 (CGCS2000, the official CRS; or the caller's CRS) with its
Chinese and English title, status and source in the layer description (``gpkg_contents``) and as
attributes (``layer_title_zh``, ``layer_title_en``, ``layer_status``, ``layer_source``). A QGIS style
per layer (QML, and SLD for other clients) goes into the GeoPackage's ``layer_styles`` table as the
default style, so QGIS opens the file as a styled map: the colours of the static maps
(:mod:`linfen_geo.viz.styles`), Chinese labels in Noto Sans CJK SC, illustrative layers outlined
dashed and hatched.

Examples
--------
>>> import tempfile, pathlib, pyogrio
>>> path = pathlib.Path(tempfile.mkdtemp()) / "linfen.gpkg"
>>> _ = to_gpkg(path, layers=["counties", "rivers"])
>>> sorted(name for name, _ in pyogrio.list_layers(path))
['counties', 'layer_styles', 'rivers']
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd

from linfen_geo.crs import as_crs, crs_label
from linfen_geo.errors import InputError
from linfen_geo.files import check_writable, write_file
from linfen_geo.viz.styles import LAYER_STYLES, VERDICT_COLORS

__all__ = ["DEFAULT_CRS", "gpkg_summary", "layer_qml", "layer_sld", "siting_layers", "to_gpkg"]

#: CGCS2000 geographic: the CRS official Chinese data are delivered in
DEFAULT_CRS = 4490
FONT = "Noto Sans CJK SC"
_LABEL_FIELDS = ("name_zh", "name", "名称", "site_id", "corridor_id")


def _rgba(color: str, alpha: float = 1.0) -> str:
    """A QGIS ``r,g,b,a`` colour from ``#rrggbb`` (or a matplotlib name)."""
    from matplotlib.colors import to_rgba

    r, g, b, _ = to_rgba(color)
    return f"{round(r * 255)},{round(g * 255)},{round(b * 255)},{round(alpha * 255)}"


def _kind(gdf: gpd.GeoDataFrame) -> str:
    types = set(gdf.geom_type.dropna())
    if types <= {"Point", "MultiPoint"}:
        return "point"
    if types <= {"LineString", "MultiLineString"}:
        return "line"
    return "polygon"


def _colours(name: str, style: Mapping[str, Any]) -> tuple[str, str, float]:
    fill = style.get("facecolor", style.get("color", "#999999"))
    edge = style.get("edgecolor", style.get("color", "#333333"))
    alpha = float(style.get("alpha", 0.6))
    if fill == "none":
        fill, alpha = edge, 0.0
    if edge == "none":
        edge = fill
    return fill, edge, alpha


def label_field(gdf: gpd.GeoDataFrame) -> str | None:
    """The field a layer is labelled with (Chinese name first)."""
    return next((c for c in _LABEL_FIELDS if c in gdf.columns), None)


def _symbol(kind: str, fill: str, edge: str, alpha: float, width: float, illustrative: bool) -> str:
    dash = "dash" if illustrative else "solid"
    if kind == "point":
        return (
            '<symbol type="marker" name="0" alpha="1"><layer class="SimpleMarker">'
            f'<Option type="Map"><Option name="color" value="{_rgba(fill)}" type="QString"/>'
            f'<Option name="outline_color" value="{_rgba(edge)}" type="QString"/>'
            '<Option name="size" value="2.4" type="QString"/><Option name="name" value="circle" type="QString"/>'
            "</Option></layer></symbol>"
        )
    if kind == "line":
        return (
            '<symbol type="line" name="0" alpha="1"><layer class="SimpleLine">'
            f'<Option type="Map"><Option name="line_color" value="{_rgba(edge)}" type="QString"/>'
            f'<Option name="line_width" value="{width:.2f}" type="QString"/>'
            f'<Option name="line_style" value="{dash}" type="QString"/></Option></layer></symbol>'
        )
    layers = [
        '<layer class="SimpleFill"><Option type="Map">'
        f'<Option name="color" value="{_rgba(fill, alpha)}" type="QString"/>'
        f'<Option name="outline_color" value="{_rgba(edge)}" type="QString"/>'
        f'<Option name="outline_width" value="{width:.2f}" type="QString"/>'
        f'<Option name="outline_style" value="{dash}" type="QString"/>'
        '<Option name="style" value="solid" type="QString"/></Option></layer>'
    ]
    if illustrative:  # hatched on top: modelled, not official
        layers.append(
            '<layer class="SimpleFill"><Option type="Map">'
            f'<Option name="color" value="{_rgba(edge, 0.8)}" type="QString"/>'
            '<Option name="style" value="b_diagonal" type="QString"/>'
            '<Option name="outline_style" value="no" type="QString"/></Option></layer>'
        )
    return f'<symbol type="fill" name="0" alpha="1">{"".join(layers)}</symbol>'


def layer_qml(name: str, gdf: gpd.GeoDataFrame, *, status: str = "") -> str:
    """A QGIS QML style for a layer: single symbol in the static maps' colours, Chinese labels.

    Verdict layers (a ``verdict`` column) are categorised by verdict instead.
    """
    style = LAYER_STYLES.get(name, {})
    kind = _kind(gdf)
    fill, edge, alpha = _colours(name, style)
    width = max(float(style.get("linewidth", 0.6)) * 0.35, 0.26)
    illustrative = status == "illustrative" or bool(
        "illustrative" in gdf.columns and gdf["illustrative"].astype(bool).any()
    )
    if "verdict" in gdf.columns:
        cats, syms = [], []
        for i, (verdict, colour) in enumerate(VERDICT_COLORS.items()):
            cats.append(f'<category render="true" symbol="{i}" value="{verdict}" label="{verdict}"/>')
            syms.append(_symbol(kind, colour, "#333333", 0.7, width, illustrative).replace('name="0"', f'name="{i}"'))
        renderer = (
            '<renderer-v2 type="categorizedSymbol" attr="verdict" enableorderby="0">'
            f"<categories>{''.join(cats)}</categories><symbols>{''.join(syms)}</symbols></renderer-v2>"
        )
    else:
        renderer = (
            '<renderer-v2 type="singleSymbol" enableorderby="0"><symbols>'
            f"{_symbol(kind, fill, edge, alpha, width, illustrative)}</symbols></renderer-v2>"
        )
    field = label_field(gdf)
    labeling = ""
    if field:
        labeling = (
            '<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName="{escape(field)}" fontFamily="{FONT}" fontSize="8" textColor="40,40,40,255"'
            ' isExpression="0"><text-buffer bufferDraw="1" bufferSize="0.8" bufferColor="255,255,255,255"/>'
            "</text-style>"
            f'<placement placement="{1 if kind == "polygon" else 2}"/></settings></labeling>'
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.28" styleCategories="Symbology|Labeling" labelsEnabled="{1 if field else 0}">'
        f"{renderer}{labeling}</qgis>\n"
    )


def layer_sld(name: str, gdf: gpd.GeoDataFrame, *, status: str = "") -> str:
    """An OGC SLD 1.1 style with the same colours (for clients other than QGIS)."""
    style = LAYER_STYLES.get(name, {})
    fill, edge, alpha = _colours(name, style)
    kind = _kind(gdf)
    dash = '<se:SvgParameter name="stroke-dasharray">4 2</se:SvgParameter>' if status == "illustrative" else ""
    stroke = f'<se:Stroke><se:SvgParameter name="stroke">{edge}</se:SvgParameter>{dash}</se:Stroke>'
    if kind == "point":
        sym = (
            "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName>"
            f'<se:Fill><se:SvgParameter name="fill">{fill}</se:SvgParameter></se:Fill>{stroke}</se:Mark>'
            "<se:Size>6</se:Size></se:Graphic></se:PointSymbolizer>"
        )
    elif kind == "line":
        sym = f"<se:LineSymbolizer>{stroke}</se:LineSymbolizer>"
    else:
        sym = (
            f'<se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill">{fill}</se:SvgParameter>'
            f'<se:SvgParameter name="fill-opacity">{alpha:.2f}</se:SvgParameter></se:Fill>{stroke}'
            "</se:PolygonSymbolizer>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
        'xmlns:se="http://www.opengis.net/se">'
        f"<NamedLayer><se:Name>{escape(name)}</se:Name><UserStyle><se:Name>{escape(name)}</se:Name>"
        f"<se:FeatureTypeStyle><se:Rule>{sym}</se:Rule></se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>\n"
    )


_STYLES_TABLE = """CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""


def _write_styles(path: Path, styles: Sequence[tuple[str, str, str, str]]) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute(_STYLES_TABLE)
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles (QML, SLD) of every layer')"
        )
        con.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
            "styleQML, styleSLD, useAsDefault, description, owner) VALUES ('', '', ?, 'geom', ?, ?, ?, 1, ?, 'linfen_geo')",
            [(t, t, qml, sld, desc) for t, qml, sld, desc in styles],
        )
        con.commit()
    finally:
        con.close()


def to_gpkg(
    path: str | os.PathLike[str],
    layers: Sequence[str] | None = None,
    *,
    results: Mapping[str, gpd.GeoDataFrame] | None = None,
    crs: Any = DEFAULT_CRS,
    catalog: Any = None,
    overwrite: bool = False,
) -> Path:
    """Write catalog layers (and result layers) into one styled GeoPackage, atomically.

    Parameters
    ----------
    path
        The ``.gpkg`` file; an existing one is replaced only with ``overwrite``.
    layers
        Catalog vector layers (default: every vector layer).
    results
        ``{table name: GeoDataFrame}`` of results with geometry (siting sites with verdicts, their
        conflict-free remainders, greening pieces ...); ``attrs["title_zh"/"title_en"/"status"]`` are used.
    crs
        Output CRS (default EPSG:4490, CGCS2000).
    catalog
        The catalog (default: the session's).
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path
    """
    from linfen_geo.layer_catalog import get_catalog

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path}: a GeoPackage file name ends in .gpkg")
    check_writable(path, overwrite)
    cat = catalog or get_catalog()
    names = list(layers) if layers is not None else [n for n in cat.names() if cat.spec(n).kind == "vector"]
    frames: list[tuple[str, gpd.GeoDataFrame, dict[str, str]]] = []
    for name in names:
        spec = cat.spec(name)
        if spec.kind != "vector":
            raise InputError(f"layer {name!r} is a raster; a GeoPackage here holds vector layers")
        meta = {
            "title_zh": spec.title_zh,
            "title_en": spec.title_en,
            "status": cat.status(name),
            "source": str(cat.provenance(name)["source"]),
            "licence": str(cat.provenance(name)["licence"]),
            "attribution": "; ".join(cat.attributions([name])),
        }
        frames.append((name, cat.load(name), meta))
    for name, gdf in (results or {}).items():
        meta = {
            k: str(gdf.attrs.get(k, "")) for k in ("title_zh", "title_en", "status", "source", "licence", "attribution")
        }
        meta["status"] = meta["status"] or "derived"
        frames.append((name, gdf, meta))
    out_crs = as_crs(crs)

    def write(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)
        styles = []
        for name, gdf, meta in frames:
            g = gdf.to_crs(out_crs).copy()
            g.attrs = {}
            for key, value in meta.items():
                g[f"layer_{key}"] = value
            desc = f"{meta['title_zh']} {meta['title_en']} [{meta['status']}] source: {meta['source']}"
            if meta.get("attribution"):
                desc += f"; data: {meta['attribution']}"
            g.to_file(
                tmp,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                layer_options={"DESCRIPTION": desc[:2000]},
                dataset_options={"VERSION": "1.2"},  # GeoPackage 1.2: read by every QGIS 3 / GDAL >= 2.2
            )
            styles.append(
                (name, layer_qml(name, g, status=meta["status"]), layer_sld(name, g, status=meta["status"]), desc)
            )
        _write_styles(tmp, styles)

    write_file(path, write, overwrite=overwrite)
    return path


def siting_layers(report: Any) -> dict[str, gpd.GeoDataFrame]:
    """A siting report as two GeoPackage layers: the sites with their verdicts, and their conflict-free parts."""
    summ = report.summary()
    keep = [c for c in summ.columns if c not in ("geometry",)]
    sites = gpd.GeoDataFrame(
        summ[keep].reset_index(drop=True), geometry=report.sites.geometry.to_numpy(), crs=report.sites.crs
    )
    sites.attrs.update(title_zh="选址核查项目", title_en="Siting check: project sites", status="derived")
    free = report.conflict_free
    remainder = gpd.GeoDataFrame(
        {"site_id": free.index.to_numpy(dtype=object), "verdict": summ["verdict"].to_numpy()},
        geometry=free.to_numpy(),
        crs=free.crs,
    )
    remainder = remainder[~(remainder.geometry.isna() | remainder.geometry.is_empty)]
    remainder.attrs.update(title_zh="无冲突部分", title_en="Siting check: conflict-free remainder", status="derived")
    if report.illustrative:
        sites.attrs["status"] = remainder.attrs["status"] = "illustrative"
    return {"siting_sites": sites, "siting_conflict_free": remainder}


def gpkg_summary(path: str | os.PathLike[str]) -> str:
    """One line: layers and CRS of a GeoPackage written by :func:`to_gpkg`."""
    import pyogrio

    layers = [n for n, _ in pyogrio.list_layers(path) if n != "layer_styles"]
    info = pyogrio.read_info(path, layer=layers[0]) if layers else {"crs": ""}
    return f"{len(layers)} layers in {crs_label(info['crs']) if info['crs'] else 'no CRS'}"

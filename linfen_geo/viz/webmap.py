"""Interactive maps: every catalog layer and siting results in one self-contained HTML page.

The page works offline: Leaflet and proj4js (vendored from the npm registry, BSD-2 and MIT
licences in ``linfen_geo/static/``) are embedded as data URIs, the base map is a DEM hillshade
image embedded in the page, and no tile or script is fetched when the page is viewed - unless
the caller asks for a web base map (``basemap="OpenStreetMap"``), which the legend then says.

Clicking anywhere shows the point's WGS 84 lon/lat and its CGCS2000 3-degree Gauss-Kruger
coordinates (EPSG:4546, and EPSG:4525 with the zone prefix 37) in a box at the bottom left.
Sites from a siting check are coloured by verdict, with a popup listing each contact.

:func:`draw_map` only draws what it is given: layers (:class:`MapLayer`), a
:class:`~linfen_geo.analysis.siting.SitingReport`, a DEM for the hillshade.
:func:`explore` and :func:`write_map` are the conveniences at the API edge:
they read the layers from the catalog and, given sites without a report, run
the siting check for them.

Examples
--------
>>> import linfen_geo as lg
>>> m = lg.explore(["counties", "rivers"])  # doctest: +SKIP
>>> report = lg.check_siting("examples/sites_three_projects.geojson")  # doctest: +SKIP
>>> lg.write_map("map.html", report=report)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from linfen_geo.crs import WORK_CRS
from linfen_geo.viz._webpage import cjk_font_css, coords_script, data_uri, legend_html
from linfen_geo.viz.styles import LAYER_STYLES, VERDICT_COLORS, web_style

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import xarray as xr

    from linfen_geo.analysis.siting import SitingReport

__all__ = ["VERDICT_COLORS", "MapLayer", "catalog_layers", "draw_map", "explore", "write_map"]

#: verdict -> colour of a site on the map (best to worst)
_BARRIER_COLORS = ["#fee08b", "#66bd63", "#3288bd", "#f46d43"]


@dataclass(frozen=True)
class MapLayer:
    """A vector layer to draw: its catalog name (for the style), frame (EPSG:4326), legend label, status."""

    name: str
    frame: gpd.GeoDataFrame
    label: str
    status: str


def _label(title_zh: str, title_en: str, status: str) -> str:
    mark = {"illustrative": " [示意 illustrative]", "official": " [官方 official]"}.get(status, f" [{status}]")
    return f"{title_zh} {title_en}{mark}"


def _fields(gdf: Any) -> list[str]:
    prefer = [
        "redline_id",
        "reserve_id",
        "zone_id",
        "corridor_id",
        "barrier_id",
        "site_id",
        "adcode",
        "name",
        "name_zh",
        "name_en",
        "zone",
        "county",
        "mineral",
        "restoration_status",
        "river",
        "width_m",
        "area_km2",
        "illustrative",
    ]
    return [c for c in prefer if c in gdf.columns][:8]


def _hillshade_overlay(dem: xr.DataArray) -> tuple[str, list[list[float]]]:
    """DEM hillshade as a PNG data URI in Web Mercator, with its lat/lon bounds."""
    import matplotlib.pyplot as plt
    from rasterio.enums import Resampling

    from linfen_geo.terrain import hillshade

    dem = dem.rio.reproject("EPSG:3857", resampling=Resampling.bilinear)
    z = np.asarray(dem.values, dtype=float)
    shade = np.nan_to_num(hillshade(dem))
    rgba = plt.get_cmap("terrain")(np.clip((z - 200) / 2400, 0, 1))
    rgba[..., :3] *= (0.55 + 0.45 * shade)[..., None]
    rgba[..., 3] = np.where(np.isfinite(z), 1.0, 0.0)
    buf = io.BytesIO()
    plt.imsave(buf, rgba, format="png")
    west, south, east, north = dem.rio.transform_bounds("EPSG:4326")
    return f"data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}", [[south, west], [north, east]]


def _site_popup(row: Any, contacts: Any) -> str:
    head = (
        f"<b>{html.escape(str(row['site_id']))}</b> {html.escape(str(row.get('name', '') or ''))}<br>"
        f"结论 verdict: <b>{html.escape(str(row['verdict_zh']))} {html.escape(str(row['verdict']))}</b><br>"
        f"面积 area: {row['area_m2']:,.0f} m² ({row['area_mu']:,.2f} 亩)<br>"
        f"距最近红线 nearest red line: {row['nearest_redline_m']:,.0f} m"
    )
    if contacts.empty:
        return head + "<br>无接触 no contacts"
    lines = "".join(
        f"<tr><td>{html.escape(str(c.layer))}</td><td>{html.escape(str(c.feature_id))}</td>"
        f"<td>{c.overlap_m2:,.0f} m² / {c.overlap_mu:,.2f} 亩</td><td>{c.distance_m:,.0f} m</td>"
        f"<td>{html.escape(str(c.rule))} {html.escape(str(c.verdict))}</td></tr>"
        for c in contacts.itertuples()
    )
    return (
        head + "<table style='font-size:11px;margin-top:4px'><tr><th>图层 layer</th><th>要素 feature</th>"
        f"<th>重叠 overlap</th><th>距离 distance</th><th>规则 rule</th></tr>{lines}</table>"
    )


def _draw_layer(m: folium.Map, layer: MapLayer, legend: list[tuple[str, str, str]]) -> None:
    import folium

    name, gdf = layer.name, layer.frame
    fields = _fields(gdf)
    g = gdf[[*fields, "geometry"]].copy()
    g["geometry"] = g.geometry.set_precision(1e-6)
    if name == "mines":
        g["geometry"] = g.to_crs(WORK_CRS).representative_point().to_crs(4326)
    for c in g.columns:
        if c != "geometry" and g[c].dtype.kind not in "biufO":
            g[c] = g[c].astype(str)
    if name == "barriers" and "barrier_id" in g.columns:
        colors = dict(zip(g["barrier_id"], _BARRIER_COLORS, strict=False))

        def style(f: dict, _c: dict = colors) -> dict:
            c = _c.get(f["properties"]["barrier_id"], "#999999")
            return {"color": c, "fillColor": c, "fillOpacity": 0.3, "weight": 1}

        for bid, c in colors.items():
            row = g[g["barrier_id"] == bid].iloc[0]
            legend.append((f"{row.get('name_zh', bid)} {row.get('name_en', '')}", c, c))
    else:
        st = web_style(name, layer.status)

        def style(f: dict, _s: dict = st) -> dict:
            return _s

        legend.append((layer.label, st["fillColor"], st["color"]))
    kwargs: dict[str, Any] = {}
    if name == "mines" or "Point" in str(g.geom_type.iloc[0]):  # circles, not icon images (offline)
        color = LAYER_STYLES.get(name, {}).get("color", "#333333")
        kwargs["marker"] = folium.CircleMarker(
            radius=3 if name == "mines" else 4, fill=True, fill_opacity=0.9, color=color, fill_color=color
        )
    folium.GeoJson(
        g,
        name=layer.label,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=fields),
        show=name not in ("counties_tianditu", "city_outline"),
        **kwargs,
    ).add_to(m)


def draw_map(
    layers: Sequence[MapLayer],
    *,
    bounds: Sequence[float],
    report: SitingReport | None = None,
    dem: xr.DataArray | None = None,
    basemap: str | None = None,
    credits: Sequence[str] = (),
) -> folium.Map:
    """Draw layers (and a siting report's sites by verdict) on a self-contained offline folium map.

    Parameters
    ----------
    layers
        The vector layers, drawn as toggleable overlays in this order.
    bounds
        ``(west, south, east, north)`` in lon/lat: the map opens on them.
    report
        A siting report: its sites are drawn coloured by verdict, with a popup of their contacts.
    dem
        A DEM (any CRS) for the offline hillshade base map; None for none.
    basemap
        A folium tile name (e.g. ``"OpenStreetMap"``) to add a web base map; tiles are then fetched
        online when the page is viewed, which the legend says.
    credits
        Data credits shown in the map's corner (the attributions ODbL / CC BY data require).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> zone = gpd.GeoDataFrame({"name": ["示例区"]}, geometry=[box(111.0, 36.0, 111.2, 36.1)], crs=4326)
    >>> m = draw_map([MapLayer("zone", zone, "示例区 zone [user]", "user")], bounds=zone.total_bounds)
    >>> "zone [user]" in m.get_root().render()
    True
    """
    import folium

    west, south, east, north = (float(v) for v in bounds)
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=8, tiles=None, control_scale=True)
    m.default_js = [
        ("leaflet", data_uri("leaflet.js", "text/javascript")),
        ("proj4", data_uri("proj4.js", "text/javascript")),
    ]
    m.default_css = [("leaflet_css", data_uri("leaflet.css", "text/css"))]
    # the layer-control icon, embedded (leaflet.css points to an images/ folder that a single file lacks)
    icons = (
        f".leaflet-control-layers-toggle{{background-image:url({data_uri('layers.png', 'image/png')}) !important}}"
        f".leaflet-retina .leaflet-control-layers-toggle{{background-image:url({data_uri('layers-2x.png', 'image/png')}) !important}}"
    )
    m.get_root().header.add_child(folium.Element(f"<style>{icons}</style>"))
    if basemap:
        folium.TileLayer(basemap, name=f"{basemap} (web)", overlay=False).add_to(m)
    if dem is not None:
        uri, image_bounds = _hillshade_overlay(dem)
        folium.raster_layers.ImageOverlay(
            uri,
            bounds=image_bounds,
            name="地形晕渲 DEM hillshade (1 km)",
            opacity=0.55,
            overlay=True,
            control=True,
            zindex=1,
        ).add_to(m)
    legend: list[tuple[str, str, str]] = []
    for layer in layers:
        _draw_layer(m, layer, legend)
    if report is not None:
        _add_sites(m, report, legend)
    folium.LayerControl(collapsed=True).add_to(m)
    m.get_root().html.add_child(folium.Element(legend_html(legend, basemap)))
    if credits:
        text = html.escape("数据来源 Data: " + "; ".join(credits))
        m.get_root().html.add_child(
            folium.Element(
                '<div class="lg-credits" style="position:fixed;bottom:2px;right:4px;z-index:9999;'
                "background:rgba(255,255,255,0.8);font-size:10px;padding:1px 4px;max-width:60%;"
                f'">{text}</div>'
            )
        )
    m.get_root().script.add_child(folium.Element(coords_script(m.get_name())))
    m.fit_bounds([[south, west], [north, east]])
    m.get_root().header.add_child(folium.Element(cjk_font_css(m.get_root().render())))
    return m


def _add_sites(m: folium.Map, report: SitingReport, legend: list[tuple[str, str, str]]) -> None:
    import folium
    from folium.utilities import JsCode

    summary = report.summary().set_index("site_id")
    contacts = report.to_frame()
    by_site = dict(tuple(contacts.groupby("site_id", sort=False)))
    empty = contacts.iloc[:0]
    g = report.sites[["site_id", "geometry"]].copy()
    rows = summary.loc[g["site_id"]]
    g["verdict"] = rows["verdict"].to_numpy()
    g["color"] = g["verdict"].map(VERDICT_COLORS).fillna("#777777").to_numpy()
    g["tip"] = [f"{sid}: {zh} {v}" for sid, zh, v in zip(g["site_id"], rows["verdict_zh"], g["verdict"], strict=True)]
    g["popup_html"] = [
        _site_popup(summary.loc[sid].to_dict() | {"site_id": sid}, by_site.get(sid, empty)) for sid in g["site_id"]
    ]  # popups are per site by nature; the contacts were computed vectorised by check_siting
    g["site_id"] = g["site_id"].astype(str)
    folium.GeoJson(
        g,
        name="项目选址 Project sites (by verdict)",
        className="lg-site",
        style_function=lambda f: {
            "color": "#222222",
            "weight": 2,
            "fillColor": f["properties"]["color"],
            "fillOpacity": 0.8,
        },
        marker=folium.CircleMarker(radius=7, fill=True, fill_opacity=0.9, color="#222222"),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        # bind the popup in Leaflet itself: folium's Popup needs jQuery, which this offline page does not load
        on_each_feature=JsCode(
            "function (feature, layer) { layer.bindPopup(feature.properties.popup_html, {maxWidth: 560}); }"
        ),
    ).add_to(m)
    for verdict, color in VERDICT_COLORS.items():
        legend.append((f"项目 site: {verdict}", color, "#222222"))
    if report.illustrative:
        legend.append(("结论基于示意图层 verdicts use illustrative layers", "#ffffff", "#b30000"))


# --------------------------------------------------------------------------- the API edge


def catalog_layers(names: Sequence[str] | None, catalog: Any) -> list[MapLayer]:
    """The catalog's vector layers as :class:`MapLayer` s (default: every vector layer with a style).

    Examples
    --------
    >>> import linfen_geo as lg
    >>> [layer.name for layer in catalog_layers(["counties"], lg.get_catalog())]
    ['counties']
    """
    if names is None:
        names = [n for n in catalog.names() if n in LAYER_STYLES and catalog.spec(n).kind == "vector"]
    out = []
    for name in names:
        spec, status = catalog.spec(name), catalog.status(name)
        out.append(MapLayer(name, catalog.load(name), _label(spec.title_zh, spec.title_en, status), status))
    return out


def _report_for(sites: Any, report: SitingReport | None, crs: Any, catalog: Any) -> SitingReport | None:
    """The report to draw: the one given, else the siting check of ``sites`` (a convenience)."""
    if report is not None or sites is None:
        return report
    from linfen_geo.analysis.siting import SitingReport, check_siting

    return sites if isinstance(sites, SitingReport) else check_siting(sites, crs=crs, catalog=catalog)


def explore(
    layers: Sequence[str] | None = None,
    *,
    sites: Any = None,
    report: SitingReport | None = None,
    crs: Any = None,
    catalog: Any = None,
    basemap: str | None = None,
    hillshade: bool = True,
    extra: Sequence[MapLayer] = (),
) -> folium.Map:
    """Interactive folium map of catalog layers (and siting results) for notebooks.

    Parameters
    ----------
    layers
        Catalog vector layers to show as toggleable overlays (default: all with a style).
    sites
        Sites to show coloured by verdict when no ``report`` is given: a
        :class:`~linfen_geo.analysis.siting.SitingReport`, or anything
        :func:`~linfen_geo.analysis.siting.check_siting` accepts (path, GeoDataFrame ...),
        which is then checked against the catalog's layers (a convenience).
    report
        A siting report whose sites to show (takes precedence over ``sites``).
    crs
        CRS of ``sites`` when it is a file without one (EPSG code, ``gcj02``, ``bd09``).
    catalog
        Catalog to read layers from (default: the session's).
    basemap
        A folium tile name (e.g. ``"OpenStreetMap"``) to add a web base map; tiles are then fetched
        online when the page is viewed. Default: none (offline).
    hillshade
        Embed a DEM hillshade image as an offline base map.
    extra
        Further layers to draw after the catalog's (results such as the security pattern's corridors).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = explore(["counties"], hillshade=False)
    >>> "County" in m.get_root().render()
    True
    """
    from linfen_geo.layer_catalog.core import get_catalog

    cat = catalog or get_catalog()
    map_layers = [*catalog_layers(layers, cat), *extra]
    return draw_map(
        map_layers,
        bounds=cat.load("counties").total_bounds,
        report=_report_for(sites, report, crs, cat),
        dem=cat.load("dem") if hillshade else None,
        basemap=basemap,
        # results drawn with the layers (extra) rest on catalog layers: credit every shipped source then
        credits=cat.attributions(
            None if extra else [ml.name for ml in map_layers if ml.name in cat.specs] + (["dem"] if hillshade else [])
        ),
    )


def write_map(
    path: str | os.PathLike[str],
    layers: Sequence[str] | None = None,
    *,
    sites: Any = None,
    report: SitingReport | None = None,
    crs: Any = None,
    catalog: Any = None,
    basemap: str | None = None,
    overwrite: bool = False,
    extra: Sequence[MapLayer] = (),
) -> Path:
    """Write :func:`explore`'s map as a self-contained HTML file (atomically; no overwrite unless asked).

    Parameters are those of :func:`explore`, plus ``path`` and ``overwrite``.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        If ``path`` exists and ``overwrite`` is False (checked before anything is drawn).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = write_map(pathlib.Path(tempfile.mkdtemp()) / "map.html", ["counties"])
    >>> out.stat().st_size > 100_000
    True
    """
    from linfen_geo.reports.writers import check_writable, write_text

    path = check_writable(path, overwrite)
    m = explore(layers, sites=sites, report=report, crs=crs, catalog=catalog, basemap=basemap, extra=extra)
    return write_text(m.get_root().render(), path, overwrite=True)

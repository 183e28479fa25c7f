"""Interactive maps: every catalog layer and siting results in one self-contained HTML page.

The page works offline: Leaflet and proj4js (vendored from the npm registry, BSD-2 and MIT
licences in ``linfen_geo/static/``) are embedded as data URIs, the base map is a DEM hillshade
image embedded in the page, and no tile or script is fetched when the page is viewed - unless
the caller asks for a web base map (``basemap="OpenStreetMap"``), which the legend then says.

Clicking anywhere shows the point's WGS 84 lon/lat and its CGCS2000 3-degree Gauss-Kruger
coordinates (EPSG:4546, and EPSG:4525 with the zone prefix 37) in a box at the bottom left.
Sites from a siting check are coloured by verdict, with a popup listing each contact.

Examples
--------
>>> import linfen_geo as lg
>>> m = lg.explore(["counties", "rivers"])  # doctest: +SKIP
>>> lg.write_map("map.html", sites="examples/sites_three_projects.geojson")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from linfen_geo.crs import WORK_CRS
from linfen_geo.viz.maps import LAYER_STYLES

__all__ = ["VERDICT_COLORS", "explore", "write_map"]

#: verdict -> colour of a site on the map (best to worst)
VERDICT_COLORS = {"clear": "#1a9850", "review": "#fee08b", "restricted": "#fc8d59", "prohibited": "#d73027"}
_BARRIER_COLORS = ["#fee08b", "#66bd63", "#3288bd", "#f46d43"]
_GK_4546 = "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
_GK_4525 = "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=37500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def _static(name: str) -> bytes:
    return (resources.files("linfen_geo.viz") / "static" / name).read_bytes()


def _data_uri(name: str, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(_static(name)).decode()}"


def _style_for(name: str, status: str) -> dict[str, Any]:
    s = LAYER_STYLES.get(name, {})
    color = s.get("edgecolor") or s.get("color") or "#555555"
    fill = s.get("facecolor", s.get("color", color))
    out = {
        "color": color if color != "none" else fill,
        "weight": max(float(s.get("linewidth", 1.0)) * 1.5, 1.0),
        "fillColor": fill if fill != "none" else color,
        "fillOpacity": 0.0 if fill == "none" else float(s.get("alpha", 0.5)),
        "opacity": 0.9,
    }
    if s.get("linestyle") == "--":
        out["dashArray"] = "6 4"
    if status == "illustrative":
        out["dashArray"] = out.get("dashArray", "4 3")
    return out


def _label(cat: Any, name: str) -> str:
    spec = cat.spec(name)
    status = cat.status(name)
    mark = {"illustrative": " [示意 illustrative]", "official": " [官方 official]"}.get(status, f" [{status}]")
    return f"{spec.title_zh} {spec.title_en}{mark}"


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


def _hillshade_overlay(cat: Any) -> tuple[str, list[list[float]]]:
    """DEM hillshade as a PNG data URI in Web Mercator, with its lat/lon bounds."""
    import matplotlib.pyplot as plt
    from rasterio.enums import Resampling

    from linfen_geo.terrain import hillshade

    dem = cat.load("dem").rio.reproject("EPSG:3857", resampling=Resampling.bilinear)
    z = np.asarray(dem.values, dtype=float)
    shade = np.nan_to_num(hillshade(dem))
    rgba = plt.get_cmap("terrain")(np.clip((z - 200) / 2400, 0, 1))
    rgba[..., :3] *= (0.55 + 0.45 * shade)[..., None]
    rgba[..., 3] = np.where(np.isfinite(z), 1.0, 0.0)
    buf = io.BytesIO()
    plt.imsave(buf, rgba, format="png")
    west, south, east, north = dem.rio.transform_bounds("EPSG:4326")
    return f"data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}", [[south, west], [north, east]]


def _cjk_font_css(text: str) -> str:
    """An @font-face rule embedding Noto Sans CJK SC, subset to the CJK characters in ``text``.

    The page then shows Chinese on machines without a CJK font (a subset of a few hundred glyphs
    is ~100-300 KB instead of the font's 16 MB).
    """
    import json
    import re

    from fontTools import subset

    from linfen_geo.viz.maps import cjk_font_path

    # folium writes data as JSON with \uXXXX escapes: decode those before collecting characters
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda mt: json.loads(f'"\\u{mt.group(1)}"'), text)
    chars = sorted({ch for ch in decoded if ord(ch) > 0x2E7F})
    if not chars:
        return ""
    options = subset.Options()
    options.flavor = None
    options.layout_features = ["*"]
    font = subset.load_font(str(cjk_font_path()), options)
    sub = subset.Subsetter(options)
    sub.populate(text="".join(chars) + "0123456789")
    sub.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    uri = base64.b64encode(buf.getvalue()).decode()
    return (
        "<style>@font-face{font-family:'LGNotoCJK';src:url(data:font/otf;base64," + uri + ") format('opentype');}"
        ".leaflet-container,#lg-legend,#lg-coords,.leaflet-control-layers,.leaflet-popup-content,.leaflet-tooltip"
        "{font-family:'LGNotoCJK',sans-serif !important;}</style>"
    )


def _legend_html(entries: list[tuple[str, str, str]], web_basemap: str | None) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{fill};border:1px solid {edge};'
        f'margin-right:5px"></span>{html.escape(label)}</div>'
        for label, fill, edge in entries
    )
    note = (
        f"<div style='color:#b30000'>底图来自网络 web base map: {html.escape(web_basemap)} (fetched online)</div>"
        if web_basemap
        else "<div style='color:#555'>离线底图 offline base map: DEM hillshade</div>"
    )
    return (
        '<div id="lg-legend" style="position:fixed;bottom:30px;right:10px;z-index:1000;background:white;'
        'padding:6px 8px;font:12px sans-serif;max-width:360px;box-shadow:0 0 4px #888;border-radius:4px">'
        f"<div style='font-size:13px;margin-bottom:2px'>图例 Legend</div>{rows}{note}</div>"
    )


def _coords_script(map_name: str) -> str:
    # runs on "load": folium writes the map's own script after this one
    return f"""
    window.addEventListener("load", function () {{
    window.lgMap = {map_name};
    proj4.defs("EPSG:4546", "{_GK_4546}");
    proj4.defs("EPSG:4525", "{_GK_4525}");
    var lgBox = L.control({{position: "bottomleft"}});
    lgBox.onAdd = function () {{
        var div = L.DomUtil.create("div", "lg-coords");
        div.id = "lg-coords";
        div.style.cssText = "background:white;padding:4px 6px;font-size:12px;box-shadow:0 0 4px #888";
        div.innerHTML = "点击地图查看坐标 click the map for coordinates";
        return div;
    }};
    lgBox.addTo({map_name});
    function lgShowCoords(e) {{
        var lon = e.latlng.lng, lat = e.latlng.lat;
        var gk = proj4("EPSG:4326", "EPSG:4546", [lon, lat]);
        var gkz = proj4("EPSG:4326", "EPSG:4525", [lon, lat]);
        document.getElementById("lg-coords").innerHTML =
            "WGS84 " + lon.toFixed(6) + "E, " + lat.toFixed(6) + "N<br>" +
            "CGCS2000 GK (EPSG:4546) X(N)=" + gk[1].toFixed(2) + " Y(E)=" + gk[0].toFixed(2) + "<br>" +
            "CGCS2000 GK zone 37 (EPSG:4525) Y(E)=" + gkz[0].toFixed(2);
    }}
    {map_name}.on("click", lgShowCoords);
    {map_name}.eachLayer(function (layer) {{ if (layer.on) {{ layer.on("click", lgShowCoords); }} }});
    }});
    """


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


def explore(
    layers: Sequence[str] | None = None,
    *,
    sites: Any = None,
    crs: Any = None,
    catalog: Any = None,
    basemap: str | None = None,
    hillshade: bool = True,
) -> Any:
    """Interactive folium map of catalog layers (and siting results) for notebooks.

    Parameters
    ----------
    layers
        Catalog vector layers to show as toggleable overlays (default: all with a style).
    sites
        Sites to check and show coloured by verdict: a :class:`~linfen_geo.analysis.siting.SitingReport`,
        or anything :func:`~linfen_geo.analysis.siting.check_siting` accepts (path, GeoDataFrame ...).
    crs
        CRS of ``sites`` when it is a file without one (EPSG code, ``gcj02``, ``bd09``).
    catalog
        Catalog to read layers from (default: the session's).
    basemap
        A folium tile name (e.g. ``"OpenStreetMap"``) to add a web base map; tiles are then fetched
        online when the page is viewed. Default: none (offline).
    hillshade
        Embed a DEM hillshade image as an offline base map.

    Returns
    -------
    folium.Map
    """
    import folium

    from linfen_geo.layer_catalog.core import get_catalog

    cat = catalog or get_catalog()
    if layers is None:
        layers = [n for n in cat.names() if n in LAYER_STYLES and cat.spec(n).kind == "vector"]
    counties = cat.load("counties")
    west, south, east, north = counties.total_bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=8, tiles=None, control_scale=True)
    m.default_js = [
        ("leaflet", _data_uri("leaflet.js", "text/javascript")),
        ("proj4", _data_uri("proj4.js", "text/javascript")),
    ]
    m.default_css = [("leaflet_css", _data_uri("leaflet.css", "text/css"))]
    # the layer-control icon, embedded (leaflet.css points to an images/ folder that a single file lacks)
    icons = (
        f".leaflet-control-layers-toggle{{background-image:url({_data_uri('layers.png', 'image/png')}) !important}}"
        f".leaflet-retina .leaflet-control-layers-toggle{{background-image:url({_data_uri('layers-2x.png', 'image/png')}) !important}}"
    )
    m.get_root().header.add_child(folium.Element(f"<style>{icons}</style>"))
    if basemap:
        folium.TileLayer(basemap, name=f"{basemap} (web)", overlay=False).add_to(m)
    if hillshade:
        uri, bounds = _hillshade_overlay(cat)
        folium.raster_layers.ImageOverlay(
            uri, bounds=bounds, name="地形晕渲 DEM hillshade (1 km)", opacity=0.55, overlay=True, control=True, zindex=1
        ).add_to(m)
    legend: list[tuple[str, str, str]] = []
    for name in layers:
        gdf = cat.load(name)
        status = cat.status(name)
        label = _label(cat, name)
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
            st = _style_for(name, status)

            def style(f: dict, _s: dict = st) -> dict:
                return _s

            legend.append((label, st["fillColor"], st["color"]))
        kwargs: dict[str, Any] = {}
        if name == "mines" or "Point" in str(g.geom_type.iloc[0]):  # circles, not icon images (offline)
            color = LAYER_STYLES.get(name, {}).get("color", "#333333")
            kwargs["marker"] = folium.CircleMarker(
                radius=3 if name == "mines" else 4, fill=True, fill_opacity=0.9, color=color, fill_color=color
            )
        folium.GeoJson(
            g,
            name=label,
            style_function=style,
            tooltip=folium.GeoJsonTooltip(fields=fields),
            show=name not in ("counties_tianditu", "city_outline"),
            **kwargs,
        ).add_to(m)
    if sites is not None:
        _add_sites(m, sites, crs=crs, catalog=cat, legend=legend)
    folium.LayerControl(collapsed=True).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend_html(legend, basemap)))
    m.get_root().script.add_child(folium.Element(_coords_script(m.get_name())))
    m.fit_bounds([[south, west], [north, east]])
    m.get_root().header.add_child(folium.Element(_cjk_font_css(m.get_root().render())))
    return m


def _add_sites(m: Any, sites: Any, *, crs: Any, catalog: Any, legend: list[tuple[str, str, str]]) -> None:
    import folium
    from folium.utilities import JsCode

    from linfen_geo.analysis.siting import SitingReport, check_siting

    report = sites if isinstance(sites, SitingReport) else check_siting(sites, crs=crs, catalog=catalog)
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


def write_map(
    path: str | os.PathLike[str],
    layers: Sequence[str] | None = None,
    *,
    sites: Any = None,
    crs: Any = None,
    catalog: Any = None,
    basemap: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write :func:`explore`'s map as a self-contained HTML file (atomically; no overwrite unless asked)."""
    from linfen_geo.reports.writers import check_writable, write_text

    path = check_writable(path, overwrite)
    m = explore(layers, sites=sites, crs=crs, catalog=catalog, basemap=basemap)
    return write_text(m.get_root().render(), path, overwrite=True)

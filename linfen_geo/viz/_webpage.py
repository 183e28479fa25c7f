"""The parts of an offline web page: embedded scripts and styles, a CJK font subset, legend, coordinate box.

Everything is embedded as data URIs so that the page needs no network when viewed.
"""

from __future__ import annotations

import base64
import html
import io
from importlib import resources

__all__ = ["cjk_font_css", "coords_script", "data_uri", "legend_html"]

_GK_4546 = "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
_GK_4525 = "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=37500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def _static(name: str) -> bytes:
    return (resources.files("linfen_geo.viz") / "static" / name).read_bytes()


def data_uri(name: str, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(_static(name)).decode()}"


def cjk_font_css(text: str) -> str:
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


def legend_html(entries: list[tuple[str, str, str]], web_basemap: str | None) -> str:
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


def coords_script(map_name: str) -> str:
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

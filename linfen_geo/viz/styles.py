"""How each catalog layer is drawn: the one style registry of static maps and the web map.

Presentation only; the plan's content lives in the plan file.

Examples
--------
>>> LAYER_STYLES["redlines"]["facecolor"]
'#d7301f'
>>> web_style("redlines")["fillColor"]
'#d7301f'
"""

from __future__ import annotations

from typing import Any

__all__ = ["LAYER_STYLES", "VERDICT_COLORS", "web_style"]

#: how each catalog layer is drawn (presentation only; the plan's content lives in plan.toml)
LAYER_STYLES: dict[str, dict[str, Any]] = {
    "counties": {"facecolor": "none", "edgecolor": "#555555", "linewidth": 0.6, "zorder": 5},
    "rivers": {"color": "#2b7bba", "linewidth": 1.2, "zorder": 6},
    "county_seats": {"color": "black", "markersize": 10, "zorder": 9},
    "barriers": {"alpha": 0.30, "linewidth": 0.8, "zorder": 2},
    "redlines": {"facecolor": "#d7301f", "edgecolor": "#990000", "alpha": 0.45, "linewidth": 0.3, "zorder": 3},
    "reserves": {"facecolor": "#1a9850", "edgecolor": "#00441b", "alpha": 0.5, "linewidth": 0.6, "zorder": 4},
    "spring_zones": {"facecolor": "#67a9cf", "edgecolor": "#02818a", "alpha": 0.5, "linewidth": 0.6, "zorder": 4},
    "corridors": {"facecolor": "#fdae61", "edgecolor": "#d95f02", "alpha": 0.6, "linewidth": 0.5, "zorder": 4},
    "corridors_terrain": {"facecolor": "none", "edgecolor": "#7570b3", "linewidth": 0.6, "zorder": 4},
    "corridor_roads": {"color": "#333333", "linewidth": 1.0, "linestyle": "--", "zorder": 7},
    "mines": {"color": "#6a3d9a", "markersize": 5, "zorder": 8, "as_points": True},
    "railways": {"color": "#000000", "linewidth": 1.3, "zorder": 7},
    "coal_mines": {"facecolor": "#525252", "edgecolor": "#000000", "alpha": 0.55, "linewidth": 0.6, "zorder": 4},
    "pattern_sources": {"facecolor": "#1b7837", "edgecolor": "#00441b", "alpha": 0.35, "linewidth": 0.5, "zorder": 3},
    "pattern_corridor_paths": {"color": "#00bcd4", "linewidth": 2.0, "zorder": 8},
    "pattern_pinch_points": {"color": "#e41a1c", "markersize": 6, "zorder": 9},
    "pattern_mine_priority": {"color": "#ff7f00", "markersize": 5, "zorder": 9},
    "river_buffers": {"facecolor": "#2b7bba", "edgecolor": "none", "alpha": 0.6, "zorder": 5},
}

#: colours of the siting verdicts, from clear to prohibited
VERDICT_COLORS: dict[str, str] = {
    "clear": "#1a9850",
    "review": "#fee08b",
    "restricted": "#fc8d59",
    "prohibited": "#d73027",
    "outside": "#969696",  # outside the study area: not checked
}


def web_style(name: str, status: str = "") -> dict[str, Any]:
    """The layer's style in Leaflet terms; illustrative layers are drawn dashed."""
    s = LAYER_STYLES.get(name, {})
    color = s.get("edgecolor") or s.get("color") or "#555555"
    fill = s.get("facecolor", s.get("color", color))
    out: dict[str, Any] = {
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

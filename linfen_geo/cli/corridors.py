"""``linfen-geo corridors``: the corridor layer in either mode, optionally on roads from an OSM extract."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_corridors_parser"]


def _cmd_corridors(args: argparse.Namespace) -> int:
    import pandas as pd

    from linfen_geo.analysis.corridors import corridor_layer
    from linfen_geo.layer_catalog.core import get_catalog

    cat = get_catalog()
    if args.osm:
        from linfen_geo.layer_catalog.roads import use_roads_from_osm

        use_roads_from_osm(args.osm, catalog=cat, fill_missing=True)
    layer = corridor_layer(args.corridor_mode, catalog=cat)
    cols = ["corridor_id", "name_zh", "name_en", "mode", "length_km", "area_km2", "illustrative"]
    cols += [c for c in ("plain_km", "mountain_km", "mean_width_m", "max_width_m") if c in layer.columns]
    table = pd.DataFrame(layer[[c for c in cols if c in layer.columns]])
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    else:
        with pd.option_context(
            "display.width", 200, "display.max_colwidth", 40, "display.float_format", "{:,.1f}".format
        ):
            print(table.to_string(index=False))
        warning = layer["coarse_warning"].iloc[0] if "coarse_warning" in layer.columns else ""
        if warning:
            print(f"note: {warning}")
        if layer["illustrative"].any():
            print("note: built on illustrative road alignments (示意), not surveyed roads")
    return 0


def add_corridors_parser(sub: Any) -> None:
    """Add the ``corridors`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("corridors", help="the four ecological corridors, in buffer (1 km) or terrain (ridge-line) mode")
    s.add_argument("--corridor-mode", choices=["buffer", "terrain"], help="default: the plan file's mode")
    s.add_argument("--osm", metavar="FILE", help="build on the roads of an OpenStreetMap extract (.osm.pbf/.osm)")
    s.add_argument("--format", choices=["table", "csv"], default="table")
    s.set_defaults(func=_cmd_corridors)

"""``linfen-geo map``: write the interactive map (layers, and sites coloured by verdict) as HTML."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_map_parser"]


def _cmd_map(args: argparse.Namespace) -> int:
    from linfen_geo.errors import InputError
    from linfen_geo.layer_catalog.core import get_catalog
    from linfen_geo.reports.writers import check_writable
    from linfen_geo.viz.webmap import write_map

    cat = get_catalog()
    layers = None
    if args.layers:
        layers = [n.strip() for n in args.layers.split(",") if n.strip()]
        for n in layers:
            if cat.spec(n).kind != "vector":
                raise InputError(f"layer {n!r} is a raster; the map shows vector layers (the DEM is the base map)")
    check_writable(args.out, args.force)  # before the siting check, as before anything is drawn
    report = None
    if args.sites:
        from linfen_geo.analysis.siting import check_siting

        report = check_siting(args.sites, crs=args.crs, catalog=cat)
    path = write_map(args.out, layers, report=report, catalog=cat, basemap=args.basemap, overwrite=args.force)
    print(f"[linfen-geo] map: {path} ({path.stat().st_size / 1e6:.1f} MB, opens offline from disk)")
    return 0


def add_map_parser(sub: Any) -> None:
    """Add the ``map`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("map", help="write an interactive HTML map of the layers (and sites by verdict)")
    s.add_argument("--layers", help="comma-separated layer names (default: every vector layer)")
    s.add_argument("--sites", help="a site file to check and show coloured by verdict")
    s.add_argument("--crs", help="CRS of the site file when it has none (EPSG code, gcj02, bd09)")
    s.add_argument("--basemap", help="add a web base map (e.g. OpenStreetMap); its tiles are fetched online")
    s.add_argument("--out", required=True, help="output HTML file")
    s.add_argument("--force", action="store_true", help="replace an existing output file")
    s.set_defaults(func=_cmd_map)

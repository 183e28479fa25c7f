"""``linfen-geo export --gpkg PATH``: every catalog layer (or some) in one styled GeoPackage for QGIS."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_export_parser"]


def _cmd_export(args: argparse.Namespace) -> int:
    from linfen_geo.reports.gpkg import gpkg_summary, to_gpkg

    layers = [n.strip() for n in args.layers.split(",")] if args.layers else None
    path = to_gpkg(args.gpkg, layers=layers, crs=args.crs, overwrite=args.force)
    print(f"[linfen-geo] wrote {path}: {gpkg_summary(path)}, styled for QGIS")
    return 0


def add_export_parser(sub: Any) -> None:
    """Add the ``export`` subcommand."""
    s = sub.add_parser("export", help="write the layers into one styled GeoPackage for QGIS")
    s.add_argument("--gpkg", required=True, metavar="PATH", help="the .gpkg file to write")
    s.add_argument("--layers", metavar="A,B,...", help="catalog layers (default: every vector layer)")
    s.add_argument("--crs", default="4490", help="output CRS (default: EPSG:4490 CGCS2000)")
    s.add_argument("--force", action="store_true", help="replace an existing file")
    s.set_defaults(func=_cmd_export)

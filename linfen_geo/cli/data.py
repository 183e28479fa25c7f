"""``linfen-geo data import``: clip, reproject and validate a user's raster into the data directory.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser(prog="linfen-geo")
>>> _ = add_data_parser(p.add_subparsers(dest="command"))
>>> args = p.parse_args(["data", "import", "wc.tif", "--kind", "landcover", "--classes", "worldcover"])
>>> args.func.__name__, args.kind, args.classes
('cmd_data_import', 'landcover', 'worldcover')
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linfen_geo.cli.greening import _log, class_schemes

__all__ = ["add_data_parser", "cmd_data_import"]


def cmd_data_import(args: argparse.Namespace, catalog: Any = None) -> int:
    """Handler of ``linfen-geo data import``: clip, reproject and validate a raster into the data directory."""
    from linfen_geo.io.rasters import import_raster

    name = args.name or f"{args.kind}_{Path(args.path).stem}"
    path = import_raster(
        args.path,
        name,
        kind=args.kind,
        classes=args.classes,
        dest=args.dest,
        overwrite=args.force,
        resolution_m=args.resolution,
        allow_partial=args.allow_partial,
        catalog=catalog,
    )
    _log(f"imported {args.kind}: {path} (provenance: {path.name}.PROVENANCE.txt)")
    flag = "--landcover" if args.kind == "landcover" else "--dem"
    _log(f"use it: linfen-geo greening {flag} {path}")
    return 0


def add_data_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``data import PATH --kind landcover|dem [--classes ...] [--name N] [--dest DIR] [--force]``."""
    d = subparsers.add_parser("data", help="manage user data (import rasters into the data directory)")
    dsub = d.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser(
        "import",
        help="clip, reproject (EPSG:4546) and validate a land cover or DEM into <data_dir>/user",
        description="Clip a (possibly province-sized) raster to Linfen, reproject it to EPSG:4546 with windowed "
        "reads, check it (CRS, coverage, class values), and write a tiled GeoTIFF with provenance.",
    )
    s.add_argument("path", help="the raster to import (GeoTIFF, VRT ...)")
    s.add_argument("--kind", required=True, choices=["landcover", "dem"])
    s.add_argument(
        "--classes",
        metavar="SCHEME",
        help=f"class scheme, one the plan maps ({', '.join(class_schemes())}); required for --kind landcover",
    )
    s.add_argument("--name", help="output name (default: <kind>_<file stem>)")
    s.add_argument("--dest", help="target folder (default: <data_dir>/user)")
    s.add_argument("--resolution", type=float, metavar="M", help="output cell size in metres (default: the source's)")
    s.add_argument("--allow-partial", action="store_true", help="accept a raster covering only part of Linfen")
    s.add_argument("--force", action="store_true", help="replace an existing import of the same name")
    s.set_defaults(func=cmd_data_import)
    return d

"""``linfen-geo greening`` and ``linfen-geo data import``: argparse builders and their handlers.

:mod:`linfen_geo.cli.app` wires them in::

    from linfen_geo.cli.greening import add_data_parser, add_greening_parser
    add_greening_parser(sub)
    add_data_parser(sub)

Handlers return an exit status; user mistakes raise :class:`~linfen_geo.errors.LinfenGeoError`
subclasses, which ``cli.main`` prints as one line with exit status 2.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser(prog="linfen-geo")
>>> sub = p.add_subparsers(dest="command")
>>> _ = add_greening_parser(sub), add_data_parser(sub)
>>> args = p.parse_args(["greening", "--out", "out", "--corridor-mode", "buffer"])
>>> args.func.__name__, args.out, args.corridor_mode
('cmd_greening', 'out', 'buffer')
>>> args = p.parse_args(["data", "import", "wc.tif", "--kind", "landcover", "--classes", "worldcover"])
>>> args.func.__name__, args.kind, args.classes
('cmd_data_import', 'landcover', 'worldcover')
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linfen_geo.errors import InputError

__all__ = ["CLASS_SCHEMES", "add_data_parser", "add_greening_parser", "cmd_data_import", "cmd_greening"]

#: class schemes offered on the command line (the plan file's [greening.class_maps] may hold more)
CLASS_SCHEMES = ("igbp", "worldcover", "clcd")


def _log(msg: str) -> None:
    print(f"[linfen-geo] {msg}", flush=True)


def cmd_greening(args: argparse.Namespace, catalog: Any = None) -> int:
    """Handler of ``linfen-geo greening``: run the report and write it to ``--out``."""
    from linfen_geo.analysis.greening import corridor_greening
    from linfen_geo.io.rasters import raster_class_scheme
    from linfen_geo.layer_catalog.core import get_catalog
    from linfen_geo.reports.greening import write_greening

    cat = catalog if catalog is not None else get_catalog()
    if args.classes and not args.landcover:
        raise InputError("--classes describes the raster given with --landcover; pass --landcover PATH too")
    if args.landcover:
        classes = args.classes or raster_class_scheme(args.landcover)
        if not classes:
            raise InputError(
                f"which classes does {args.landcover} hold? pass --classes {' | '.join(CLASS_SCHEMES)} "
                "(`linfen-geo data import` records it in the file)"
            )
        cat.use("landcover", args.landcover, classes=classes, status="real", source=str(args.landcover))
    if args.dem:
        cat.use("dem", args.dem, status="real", source=str(args.dem))
    res = corridor_greening(catalog=cat, corridor_mode=args.corridor_mode)
    paths = write_greening(res, args.out, overwrite=args.force)
    for note in res.notes[:2]:
        _log(note)
    _log(res.greenable_sentence())
    _log(f"report: {next(p for p in paths if p.suffix == '.html')} ({len(paths)} files in {Path(args.out)})")
    return 0


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


def add_greening_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``greening [--out DIR] [--landcover PATH] [--dem PATH] [--classes ...] [--corridor-mode ...] [--force]``."""
    s = subparsers.add_parser(
        "greening",
        help="corridor-greening report: greenable land by suitability per corridor and county",
        description="Land cover, green cover and greenable land (tree/shrub/grass) in the four ecological "
        "corridors, per corridor, county and in total, in ha, 亩 and 万亩; writes CSV, XLSX, maps and a "
        "Markdown/HTML report.",
    )
    s.add_argument("--out", default="out", help="output folder (default: out)")
    s.add_argument("--landcover", metavar="PATH", help="your land-cover raster (e.g. from `linfen-geo data import`)")
    s.add_argument("--dem", metavar="PATH", help="your DEM (metres)")
    s.add_argument("--classes", choices=CLASS_SCHEMES, help="class scheme of --landcover (default: read from the file)")
    s.add_argument(
        "--corridor-mode", choices=["buffer", "terrain"], help="corridor geometry (default: the plan's corridor_rules)"
    )
    s.add_argument("--force", action="store_true", help="replace existing files not written by linfen-geo")
    s.set_defaults(func=cmd_greening)
    return s


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
    s.add_argument("--classes", choices=CLASS_SCHEMES, help="class scheme (required for --kind landcover)")
    s.add_argument("--name", help="output name (default: <kind>_<file stem>)")
    s.add_argument("--dest", help="target folder (default: <data_dir>/user)")
    s.add_argument("--resolution", type=float, metavar="M", help="output cell size in metres (default: the source's)")
    s.add_argument("--allow-partial", action="store_true", help="accept a raster covering only part of Linfen")
    s.add_argument("--force", action="store_true", help="replace an existing import of the same name")
    s.set_defaults(func=cmd_data_import)
    return d

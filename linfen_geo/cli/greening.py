"""``linfen-geo greening``: the corridor-greening report (``data import`` is in :mod:`.data`).

Handlers return an exit status; user mistakes raise :class:`~linfen_geo.errors.LinfenGeoError`
subclasses, which ``cli.main`` prints as one line with exit status 2.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser(prog="linfen-geo")
>>> sub = p.add_subparsers(dest="command")
>>> _ = add_greening_parser(sub)
>>> args = p.parse_args(["greening", "--out", "out", "--corridor-mode", "buffer"])
>>> args.func.__name__, args.out, args.corridor_mode
('cmd_greening', 'out', 'buffer')
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linfen_geo.errors import InputError
from linfen_geo.io.textfiles import check_regular_file

__all__ = ["add_greening_parser", "class_schemes", "cmd_greening", "use_raster_options"]


def use_raster_options(args: argparse.Namespace, cat: Any) -> None:
    """Put ``--landcover`` (with ``--classes`` or the scheme recorded in the file) and ``--dem`` into the catalog.

    Shared by the commands that take the user's rasters (``greening``, ``pattern``); bad files fail here.
    """
    from linfen_geo.io.rasters import raster_class_scheme

    if args.classes and not args.landcover:
        raise InputError("--classes describes the raster given with --landcover; pass --landcover PATH too")
    if args.landcover:
        check_regular_file(args.landcover, where=f"--landcover {args.landcover}")
        classes = args.classes or raster_class_scheme(args.landcover)
        if not classes:
            raise InputError(
                f"which classes does {args.landcover} hold? pass --classes {' | '.join(class_schemes(cat))} "
                "(`linfen-geo data import` records it in the file)"
            )
        cat.use("landcover", args.landcover, classes=classes, status="real", source=str(args.landcover))
    if args.dem:
        check_regular_file(args.dem, where=f"--dem {args.dem}")
        cat.use("dem", args.dem, status="real", source=str(args.dem))


def class_schemes(catalog: Any = None) -> list[str]:
    """The land-cover class schemes the active plan maps (``[greening.class_maps]``)."""
    from linfen_geo.layer_catalog import get_catalog

    try:
        return sorted((catalog or get_catalog()).plan["greening"]["class_maps"])
    except Exception:  # a broken plan is reported when a command runs, not while building --help
        return []


def _log(msg: str) -> None:
    print(f"[linfen-geo] {msg}", flush=True)


def cmd_greening(args: argparse.Namespace, catalog: Any = None) -> int:
    """Handler of ``linfen-geo greening``: run the report and write it to ``--out``."""
    from linfen_geo.analysis.greening import corridor_greening
    from linfen_geo.io.rasters import raster_class_scheme
    from linfen_geo.layer_catalog.core import get_catalog
    from linfen_geo.reports.greening import write_greening
    from linfen_geo.reports.writers import OutputDir

    cat = catalog if catalog is not None else get_catalog()
    with OutputDir(args.out, overwrite=args.force) as out:  # refuses a foreign folder now, before any work
        paths = _greening(args, cat, out, corridor_greening, raster_class_scheme, write_greening)
    _log(
        f"report: {out.final(next(p.name for p in paths if p.suffix == '.html'))} ({len(paths)} files in {Path(args.out)})"
    )
    return 0


def _greening(
    args: argparse.Namespace, cat: Any, out: Any, corridor_greening: Any, raster_class_scheme: Any, write_greening: Any
) -> list[Path]:
    use_raster_options(args, cat)
    res = corridor_greening(catalog=cat, corridor_mode=args.corridor_mode)
    paths = write_greening(res, out)
    for note in res.notes[:2]:
        _log(note)
    _log(res.greenable_sentence())
    return paths


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
    s.add_argument(
        "--classes",
        metavar="SCHEME",
        help=f"class scheme of --landcover, one the plan maps ({', '.join(class_schemes())}); default: read from the file",
    )
    s.add_argument(
        "--corridor-mode", choices=["buffer", "terrain"], help="corridor geometry (default: the plan's corridor_rules)"
    )
    s.add_argument("--force", action="store_true", help="replace existing files not written by linfen-geo")
    s.set_defaults(func=cmd_greening)
    return s

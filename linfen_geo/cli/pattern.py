"""``linfen-geo pattern``: the ecological security pattern (生态安全格局) into ``--out`` (default ``out/pattern``).

Handlers return an exit status; user mistakes raise :class:`~linfen_geo.errors.LinfenGeoError`
subclasses, which ``cli.main`` prints as one line with exit status 2.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser(prog="linfen-geo")
>>> sub = p.add_subparsers(dest="command")
>>> _ = add_pattern_parser(sub)
>>> args = p.parse_args(["pattern", "--out", "o", "--sensitivity", "10", "--seed", "3"])
>>> args.func.__name__, args.out, args.sensitivity, args.seed
('cmd_pattern', 'o', 10.0, 3)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from linfen_geo.errors import InputError

__all__ = ["add_pattern_parser", "cmd_pattern"]


def _log(msg: str) -> None:
    print(f"[linfen-geo] {msg}", flush=True)


def cmd_pattern(args: argparse.Namespace, catalog: Any = None) -> int:
    """Handler of ``linfen-geo pattern``: run the pattern and write it to ``--out``."""
    from linfen_geo.cli.greening import use_raster_options
    from linfen_geo.layer_catalog.core import get_catalog
    from linfen_geo.pattern import security_pattern
    from linfen_geo.reports.pattern import write_pattern
    from linfen_geo.reports.writers import OutputDir

    if args.sensitivity is not None and not 0 <= args.sensitivity < 100:
        raise InputError(f"--sensitivity must be a percentage from 0 to under 100, not {args.sensitivity:g}")
    if args.classes and not args.landcover:
        raise InputError("--classes describes the raster given with --landcover; pass --landcover PATH too")
    cat = catalog if catalog is not None else get_catalog()
    t0 = time.perf_counter()
    with OutputDir(args.out, overwrite=args.force) as out:  # refuses a foreign folder now, before any work
        use_raster_options(args, cat)
        res = security_pattern(catalog=cat, sensitivity=args.sensitivity, seed=args.seed)
        paths = write_pattern(res, out, prefix="")
    for n in res.notes[:2]:
        _log(n)
    for v in res.answers.values():
        _log(v["en"])
    _log(
        f"{len(paths)} files in {args.out} ({time.perf_counter() - t0:.1f} s); current map: {args.out}/current_map.png"
    )
    return 0


def add_pattern_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``pattern [--out DIR] [--landcover PATH --classes ... --dem PATH] [--sensitivity N --seed S] [--force]``."""
    from linfen_geo.cli.greening import class_schemes

    s = subparsers.add_parser(
        "pattern",
        help="ecological security pattern: sources, resistance, corridors, pinch points, barriers, mine priority",
        description="生态安全格局: MSPA cores + nature reserves ranked by dPC, a resistance surface, least-cost "
        "corridors ranked by the gravity model, pinch points, barriers, the cumulative current, the plan corridors' "
        "share of the network, reserve-to-reserve connectivity and the mine-restoration priority; every weight from "
        "the plan's [pattern] section. Writes GeoTIFFs, a GeoPackage, CSV/XLSX, maps and pattern_report.md.",
    )
    s.add_argument("--out", default="out/pattern", help="output folder (default: out/pattern)")
    s.add_argument("--landcover", metavar="PATH", help="your land-cover raster (e.g. from `linfen-geo data import`)")
    s.add_argument(
        "--classes",
        metavar="SCHEME",
        help=f"class scheme of --landcover ({', '.join(class_schemes())}); default: read from the file",
    )
    s.add_argument("--dem", metavar="PATH", help="your DEM (metres)")
    s.add_argument(
        "--sensitivity", type=float, metavar="N", help="perturb every weight by +-N %% (default: the plan's)"
    )
    s.add_argument("--seed", type=int, metavar="S", help="seed of the sensitivity runs (default: the plan's)")
    s.add_argument("--force", action="store_true", help="replace existing files not written by linfen-geo")
    s.set_defaults(func=cmd_pattern)
    return s

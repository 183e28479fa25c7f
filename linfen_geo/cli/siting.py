"""``linfen-geo check-siting``: project sites against red lines and the other control lines (exit 0/1/2/3)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_siting_parser"]


def _cmd_check_siting(args: argparse.Namespace) -> int:
    """Check project sites against red lines and protected zones; exit 0 all clear, 1 any contact."""
    import warnings
    from pathlib import Path

    from linfen_geo.files import check_writable, figure_format, write_file

    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower() if args.out else ""
        fmt = {".json": "json", ".csv": "csv"}.get(suffix, "table")
    if args.out and args.map and Path(args.out).resolve() == Path(args.map).resolve():
        from linfen_geo.errors import InputError

        raise InputError(f"--out and --map name the same file ({args.out}): give each its own")
    if args.out:
        check_writable(args.out, args.force)
    if args.map:
        figure_format(args.map)  # the format its extension names, or refuse now
        check_writable(args.map, args.force)
    with warnings.catch_warnings():
        # linfen_geo's own warnings end up in the report's notes; warnings of other libraries still show
        from linfen_geo.errors import LinfenGeoWarning

        warnings.simplefilter("ignore", LinfenGeoWarning)
        from linfen_geo.analysis.siting import check_siting

        report = check_siting(args.file, crs=args.crs, repair_tolerance=args.repair_tolerance)
        if report.has_outside:  # nothing was checked there: never a "clear" that scripts would believe
            from linfen_geo.errors import InputError

            ids = report.outside_sites
            listed = ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise InputError(
                f"{len(ids)} of {len(report.sites)} site(s) lie outside Linfen ({listed}): they "
                f"{report.outside_hint}; fix --crs or the coordinates"
            )
        if fmt == "json":
            text = report.to_json() + "\n"
        elif fmt == "csv":
            text = report.to_csv_frame().to_csv(index=False)
        else:
            text = report.to_text()
        if args.out:
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # BOM: Excel shows the Chinese
            write_file(args.out, lambda tmp: tmp.write_text(text, encoding=encoding), overwrite=args.force)
            head = report.to_text().splitlines()[0]
            print(f"[linfen-geo] {head}; wrote {args.out}")
            if report.illustrative:
                print(f"[linfen-geo] NOTE: {report.notes[0]}")
        else:
            sys.stdout.write(text)
        if args.map:
            import matplotlib

            matplotlib.use("Agg")
            report.plot(out=args.map, overwrite=args.force)
            if args.out or fmt == "table":  # keep JSON/CSV on stdout parseable
                print(f"[linfen-geo] map: {args.map}")
    return 1 if report.has_contacts else 0


def add_siting_parser(sub: Any) -> None:
    """Add the ``check-siting`` subcommand."""
    s = sub.add_parser(
        "check-siting",
        help="check project sites against red lines and protected zones (exit 0 all clear, 1 any contact)",
        description="Check proposed project sites against the ecological red lines and protected zones named "
        "by the plan's [siting] rules. Exit status: 0 every site clear, 1 some site has a contact, 2 bad input.",
    )
    s.add_argument("file", metavar="FILE", help="sites: GeoJSON, GPKG, SHP, KML, CSV, WKT or 界址点 TXT")
    s.add_argument("--crs", help="CRS of coordinates without one: EPSG code (4546, 4490 ...), gcj02 or bd09")
    s.add_argument("--format", choices=["table", "json", "csv"], help="output format (default: table, or from --out)")
    s.add_argument("--out", metavar="PATH", help="write the result here instead of printing it")
    s.add_argument("--map", metavar="PNG", help="also draw a map of the sites, their contacts and the nearest red line")
    s.add_argument("--force", action="store_true", help="replace existing --out/--map files")
    s.add_argument(
        "--repair-tolerance",
        type=float,
        default=0.005,
        metavar="FRACTION",
        help="largest relative area change allowed when repairing an invalid site outline (default 0.005; inf: any)",
    )
    s.set_defaults(func=_cmd_check_siting)

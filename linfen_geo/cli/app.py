"""The ``linfen-geo`` command line.

Every user mistake ends with one readable line on stderr and exit status 2;
no tracebacks. Subcommands call the same public API a Python user calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from linfen_geo import __version__
from linfen_geo.errors import LinfenGeoError

__all__ = ["EXIT_BAD_INPUT", "EXIT_CLEAR", "EXIT_CONTACTS", "EXIT_INTERNAL", "main"]

EXIT_CLEAR = 0  # every site clear / the job succeeded
EXIT_CONTACTS = 1  # check-siting: some site has a contact
EXIT_BAD_INPUT = 2  # bad input or usage: one line on stderr
EXIT_INTERNAL = 3  # internal error: one line on stderr naming a log file with the traceback


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _cmd_layers(args: argparse.Namespace) -> int:
    import linfen_geo as lg

    table = lg.catalog(build=args.build)
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        cols = ["name", "title_zh", "title_en", "geometry", "status", "features", "crs", "source"]
        with __import__("pandas").option_context("display.max_colwidth", 60, "display.width", 250):
            print(table[cols].to_string(index=False))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from linfen_geo.reports.pipeline import run_all

    report = run_all(args.out, overwrite=args.force)
    print(f"[linfen-geo] report: {report}")
    return 0


def _cmd_check_siting(args: argparse.Namespace) -> int:
    """Check project sites against red lines and protected zones; exit 0 all clear, 1 any contact."""
    import warnings
    from pathlib import Path

    from linfen_geo.errors import InputError
    from linfen_geo.files import atomic_write, check_writable

    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower() if args.out else ""
        fmt = {".json": "json", ".csv": "csv"}.get(suffix, "table")
    if args.out:
        check_writable(args.out, args.force)
    if args.map:
        if Path(args.map).suffix.lower() not in (".png", ".pdf", ".svg", ".jpg"):
            raise InputError(f"--map {args.map}: give a .png (or .pdf/.svg/.jpg) file name")
        check_writable(args.map, args.force)
    with warnings.catch_warnings():
        # linfen_geo's own warnings end up in the report's notes; warnings of other libraries still show
        from linfen_geo.errors import LinfenGeoWarning

        warnings.simplefilter("ignore", LinfenGeoWarning)
        from linfen_geo.analysis.siting import check_siting

        report = check_siting(args.file, crs=args.crs)
        if fmt == "json":
            text = report.to_json() + "\n"
        elif fmt == "csv":
            text = report.to_csv_frame().to_csv(index=False)
        else:
            text = report.to_text()
        if args.out:
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # BOM: Excel shows the Chinese
            atomic_write(args.out, lambda tmp: tmp.write_text(text, encoding=encoding))
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = _Parser(prog="linfen-geo", description="Spatial analysis for Linfen's ecological protection plan.")
    p.add_argument("--version", action="version", version=f"linfen-geo {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("layers", help="list the layer catalog with provenance")
    s.add_argument("--build", action="store_true", help="build unbuilt layers to count their features")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.set_defaults(func=_cmd_layers)

    s = sub.add_parser("run", help="the main job: build every layer, run the analyses, write out/")
    s.add_argument("--out", default="out", help="output folder (default: out)")
    s.add_argument("--force", action="store_true", help="replace existing files not written by linfen-geo")
    s.set_defaults(func=_cmd_run)

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
    s.set_defaults(func=_cmd_check_siting)

    from linfen_geo.cli.corridors import add_corridors_parser
    from linfen_geo.cli.greening import add_data_parser, add_greening_parser
    from linfen_geo.cli.map import add_map_parser

    add_corridors_parser(sub)
    add_greening_parser(sub)
    add_data_parser(sub)
    add_map_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``linfen-geo`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LinfenGeoError as exc:
        print(f"linfen-geo: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"linfen-geo: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("linfen-geo: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours, not the user's: exit 3, one line, traceback in a log file
        log = _write_crash_log(exc)
        print(
            f"linfen-geo: internal error ({type(exc).__name__}: {exc}); traceback in {log}; please report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _write_crash_log(exc: BaseException) -> str:
    """Write the traceback of an internal error to a fresh log file and return its path."""
    import os
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(exc))
    folder = os.environ.get("LINFEN_GEO_LOG_DIR") or tempfile.gettempdir()
    try:
        fd, path = tempfile.mkstemp(prefix="linfen-geo-error-", suffix=".log", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"linfen-geo {__version__}\nargv: {sys.argv!r}\n\n{text}")
    except OSError:
        return "(no log: cannot write a file in the temporary folder)"
    return path


if __name__ == "__main__":
    sys.exit(main())

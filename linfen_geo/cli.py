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

__all__ = ["main"]


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
    from linfen_geo.pipeline import run_all

    report = run_all(args.out, overwrite=args.force)
    print(f"[linfen-geo] report: {report}")
    return 0


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


if __name__ == "__main__":
    sys.exit(main())

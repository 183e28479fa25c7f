"""``linfen-geo layers``: the layer catalog with provenance."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_layers_parser"]


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


def add_layers_parser(sub: Any) -> None:
    """Add the ``layers`` subcommand."""
    s = sub.add_parser("layers", help="list the layer catalog with provenance")
    s.add_argument("--build", action="store_true", help="build unbuilt layers to count their features")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.set_defaults(func=_cmd_layers)

"""``linfen-geo run``: the main job (every layer, every analysis, tables, maps, reports into out/)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_run_parser"]


def _cmd_run(args: argparse.Namespace) -> int:
    from linfen_geo.reports.pipeline import run_all

    report = run_all(args.out, overwrite=args.force)
    print(f"[linfen-geo] report: {report}")
    return 0


def add_run_parser(sub: Any) -> None:
    """Add the ``run`` subcommand."""
    s = sub.add_parser("run", help="the main job: build every layer, run the analyses, write out/")
    s.add_argument("--out", default="out", help="output folder (default: out)")
    s.add_argument("--force", action="store_true", help="replace existing files not written by linfen-geo")
    s.set_defaults(func=_cmd_run)

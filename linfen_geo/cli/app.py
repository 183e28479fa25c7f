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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = _Parser(prog="linfen-geo", description="Spatial analysis for Linfen's ecological protection plan.")
    p.add_argument("--version", action="version", version=f"linfen-geo {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    from linfen_geo.cli.circuit import add_circuit_parser
    from linfen_geo.cli.corridors import add_corridors_parser
    from linfen_geo.cli.data import add_data_parser
    from linfen_geo.cli.export import add_export_parser
    from linfen_geo.cli.greening import add_greening_parser
    from linfen_geo.cli.layers import add_layers_parser
    from linfen_geo.cli.map import add_map_parser
    from linfen_geo.cli.pattern import add_pattern_parser
    from linfen_geo.cli.run import add_run_parser
    from linfen_geo.cli.siting import add_siting_parser

    add_layers_parser(sub)
    add_run_parser(sub)
    add_siting_parser(sub)
    add_corridors_parser(sub)
    add_greening_parser(sub)
    add_data_parser(sub)
    add_map_parser(sub)
    add_export_parser(sub)
    add_circuit_parser(sub)
    add_pattern_parser(sub)
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

"""The ``linfen-geo`` command line: one module per command, shared error handling in :mod:`.app`."""

from linfen_geo.cli.app import EXIT_BAD_INPUT, EXIT_CLEAR, EXIT_CONTACTS, EXIT_INTERNAL, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_CLEAR", "EXIT_CONTACTS", "EXIT_INTERNAL", "main"]

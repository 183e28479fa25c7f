"""``python -m linfen_geo`` is the ``linfen-geo`` command."""

import sys

from linfen_geo.cli.app import main

sys.exit(main())

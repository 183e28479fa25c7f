"""``python -m linfen_geo`` is the ``linfen-geo`` command."""

import sys

from linfen_geo.cli import main

sys.exit(main())

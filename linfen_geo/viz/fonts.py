"""The CJK font for Chinese labels in every picture.

Chinese labels need a font with CJK glyphs: matplotlib's default DejaVu Sans has
none and draws boxes. :func:`set_cjk_font` registers Noto Sans CJK SC, shipped
by the ``mplfonts`` package that the setup installs (or the file named by the
``LINFEN_GEO_FONT`` environment variable), and puts it first in matplotlib's
font list. The web map embeds a subset of the same file (:mod:`linfen_geo.viz.webmap`).
"""

from __future__ import annotations

import os
import warnings
from importlib import resources
from pathlib import Path

import matplotlib
from matplotlib import font_manager

from linfen_geo.errors import DataMissingError

__all__ = ["cjk_font_path", "set_cjk_font", "use_cjk_font"]

_FONT_FILE = "NotoSansCJKsc-Regular.otf"
_font_name: str | None = None


def cjk_font_path() -> Path:
    """Path of the CJK font file used for Chinese labels.

    Raises
    ------
    DataMissingError
        If neither ``LINFEN_GEO_FONT`` nor the ``mplfonts`` package provides one.
    """
    env = os.environ.get("LINFEN_GEO_FONT")
    if env:
        path = Path(env)
        if not path.is_file():
            raise DataMissingError(f"LINFEN_GEO_FONT={env} is not a file")
        return path
    try:
        path = Path(str(resources.files("mplfonts") / "fonts" / _FONT_FILE))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise DataMissingError(
            "no CJK font found: install the 'mplfonts' package (pip install mplfonts) "
            "or set LINFEN_GEO_FONT to a .otf/.ttf file with Chinese glyphs"
        )
    return path


def set_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; return its family name.

    Examples
    --------
    >>> set_cjk_font()
    'Noto Sans CJK SC'
    """
    global _font_name
    if _font_name is None:
        path = cjk_font_path()
        font_manager.fontManager.addfont(str(path))
        _font_name = font_manager.FontProperties(fname=str(path)).get_name()
    families = list(matplotlib.rcParams["font.sans-serif"])
    if not families or families[0] != _font_name:
        matplotlib.rcParams["font.sans-serif"] = [_font_name, *[f for f in families if f != _font_name]]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return _font_name


def use_cjk_font() -> str:
    """Deprecated name of :func:`set_cjk_font` (``use`` now means only replacing a catalog layer)."""
    warnings.warn("use_cjk_font() is now set_cjk_font()", DeprecationWarning, stacklevel=2)
    return set_cjk_font()

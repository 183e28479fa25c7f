"""Threads for vectorised GEOS work (GEOS releases the GIL).

Examples
--------
>>> import numpy as np, shapely
>>> pts = shapely.points(np.arange(50_000.0), np.zeros(50_000))
>>> bool((chunked(shapely.get_x, pts, min_chunk=10_000) == np.arange(50_000.0)).all())
True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["chunked", "threads"]


def threads() -> int:
    """Worker threads for GEOS work (at most 4)."""
    return max(1, min(4, os.cpu_count() or 1))


def chunked(func: Callable[..., Any], *arrays: np.ndarray, min_chunk: int = 20_000) -> Any:
    """Apply a vectorised shapely function in threads (GEOS releases the GIL), chunks of ``min_chunk`` or more.

    ``func`` returns one array per input row, or a tuple of such arrays (each is concatenated).
    """
    n = len(arrays[0])
    k = threads()
    if k < 2 or n < 2 * min_chunk:
        return func(*arrays)
    bounds = np.linspace(0, n, k + 1).astype(int)
    with ThreadPoolExecutor(k) as ex:
        parts = list(ex.map(lambda i: func(*(a[bounds[i] : bounds[i + 1]] for a in arrays)), range(k)))
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(p) for p in zip(*parts, strict=True))
    return np.concatenate(parts)

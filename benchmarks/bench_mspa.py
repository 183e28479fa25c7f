"""Time linfen_geo's MSPA against landschaft's GTB-identical ``mspa`` on random clumped maps.

Run: ``python benchmarks/bench_mspa.py`` (landschaft must be installed; it is GPL-3 and only used here and
in the optional live test, never by the library). Writes ``benchmarks/results/mspa.json``: per size and edge
width the best-of-N wall time of each, the number of differing pixels, versions, CPU count and load average.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from linfen_geo.connectivity import mspa


def clumped(n: int, seed: int, sigma: float = 3.0, p: float = 0.5, missing: float = 0.0) -> np.ndarray:
    """GTB-coded random clumped map (0 missing, 1 background, 2 foreground)."""
    rng = np.random.default_rng(seed)
    f = ndi.gaussian_filter(rng.standard_normal((n, n)), sigma)
    out = np.where(f >= np.quantile(f, 1 - p), 2, 1).astype(np.uint8)
    if missing:
        g = ndi.gaussian_filter(rng.standard_normal((n, n)), sigma * 2)
        out[g > np.quantile(g, 1 - missing)] = 0
    return out


def best_of(fn, repeat: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, np.asarray(out)


def main() -> None:
    import landschaft as ls

    import linfen_geo

    runs = []
    for n, ew, repeat in [(1000, 1, 3), (1000, 3, 3), (4000, 1, 2), (4000, 3, 1)]:
        a = clumped(n, seed=n + ew)
        load_before = os.getloadavg()
        t_ours, ours = best_of(lambda a=a, ew=ew: mspa(a, edge_width=ew, engine="native"), repeat)
        t_ls, ref = best_of(lambda a=a, ew=ew: ls.mspa(a, edge_width=ew), repeat)
        diff = int((ours != ref).sum())
        row = {
            "size": f"{n}x{n}",
            "edge_width": ew,
            "repeat": repeat,
            "linfen_geo_s": round(t_ours, 3),
            "landschaft_s": round(t_ls, 3),
            "differing_pixels": diff,
            "differing_fraction": round(diff / ours.size, 6),
            "loadavg_before": [round(x, 2) for x in load_before],
        }
        print(row, flush=True)
        runs.append(row)
    import scipy
    import skimage

    result = {
        "what": "MSPA 8-connected, transition on, intext on; random clumped maps (gaussian-filtered noise, sigma 3)",
        "timing": "best of `repeat` wall-clock runs, same process, linfen_geo first",
        "runs": runs,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-image": skimage.__version__,
            "linfen_geo": getattr(linfen_geo, "__version__", "?"),
            "landschaft": ls.__version__,
        },
        "cpu_count": os.cpu_count(),
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.machine(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = Path(__file__).resolve().parent / "results" / "mspa.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()

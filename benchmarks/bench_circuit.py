"""Benchmark of the connectivity engine: Circuitscape pairwise mode and cost distance on a synthetic grid.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_circuit.py                 # 1000 x 1000, 10 points, 45 pairs
    .venv/bin/python benchmarks/bench_circuit.py --size 4000     # 16 M cells (minutes, several GB)
    .venv/bin/python benchmarks/bench_circuit.py --size 300 --no-peer

The resistance grid is lognormal (mu 0, sigma 1, seed ``--seed``), 8 neighbours,
conductance averaging; ``--points`` focal points at random cells. Timed (wall
clock, seconds): ``circuit_pairwise`` with every pair and the cumulative current
map (AMG-preconditioned CG, ``--rtol``), and, when landschaft (GPL-3, a
benchmark-only peer, never imported by the library) is installed,
``landschaft.circuit.circuitscape_pairwise`` on the same inputs in the same
run, single-threaded like ours; the largest relative difference of the two
resistance matrices is reported. Cost distance: ``--cost`` sources, compared
with ``skimage.graph.MCP_Geometric``. Results are printed and written to
``benchmarks/results/circuit.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _inputs(size: int, points: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    res = rng.lognormal(0.0, 1.0, (size, size))
    rows = rng.integers(0, size, points)
    cols = rng.integers(0, size, points)
    focal = np.zeros((size, size))
    focal[rows, cols] = np.arange(1, points + 1)
    return res, focal, rows, cols


def bench_circuit(size: int, points: int, seed: int, rtol: float, peer: bool) -> dict:
    from linfen_geo.connectivity import circuit_pairwise

    res, focal, _, _ = _inputs(size, points, seed)
    out: dict = {"cells": size * size, "points": points, "pairs": points * (points - 1) // 2, "rtol": rtol}
    t0 = time.perf_counter()
    ours = circuit_pairwise(res, focal, solver="amg", rtol=rtol, current_maps=True)
    out["linfen_geo_s"] = round(time.perf_counter() - t0, 2)
    if peer:
        try:
            from landschaft.circuit import circuitscape_pairwise
        except ImportError:
            out["landschaft"] = "not installed"
            return out
        t0 = time.perf_counter()
        theirs = circuitscape_pairwise(
            res, focal, cum_map=True, n_threads=1
        )  # the id raster (FocalPoints rows/cols differ)
        out["landschaft_s"] = round(time.perf_counter() - t0, 2)
        out["ratio_linfen_over_landschaft"] = round(out["linfen_geo_s"] / out["landschaft_s"], 2)
        r = np.asarray(theirs.resistances)[1:, 1:]
        out["max_rel_diff_resistance"] = float(np.max(np.abs(ours.resistance - r) / np.maximum(np.abs(r), 1e-300)))
        cum = np.asarray(theirs.cum_current)
        out["max_diff_cum_current_over_max"] = float(np.max(np.abs(ours.cumulative_current - cum)) / cum.max())
    return out


def bench_cost(size: int, sources: int, seed: int) -> dict:
    try:
        from linfen_geo.connectivity import cost_distance
    except ImportError:
        return {"cost": "not implemented"}
    from skimage.graph import MCP_Geometric

    res, focal, rows, cols = _inputs(size, sources, seed)
    t0 = time.perf_counter()
    ours = cost_distance(res, focal > 0, cellsize=30.0)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    mcp = MCP_Geometric(res * 30.0, fully_connected=True)
    ref, _ = mcp.find_costs(list(zip(rows.tolist(), cols.tolist(), strict=True)))
    t_mcp = time.perf_counter() - t0
    return {
        "cells": size * size,
        "sources": sources,
        "linfen_geo_s": round(t_ours, 2),
        "mcp_geometric_s": round(t_mcp, 2),
        "max_rel_diff": float(np.max(np.abs(np.asarray(ours) - ref) / np.maximum(ref, 1e-300))),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1000, help="grid side in cells (default 1000)")
    p.add_argument("--points", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--cost", type=int, default=10, help="cost-distance sources (0: skip)")
    p.add_argument("--no-peer", action="store_true", help="skip landschaft")
    a = p.parse_args()
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "circuit": bench_circuit(a.size, a.points, a.seed, a.rtol, not a.no_peer),
    }
    if a.cost:
        result["cost"] = bench_cost(a.size, a.cost, a.seed)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result, indent=2))
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"circuit_{a.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

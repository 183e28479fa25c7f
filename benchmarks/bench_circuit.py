"""Benchmark of the connectivity engine: Circuitscape pairwise mode and cost distance on a synthetic grid.

Run on demand (not part of the test suite)::

    .venv/bin/python benchmarks/bench_circuit.py                 # 1000 x 1000, 10 points, 45 pairs
    .venv/bin/python benchmarks/bench_circuit.py --size 4000 --cost 0   # 16 M cells (about 10 minutes, ~10 GB)
    .venv/bin/python benchmarks/bench_circuit.py --size 300 --no-peer

The resistance grid is lognormal (mu 0, sigma 1, seed ``--seed``), 8 neighbours,
conductance averaging; ``--points`` focal points at random cells. Timed (wall
clock, seconds): ``circuit_pairwise`` with every pair and the cumulative current
map (AMG-preconditioned CG, ``--rtol``), and, when landschaft (GPL-3, a
benchmark-only peer, never imported by the library) is installed,
``landschaft.circuit.circuitscape_pairwise`` on the same inputs in the same
run, single-threaded like ours (stopped after ``--peer-timeout`` seconds or at
``--peer-max-gb`` of address space); the largest relative difference of the two
resistance matrices is reported. Each
engine runs in a fresh process: its peak resident memory (``ru_maxrss``) is its
own; ``bytes_per_cell`` divides it by the number of cells (the process's Python,
numpy and scipy and the input grids included; ``..._above_inputs`` counts from
the resident memory just before the call). The load average is recorded before
each run. Cost distance: ``--cost`` sources, compared with
``skimage.graph.MCP_Geometric``. Results are printed and written to
``benchmarks/results/circuit_<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
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


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _run_engine(engine: str, size: int, points: int, seed: int, rtol: float, folder: str) -> dict:
    """One engine in this (fresh) process; arrays saved in ``folder`` for the comparison."""
    res, focal, _, _ = _inputs(size, points, seed)
    iterations: list[int] = []
    if engine == "linfen_geo":
        from linfen_geo.connectivity import _solve, circuit_pairwise

        block_cg = _solve.GroundedSolver._block_cg

        def counted(self, r):  # record the block-CG iteration count (the solver is freed after the solves)
            x = block_cg(self, r)
            iterations.extend(self.iterations[-1:])
            return x

        _solve.GroundedSolver._block_cg = counted

        def run():
            r = circuit_pairwise(res, focal, solver="amg", rtol=rtol, current_maps=True)
            return r.resistance, r.cumulative_current
    else:
        from landschaft.circuit import circuitscape_pairwise

        def run():
            r = circuitscape_pairwise(res, focal, cum_map=True, n_threads=1)  # the id raster
            return np.asarray(r.resistances)[1:, 1:], np.asarray(r.cum_current)

    before = _rss_mb()
    t0 = time.perf_counter()
    resist, cum = run()
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    np.save(Path(folder) / f"{engine}_res.npy", resist)
    np.save(Path(folder) / f"{engine}_cum.npy", cum)
    cells = size * size
    extra = {"cg_iterations": iterations} if iterations else {}
    return {
        **extra,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak),
        "rss_before_call_mb": round(before),
        "bytes_per_cell": round(peak * 2**20 / cells),
        "bytes_per_cell_above_inputs": round((peak - before) * 2**20 / cells),
    }


def _child(engine: str, a: argparse.Namespace, folder: str, timeout: float | None, max_gb: float | None) -> dict:
    cmd = [sys.executable, __file__, "--only", engine, "--size", str(a.size), "--points", str(a.points)]
    cmd += ["--seed", str(a.seed), "--rtol", str(a.rtol), "--folder", folder]
    load = [round(x, 2) for x in os.getloadavg()]

    def limit() -> None:  # an address-space cap, so that a peer running out of memory fails alone
        if max_gb:
            resource.setrlimit(resource.RLIMIT_AS, (int(max_gb * 2**30), int(max_gb * 2**30)))

    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"load_average_before": load, "error": f"stopped after {timeout:g} s"}
    if p.returncode != 0:
        why = (p.stderr.strip().splitlines() or [f"exit code {p.returncode}"])[-1]
        return {
            "load_average_before": load,
            "error": why + (f" (address space capped at {max_gb:g} GB)" if max_gb else ""),
        }
    return {"load_average_before": load, **json.loads(p.stdout.strip().splitlines()[-1])}


def bench_circuit(a: argparse.Namespace) -> dict:
    out: dict = {"cells": a.size * a.size, "points": a.points, "pairs": a.points * (a.points - 1) // 2}
    out["rtol"] = a.rtol
    with tempfile.TemporaryDirectory() as folder:
        out["linfen_geo"] = _child("linfen_geo", a, folder, None, None)
        if a.no_peer:
            return out
        try:
            import landschaft  # noqa: F401
        except ImportError:
            out["landschaft"] = "not installed"
            return out
        out["landschaft"] = _child("landschaft", a, folder, a.peer_timeout, a.peer_max_gb)
        ours, theirs = out["linfen_geo"], out["landschaft"]
        if "seconds" in ours and "seconds" in theirs:
            out["ratio_linfen_over_landschaft"] = round(ours["seconds"] / theirs["seconds"], 2)
            r0, r1 = (np.load(Path(folder) / f"{e}_res.npy") for e in ("linfen_geo", "landschaft"))
            out["max_rel_diff_resistance"] = float(np.max(np.abs(r0 - r1) / np.maximum(np.abs(r1), 1e-300)))
            c0, c1 = (np.load(Path(folder) / f"{e}_cum.npy") for e in ("linfen_geo", "landschaft"))
            out["max_diff_cum_current_over_max"] = float(np.max(np.abs(c0 - c1)) / c1.max())
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
    p.add_argument("--peer-timeout", type=float, default=600.0, help="stop landschaft after this many seconds")
    p.add_argument("--peer-max-gb", type=float, default=18.0, help="address-space cap of the landschaft process")
    p.add_argument("--only", choices=["linfen_geo", "landschaft"], help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.only:  # a child process: one engine, one JSON line
        print(json.dumps(_run_engine(a.only, a.size, a.points, a.seed, a.rtol, a.folder)))
        return
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "circuit": bench_circuit(a),
    }
    if a.cost:
        result["cost"] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
        result["cost"].update(bench_cost(a.size, a.cost, a.seed))
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"circuit_{a.size}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

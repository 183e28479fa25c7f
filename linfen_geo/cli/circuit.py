"""``linfen-geo circuit JOB.ini``: run a Circuitscape raster job file unchanged, write Circuitscape's output files."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from linfen_geo.errors import InputError

__all__ = ["SUPPORTED", "add_circuit_parser", "run_job"]

#: INI options honoured, with what they do
SUPPORTED = {
    "data_type": "raster (network graphs are not supported)",
    "scenario": "pairwise, one-to-all, all-to-one, advanced",
    "habitat_file, habitat_map_is_resistances": "ASCII grid or GeoTIFF (.gz too); resistances (zero or negative refused) or conductances",
    "connect_four_neighbors_only, connect_using_avg_resistances": "4/8 neighbours; average resistance or conductance",
    "use_polygons, polygon_file": "short-circuit regions",
    "use_mask, mask_file": "cells where the mask is not > 0 are removed",
    "point_file": "focal points or regions (grid, or 'id x y' text list)",
    "use_included_pairs, included_pairs_file": "'mode include|exclude' list or 'min/max' matrix",
    "use_variable_source_strengths, variable_source_file": "one-to-all / all-to-one source strengths ('id amps')",
    "source_file, ground_file, ground_file_is_resistances, use_unit_currents, use_direct_grounds, remove_src_or_gnd": "advanced mode",
    "output_file": "base name of the outputs",
    "write_cur_maps, write_cum_cur_map_only, write_max_cur_maps, write_volt_maps": "which maps to write",
    "set_null_currents_to_nodata, set_null_voltages_to_nodata, log_transform_maps, write_as_tif": "map post-processing and format",
    "solver": "cg+amg: AMG-preconditioned CG (direct LU below 20 000 nodes); cholmod/pardiso/accelerate: direct LU",
}
#: accepted, no effect on the results (performance or logging options of Circuitscape)
NO_EFFECT = (
    "version", "parallelize", "max_parallel", "print_timings", "print_rusages", "low_memory_mode",
    "preemptive_memory_release", "cholmod_batch_size", "use_64bit_indexing", "log_level", "log_file",
    "profiler_log_file", "screenprint_log", "suppress_messages", "reclass_file", "precision",
)  # fmt: skip
#: refused when set to anything but the default
UNSUPPORTED = {
    "use_reclass_table": "False",
    "compress_grids": "False",
    "set_focal_node_currents_to_zero": "False",
}
MODES = {"pairwise": "pairwise", "Pairwise": "pairwise", "advanced": "advanced", "Advanced": "advanced",
         "one-to-all": "one-to-all", "one_to_all": "one-to-all", "all-to-one": "all-to-one", "all_to_one": "all-to-one"}  # fmt: skip


def _check_options(cfg: dict[str, str]) -> str:
    from linfen_geo.cli.circuit_io import DEFAULTS, is_true

    if cfg["data_type"] not in ("raster", "Raster"):
        raise InputError(f"data_type = {cfg['data_type']}: only raster jobs are supported")
    for key, default in UNSUPPORTED.items():
        if is_true(cfg.get(key, default)):
            raise InputError(f"{key} = {cfg[key]}: option not supported; set it to {default} or remove it")
    if cfg.get("precision", "Double") in ("single", "Single"):
        raise InputError(
            "precision = single: not supported (linfen-geo computes in double precision); set precision = double"
        )
    known = set(DEFAULTS) | {k.strip() for key in SUPPORTED for k in key.split(",")} | set(NO_EFFECT)
    for key in cfg:
        if key not in known:
            print(f"linfen-geo: note: unknown INI option {key!r} ignored", file=sys.stderr)
    if cfg["scenario"] not in MODES:
        raise InputError(f"scenario = {cfg['scenario']}: use pairwise, one-to-all, all-to-one or advanced")
    return MODES[cfg["scenario"]]


def _solver(cfg: dict[str, str], override: str | None) -> str:
    if override:
        return override
    return (
        "direct"
        if cfg["solver"].lower()
        in ("cholmod", "cholesky", "cholfact", "mklpardiso", "pardiso", "accelerate", "apple_accelerate")
        else "auto"
    )


def _ids_from_grid(a: np.ndarray, what: str) -> np.ndarray:
    v = np.where(a == -9999.0, 0.0, a)
    if np.any(v != np.round(v)):
        raise InputError(f"{what}: region ids must be whole numbers")
    return np.where(v > 0, v, 0).astype(np.int64)


def run_job(
    ini: str, *, overwrite: bool = False, focal_on_nodata: str = "error", solver: str | None = None
) -> dict[str, Any]:
    """Run a Circuitscape INI job; returns what was computed (and writes Circuitscape's files)."""
    from linfen_geo.cli import circuit_io as io
    from linfen_geo.connectivity import circuit as ct

    cfg = io.read_ini(ini)
    mode = _check_options(cfg)
    t = io.is_true
    hab = io.read_raster(cfg["habitat_file"], "habitat_file")
    values = np.where(hab.values == -9999.0, np.nan, hab.values)
    if t(cfg["use_mask"]):
        mask = io.read_raster(cfg["mask_file"], "mask_file", like=hab).values
        values = np.where(mask > 0, values, np.nan)
    kw: dict[str, Any] = {
        "is_conductance": not t(cfg["habitat_map_is_resistances"]),
        "neighbours": 4 if t(cfg["connect_four_neighbors_only"]) else 8,
        "average": "resistance" if t(cfg["connect_using_avg_resistances"]) else "conductance",
        "solver": _solver(cfg, solver),
    }
    if t(cfg["use_polygons"]):
        kw["short_circuit"] = _ids_from_grid(
            io.read_raster(cfg["polygon_file"], "polygon_file", like=hab).values, "polygon_file"
        )
    pref = cfg["output_file"].split(".out")[0]
    tif = t(cfg["write_as_tif"])
    cur, cum_only, vmaps, mx = (
        t(cfg[k]) for k in ("write_cur_maps", "write_cum_cur_map_only", "write_volt_maps", "write_max_cur_maps")
    )
    null_c, null_v, logt = (
        t(cfg[k]) for k in ("set_null_currents_to_nodata", "set_null_voltages_to_nodata", "log_transform_maps")
    )
    nocell = ~(np.isfinite(values) & (values > 0))  # Circuitscape's "cellmap == 0"

    def cmap(a: np.ndarray) -> np.ndarray:
        a = a.copy()
        if logt:
            with np.errstate(divide="ignore"):
                a = np.where(a > 0, np.log10(np.where(a > 0, a, 1.0)), -9999.0)
        if null_c:
            a[nocell] = -9999.0
        return np.maximum(a, -9999.0)

    def vmap(a: np.ndarray) -> np.ndarray:
        return np.where(nocell, -9999.0, a) if null_v else a

    def put(name: str, a: np.ndarray) -> None:
        io.write_map(f"{pref}_{name}", a, hab, tif=tif, overwrite=overwrite)

    write_any_current = cur or cum_only
    summary: dict[str, Any] = {"mode": mode}
    if mode == "advanced":
        src = io.read_value_grid(cfg["source_file"], hab, "source_file")
        gnd = io.read_value_grid(cfg["ground_file"], hab, "ground_file")
        r = ct.circuit_advanced(
            values, np.where(src == -9999.0, 0.0, src), np.where(gnd == -9999.0, np.nan, gnd),
            grounds_are_resistances=t(cfg["ground_file_is_resistances"]), direct_grounds=t(cfg["use_direct_grounds"]),
            unit_currents=t(cfg["use_unit_currents"]), remove=_policy(cfg["remove_src_or_gnd"]), **kw,
        )  # fmt: skip
        if vmaps:
            put("voltmap", vmap(r.voltage))
        if write_any_current:
            put("curmap", cmap(r.current))
        summary["solved_components"] = r.solved_components
        _write_config(cfg, overwrite)
        return summary
    focal = io.read_point_grid(cfg["point_file"], hab)
    inc = None
    if t(cfg["use_included_pairs"]):
        inc = io.read_included_pairs(cfg["included_pairs_file"])
    common = dict(current_maps=write_any_current, voltage_maps=vmaps, max_current=mx and write_any_current,
                  focal_on_nodata=focal_on_nodata, **kw)  # fmt: skip
    if mode == "pairwise":
        pk: dict[str, Any] = {}
        if inc is not None:
            imode, ids, pairs = inc
            pk = {"focal_ids": ids, "include_pairs": pairs} if imode == "include" else {"exclude_pairs": pairs}
        r = ct.circuit_pairwise(values, focal, pair_maps=cur and not cum_only, **pk, **common)
        ids = r.ids
        table = np.zeros((len(ids) + 1, len(ids) + 1))
        table[0, 1:], table[1:, 0], table[1:, 1:] = ids, ids, r.resistance
        io.write_table(f"{pref}_resistances.out", table, overwrite=overwrite)
        three = np.array(r.pairs(), dtype="float64").reshape(-1, 3)
        io.write_table(f"{pref}_resistances_3columns.out", three, overwrite=overwrite)
        for (a, b), v in r.voltages.items():
            put(f"voltmap_{a}_{b}", vmap(v))
        for (a, b), c in r.currents.items():
            put(f"curmap_{a}_{b}", cmap(c))
        summary["pairs"] = int((r.resistance[np.triu_indices(len(ids), 1)] >= 0).sum())
    else:
        fk: dict[str, Any] = {}
        if t(cfg["use_variable_source_strengths"]):
            fk["strengths"] = io.read_strengths(cfg["variable_source_file"])
        if inc is not None:
            imode, ids, pairs = inc
            if imode == "exclude":
                pairs = {(a, b) for a in ids for b in ids if a != b and (a, b) not in pairs}
            fk.update(focal_ids=ids, include_pairs=pairs)
        fn = ct.circuit_one_to_all if mode == "one-to-all" else ct.circuit_all_to_one
        r = fn(values, focal, point_maps=cur and not cum_only, **fk, **common)
        ids = r.ids
        io.write_table(f"{pref}_resistances.out", np.column_stack([ids, r.resistance]), overwrite=overwrite)
        for n, v in r.voltages.items():
            put(f"voltmap_{n}", vmap(v))
        for n, c in r.currents.items():
            put(f"curmap_{n}", cmap(c))
        summary["solved"] = int((r.resistance >= 0).sum())
    if write_any_current and r.cumulative_current is not None:
        put("cum_curmap", cmap(r.cumulative_current))
        if r.max_current is not None:
            put("max_curmap", cmap(r.max_current))
    summary["ids"] = [int(i) for i in ids]
    summary["resistance"] = r.resistance
    _write_config(cfg, overwrite)
    return summary


def _policy(value: str) -> str:
    return value if value in ("rmvsrc", "rmvgnd", "rmvall") else "keepall"


def _write_config(cfg: dict[str, str], overwrite: bool) -> None:
    """Circuitscape writes the job's options to ``output_file`` itself; so do we."""
    from linfen_geo.files import write_file

    text = "".join(f"{k} = {v}\n" for k, v in sorted(cfg.items()))
    write_file(
        cfg["output_file"],
        lambda tmp: tmp.write_text("[Circuitscape options]\n" + text, encoding="utf-8"),
        overwrite=overwrite,
    )


def _cmd_circuit(args: argparse.Namespace) -> int:
    s = run_job(args.ini, overwrite=args.force, focal_on_nodata=args.focal_on_nodata, solver=args.solver)
    n = len(s.get("ids", []))
    if s["mode"] == "pairwise":
        what = f"{s['pairs']} pairs solved"
    elif s["mode"] == "advanced":
        what = f"{s['solved_components']} components solved"
    else:
        what = f"{s['solved']} of {n} focal nodes solved"
    print(f"circuit {s['mode']}: {what}")
    return 0


def _help_text() -> str:
    lines = ["Supported INI options:"]
    lines += [f"  {k}: {v}" for k, v in SUPPORTED.items()]
    lines.append("Accepted without effect on results: " + ", ".join(NO_EFFECT))
    lines.append(
        "Refused when set: "
        + ", ".join(f"{k} = True" for k in UNSUPPORTED)
        + ", precision = single, data_type = network"
    )
    lines.append(
        "Paths in the INI are relative to the working directory (as in Circuitscape). Outputs: <output>_resistances.out, "
        "_resistances_3columns.out, _cum_curmap, _max_curmap, _curmap_<i>_<j>, _voltmap_<i>_<j> (.asc, or .tif with write_as_tif)."
    )
    return "\n".join(lines)


def add_circuit_parser(sub: Any) -> None:
    """Add the ``circuit`` subcommand to an argparse subparsers object."""
    s = sub.add_parser(
        "circuit",
        help="run a Circuitscape raster job (INI file): resistances, current and voltage maps",
        description="Run a Circuitscape raster job file unchanged and write Circuitscape's output files.",
        epilog=_help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("ini", metavar="JOB.ini", help="Circuitscape job file")
    s.add_argument("--force", action="store_true", help="replace existing output files")
    s.add_argument(
        "--focal-on-nodata",
        choices=["error", "disconnected"],
        default="error",
        help="a focal id on no habitat cell: stop (default), or give it resistance -1 as Circuitscape does",
    )
    s.add_argument("--solver", choices=["auto", "amg", "direct"], help="override the INI's solver")
    s.set_defaults(func=_cmd_circuit)

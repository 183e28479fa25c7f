"""``linfen-geo check-siting``: project sites against red lines and the other control lines (exit 0/1/2/3).

``FILE`` is a site file or a folder of them (every site file in it, by extension, in
name order; one combined report). Besides the verdict table (``--out``/``--format``)
and the map (``--map``) it writes the conflict-free remainders (``--remainder-out``:
界址点 TXT, GeoJSON or GeoPackage) and a printable compliance report (``--report``: PDF
or HTML). Every file is checked before any work and none is replaced without ``--force``;
a bad input file ends the run before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["SITE_SUFFIXES", "add_siting_parser", "read_site_inputs"]

#: the files a folder given as FILE is read for (shapefile side files and everything else are ignored)
SITE_SUFFIXES = (
    ".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".kmz", ".csv", ".tsv", ".xlsx", ".xls",
    ".wkt", ".txt", ".dxf", ".fgb", ".gml",
)  # fmt: skip


def _site_files(folder: Path, exclude: set[Path]) -> list[Path]:
    files = [
        p
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.is_file()
        and p.suffix.lower() in SITE_SUFFIXES
        and not p.name.startswith((".", "~$"))
        and p.resolve() not in exclude
    ]
    if not files:
        from linfen_geo.errors import InputError

        raise InputError(f"{folder}: no site files in the folder (looked for {', '.join(SITE_SUFFIXES)})")
    return files


def _unique_ids(frames: list[Any], files: list[Path]) -> None:
    """Make site ids unique across files: a colliding id becomes ``<file stem>:<id>`` (in every file it is in)."""
    from collections import Counter

    from linfen_geo.errors import InputError

    seen = Counter(sid for g in frames for sid in g["site_id"].astype(str))
    stems = Counter(p.stem for p in files)
    for g, path in zip(frames, files, strict=True):
        ids = g["site_id"].astype(str)
        clash = ids.map(seen) > 1
        if clash.any():
            tag = path.stem if stems[path.stem] == 1 else path.name
            g.loc[clash.to_numpy(), "site_id"] = tag + ":" + ids[clash]
    every = [sid for g in frames for sid in g["site_id"]]
    dup = [s for s, n in Counter(every).items() if n > 1]
    if dup:
        raise InputError(f"site id {dup[0]!r} repeats across the folder's files even as <file>:<id>: rename one")


def _read_one(path: Path, crs: Any, repair_tolerance: float) -> Any:
    """One file of a folder: ``crs`` is for files without a CRS of their own; a file declaring one keeps it."""
    from linfen_geo.errors import CRSError
    from linfen_geo.io.sites import read_sites

    try:
        return read_sites(path, crs=crs, repair_tolerance=repair_tolerance)
    except CRSError as exc:
        if crs is None:
            raise
        try:  # does the file declare a CRS of its own that --crs contradicts?
            gdf = read_sites(path, repair_tolerance=repair_tolerance)
        except Exception:
            raise exc from None
        if gdf.attrs.get("crs_assumed"):
            raise exc from None  # no CRS of its own: --crs was meant for it, and it does not fit
        gdf.attrs["warnings"] = [
            *gdf.attrs.get("warnings", []),
            f"--crs {crs} not used: the file declares {gdf.attrs.get('source_crs')}",
        ]
        return gdf


def read_site_inputs(
    source: str | Path, *, crs: Any = None, repair_tolerance: float = 0.005, exclude: tuple[Any, ...] = ()
) -> Any:
    """The sites of a file, or of every site file in a folder, as one frame :func:`check_siting` takes as is.

    Parameters
    ----------
    source
        A site file (anything :func:`~linfen_geo.io.sites.read_sites` reads) or a folder.
    crs
        CRS of coordinates without one. In a folder it applies to the files that carry none (DXF,
        CSV, WKT ...); a file declaring its own CRS (GeoJSON, GPKG, a 界址点 header ...) keeps it,
        with a note, where ``crs`` would contradict it (a single file is refused instead).
    repair_tolerance
        As for :func:`~linfen_geo.io.sites.read_sites`.
    exclude
        Paths a folder's listing skips (the run's own output files).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, with ``site_id`` (made unique across a folder's files as
        ``<file stem>:<id>`` where ids collide), ``name``, ``source_file`` and ``attrs``
        (``source``, ``source_crs``, ``format``, ``warnings`` ...; a folder of 界址点 files
        of one CRS keeps their header).

    Raises
    ------
    InputError, CRSError
        A bad file (the message names it), an empty folder, ids that cannot be made unique.
    """
    import geopandas as gpd
    import pandas as pd

    from linfen_geo.crs import STORAGE_CRS
    from linfen_geo.errors import LinfenGeoError
    from linfen_geo.io.sites import read_sites

    path = Path(source).expanduser()
    if not path.is_dir():
        gdf = read_sites(path, crs=crs, repair_tolerance=repair_tolerance)
        gdf["source_file"] = path.name
        return gdf
    files = _site_files(path, {Path(p).resolve() for p in exclude if p})
    frames = []
    for f in files:
        try:
            frames.append(_read_one(f, crs, repair_tolerance))
        except LinfenGeoError as exc:
            msg = str(exc)
            if str(f) not in msg and f.name not in msg:
                raise type(exc)(f"{f}: {msg}") from None
            raise
    _unique_ids(frames, files)
    for g, f in zip(frames, files, strict=True):
        g["source_file"] = f.name
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=STORAGE_CRS)
    labels = list(dict.fromkeys(g.attrs.get("source_crs", "") for g in frames))
    fmts = list(dict.fromkeys(g.attrs.get("format", "") for g in frames))
    headers = [g.attrs.get("jzd_header") for g in frames]
    attrs: dict[str, Any] = {
        "source": str(path),
        "source_crs": labels[0]
        if len(labels) == 1
        else "; ".join(f"{g.attrs.get('source_crs')} ({f.name})" for g, f in zip(frames, files, strict=True)),
        "crs_assumed": any(g.attrs.get("crs_assumed") for g in frames),
        "repaired": sum(int(g.attrs.get("repaired", 0)) for g in frames),
        "warnings": [f"{f.name}: {w}" for g, f in zip(frames, files, strict=True) for w in g.attrs.get("warnings", [])],
        "format": fmts[0] if len(fmts) == 1 else "folder",
        "files": [f.name for f in files],
    }
    if fmts == ["界址点 TXT"] and len(labels) == 1 and all(h == headers[0] for h in headers):
        attrs["jzd_header"] = headers[0]
    out.attrs = attrs
    return out


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that name the same file, have an unknown format, or exist."""
    from linfen_geo.errors import InputError
    from linfen_geo.files import check_writable, figure_format

    named = [(opt, getattr(args, attr)) for opt, attr in OUTPUTS if getattr(args, attr)]
    seen: dict[Path, str] = {}
    for opt, value in named:
        key = Path(value).resolve()
        if key in seen:
            raise InputError(f"{seen[key]} and {opt} name the same file ({value}): give each its own")
        seen[key] = opt
    if args.map:
        figure_format(args.map)  # the format its extension names, or refuse now
    if args.remainder_out:
        from linfen_geo.reports.remainders import remainder_format

        remainder_format(args.remainder_out)
    if args.report:
        from linfen_geo.reports.siting_report import report_format

        report_format(args.report)
    for _opt, value in named:
        check_writable(value, args.force)


#: (option, attribute) of every file check-siting writes
OUTPUTS = (("--out", "out"), ("--map", "map"), ("--remainder-out", "remainder_out"), ("--report", "report"))


def _rule_options(args: argparse.Namespace, check: Any) -> dict[str, Any]:
    """``project_type=`` and ``preset=`` for :func:`check_siting`, when given (and when it takes them)."""
    import inspect

    accepted = inspect.signature(check).parameters
    given = {"project_type": args.project_type, "preset": args.rules}
    return {k: v for k, v in given.items() if v is not None and k in accepted}


def _cmd_check_siting(args: argparse.Namespace) -> int:
    """Check project sites against red lines and protected zones; exit 0 all clear, 1 any contact."""
    import warnings

    from linfen_geo.files import write_file

    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower() if args.out else ""
        fmt = {".json": "json", ".csv": "csv"}.get(suffix, "table")
    _check_outputs(args)
    chatty = bool(args.out) or fmt == "table"  # keep JSON/CSV on stdout parseable
    with warnings.catch_warnings():
        # linfen_geo's own warnings end up in the report's notes; warnings of other libraries still show
        from linfen_geo.errors import LinfenGeoWarning

        warnings.simplefilter("ignore", LinfenGeoWarning)
        from linfen_geo.analysis.siting import check_siting

        sites = read_site_inputs(
            args.file,
            crs=args.crs,
            repair_tolerance=args.repair_tolerance,
            exclude=tuple(getattr(args, attr) for _o, attr in OUTPUTS),
        )
        report = check_siting(sites, repair_tolerance=args.repair_tolerance, **_rule_options(args, check_siting))
        if report.has_outside:  # nothing was checked there: never a "clear" that scripts would believe
            from linfen_geo.errors import InputError

            ids = report.outside_sites
            listed = ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise InputError(
                f"{len(ids)} of {len(report.sites)} site(s) lie outside Linfen ({listed}): they "
                f"{report.outside_hint}; fix --crs or the coordinates"
            )
        if fmt == "json":
            text = report.to_json() + "\n"
        elif fmt == "csv":
            text = report.to_csv_frame().to_csv(index=False)
        else:
            text = report.to_text()
        if args.out:
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # BOM: Excel shows the Chinese
            write_file(args.out, lambda tmp: tmp.write_text(text, encoding=encoding), overwrite=args.force)
            from linfen_geo.analysis.siting.text import headline

            head = headline(report)
            print(f"[linfen-geo] {head}; wrote {args.out}")
            if report.illustrative:
                print(f"[linfen-geo] NOTE: {report.notes[0]}")
        else:
            sys.stdout.write(text)
        if args.map:
            import matplotlib

            matplotlib.use("Agg")
            report.plot(out=args.map, overwrite=args.force)
            if chatty:
                print(f"[linfen-geo] map: {args.map}")
        if args.remainder_out:
            from linfen_geo.reports.remainders import write_remainders

            res = write_remainders(report, args.remainder_out, sites=sites, overwrite=args.force)
            if chatty:
                gone = f"; nothing left of {', '.join(res.swallowed)}" if res.swallowed else ""
                if res.path is None:
                    print(f"[linfen-geo] remainders: no site is cut by a conflict, nothing written{gone}")
                else:
                    print(f"[linfen-geo] remainders of {len(res.written)} site(s) ({res.crs}): {res.path}{gone}")
        if args.report:
            import matplotlib

            matplotlib.use("Agg")
            from linfen_geo.reports.siting_report import write_siting_report

            write_siting_report(report, args.report, sites=sites, overwrite=args.force)
            if chatty:
                print(f"[linfen-geo] report: {args.report}")
    return 1 if report.has_contacts else 0


def add_siting_parser(sub: Any) -> None:
    """Add the ``check-siting`` subcommand."""
    s = sub.add_parser(
        "check-siting",
        help="check project sites against red lines and protected zones (exit 0 all clear, 1 any contact)",
        description="Check proposed project sites against the ecological red lines and protected zones named "
        "by the plan's [siting] rules. Exit status: 0 every site clear, 1 some site has a contact, 2 bad input.",
    )
    s.add_argument(
        "file",
        metavar="FILE",
        help="sites: GeoJSON, GPKG, SHP, KML, CSV, WKT, 界址点 TXT or DXF (CAD, needs --crs); or a folder of them",
    )
    s.add_argument("--crs", help="CRS of coordinates without one: EPSG code (4546, 4490 ...), gcj02 or bd09")
    s.add_argument(
        "--project-type",
        metavar="TYPE",
        help="project type of every site (a code or Chinese name of the plan's [siting.project_types]); "
        "default: a project_type column, or the 界址点 地块用途",
    )
    s.add_argument(
        "--rules",
        metavar="NAME",
        help="a shipped rule set instead of the plan's rules: sanqu (三区三线 and the other control lines)",
    )
    s.add_argument("--format", choices=["table", "json", "csv"], help="output format (default: table, or from --out)")
    s.add_argument("--out", metavar="PATH", help="write the result here instead of printing it")
    s.add_argument("--map", metavar="PNG", help="also draw a map of the sites, their contacts and the nearest red line")
    s.add_argument(
        "--remainder-out",
        metavar="FILE",
        help="write the conflict-free part of each site a conflict cuts: .txt (界址点, the input's zone and "
        "header for 界址点 input), .geojson or .gpkg; sites nothing cuts are not written",
    )
    s.add_argument(
        "--report",
        metavar="FILE",
        help="write a printable compliance report, one page per site: .pdf or .html (self-contained)",
    )
    s.add_argument("--force", action="store_true", help="replace existing output files")
    s.add_argument(
        "--repair-tolerance",
        type=float,
        default=0.005,
        metavar="FRACTION",
        help="largest relative area change allowed when repairing an invalid site outline (default 0.005; inf: any)",
    )
    s.set_defaults(func=_cmd_check_siting)

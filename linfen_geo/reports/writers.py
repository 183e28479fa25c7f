"""Writing results: atomic file writes, tables to CSV/XLSX/Markdown, no silent overwrites.

Every writer goes through :func:`atomic_write`: the content is written to a
temporary file in the target folder and moved into place in one step, so a
crash never leaves half a file and readers never see one.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_table(pd.DataFrame({"a": [1]}), d / "t.csv").name
't.csv'
>>> write_table(pd.DataFrame({"a": [2]}), d / "t.csv")
Traceback (most recent call last):
...
linfen_geo.errors.InputError: ... exists; pass overwrite=True (CLI: --force) to replace it
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from linfen_geo.errors import InputError
from linfen_geo.files import atomic_write, check_writable, figure_format, write_file
from linfen_geo.reports.metadata import csvw_metadata, notes_frame

__all__ = [
    "OutputDir",
    "atomic_write",
    "check_writable",
    "csv_sidecar",
    "to_markdown",
    "write_file",
    "write_table",
    "write_tables_xlsx",
    "write_text",
]


def write_text(text: str, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write UTF-8 text atomically."""
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)


def csv_sidecar(path: str | os.PathLike[str]) -> Path:
    """Where a CSV's CSVW metadata goes: ``name.csv-metadata.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + "-metadata.json")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a table as CSV (UTF-8 with BOM, so Excel shows Chinese), XLSX or Markdown, by extension.

    A CSV gets a CSVW sidecar (``name.csv-metadata.json``) and an XLSX a ``notes`` sheet,
    stating the area/length CRS and the definitions in ``df.attrs``
    (:mod:`linfen_geo.reports.metadata`).
    """
    path = check_writable(path, overwrite)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sidecar = check_writable(csv_sidecar(path), overwrite)
        meta = json.dumps(csvw_metadata(df, path.name), ensure_ascii=False, indent=1)
        write_file(path, lambda tmp: df.to_csv(tmp, index=False, encoding="utf-8-sig"), overwrite=overwrite)
        write_file(sidecar, lambda tmp: tmp.write_text(meta, encoding="utf-8"), overwrite=overwrite)
        return path
    if suffix == ".xlsx":
        return write_tables_xlsx({"table": df}, path, overwrite=overwrite)
    if suffix == ".md":
        return write_file(path, lambda tmp: tmp.write_text(to_markdown(df), encoding="utf-8"), overwrite=overwrite)
    raise InputError(f"cannot write a table as {suffix!r}: use .csv, .xlsx or .md")


def write_tables_xlsx(
    tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write several tables to one XLSX file, one sheet each (sheet names cut to 31 characters).

    A ``notes`` sheet (``definitions`` when the tables bring their own ``notes``) states each
    sheet's area/length CRS and definitions (from its ``attrs``).
    """
    path = check_writable(path, overwrite)
    sheets = {str(name)[:31]: df for name, df in tables.items()}
    notes = notes_frame(sheets)
    if len(notes):
        sheets["notes" if "notes" not in sheets else "definitions"] = notes

    def _write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, df in sheets.items():
                df.to_excel(xl, sheet_name=name, index=False)

    return write_file(path, _write, overwrite=overwrite)


def to_markdown(df: pd.DataFrame, floatfmt: str = ",.2f") -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body]) + "\n"


class OutputDir:
    """A folder of generated results that never clobbers files it did not write.

    A re-run may replace the files a previous run listed in ``MANIFEST.json``;
    any other existing file is left alone (an error) unless ``overwrite`` is set.

    Parameters
    ----------
    path
        The folder (created if needed).
    overwrite
        Replace any existing file, ours or not.
    """

    MANIFEST = "MANIFEST.json"

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False):
        import json

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.overwrite = overwrite
        manifest = self.path / self.MANIFEST
        self._ours: set[str] = set()
        if manifest.exists():
            try:
                self._ours = set(json.loads(manifest.read_text(encoding="utf-8")).get("files", []))
            except (ValueError, OSError):
                self._ours = set()
        self.written: list[str] = []

    def target(self, name: str) -> Path:
        """Path for ``name`` inside the folder, checked for overwrite permission.

        For callers that write the file themselves: it enters ``MANIFEST.json``
        once it exists (at the next write through this folder or at :meth:`finish`).
        """
        path = self.path / name
        if path.exists() and name not in self._ours and not self.overwrite:
            raise InputError(f"{path} exists and was not written by linfen-geo; pass --force to replace it")
        if name not in self.written:
            self.written.append(name)
        return path

    def write(self, name: str, write: Any) -> Path:
        """Write ``name`` with ``write(tmp_path)`` (atomically), then list it in the manifest."""
        path = atomic_write(self.target(name), write)
        self._save_manifest()
        return path

    def table(self, df: pd.DataFrame, name: str) -> Path:
        """Write a table (CSV with its CSVW sidecar, XLSX or MD by extension)."""
        if name.lower().endswith(".csv"):
            self.target(csv_sidecar(name).as_posix())
        path = write_table(df, self.target(name), overwrite=True)
        self._save_manifest()
        return path

    def tables_xlsx(self, tables: Mapping[str, pd.DataFrame], name: str) -> Path:
        """Write several tables to one XLSX workbook."""
        path = write_tables_xlsx(tables, self.target(name), overwrite=True)
        self._save_manifest()
        return path

    def text(self, text: str, name: str) -> Path:
        """Write UTF-8 text."""
        path = write_text(text, self.target(name), overwrite=True)
        self._save_manifest()
        return path

    def figure(self, fig: Any, name: str, dpi: int = 150) -> Path:
        """Save a matplotlib figure (format from the extension, refused if matplotlib cannot write it) and close it."""
        import matplotlib.pyplot as plt

        fmt = figure_format(name, fig)
        path = self.write(name, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt))
        plt.close(fig)
        return path

    def finish(self) -> Path:
        """Write the final manifest (files written by others through :meth:`target` included)."""
        self._save_manifest()
        return self.path / self.MANIFEST

    def _save_manifest(self) -> None:
        """List the files this run wrote that exist now, and those earlier runs wrote."""
        import json

        present = {n for n in self.written if (self.path / n).exists()}
        files = sorted(self._ours | present | {self.MANIFEST})
        atomic_write(
            self.path / self.MANIFEST,
            lambda tmp: tmp.write_text(json.dumps({"files": files}, indent=1), encoding="utf-8"),
        )

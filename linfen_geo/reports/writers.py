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
from linfen_geo.files import atomic_write, check_writable, figure_format, sha256_file, write_file
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
    """A folder of generated results, written as one unit, that never clobbers files it did not write.

    A run writes into a hidden staging folder beside the target (``.NAME.partial-...``) and
    :meth:`finish` swaps it in at the end, so a run killed half-way leaves the previous folder as
    it was (old and new results are never mixed) and readers never see a half-written folder.
    ``MANIFEST.json`` records the SHA-256 of every file a run wrote; on the next run only files
    whose content still matches count as "written by linfen-geo". Any other file in the folder
    (the user's own, an edited result, a manifest that is not ours) makes the run refuse at once,
    before anything is written, unless ``overwrite`` is set: then the run's files replace them and
    the user's other files are carried over into the new folder.

    Parameters
    ----------
    path
        The target folder.
    overwrite
        Replace files that linfen-geo did not write (CLI: ``--force``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> out = OutputDir(d)
    >>> _ = out.text("hello", "a.txt")
    >>> d.exists()  # nothing is visible before finish()
    False
    >>> _ = out.finish(); sorted(p.name for p in d.iterdir())
    ['MANIFEST.json', 'a.txt']
    >>> (d / "notes.txt").write_text("mine")
    4
    >>> OutputDir(d)
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: ... holds 1 file(s) linfen-geo did not write (notes.txt): ...
    """

    MANIFEST = "MANIFEST.json"

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False):
        import tempfile

        self.path = Path(path)
        self.overwrite = overwrite
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path} is a file, not a folder: give another --out")
        self.foreign = self._foreign_files()
        if self.foreign and not overwrite:
            listed = ", ".join(self.foreign[:5]) + (" ..." if len(self.foreign) > 5 else "")
            raise InputError(
                f"{self.path} holds {len(self.foreign)} file(s) linfen-geo did not write ({listed}): "
                "choose another --out folder, move them, or pass --force (CLI) / overwrite=True to replace them"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale_stages(self.path)
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.partial-{os.getpid()}-", dir=self.path.parent))
        self.written: list[str] = []
        self.finished = False

    # ------------------------------------------------------------------ what is there already
    def _foreign_files(self) -> list[str]:
        """Files in the existing folder that no verified manifest entry vouches for."""
        if not self.path.is_dir():
            return []
        present = sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if not p.is_dir())
        ours = self._verified(present)
        return [n for n in present if n not in ours]

    def _verified(self, present: list[str]) -> set[str]:
        import json

        manifest = self.path / self.MANIFEST
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict) or data.get("written_by") != "linfen-geo":
            return set()  # not a manifest of ours (or of a version without hashes): vouches for nothing
        ours = {self.MANIFEST}
        for name, digest in files.items():
            if name in present and isinstance(digest, str) and sha256_file(self.path / name) == digest:
                ours.add(name)
        return ours

    # ------------------------------------------------------------------ writing
    def target(self, name: str) -> Path:
        """Where to write ``name`` now (inside the staging folder); it enters the manifest at :meth:`finish`.

        For callers that write the file themselves; the file appears at :meth:`final` ``(name)``
        when the run finishes.
        """
        if self.finished:
            raise InputError(f"{self.path}: the run has finished; start a new OutputDir")
        path = self.stage / name
        if name not in self.written:
            self.written.append(name)
        return path

    def final(self, name: str) -> Path:
        """Where ``name`` will be once the run finishes."""
        return self.path / name

    def write(self, name: str, write: Any) -> Path:
        """Write ``name`` with ``write(tmp_path)`` (atomically); returns its final path."""
        atomic_write(self.target(name), write)
        return self.final(name)

    def table(self, df: pd.DataFrame, name: str) -> Path:
        """Write a table (CSV with its CSVW sidecar, XLSX or MD by extension)."""
        if name.lower().endswith(".csv"):
            self.target(csv_sidecar(name).as_posix())
        write_table(df, self.target(name), overwrite=True)
        return self.final(name)

    def tables_xlsx(self, tables: Mapping[str, pd.DataFrame], name: str) -> Path:
        """Write several tables to one XLSX workbook."""
        write_tables_xlsx(tables, self.target(name), overwrite=True)
        return self.final(name)

    def text(self, text: str, name: str) -> Path:
        """Write UTF-8 text."""
        write_text(text, self.target(name), overwrite=True)
        return self.final(name)

    def figure(self, fig: Any, name: str, dpi: int = 150) -> Path:
        """Save a matplotlib figure (format from the extension, refused if matplotlib cannot write it) and close it."""
        import matplotlib.pyplot as plt

        fmt = figure_format(name, fig)
        path = self.write(name, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=fmt))
        plt.close(fig)
        return path

    # ------------------------------------------------------------------ the end of a run
    def finish(self) -> Path:
        """Write the manifest (with the SHA-256 of every file), then swap the new folder in, in one step."""
        import json
        import shutil

        if self.finished:
            return self.path / self.MANIFEST
        files = {n: sha256_file(self.stage / n) for n in sorted(self.written) if (self.stage / n).is_file()}
        record = {"written_by": "linfen-geo", "complete": True, "files": files}
        (self.stage / self.MANIFEST).write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
        if self.path.exists():
            foreign = self._foreign_files()
            if foreign and not self.overwrite:  # appeared while we ran: still never ours to delete
                raise InputError(
                    f"{self.path}: files appeared during the run ({', '.join(foreign[:5])}); nothing replaced"
                )
            for name in foreign:  # the user's other files stay, unless this run wrote the same name
                if not (self.stage / name).exists():
                    (self.stage / name).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.path / name, self.stage / name)
            old = Path(str(self.stage).replace(".partial-", ".old-", 1))
            os.replace(self.path, old)
            os.replace(self.stage, self.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.stage, self.path)
        self.finished = True
        return self.path / self.MANIFEST

    def abort(self) -> None:
        """Drop the staging folder (the target folder stays as it was)."""
        import shutil

        if not self.finished:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.finished = True

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()


def _clean_stale_stages(path: Path) -> None:
    """Remove staging folders of runs that were killed (their process is gone)."""
    import shutil

    for stage in path.parent.glob(f".{path.name}.partial-*"):
        try:
            pid = int(stage.name.split(".partial-", 1)[1].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(stage, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue

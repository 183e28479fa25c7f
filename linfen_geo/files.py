"""The one way linfen_geo writes a file: atomic, and never over a file unless asked.

Every writer of the package (tables, reports, maps, figures, 界址点 files, the
build cache) goes through :func:`write_file`. The content is written to a
temporary file beside the target and moved into place in one step, so a crash
never leaves half a file and a reader never sees one. Without
``overwrite=True`` the move is a hard link, which the operating system refuses
when the target exists: two runs racing for the same path cannot both win, and
a file that appeared while we were writing is not replaced.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_file(d / "a.txt", lambda tmp: tmp.write_text("one")).read_text()
'one'
>>> write_file(d / "a.txt", lambda tmp: tmp.write_text("two"))
Traceback (most recent call last):
...
linfen_geo.errors.InputError: ... exists; pass overwrite=True (CLI: --force) to replace it
>>> write_file(d / "a.txt", lambda tmp: tmp.write_text("two"), overwrite=True).read_text()
'two'
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linfen_geo.errors import InputError

__all__ = ["atomic_write", "check_writable", "exists_message", "figure_format", "sha256_file", "write_file"]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's content (read in 1 MB chunks): the checksum of manifests and provenance."""
    import hashlib

    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def exists_message(path: Path) -> str:
    """The one-line refusal for an existing file."""
    return f"{path} exists; pass overwrite=True (CLI: --force) to replace it"


def check_writable(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Refuse early (before any work) to replace an existing file unless ``overwrite`` is set.

    :func:`write_file` checks again when it moves the file into place.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name")
    blocker = next((a for a in path.parents if a.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise InputError(f"cannot write {path}: {blocker} is a file, not a folder")
    if blocker is not None and not os.access(blocker, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: no permission to create files in {blocker}")
    if path.exists() and not overwrite:
        raise InputError(exists_message(path))
    return path


def write_file(path: str | os.PathLike[str], write: Callable[[Path], Any], *, overwrite: bool = False) -> Path:
    """Call ``write(tmp_path)``, then move the temporary file to ``path`` in one step.

    Parameters
    ----------
    path
        Target file; its folder is created if needed.
    write
        Writes the content to the path it is given (a temporary file in the same folder).
    overwrite
        Replace an existing ``path``. Without it an existing file is never touched,
        even one that appears while ``write`` runs.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        ``path`` exists and ``overwrite`` is false, or is a folder.
    """
    path = check_writable(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.", suffix=".part" + path.suffix
    )  # drivers pick formats by extension
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path exists: no-clobber, atomically
            except FileExistsError:
                raise InputError(exists_message(path)) from None
            except OSError as exc:  # a file system without hard links
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                if path.exists():
                    raise InputError(exists_message(path)) from None
                os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """:func:`write_file` with ``overwrite=True``: for files the caller owns (caches, a run's own outputs)."""
    return write_file(path, write, overwrite=True)


def figure_format(path: str | os.PathLike[str], fig: Any = None) -> str:
    """The image format a file name asks for, checked against what matplotlib can write.

    Examples
    --------
    >>> figure_format("map.PDF")
    'pdf'
    >>> figure_format("map.docx")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: cannot write a map as '.docx': use one of ...
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if fig is None:
        from matplotlib.figure import Figure

        fig = Figure()
    supported = sorted(fig.canvas.get_supported_filetypes())
    if suffix not in supported:
        listed = ", ".join(f".{s}" for s in supported)
        raise InputError(
            f"cannot write a map as {('.' + suffix) if suffix else 'a file without extension'!r}: use one of {listed}"
        )
    return suffix

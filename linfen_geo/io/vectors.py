"""The one way linfen_geo reads a user's vector file: :func:`read_vector`.

Used by the sites reader (:func:`linfen_geo.io.sites.read_sites`) and by the catalog when a layer
is replaced (``linfen_geo.use("redlines", path)``). GDAL (pyogrio) reads the file; around it:

* only a regular file (or a File GDB folder) is opened (:func:`~linfen_geo.io.textfiles.check_regular_file`);
* a shapefile's DBF encoding is decided from its raw record bytes: UTF-8, else GB18030 (GBK); a
  ``.cpg`` the bytes contradict gives way, with a warning; bytes that are neither (or read as
  both) are refused in one line naming ``encoding=`` -- GDAL would read them as Latin-1 mojibake;
* GeoJSON that is not UTF-8 (GBK bytes, a UTF-16 byte-order mark) is decoded (capped at
  :data:`~linfen_geo.io.textfiles.TEXT_LIMIT_BYTES`) and read from a UTF-8 copy;
* KML declared (or detected) in an encoding GDAL's XML parser (expat) does not read -- GBK,
  GB2312, GB18030 -- is transcoded to a UTF-8 copy.

Examples
--------
>>> import tempfile, geopandas as gpd
>>> from pathlib import Path
>>> from shapely.geometry import Point
>>> path = Path(tempfile.mkdtemp()) / "sites.shp"
>>> gpd.GeoDataFrame({"名称": ["尧都区"]}, geometry=[Point(111.5, 36.1)], crs=4326).to_file(path, encoding="gbk")
>>> path.with_suffix(".cpg").unlink()  # GDAL alone now reads Latin-1 mojibake
>>> gdf = read_vector(path)
>>> gdf["名称"].tolist(), gdf.attrs["encoding"]
(['尧都区'], 'gb18030')
"""

from __future__ import annotations

import codecs
import re
import struct
import tempfile
import warnings as _warnings
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import pyogrio

from linfen_geo.errors import InputError, LinfenGeoWarning
from linfen_geo.io.textfiles import (
    TEXT_LIMIT_BYTES,
    _codec,
    check_regular_file,
    decode_text,
    detect_encoding,
    read_bytes_capped,
)

__all__ = ["read_vector"]

#: dataset folders GDAL reads as one vector file
VECTOR_FOLDERS = (".gdb",)
_GEOJSON = (".geojson", ".json", ".geojsonl", ".geojsons")
#: encodings expat (GDAL's XML parser) reads itself, as :func:`codecs.lookup` names them
_EXPAT_ENCODINGS = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "ascii"}
_DECLARED = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._:\-]+)[\"']")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_WIDE = re.compile("[\u0800-\U0010ffff]")
_CHUNK = 1 << 20


def _one_line(text: Any, limit: int = 160) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _list(items: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _pick_layer(names: Sequence[str], layer: Any, where: str) -> str:
    if isinstance(layer, int) and not isinstance(layer, bool):
        if 0 <= layer < len(names):
            return names[layer]
        raise InputError(f"{where}: layer index {layer} out of range: the file has {len(names)} layer(s)")
    if str(layer) in names:
        return str(layer)
    raise InputError(f"{where}: no layer {layer!r}: the file has {_list(list(names), 12)}; pass layer=<one of them>")


# --------------------------------------------------------------------------- DBF bytes


def _dbf_values(fh: IO[bytes]) -> Iterator[bytes]:
    """The field names and distinct non-ASCII text values of a DBF, streamed from ``fh``."""
    head = fh.read(32)
    if len(head) < 32:
        return
    nrec, hlen, rlen = struct.unpack("<IHH", head[4:12])
    desc = fh.read(max(hlen - 32, 0))
    fields: list[tuple[int, int]] = []  # (offset in record, width) of character fields
    offset = 1  # the deletion flag
    for i in range(0, len(desc) - 31, 32):
        d = desc[i : i + 32]
        if d[0] == 0x0D:
            break
        yield d[:11].split(b"\x00", 1)[0]
        width = d[16]
        if d[11:12] in (b"C", b"M", b"V", b"W"):
            fields.append((offset, width))
        offset += width
    if not fields or rlen <= 0:
        return
    seen: set[bytes] = set()
    per_chunk = max(1, _CHUNK // rlen)
    left = nrec
    while left > 0:
        block = fh.read(min(left, per_chunk) * rlen)
        if not block:
            break
        left -= len(block) // rlen
        for r in range(0, len(block) - rlen + 1, rlen):
            for off, width in fields:
                v = block[r + off : r + off + width]
                if not v.isascii():
                    v = v.rstrip(b" \x00")
                    if v not in seen:
                        seen.add(v)
                        yield v


def _shapefile_members(path: Path, where: str) -> dict[str, tuple[str, str | None]]:
    """``{layer: (dbf member, cpg text)}`` of a zipped shapefile (or folder of them)."""
    out: dict[str, tuple[str, str | None]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            lower = {n.lower(): n for n in names}
            for n in names:
                if n.lower().endswith(".dbf") and not n.startswith("__MACOSX"):
                    stem = n[:-4]
                    cpg = lower.get(stem.lower() + ".cpg")
                    text = z.read(cpg).decode("ascii", "replace").strip() if cpg else None
                    out[Path(stem).name] = (n, text or None)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{where}: cannot read the zip archive: {_one_line(exc)}") from None
    return out


def _sidecar(path: Path, suffix: str) -> Path | None:
    for s in (suffix, suffix.upper()):
        p = path.with_suffix(s)
        if p.is_file():
            return p
    return None


def _dbf_texts(path: Path, name: str, where: str) -> tuple[list[bytes], str | None, str] | None:
    """The field names and distinct non-ASCII values of layer ``name`` of a ``.shp``/``.zip``, its
    ``.cpg`` text and a label for messages; None when the layer is not a shapefile's."""
    label = f"{where} (layer {name!r})" if path.suffix.lower() == ".zip" else where
    if path.suffix.lower() == ".zip":
        members = _shapefile_members(path, where)
        if name not in members:
            return None  # not a shapefile layer: GDAL knows its encoding
        member, declared = members[name]
        with zipfile.ZipFile(path) as z, z.open(member) as fh:
            return list(_dbf_values(fh)), declared, label
    dbf = _sidecar(path, ".dbf")
    if dbf is None:
        return None
    cpg = _sidecar(path, ".cpg")
    declared = None
    if cpg is not None:
        declared = read_bytes_capped(cpg, 1024, where=str(cpg)).decode("ascii", "replace").strip() or None
    check_regular_file(dbf)
    with dbf.open("rb") as fh:
        return list(_dbf_values(fh)), declared, label


def _shapefile_encoding(path: Path, name: str, where: str, given: str | None) -> tuple[str | None, str | None]:
    """The DBF encoding of layer ``name`` (None: not a shapefile layer, GDAL decides) and a note.

    Without ``given``: detected, the ``.cpg`` kept unless the bytes contradict it (then a note).
    With ``given``: used as asked, but bytes it cannot decode are refused (GDAL would replace
    them by ``?``) and bytes that read as something else are noted.
    """
    texts = _dbf_texts(path, name, where)
    if texts is None:
        return given, None
    values, declared, label = texts
    if not given:
        return detect_encoding(values, label, declared=declared)
    try:
        b"\n".join(values).decode(_codec(given, where))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{label}: the attributes are not {given} (byte {exc.start} of their text): "
            "pass another encoding=..., or none to detect it"
        ) from None
    try:
        found, note = detect_encoding(values, label, declared=given)
    except InputError:
        return given, None
    return (
        given,
        f"encoding={given!r} was given, but the attributes read as {found.upper()}: read as given" if note else None,
    )


# --------------------------------------------------------------------------- text formats


def _utf8_throughout(path: Path) -> bool:
    """Whether a file is UTF-8 that cannot be mistaken for GBK (ASCII, or has a UTF-8 Chinese character)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    wide, ascii_only = False, True
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            if chunk.isascii():
                continue
            ascii_only = False
            try:
                text = dec.decode(chunk)
            except UnicodeDecodeError:
                return False
            wide = wide or _WIDE.search(text) is not None
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return ascii_only or wide


def _kml_member(path: Path, where: str) -> tuple[str | None, bytes]:
    """The main ``.kml`` of a KMZ (``doc.kml``, else the first; as LIBKML picks) and its bytes (capped)."""
    if path.suffix.lower() != ".kmz":
        return None, read_bytes_capped(path, where=where)
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".kml")]
            if not names:
                raise InputError(f"{where}: the KMZ archive holds no .kml file")
            member = "doc.kml" if "doc.kml" in names else names[0]
            if z.getinfo(member).file_size > TEXT_LIMIT_BYTES:
                raise InputError(
                    f"{where}: {member} is more than the {TEXT_LIMIT_BYTES >> 20} MB read as text: "
                    "convert it to a GeoPackage (ogr2ogr -f GPKG out.gpkg IN) and read that"
                )
            return member, z.read(member)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{where}: cannot read: {_one_line(exc)}") from None


def _foreign_encoding(data: bytes, encoding: str | None, where: str) -> str | None:
    """The encoding to transcode a KML from, or None when expat reads the bytes as they are."""
    if encoding is None:
        declared = _DECLARED.match(data)
        if declared is not None:
            encoding = declared.group(1).decode("ascii")
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return None  # UTF-16 with a byte-order mark
        else:
            return None if decode_text(data, None, where)[1] == "utf-8" else "gb18030"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"{where}: unknown encoding {encoding!r}: pass encoding=..., e.g. 'gbk'") from None
    return None if name in _EXPAT_ENCODINGS else encoding


@contextmanager
def kml_source(path: Path, where: str, encoding: str | None, libkml: bool) -> Iterator[tuple[str, bytes, str | None]]:
    """A KML/KMZ path GDAL can open (the file, a ``/vsizip/`` member, or a temporary UTF-8 copy),
    the KML bytes and the encoding transcoded from (None if not)."""
    member, data = _kml_member(path, where)
    source = _foreign_encoding(data, encoding, where)
    if source is None:
        if member is None or libkml:
            yield str(path.resolve()), data, None
        else:  # the KML driver cannot open a KMZ itself
            yield f"/vsizip/{path.resolve()}/{member}", data, None
        return
    superset = codecs.lookup(source).name in ("gb2312", "gbk", "cp936")  # files declared GB2312 hold GBK characters
    text = decode_text(data, "gb18030" if superset else source, where)[0]
    text = _DECLARATION.sub('<?xml version="1.0" encoding="UTF-8"?>', text, count=1)
    with tempfile.TemporaryDirectory(prefix="linfen_geo_kml_") as tmp:
        utf8 = Path(tmp) / f"{path.stem}.kml"
        utf8.write_text(text, encoding="utf-8")
        yield str(utf8), data, source


@contextmanager
def _geojson_source(path: Path, where: str, encoding: str | None) -> Iterator[tuple[str, str]]:
    """The GeoJSON as GDAL reads it (the file, or a UTF-8 copy) and the encoding it was in."""
    utf8 = codecs.lookup(encoding).name == "utf-8" if encoding else _utf8_throughout(path)
    if utf8:
        yield str(path), "utf-8"  # GDAL reads it as it is (a UTF-8 byte-order mark too); no size cap
        return
    text, used = decode_text(read_bytes_capped(path, where=where), encoding, where)
    if used == "utf-8" and encoding is None:
        yield str(path), used
        return
    with tempfile.TemporaryDirectory(prefix="linfen_geo_json_") as tmp:
        copy = Path(tmp) / path.name
        copy.write_text(text, encoding="utf-8")
        yield str(copy), used


# --------------------------------------------------------------------------- read_vector


def _reason(exc: BaseException) -> str:
    return _one_line(str(exc) or type(exc).__name__)


def _read(src: str, where: str, layer: Any, **kwargs: Any) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    notes: list[str] = []
    try:
        info = pyogrio.list_layers(src)
    except Exception as exc:
        raise InputError(f"{where}: cannot read: {_reason(exc)}") from None
    names = [str(n) for n in info[:, 0]]
    if not names:
        raise InputError(f"{where}: no layers in the file")
    if layer is None:
        name = names[0]
        if len(names) > 1:
            notes.append(
                f"read layer {name!r}, the first of {len(names)} ({_list(names, 8)}); pass layer=... for another"
            )
    else:
        name = _pick_layer(names, layer, where)
    try:
        gdf = pyogrio.read_dataframe(src, layer=name, **kwargs)
    except UnicodeDecodeError as exc:
        used = kwargs.get("encoding", "utf-8")
        raise InputError(
            f"{where}: the attributes of layer {name!r} are not {used} (byte {exc.start}): pass encoding=..., "
            "e.g. 'gbk' or 'utf-8'"
        ) from None
    except Exception as exc:
        raise InputError(f"{where}: cannot read layer {name!r}: {_reason(exc)}") from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{where}: layer {name!r} has no geometry column; pass layer=... for a spatial layer")
    return gdf, name, notes


def _layer_name(path: Path, layer: Any, where: str) -> str:
    """The layer :func:`_read` will read (to decide its DBF's encoding before reading)."""
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:
        raise InputError(f"{where}: cannot read: {_reason(exc)}") from None
    if not names:
        raise InputError(f"{where}: no layers in the file")
    return names[0] if layer is None else _pick_layer(names, layer, where)


def read_vector(
    path: str | Path,
    *,
    layer: str | int | None = None,
    encoding: str | None = None,
    where: str | None = None,
    warn: bool = False,
) -> gpd.GeoDataFrame:
    """Read one layer of a user's vector file, its text decoded without guesswork.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, shapefile (``.shp`` or a ``.zip`` of one), KML/KMZ, File GDB folder,
        or anything else GDAL reads.
    layer
        Layer name or index; None reads the first (a note says so when there are more).
    encoding
        Text encoding of the attributes (a shapefile's DBF, GeoJSON or KML text), overriding
        ``.cpg``, XML declaration and detection.
    where
        Names the input in messages (default: the path).
    warn
        Also issue the notes (contradicted ``.cpg``, first of several layers) as
        :class:`~linfen_geo.errors.LinfenGeoWarning`.

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's CRS. ``attrs``: ``encoding`` (what the text was read as: ``"utf-8"``,
        ``"gb18030"`` for detected GBK, the ``.cpg``'s or the given encoding; None for formats
        that define their own, as GeoPackage), ``layer`` and, when there is something to say,
        ``warnings`` (list of str: a contradicted ``.cpg``, the first of several layers read).

    Raises
    ------
    InputError
        Not a regular file, unreadable, no such layer, no geometry, or text that is neither
        UTF-8 nor GBK/GB18030 (the message names ``encoding=``).
    """
    path = Path(path).expanduser()
    where = where or str(path)
    check_regular_file(path, where=where, folders=VECTOR_FOLDERS)
    if encoding:
        _codec(encoding, where)
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix in (".shp", ".zip") and path.is_file():
        name = _layer_name(path, layer, where)
        used, note = _shapefile_encoding(path, name, where, encoding)
        if note:
            notes.append(note if suffix == ".shp" or encoding else f"layer {name!r}: {note}")
        gdf, name, more = _read(str(path), where, name, **({"encoding": used} if used else {}))
    elif suffix in _GEOJSON and path.is_file():
        with _geojson_source(path, where, encoding) as (src, used):
            gdf, name, more = _read(src, where, layer)
        if used != "utf-8" and not encoding:
            notes.append(f"the GeoJSON is {used.upper()}, not UTF-8 as RFC 7946 requires: read it as {used.upper()}")
    elif suffix in (".kml", ".kmz"):
        with kml_source(path, where, encoding, "LIBKML" in pyogrio.list_drivers()) as (src, _, transcoded):
            gdf, name, more = _read(src, where, layer)
        used = transcoded or "utf-8"
    else:
        used = encoding
        gdf, name, more = _read(str(path), where, layer, **({"encoding": encoding} if encoding else {}))
    notes.extend(more)
    if warn:
        for note in notes:
            _warnings.warn(f"{where}: {note}", LinfenGeoWarning, stacklevel=2)
    gdf.attrs.update({"encoding": used, "layer": name})
    if notes:
        gdf.attrs["warnings"] = notes
    return gdf

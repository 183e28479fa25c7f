"""Reading a user's file safely: regular files only, text capped in size, Chinese encodings detected.

Every reader of a user's file goes through :func:`check_regular_file` before opening it (a named
pipe would block forever, ``/dev/zero`` never ends, a folder is not a file) and text readers load
at most :data:`TEXT_LIMIT_BYTES` through :func:`read_bytes_capped` / :func:`read_text_capped`.

:func:`decode_text` turns bytes into text: a byte-order mark (UTF-8, UTF-16, UTF-32) decides;
else UTF-8, else GB18030 (a superset of GBK and GB2312). Bytes that decode but read as nonsense
(Big5 or Latin-1 read as GBK gives kana, box drawing, private-use and rare characters) and bytes
that read as both UTF-8 and GBK without a single UTF-8 Chinese character (``C4 BF`` is ``Ŀ`` in
UTF-8 and ``目`` in GBK) are refused in one line naming ``encoding=``: a name is never garbled
silently. :func:`detect_encoding` makes the same decision over many short values (the fields of a
DBF).

Examples
--------
>>> decode_text("临汾".encode("gbk"), None, "t.csv")
('临汾', 'gb18030')
>>> decode_text("\\ufeff临汾".encode("utf-8"), None, "t.csv")
('临汾', 'utf-8')
>>> decode_text("臨汾市堯都區風電場".encode("big5"), None, "t.csv")
Traceback (most recent call last):
...
linfen_geo.errors.InputError: t.csv: the text is not UTF-8 and reads as GBK/GB18030 only as unlikely characters (...): pass encoding=..., e.g. 'big5' (or 'gb18030' if they are right)
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from linfen_geo.errors import InputError

__all__ = [
    "TEXT_LIMIT_BYTES",
    "check_regular_file",
    "decode_text",
    "detect_encoding",
    "read_bytes_capped",
    "read_text_capped",
]

#: the most a text reader (CSV, WKT, 界址点 TXT, GeoJSON or KML decoded in memory, config) loads
TEXT_LIMIT_BYTES = 64 * 1024 * 1024
#: what to do with a text file over the limit
CONVERT_HINT = "convert it to a GeoPackage (ogr2ogr -f GPKG out.gpkg IN) and read that"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: non-Han characters a Chinese name or note plausibly holds (besides ASCII)
_PUNCT = "、。，．：；？！（）《》〈〉「」『』【】〔〕“”‘’·…—～－×÷°±℃ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ①②③④⑤⑥⑦⑧⑨⑩№％‰〇　"
#: controls (but tab and line breaks), C1 controls, U+FFFD, private use, lone surrogates
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff\ud800-\udfff\U000f0000-\U0010ffff]")
#: ASCII, fullwidth ASCII and :data:`_PUNCT` (what is left is looked at one character at a time)
_COMMON = re.compile(f"[\x00-\x7f\uff01-\uff5e{re.escape(_PUNCT)}]+")
_BMP_HAN = re.compile("[\u4e00-\u9fff]+")
_WIDE = re.compile("[\u0800-\U0010ffff]")
_GBK_NOTE = "GBK/GB18030"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def check_regular_file(
    path: str | os.PathLike[str], *, where: str | None = None, folders: tuple[str, ...] = ()
) -> Path:
    """Refuse, before opening it, anything but a regular file (symbolic links are followed).

    Parameters
    ----------
    path
        The user's path.
    where
        Names the input in the message (default: the path).
    folders
        Suffixes of folders that are datasets and allowed (``(".gdb",)`` for a File GDB).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        The path does not exist, or is a named pipe, device, socket or folder.

    Examples
    --------
    >>> check_regular_file("/dev/null", where="sites.txt")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: sites.txt is not a regular file but a character device: give a file
    """
    path = Path(path)
    where = where or str(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{where}: file not found: check the path") from None
    except OSError as exc:
        raise InputError(f"{where}: cannot read: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return path
    if stat.S_ISDIR(mode) and path.suffix.lower() in folders:
        return path
    target = os.path.realpath(path)
    shown = f" ({target})" if target != os.path.abspath(path) else ""
    extra = f"; a folder is read only as {', '.join(folders)}" if stat.S_ISDIR(mode) and folders else ""
    raise InputError(f"{where} is not a regular file but {_kind(mode)}{shown}: give a file{extra}")


def read_bytes_capped(
    path: str | os.PathLike[str],
    limit_bytes: int = TEXT_LIMIT_BYTES,
    *,
    where: str | None = None,
    hint: str = CONVERT_HINT,
) -> bytes:
    """The bytes of a regular file of at most ``limit_bytes``.

    Parameters
    ----------
    path
        The user's file.
    limit_bytes
        The most that is read; a larger file is refused before reading (and a file that grows
        past it while being read, too).
    where
        Names the input in messages.
    hint
        How to proceed with a larger file, at the end of the message.

    Returns
    -------
    bytes
        The content.

    Raises
    ------
    InputError
        Not a regular file, larger than ``limit_bytes``, or unreadable.
    """
    path = check_regular_file(path, where=where)
    where = where or str(path)

    def too_big(size: int) -> InputError:
        return InputError(
            f"{where} is {size / 2**20:.0f} MB, more than the {limit_bytes / 2**20:.0f} MB "
            f"read as text: {hint.replace('IN', path.name)}"
        )

    try:
        size = path.stat().st_size
        if size > limit_bytes:
            raise too_big(size)
        with path.open("rb") as fh:
            data = fh.read(limit_bytes + 1)
    except OSError as exc:
        raise InputError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit_bytes:
        raise too_big(len(data))
    return data


def read_text_capped(
    path: str | os.PathLike[str],
    limit_bytes: int = TEXT_LIMIT_BYTES,
    *,
    encoding: str | None = None,
    where: str | None = None,
    hint: str = CONVERT_HINT,
) -> str:
    """The text of a regular file of at most ``limit_bytes``, decoded by :func:`decode_text`.

    Parameters
    ----------
    path
        The user's file.
    limit_bytes
        See :func:`read_bytes_capped`.
    encoding
        The file's encoding (``"utf-8"`` for TOML); None detects it.
    where
        Names the input in messages.
    hint
        How to proceed with a larger file.

    Returns
    -------
    str
        The text, without a byte-order mark.

    Raises
    ------
    InputError
        See :func:`read_bytes_capped`; or the bytes are not text in ``encoding`` (or in a
        detected one).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
    >>> _ = p.write_bytes("名称 = '临汾'".encode("gbk"))
    >>> read_text_capped(p, 100, encoding="utf-8", where="a.toml")
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: a.toml: cannot decode as utf-8 (byte 0): save the file as UTF-8 or pass encoding=...
    """
    data = read_bytes_capped(path, limit_bytes, where=where, hint=hint)
    return decode_text(data, encoding, where or str(path))[0]


# --------------------------------------------------------------------------- encodings


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _in_gbk(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def _has_junk(text: str) -> bool:
    """Whether ``text`` holds a character no attribute text holds: controls, private use, unassigned, U+FFFD."""
    if _JUNK.search(text):
        return True
    rest = _BMP_HAN.sub("", _COMMON.sub("", text))
    return any(unicodedata.category(ch) == "Cn" for ch in rest)


def _plausible_gb(text: str) -> bool:
    """Whether GB18030-decoded text reads as Chinese: no junk, few rare or odd characters.

    Big5 or Latin-1 bytes read as GBK give kana, box drawing, private-use and rare Han
    characters (GBK's, not GB2312's: where Big5 lands; GB18030's four-byte Han are not odd);
    Chinese text is almost all GB2312 Han characters and punctuation.
    """
    if _has_junk(text):
        return False
    n = len(text) - len(text.encode("ascii", "ignore"))
    han = "".join(_BMP_HAN.findall(text))
    odd = len(han.encode("gbk", "ignore")) // 2 - len(han.encode("gb2312", "ignore")) // 2
    for ch in _BMP_HAN.sub("", _COMMON.sub("", text)):
        odd += (_in_gbk(ch) and not _in_gb2312(ch)) if _is_han(ch) else 1
    return odd <= n // 4


def _utf8_chinese(text: str) -> bool:
    """Whether UTF-8-decoded text holds a character of three bytes or more (Chinese is)."""
    return _WIDE.search(text) is not None


_WORD = re.compile(r"[^\W\d_]+")
#: degree, area, plus-minus, times, micro signs after a digit or letter (30°, m², 5±1): rare Han in GBK
_UNIT_SIGN = re.compile("(?<=[0-9A-Za-z'\" ])[°²±×µ]")  # not ³: 鲁 in GBK


def _unit_signs(text: str) -> bool:
    """Whether every non-ASCII character is a unit sign after a digit or letter ('111°30\'', 'm²').

    In GBK those bytes are rare Han characters (掳 虏 卤 驴), not names.
    """
    n = len(text) - len(text.encode("ascii", "ignore"))
    return 0 < n == len(_UNIT_SIGN.findall(text))


def _latin_words(text: str) -> bool:
    """Whether every non-ASCII character is a Latin letter inside a word with ASCII letters ('Café').

    GBK read as UTF-8 gives such letters standing alone or next to Han and digits ('Ŀ'), rarely
    inside a Latin word.
    """
    inside = 0
    for word in _WORD.findall(text):
        if not word.isascii():
            if word.encode("ascii", "ignore") == b"" or not all(
                ch.isascii() or 0xC0 <= ord(ch) <= 0x24F for ch in word
            ):
                return False
            inside += len(word) - len(word.encode("ascii", "ignore"))
    return inside == len(text) - len(text.encode("ascii", "ignore"))


def _codec(encoding: str, where: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"{where}: unknown encoding {encoding!r}: use e.g. 'utf-8' or 'gbk'") from None


def _choose(data: bytes, where: str) -> str:
    """``"utf-8"`` or ``"gb18030"`` for ``data`` (no byte-order mark), else :class:`InputError`."""
    if data.isascii():
        return "utf-8"
    try:
        u: str | None = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        u, u_err = None, exc.start
    try:
        g: str | None = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        g, g_err = None, exc.start
    u_ok = u is not None and not _has_junk(u)
    g_ok = g is not None and _plausible_gb(g)
    if u_ok and (not g_ok or _utf8_chinese(u) or _unit_signs(u)):  # type: ignore[arg-type]
        return "utf-8"
    if g_ok and not u_ok:
        return "gb18030"
    if u_ok and g_ok:
        raise InputError(
            f"{where}: the text reads as UTF-8 ({_sample(u)}) and as GBK ({_sample(g)}): "
            "pass encoding='utf-8' or encoding='gbk'"
        )
    if g is not None:  # decodes, but to kana, box drawing, private-use or rare characters
        raise InputError(
            f"{where}: the text is not UTF-8 and reads as {_GBK_NOTE} only as unlikely characters ({_sample(g)}): "
            "pass encoding=..., e.g. 'big5' (or 'gb18030' if they are right)"
        )
    at = u_err if u is None else g_err
    raise InputError(f"{where}: the text is neither UTF-8 nor {_GBK_NOTE} (byte {at}): pass encoding=..., e.g. 'big5'")


def _sample(text: str | None, limit: int = 12) -> str:
    bits = [ch for ch in (text or "") if not ch.isascii()][:limit]
    return repr("".join(bits))


def decode_text(data: bytes, encoding: str | None, where: str) -> tuple[str, str]:
    """Decode a file's bytes: a byte-order mark, else ``encoding``, else UTF-8 or GB18030 detected.

    Parameters
    ----------
    data
        The bytes.
    encoding
        The user's encoding (a byte-order mark still wins over it); None detects.
    where
        Names the input in messages.

    Returns
    -------
    tuple of (str, str)
        The text (without byte-order mark) and the encoding used: ``"utf-8"``, ``"utf-16"``,
        ``"utf-32"``, ``"gb18030"`` (detected GBK) or ``encoding`` as given.

    Raises
    ------
    InputError
        Unknown encoding, bytes not in it, or (detecting) neither UTF-8 nor GBK/GB18030, or both.

    Examples
    --------
    >>> decode_text("名称".encode("utf-16"), None, "x")
    ('名称', 'utf-16')
    >>> decode_text(b"\\xc4\\xbf", None, "x")  # 'Ŀ' in UTF-8, '目' in GBK
    Traceback (most recent call last):
    ...
    linfen_geo.errors.InputError: x: the text reads as UTF-8 ('Ŀ') and as GBK ('目'): pass encoding='utf-8' or encoding='gbk'
    """
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    if bom is not None:
        try:
            return data.decode(bom).lstrip("\ufeff"), bom.replace("-sig", "")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{where}: starts with a {bom} byte-order mark but is not {bom} (byte {exc.start})"
            ) from None
    if encoding:
        name = _codec(encoding, where)
        try:
            return data.decode(name).lstrip("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{where}: cannot decode as {encoding} (byte {exc.start}): "
                + (
                    "save the file as UTF-8 or pass encoding=..."
                    if name == "utf-8"
                    else "try encoding='gb18030' or 'utf-8'"
                )
            ) from None
    used = _choose(data, where)
    return data.decode(used), used


def detect_encoding(values: Iterable[bytes], where: str, declared: str | None = None) -> tuple[str, str | None]:
    """The encoding of many short byte strings (a DBF's text fields), and a warning if ``declared`` is wrong.

    Parameters
    ----------
    values
        The raw values (trailing padding removed).
    where
        Names the input in messages.
    declared
        What the file says (a ``.cpg``), if anything: kept when the bytes decode in it to
        plausible text.

    Returns
    -------
    tuple of (str, str or None)
        The encoding (``declared`` as Python names it, ``"utf-8"`` or ``"gb18030"``) and, when the bytes
        contradict ``declared``, a note saying what was used instead (without ``where``).

    Raises
    ------
    InputError
        The values are neither UTF-8 nor GBK/GB18030 (nor ``declared``), or read as both.

    Examples
    --------
    >>> detect_encoding(["临汾".encode("gbk"), b"A1"], "x.dbf", declared="UTF-8")
    ('gb18030', "the .cpg says 'UTF-8' but the attributes are GBK/GB18030: read them as GB18030")
    """
    data = b"\n".join(v for v in values if v)
    if declared:
        try:  # ArcGIS writes code pages as numbers: 936 is GBK, 65001 UTF-8
            name: str | None = codecs.lookup(f"cp{declared}" if declared.isdigit() else declared).name
        except LookupError:
            name = None
        if name is not None and _fits(data, name):
            return name, None
    used = _choose(data, where)
    if not declared:
        return used, None
    label = "UTF-8" if used == "utf-8" else _GBK_NOTE
    return used, f"the .cpg says {declared!r} but the attributes are {label}: read them as {used.upper()}"


def _fits(data: bytes, name: str) -> bool:
    """Whether ``data`` is plausible text in codec ``name``."""
    if data.isascii():
        return True
    try:
        text = data.decode(name)
    except UnicodeDecodeError:
        return False
    if _has_junk(text):
        return False
    if name in ("gb18030", "gbk", "gb2312", "cp936"):  # UTF-8 Chinese read as GBK is plausible too: UTF-8 wins
        try:
            utf8 = data.decode("utf-8")
        except UnicodeDecodeError:
            return _plausible_gb(text)
        return not (_utf8_chinese(utf8) and not _has_junk(utf8)) and _plausible_gb(text)
    if name == "utf-8":  # unless GBK that happens to be valid UTF-8 ('目' C4 BF is 'Ŀ'): see _latin_words
        if _utf8_chinese(text):
            return True
        try:
            g = data.decode("gb18030")
        except UnicodeDecodeError:
            return True
        return not _plausible_gb(g) or _latin_words(text) or _unit_signs(text)
    # a single-byte code page decodes anything: it is contradicted by valid UTF-8 or by GBK Chinese
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    try:
        g = data.decode("gb18030")
    except UnicodeDecodeError:
        return True
    return not (_plausible_gb(g) and all(_in_gb2312(ch) for ch in g if not ch.isascii()))

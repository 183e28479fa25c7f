"""Issue 12, family 3 (part): the wrong kind of file is refused in one line, before it is opened.

A named pipe would block ``open()`` forever, ``/dev/zero`` never ends, a folder is not a file and a
200 MB "text" file is not read into memory. Every test runs under an alarm so a regression fails
instead of hanging the suite.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from linfen_geo.errors import InputError
from linfen_geo.io.sites import read_sites
from linfen_geo.io.textfiles import TEXT_LIMIT_BYTES, check_regular_file, read_bytes_capped, read_text_capped

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only")


@pytest.fixture(autouse=True)
def alarm():
    """Fail (instead of hanging) when a reader blocks on a pipe or reads an endless device."""

    def fail(signum, frame):
        raise TimeoutError("the reader blocked: a FIFO or device was opened")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "sites.geojson"
    os.mkfifo(path)
    return path


@pytest.fixture
def zero(tmp_path) -> Path:
    path = tmp_path / "sites.txt"
    path.symlink_to("/dev/zero")
    return path


@pytest.fixture
def sparse(tmp_path) -> Path:
    path = tmp_path / "big.txt"
    with path.open("wb") as fh:
        fh.truncate(200 * 2**20)  # sparse: no disk used
    return path


@pytest.mark.parametrize("suffix", [".geojson", ".txt", ".csv", ".kml", ".shp", ".gpkg", ""])
def test_fifo_is_refused_by_the_sites_reader(tmp_path, suffix):
    path = tmp_path / f"pipe{suffix}"
    os.mkfifo(path)
    with pytest.raises(InputError, match="is not a regular file but a named pipe") as exc:
        read_sites(path)
    assert str(path) in _one_line(exc)


def test_dev_zero_behind_a_txt_name_is_refused(zero):
    with pytest.raises(InputError, match=r"is not a regular file but a character device \(/dev/zero\)") as exc:
        read_sites(zero)
    _one_line(exc)
    with pytest.raises(InputError, match="character device"):
        read_text_capped(zero)


def test_folder_is_refused_but_a_file_gdb_folder_is_not(tmp_path):
    folder = tmp_path / "sites.geojson"
    folder.mkdir()
    with pytest.raises(InputError, match="is not a regular file but a folder") as exc:
        read_sites(folder)
    _one_line(exc)
    gdb = tmp_path / "sites.gdb"
    gdb.mkdir()
    assert check_regular_file(gdb, folders=(".gdb",)) == gdb
    with pytest.raises(InputError, match="cannot read"):  # allowed through, then GDAL finds no GDB in it
        read_sites(gdb)


def test_sparse_200_mb_text_is_capped(sparse):
    with pytest.raises(
        InputError, match=r"200 MB, more than the 64 MB read as text: convert it to a GeoPackage"
    ) as exc:
        read_sites(sparse)
    assert "ogr2ogr -f GPKG out.gpkg big.txt" in _one_line(exc)
    with pytest.raises(InputError, match="more than the 1 MB"):
        read_bytes_capped(sparse, 2**20)
    assert TEXT_LIMIT_BYTES == 64 * 2**20


def test_jzd_reader_refuses_fifo_and_cap(fifo, sparse):
    from linfen_geo.io.jzd import read_jzd

    with pytest.raises(InputError, match="named pipe"):
        read_jzd(fifo)
    with pytest.raises(InputError, match="more than the 64 MB"):
        read_jzd(sparse)


def test_kmz_and_kml_fifo(tmp_path):
    for name in ("a.kml", "a.kmz"):
        os.mkfifo(tmp_path / name)
        with pytest.raises(InputError, match="named pipe"):
            read_sites(tmp_path / name)


def test_catalog_replacement_refuses_fifo_device_and_folder(fresh_catalog, tmp_path, zero):
    pipe = tmp_path / "dem.tif"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match=r"layer 'dem': .* is not a regular file but a named pipe"):
        fresh_catalog.use("dem", pipe)
    with pytest.raises(InputError, match="character device"):
        fresh_catalog.use("county_seats", zero)
    folder = tmp_path / "seats.shp"
    folder.mkdir()
    with pytest.raises(InputError, match="folder"):
        fresh_catalog.use("county_seats", folder)
    assert "dem" not in fresh_catalog.replacements


def test_config_and_plan_files(tmp_path, monkeypatch, fifo, sparse):
    from linfen_geo.config import read_config
    from linfen_geo.plan.loader import load_plan

    with pytest.raises(InputError, match=r"plan file .* named pipe"):
        load_plan(fifo)
    with pytest.raises(InputError, match=r"plan file .* more than the 16 MB"):
        load_plan(sparse)
    cfg = tmp_path / "linfen_geo.toml"
    cfg.symlink_to(sparse)
    monkeypatch.setenv("LINFEN_GEO_CONFIG", str(cfg))
    with pytest.raises(InputError, match=r"config file .* more than the 1 MB"):
        read_config()


def test_raster_inputs(tmp_path, fifo):
    from linfen_geo.io.rasters import import_raster, raster_class_scheme

    pipe = tmp_path / "lc.tif"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="named pipe"):
        raster_class_scheme(pipe)
    with pytest.raises(InputError, match="named pipe"):
        import_raster(pipe, "x", kind="dem", dest=tmp_path / "out")


@pytest.mark.parametrize("kind", ["fifo", "zero", "sparse", "folder"])
def test_cli_check_siting_one_line_exit_2(tmp_path, capsys, kind, request):
    from linfen_geo.cli.app import main

    if kind == "folder":
        path = tmp_path / "dir.geojson"
        path.mkdir()
    else:
        path = request.getfixturevalue(kind)
    rc = main(["check-siting", str(path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    # a folder is read for its site files (check-siting DIR): one with none is refused the same way
    assert ("not a regular file" in err) or ("more than the 64 MB" in err) or ("no site files in the folder" in err)


def test_cli_greening_checks_dem_and_landcover(tmp_path, capsys, fresh_catalog):
    from linfen_geo.cli.app import main

    pipe = tmp_path / "dem.tif"
    os.mkfifo(pipe)
    rc = main(["greening", "--dem", str(pipe), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "--dem" in err and "named pipe" in err


def test_socket_is_refused():
    import socket
    import tempfile

    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # short: a socket path has ~100 characters at most
    path = folder / "s.csv"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        with pytest.raises(InputError, match="is not a regular file but a socket"):
            read_sites(path)
    finally:
        sock.close()
        path.unlink(missing_ok=True)
        folder.rmdir()


def test_config_with_a_utf8_byte_order_mark_is_read(tmp_path, monkeypatch):
    from linfen_geo.config import read_config

    cfg = tmp_path / "linfen_geo.toml"
    cfg.write_bytes('\ufeffcache_dir = "缓存"\n'.encode())
    monkeypatch.setenv("LINFEN_GEO_CONFIG", str(cfg))
    assert read_config()["cache_dir"] == str(tmp_path / "缓存")
    cfg.write_bytes('cache_dir = "缓存"\n'.encode("gbk"))
    with pytest.raises(InputError, match=r"config file .*: cannot decode as utf-8"):
        read_config()

"""One atomic, no-clobber write path for every file the package writes (bug 5)."""

from __future__ import annotations

import hashlib
import json
import threading

import geopandas as gpd
import matplotlib
import pytest
from shapely.geometry import box

from linfen_geo.errors import InputError
from linfen_geo.files import write_file
from linfen_geo.io.jzd import read_jzd, write_jzd
from linfen_geo.reports.writers import OutputDir

matplotlib.use("Agg")


@pytest.fixture
def parcel():
    return gpd.GeoDataFrame({"name": ["光伏"]}, geometry=[box(500000, 4e6, 500300, 4000400)], crs=4546)


def test_write_jzd_never_overwrites_unless_asked(tmp_path, parcel):
    target = tmp_path / "sites.txt"
    target.write_text("the user's own file")
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        write_jzd(parcel, target)
    assert target.read_text() == "the user's own file"
    write_jzd(parcel, target, overwrite=True)
    assert len(read_jzd(target)) == 1


def test_plot_layers_never_overwrites_and_writes_the_format_named(tmp_path, catalog):
    from linfen_geo.viz.maps import plot_layers

    png = tmp_path / "map.png"
    png.write_bytes(b"not ours")
    with pytest.raises(InputError, match="exists"):
        plot_layers(["counties"], catalog=catalog, out=png, hillshade=False, dpi=30)
    assert png.read_bytes() == b"not ours"
    pdf = tmp_path / "map.pdf"
    plot_layers(["counties"], catalog=catalog, out=pdf, hillshade=False, dpi=30)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(InputError, match=r"cannot write a map as '\.docx'"):
        plot_layers(["counties"], catalog=catalog, out=tmp_path / "map.docx", hillshade=False, dpi=30)
    assert not (tmp_path / "map.docx").exists()


def test_failed_write_leaves_nothing_behind(tmp_path):
    def boom(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_file(tmp_path / "a.csv", boom)
    assert list(tmp_path.iterdir()) == []


def test_racing_writers_one_wins_the_other_is_refused(tmp_path):
    """Two writers of the same new file: exactly one succeeds, and its content is whole."""
    target = tmp_path / "out.txt"
    barrier = threading.Barrier(2)
    results = []

    def writer(text):
        def write(tmp):
            tmp.write_text(text * 10_000)
            barrier.wait()  # both have written their temporary file before either moves it

        try:
            write_file(target, write)
            results.append("ok")
        except InputError:
            results.append("refused")

    threads = [threading.Thread(target=writer, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert set(target.read_text()) in ({"a"}, {"b"})
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_manifest_lists_a_file_only_once_it_exists(tmp_path):
    out = OutputDir(tmp_path / "o")
    path = out.target("later.png")  # a caller that writes the file itself
    never = out.target("never.png")  # asked for, never written
    out.text("x", "a.md")
    path.write_bytes(b"png")
    assert not never.exists()
    out.finish()
    listed = json.loads((tmp_path / "o" / OutputDir.MANIFEST).read_text())["files"]
    assert set(listed) == {"a.md", "later.png"}
    assert listed["later.png"] == hashlib.sha256(b"png").hexdigest()

"""Issue 12, family 7: output folders are written as one unit and never clobber what linfen-geo did not write."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from linfen_geo.errors import InputError
from linfen_geo.reports.writers import OutputDir


def _run(path, rows, fail_at=None, overwrite=False):
    """A miniature run: a table, a text, a report; optionally killed before the end."""
    out = OutputDir(path, overwrite=overwrite)
    try:
        out.table(pd.DataFrame({"v": rows}), "catalog.csv")
        if fail_at == "middle":
            raise KeyboardInterrupt  # the user pressed Ctrl-C half-way
        out.text(f"{len(rows)} rows\n", "REPORT.md")
    except BaseException:
        out.abort()
        raise
    out.finish()


def test_a_rerun_replaces_its_own_files_and_leaves_no_old_ones(tmp_path):
    d = tmp_path / "out"
    _run(d, [1, 2, 3])
    out = OutputDir(d)
    out.text("only this\n", "REPORT.md")
    out.finish()
    names = sorted(p.name for p in d.iterdir())
    assert names == ["MANIFEST.json", "REPORT.md"]  # catalog.csv of the earlier run is gone, not stale
    manifest = json.loads((d / "MANIFEST.json").read_text())
    assert manifest["complete"] and set(manifest["files"]) == {"REPORT.md"}


def test_an_interrupted_run_leaves_the_previous_results_whole(tmp_path):
    d = tmp_path / "out"
    _run(d, [1, 2, 3])
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        _run(d, [9] * 10, fail_at="middle")
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # staging removed


def test_a_killed_run_leaves_no_visible_mix_and_its_staging_is_cleaned(tmp_path):
    d = tmp_path / "out"
    _run(d, [1, 2, 3])
    stage = tmp_path / ".out.partial-999999999-x"  # what a SIGKILLed run leaves (no such process)
    stage.mkdir()
    (stage / "catalog.csv").write_text("half")
    assert (d / "REPORT.md").read_text() == "3 rows\n"
    _run(d, [1])
    assert not stage.exists()
    assert (d / "REPORT.md").read_text() == "1 rows\n"


@pytest.mark.parametrize(
    "case", ["own_manifest", "edited_manifest_lists_users_file", "manifest_is_a_list", "edited_result"]
)
def test_files_linfen_geo_did_not_write_are_never_replaced(tmp_path, case):
    d = tmp_path / "out"
    if case == "own_manifest":
        d.mkdir()
        (d / "MANIFEST.json").write_text('{"mine": true}')
    elif case == "edited_manifest_lists_users_file":
        _run(d, [1])
        (d / "catalog.csv").write_text("the user's own table")
        m = json.loads((d / "MANIFEST.json").read_text())
        m["files"]["catalog.csv"] = "0" * 64  # listed, but the hash is not of this content
        (d / "MANIFEST.json").write_text(json.dumps(m))
    elif case == "manifest_is_a_list":
        d.mkdir()
        (d / "MANIFEST.json").write_text('["catalog.csv"]')
        (d / "catalog.csv").write_text("mine")
    else:
        _run(d, [1])
        (d / "REPORT.md").write_text("edited by hand")
    snapshot = {p.name: p.read_bytes() for p in d.iterdir()}
    with pytest.raises(InputError, match="did not write"):
        _run(d, [5])
    assert {p.name: p.read_bytes() for p in d.iterdir()} == snapshot


def test_force_replaces_but_keeps_the_users_other_files(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    (d / "catalog.csv").write_text("old")
    _run(d, [7], overwrite=True)
    assert (d / "notes.txt").read_text() == "keep me"
    assert pd.read_csv(d / "catalog.csv", encoding="utf-8-sig")["v"].tolist() == [7]


def test_cli_siting_out_and_map_on_the_same_path_is_refused_before_writing(tmp_path, capsys):
    from pathlib import Path

    from linfen_geo.cli.app import main

    sites = Path(__file__).resolve().parents[1] / "examples" / "sites_three_projects.geojson"
    target = tmp_path / "x.png"
    assert main(["check-siting", str(sites), "--out", str(target), "--map", str(target)]) == 2
    assert "same file" in capsys.readouterr().err
    assert not target.exists()


def test_cli_data_import_refuses_an_existing_provenance_before_writing(tmp_path, capsys):
    from pathlib import Path

    from linfen_geo.cli.app import main

    dem = Path(__file__).resolve().parents[1] / "data" / "rasters" / "dem_1km_vfp15.tif"
    (tmp_path / "mine.tif.PROVENANCE.txt").write_text("my own notes")
    rc = main(["data", "import", str(dem), "--kind", "dem", "--name", "mine", "--dest", str(tmp_path)])
    assert rc == 2 and "PROVENANCE" in capsys.readouterr().err
    assert not (tmp_path / "mine.tif").exists()
    assert (tmp_path / "mine.tif.PROVENANCE.txt").read_text() == "my own notes"
